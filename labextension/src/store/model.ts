import { SidebarModel } from '../common/model';
import type {
  IStoredVariableInfo,
  ISavedVariable,
  ISavedVariablesModel,
  IStoreNotice,
  StoreAction,
  StoreState
} from '../tokens';

/**
 * The model of the saved variables (the "Saved variables" section of the
 * Variables panel).
 *
 * #### Notes
 * Like the preview model, it knows nothing about kernels: a
 * `VariableStore` fills it and the panel renders it. Every change is
 * announced on `stateChanged`.
 */
export class SavedVariablesModel
  extends SidebarModel
  implements ISavedVariablesModel
{
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
   * Where the store stands.
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
   * Whether the kernel the store talks through can take requests (neither
   * dead nor restarting).
   */
  get kernelReady(): boolean {
    return this._kernelReady;
  }
  set kernelReady(value: boolean) {
    this.change(this._kernelReady, value, v => (this._kernelReady = v));
  }

  /**
   * The outcome of the last action, or `null`.
   */
  get notice(): IStoreNotice | null {
    return this._notice;
  }
  set notice(value: IStoreNotice | null) {
    this.change(this._notice, value, v => (this._notice = v));
  }

  /**
   * The id of the entry to draw attention to (the one just saved), or
   * `null`.
   */
  get highlighted(): string | null {
    return this._highlighted;
  }
  set highlighted(value: string | null) {
    this.change(this._highlighted, value, v => (this._highlighted = v));
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
    this.change(this._pending.has(entry), pending, () => {
      if (pending) {
        this._pending.add(entry);
      } else {
        this._pending.delete(entry);
      }
    });
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
    this.changed();
  }

  /**
   * Drop the entry of `id` (it was deleted).
   */
  removeItem(id: string): void {
    const items = this._items.filter(item => item.id !== id);
    this.change(this._items.length, items.length, () => {
      this._items = items;
    });
  }

  /**
   * Go to `state`; `error` is the message of the `error` state.
   */
  setState(state: StoreState, error = ''): void {
    this.change(`${this._state}:${this._error}`, `${state}:${error}`, () => {
      this._state = state;
      this._error = state === 'error' ? error : '';
    });
  }

  /**
   * The name saved under `id`, or an empty string.
   */
  nameOf(id: string): string {
    return this._items.find(item => item.id === id)?.name ?? '';
  }

  private _items: ISavedVariable[] = [];
  private _listed = false;
  private _state: StoreState = 'unknown';
  private _error = '';
  private _kernelReady = false;
  private _notice: IStoreNotice | null = null;
  private _highlighted: string | null = null;
  private _pending = new Set<string>();
}

/**
 * The text of a field of a `list_vars` entry.
 */
function text(value: unknown): string {
  return typeof value === 'string'
    ? value
    : value === undefined
      ? ''
      : String(value);
}

/**
 * Read one entry of a `list_vars` answer; `null` when it has no id.
 */
export function readSavedVariable(raw: unknown): ISavedVariable | null {
  if (!raw || typeof raw !== 'object') {
    return null;
  }
  const entry = raw as { [key: string]: unknown };
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

/**
 * The saved variables of a `list_vars` return value (`{vars: [...]}`).
 */
export function readSavedVariables(value: unknown): ISavedVariable[] {
  const raw = (value as { vars?: unknown } | null)?.vars;
  return Array.isArray(raw)
    ? raw
        .map(readSavedVariable)
        .filter((item): item is ISavedVariable => item !== null)
    : [];
}

/**
 * The variable a `save_var` or `load_var` reply describes.
 */
export function readStoredInfo(
  raw: unknown,
  name: string
): IStoredVariableInfo {
  const value =
    raw && typeof raw === 'object' ? (raw as { [key: string]: unknown }) : {};
  return {
    id: typeof value.id === 'string' ? value.id : String(value.id ?? ''),
    name: typeof value.name === 'string' ? value.name : name,
    type: typeof value.type === 'string' ? value.type : '',
    bytes: typeof value.bytes === 'number' ? value.bytes : null
  };
}
