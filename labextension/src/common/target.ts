import type { JupyterFrontEnd } from '@jupyterlab/application';
import type { ISessionContext } from '@jupyterlab/apputils';
import type { IConsoleTracker } from '@jupyterlab/console';
import type { INotebookTracker } from '@jupyterlab/notebook';
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';
import type { Widget } from '@lumino/widgets';

/**
 * A notebook or console panel: a widget with a session context.
 */
export type KernelTarget = Widget & {
  readonly sessionContext: ISessionContext;
};

/**
 * The notebook and console trackers of the application, either may be
 * missing.
 */
export interface ITrackers {
  notebooks: INotebookTracker | null;
  consoles: IConsoleTracker | null;
}

/**
 * The notebook or console the extension works on: the one resolver of
 * "the current notebook or console" that every panel and command uses.
 *
 * #### Notes
 * The widget in focus wins when it is a notebook or a console. When
 * something else takes the focus (a file browser, a side panel, a text
 * editor), the one followed is kept as long as it is open; when it closes,
 * the tracker moves to the most recent notebook, else console, else none.
 */
export class CurrentTarget implements IDisposable {
  /**
   * Start following the notebooks and consoles of `options.shell`.
   */
  constructor(options: CurrentTarget.IOptions) {
    const { shell, notebooks, consoles } = options;
    this._shell = shell;
    this._notebooks = notebooks;
    this._consoles = consoles;
    shell.currentChanged?.connect(this.update, this);
    notebooks?.currentChanged.connect(this.update, this);
    consoles?.currentChanged.connect(this.update, this);
    // A closed notebook leaves its tracker before `currentChanged` fires.
    notebooks?.widgetAdded.connect(this._onWidgetAdded, this);
    consoles?.widgetAdded.connect(this._onWidgetAdded, this);
    this.update();
  }

  /**
   * The notebook or console followed, or `null`.
   */
  get target(): KernelTarget | null {
    return this._target;
  }

  /**
   * A signal emitted when another notebook or console is followed.
   */
  get targetChanged(): ISignal<this, KernelTarget | null> {
    return this._targetChanged;
  }

  /**
   * Whether the tracker is disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Stop following.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._shell.currentChanged?.disconnect(this.update, this);
    Signal.clearData(this);
  }

  /**
   * Look again at what has the focus.
   */
  update(): void {
    if (this._isDisposed) {
      return;
    }
    const current = this._shell.currentWidget;
    let next: KernelTarget | null;
    if (this._isTarget(current)) {
      next = current as KernelTarget;
    } else {
      const followed = this._target;
      if (followed && !followed.isDisposed && this._isTarget(followed)) {
        return;
      }
      next =
        (this._notebooks?.currentWidget as KernelTarget | null | undefined) ??
        (this._consoles?.currentWidget as KernelTarget | null | undefined) ??
        null;
    }
    if (next !== this._target) {
      this._target = next;
      this._targetChanged.emit(next);
    }
  }

  private _isTarget(widget: Widget | null | undefined): boolean {
    return (
      !!widget &&
      ((this._notebooks?.has(widget) ?? false) ||
        (this._consoles?.has(widget) ?? false))
    );
  }

  private _onWidgetAdded(_: unknown, widget: Widget): void {
    widget.disposed.connect(() => queueMicrotask(() => this.update()));
  }

  private _shell: JupyterFrontEnd.IShell;
  private _notebooks: INotebookTracker | null;
  private _consoles: IConsoleTracker | null;
  private _target: KernelTarget | null = null;
  private _targetChanged = new Signal<this, KernelTarget | null>(this);
  private _isDisposed = false;
}

/**
 * The namespace for {@link CurrentTarget} statics.
 */
export namespace CurrentTarget {
  /**
   * The options of a tracker.
   */
  export interface IOptions extends ITrackers {
    /**
     * The application shell.
     */
    shell: JupyterFrontEnd.IShell;
  }
}

/**
 * Keep `follower.target` on the current notebook or console (see
 * {@link CurrentTarget}), from now on.
 *
 * @returns The tracker, which looks at the focus again once the
 *   application is restored.
 */
export function followCurrentTarget(
  app: JupyterFrontEnd,
  trackers: ITrackers,
  follower: { target: KernelTarget | null }
): CurrentTarget {
  const current = new CurrentTarget({ shell: app.shell, ...trackers });
  current.targetChanged.connect((_, target) => {
    follower.target = target;
  });
  follower.target = current.target;
  void app.restored.then(() => current.update());
  return current;
}
