import { SidebarConnector } from '../common/connector';
import type { SavedVariablesModel } from './model';
import type { VariableStore } from './store';

/**
 * The kernel states in which the store cannot be talked to.
 */
const UNREADY = ['dead', 'restarting', 'autorestarting', 'terminating'];

/**
 * Keeps a {@link VariableStore} on the kernel of the notebook or console
 * followed, and its model's `target` and `kernelReady` up to date.
 */
export class StoreConnector extends SidebarConnector<SavedVariablesModel> {
  /**
   * Create a connector for `options.store`.
   */
  constructor(options: StoreConnector.IOptions) {
    super({ model: options.store.model, translator: options.translator });
    this._store = options.store;
  }

  /**
   * Follow the kernel of the target, through kernel changes and restarts.
   */
  protected onTargetChanged(): void {
    const kernel = this.targetKernel;
    this._store.kernel = kernel;
    this.model.kernelReady = !!kernel && !UNREADY.includes(kernel.status);
  }

  private _store: VariableStore;
}

/**
 * The namespace for {@link StoreConnector} statics.
 */
export namespace StoreConnector {
  /**
   * The options of a connector.
   */
  export interface IOptions {
    store: VariableStore;
    translator?: SidebarConnector.IOptions<SavedVariablesModel>['translator'];
  }
}
