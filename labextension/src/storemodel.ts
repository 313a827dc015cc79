import { VDomModel } from '@jupyterlab/ui-components';

/**
 * A variable kept in the server's datastore, as `list_vars` describes it.
 */
export interface ISavedVariable {
  /**
   * The id the store gave it.
   */
  readonly id: string;
  /**
   * The name it had when it was saved.
   */
  readonly name: string;
  /**
   * The name of its type.
   */
  readonly type: string;
  /**
   * The size of its stored form, or `null` when unknown.
   */
  readonly bytes: number | null;
  /**
   * The kernel it was saved from.
   */
  readonly kernel_id: string;
  /**
   * When it was saved, in ISO 8601, or an empty string.
   */
  readonly created: string;
  /**
   * Who saved it.
   */
  readonly user: string;
}

/**
 * The store actions the panel offers.
 */
export type StoreAction = 'save' | 'load' | 'delete' | 'list';

/**
 * The outcome of the last store action, shown in the panel's status line.
 */
export interface IStoreNotice {
  /**
   * Whether the action went well.
   */
  readonly kind: 'ok' | 'error';
  /**
   * The action.
   */
  readonly action: StoreAction;
  /**
   * What to tell the user.
   */
  readonly text: string;
  /**
   * The id of the variable saved, loaded or deleted, if known.
   */
  readonly id?: string;
  /**
   * The name of the variable in the kernel, if any.
   */
  readonly name?: string;
}

/**
 * What the panel shows of the variable store.
 *
 * - `unknown`: not known yet whether the server has a store;
 * - `unavailable`: the server has no `save_var`/`list_vars` message type,
 *   so the store part of the panel is hidden;
 * - `no-kernel`: a store, but no kernel to talk to it through;
 * - `loading`: the list is being fetched;
 * - `ok`: the list is shown;
 * - `error`: the list could not be fetched.
 */
export type StoreState =
  'unknown' | 'unavailable' | 'no-kernel' | 'loading' | 'ok' | 'error';

/**
 * The model of the "Saved variables" part of the Variables panel.
 *
 * #### Notes
 * Like the preview model, it knows nothing about kernels: a
 * {@link VariableStore} fills it and the panel renders it. Every change is
 * announced on `stateChanged`.
 */
export class SavedVariablesModel extends VDomModel {
  /**
   * The saved variables, newest first.
   */
  get items(): readonly ISavedVariable[] {
    return this._items;
  }

  /**
   * Whether the list has been fetched at least once.
   */
  get listed(): boolean {
    return this._listed;
  }

  /**
   * What the store part of the panel has to say.
   */
  get state(): StoreState {
    return this._state;
  }

  /**
   * The error of the `error` state.
   */
  get error(): string {
    return this._error;
  }

  /**
   * Whether the server has a variable store.
   */
  get available(): boolean {
    return this._state !== 'unknown' && this._state !== 'unavailable';
  }

  /**
   * The outcome of the last action, or `null`.
   */
  get notice(): IStoreNotice | null {
    return this._notice;
  }
  set notice(value: IStoreNotice | null) {
    if (value !== this._notice) {
      this._notice = value;
      this.stateChanged.emit(void 0);
    }
  }

  /**
   * Whether the list is unfolded in the panel.
   */
  get expanded(): boolean {
    return this._expanded;
  }
  set expanded(value: boolean) {
    if (value !== this._expanded) {
      this._expanded = value;
      this.stateChanged.emit(void 0);
    }
  }

  /**
   * The id of the entry to draw attention to (the one just saved), or
   * `null`.
   */
  get highlighted(): string | null {
    return this._highlighted;
  }
  set highlighted(value: string | null) {
    if (value !== this._highlighted) {
      this._highlighted = value;
      this.stateChanged.emit(void 0);
    }
  }

  /**
   * Whether an action on `key` (a variable name for `save`, an id for the
   * others) is under way.
   */
  isPending(action: StoreAction, key: string): boolean {
    return this._pending.has(`${action}:${key}`);
  }

  /**
   * Mark an action on `key` as started or finished.
   */
  setPending(action: StoreAction, key: string, pending: boolean): void {
    const entry = `${action}:${key}`;
    if (pending === this._pending.has(entry)) {
      return;
    }
    if (pending) {
      this._pending.add(entry);
    } else {
      this._pending.delete(entry);
    }
    this.stateChanged.emit(void 0);
  }

  /**
   * Show `items`, the answer of `list_vars`.
   */
  setItems(items: readonly ISavedVariable[]): void {
    this._items = [...items];
    this._listed = true;
    this._error = '';
    this._state = 'ok';
    if (
      this._highlighted !== null &&
      !items.some(item => item.id === this._highlighted)
    ) {
      this._highlighted = null;
    }
    this.stateChanged.emit(void 0);
  }

  /**
   * Drop the entry of `id` (it was deleted).
   */
  removeItem(id: string): void {
    const items = this._items.filter(item => item.id !== id);
    if (items.length !== this._items.length) {
      this._items = items;
      this.stateChanged.emit(void 0);
    }
  }

  /**
   * Go to `state`; `error` is the message of the `error` state.
   */
  setState(state: StoreState, error = ''): void {
    if (state === this._state && error === this._error) {
      return;
    }
    this._state = state;
    this._error = state === 'error' ? error : '';
    this.stateChanged.emit(void 0);
  }

  private _items: ISavedVariable[] = [];
  private _listed = false;
  private _state: StoreState = 'unknown';
  private _error = '';
  private _notice: IStoreNotice | null = null;
  private _expanded = true;
  private _highlighted: string | null = null;
  private _pending = new Set<string>();
}

/**
 * Read one entry of a `list_vars` answer; `null` when it has no id.
 */
export function readSavedVariable(raw: unknown): ISavedVariable | null {
  if (!raw || typeof raw !== 'object') {
    return null;
  }
  const entry = raw as { [key: string]: unknown };
  const text = (value: unknown): string =>
    typeof value === 'string'
      ? value
      : value === undefined
        ? ''
        : String(value);
  const id = text(entry.id);
  if (!id) {
    return null;
  }
  return {
    id,
    name: text(entry.name),
    type: text(entry.type),
    bytes: typeof entry.bytes === 'number' ? entry.bytes : null,
    kernel_id: text(entry.kernel_id),
    created: text(entry.created),
    user: text(entry.user)
  };
}
