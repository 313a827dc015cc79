import { VDomModel } from '@jupyterlab/ui-components';

/**
 * The base of the extension's models: a VDom model whose properties
 * announce their changes on `stateChanged`.
 */
export class BeakerModel extends VDomModel {
  /**
   * Store `next` through `set` and announce it, when it differs from
   * `current`.
   *
   * @returns Whether it changed.
   *
   * #### Notes
   * The one place of the "compare, assign, emit" of every setter:
   * `set busy(value) { this.change(this._busy, value, v => (this._busy = v)); }`.
   */
  protected change<T>(current: T, next: T, set: (value: T) => void): boolean {
    if (current === next) {
      return false;
    }
    set(next);
    this.stateChanged.emit(void 0);
    return true;
  }

  /**
   * Announce a change made to the model's state.
   */
  protected changed(): void {
    this.stateChanged.emit(void 0);
  }
}

/**
 * The base model of a panel that works on the kernel of one notebook or
 * console (the Variables panel, the saved variables, the message explorer).
 *
 * #### Notes
 * A {@link SidebarConnector} keeps {@link target} in step with the widget
 * followed; the panel's header shows it.
 */
export class SidebarModel extends BeakerModel {
  /**
   * The label of the notebook or console followed, or `null`.
   */
  get target(): string | null {
    return this._target;
  }
  set target(value: string | null) {
    this.change(this._target, value, v => (this._target = v));
  }

  private _target: string | null = null;
}
