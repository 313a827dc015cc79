import { VDomModel } from '@jupyterlab/ui-components';

/**
 * The base model of a sidebar panel that works on the kernel of one
 * notebook or console (the Variables panel, the message explorer).
 *
 * #### Notes
 * A {@link SidebarConnector} keeps {@link target} in step with the widget
 * followed; the panel's header shows it. Every change is announced on
 * `stateChanged`.
 */
export class SidebarModel extends VDomModel {
  /**
   * The label of the notebook or console followed, or `null`.
   */
  get target(): string | null {
    return this._target;
  }
  set target(value: string | null) {
    if (value !== this._target) {
      this._target = value;
      this.stateChanged.emit(void 0);
    }
  }

  private _target: string | null = null;
}
