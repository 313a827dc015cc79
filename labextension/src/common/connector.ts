import type { ISessionContext } from '@jupyterlab/apputils';
import type { IChangedArgs } from '@jupyterlab/coreutils';
import type { Kernel } from '@jupyterlab/services';
import {
  ITranslator,
  TranslationBundle,
  nullTranslator
} from '@jupyterlab/translation';
import type { IDisposable } from '@lumino/disposable';
import { Signal } from '@lumino/signaling';

import type { SidebarModel } from './model';
import type { KernelTarget } from './target';

/**
 * The base of a connector that feeds a {@link SidebarModel} from the
 * session of one notebook or console, its target.
 *
 * #### Notes
 * The connector listens to the target's session context and title while it
 * is followed, and keeps the model's `target` label up to date. Subclasses
 * react to the session through {@link onTargetChanged} and the `on...`
 * hooks; each hook calls {@link onTargetChanged} unless overridden.
 */
export abstract class SidebarConnector<
  M extends SidebarModel
> implements IDisposable {
  /**
   * Create a connector feeding `options.model`.
   */
  constructor(options: SidebarConnector.IOptions<M>) {
    this._model = options.model;
    this.trans = (options.translator ?? nullTranslator).load('beaker_server');
  }

  /**
   * The model fed.
   */
  get model(): M {
    return this._model;
  }

  /**
   * The notebook or console followed, or `null`.
   */
  get target(): KernelTarget | null {
    return this._target;
  }
  set target(target: KernelTarget | null) {
    if (target === this._target) {
      return;
    }
    const old = this._target;
    if (old) {
      old.sessionContext.kernelChanged.disconnect(this.onKernelChanged, this);
      old.sessionContext.statusChanged.disconnect(this.onStatusChanged, this);
      old.sessionContext.sessionChanged.disconnect(this.onSessionChanged, this);
      old.title.changed.disconnect(this._updateLabel, this);
    }
    this._target = target;
    if (target) {
      target.sessionContext.kernelChanged.connect(this.onKernelChanged, this);
      target.sessionContext.statusChanged.connect(this.onStatusChanged, this);
      target.sessionContext.sessionChanged.connect(this.onSessionChanged, this);
      target.title.changed.connect(this._updateLabel, this);
    }
    this._updateLabel();
    this.onTargetChanged();
  }

  /**
   * Whether the connector is disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Stop following the target.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this.target = null;
    this._isDisposed = true;
    Signal.clearData(this);
  }

  /**
   * The kernel of the target's session, or `null`.
   */
  protected get targetKernel(): Kernel.IKernelConnection | null {
    return this._target?.sessionContext.session?.kernel ?? null;
  }

  /**
   * The connector's translation bundle.
   */
  protected readonly trans: TranslationBundle;

  /**
   * Called when another target is followed (or none), once the model's
   * label shows it.
   */
  protected abstract onTargetChanged(): void;

  /**
   * Called when the kernel of the target's session changes.
   */
  protected onKernelChanged(
    sender: ISessionContext,
    change: IChangedArgs<
      Kernel.IKernelConnection | null,
      Kernel.IKernelConnection | null,
      'kernel'
    >
  ): void {
    this.onTargetChanged();
  }

  /**
   * Called when the status of the target's kernel changes.
   */
  protected onStatusChanged(
    sender: ISessionContext,
    status: Kernel.Status
  ): void {
    this.onTargetChanged();
  }

  /**
   * Called when the target's session changes.
   */
  protected onSessionChanged(sender: ISessionContext): void {
    this.onTargetChanged();
  }

  private _updateLabel(): void {
    const target = this._target;
    this._model.target = target ? target.title.label : null;
  }

  private _model: M;
  private _target: KernelTarget | null = null;
  private _isDisposed = false;
}

/**
 * The namespace for {@link SidebarConnector} statics.
 */
export namespace SidebarConnector {
  /**
   * The options of a connector.
   */
  export interface IOptions<M extends SidebarModel> {
    /**
     * The model to feed.
     */
    model: M;
    /**
     * The application's translator.
     */
    translator?: ITranslator | null;
  }
}
