import type { IWidgetTracker } from '@jupyterlab/apputils';
import type { Kernel } from '@jupyterlab/services';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { Token } from '@lumino/coreutils';
import type { IDisposable } from '@lumino/disposable';
import type { ISignal } from '@lumino/signaling';
import type { Widget } from '@lumino/widgets';

/*
 * The public interfaces and tokens of beaker-server: what other extensions
 * may ask for. The classes behind them live in their feature folders.
 *
 * Longer than the other modules on purpose: it is the one place of the
 * extension's public types, and most of its lines are their documentation.
 */

/**
 * An optional column of the Variables table.
 */
export type ColumnId = 'type' | 'shape' | 'size' | 'value';

/**
 * A column the table can be sorted by.
 */
export type SortKey = 'name' | ColumnId;

/**
 * The metadata the server sends about one variable, under
 * `application/vnd.beaker.variable+json`.
 */
export interface IVariableMetadata {
  /**
   * The name of the value's type, such as `int` or `DataFrame`.
   */
  type?: string;
  /**
   * The module the type is defined in, such as `pandas.core.frame`.
   */
  module?: string;
  /**
   * The shape of an array or table, the length of a sized container, or
   * `null`.
   */
  shape?: number[] | number | null;
  /**
   * The element type(s) of an array or table.
   */
  dtype?: string | null;
  /**
   * The memory held, as far as it is known without traversing the value.
   */
  bytes?: number | null;
  /**
   * A one-line, bounded rendering of the value.
   */
  summary?: string;
  /**
   * Whether the value changed since the previous preview.
   */
  changed?: boolean;
}

/**
 * The meta part of a preview: what it covers and when it was made.
 */
export interface IPreviewMeta {
  /**
   * `ok`, `empty` (no user variable), or `restarting` (the kernel is
   * restarting; the items are empty).
   */
  state?: 'ok' | 'empty' | 'restarting' | string;
  /**
   * How many variables the namespace holds.
   */
  total?: number;
  /**
   * How many of them the preview carries.
   */
  shown?: number;
  /**
   * How many were left out by the item cap, the time budget or the size cap.
   */
  omitted?: number;
  /**
   * Whether the time budget ran out before every variable was looked at.
   */
  partial?: boolean;
  /**
   * Whether the payload byte cap was hit.
   */
  truncated?: boolean;
  /**
   * How long the kernel took to make the preview, in milliseconds.
   */
  elapsed_ms?: number;
  /**
   * The names whose value changed since the previous preview.
   */
  changed?: string[];
  /**
   * The names that went away since the previous preview.
   */
  removed?: string[];
  /**
   * When the preview was made, in ISO 8601.
   */
  time?: string;
  /**
   * Whether the server pushes a preview after every cell; `false` when
   * previews are off on the server and only a refresh updates them.
   */
  live?: boolean;
}

/**
 * The content of a `preview` iopub message, and the `return` of a
 * `preview_reply`: `{item_type: {name: mime bundle}}` plus its meta.
 */
export interface IPreviewContent {
  preview: {
    [itemType: string]: { [name: string]: ReadonlyPartialJSONObject };
  };
  meta?: IPreviewMeta;
}

/**
 * What the Variables panel has to say about the kernel it follows.
 *
 * - `no-kernel`: no notebook or console, or one without a kernel;
 * - `loading`: a kernel, but no preview of it yet;
 * - `ok`: a preview with at least one variable;
 * - `empty`: a preview of a namespace without user variables;
 * - `restarting`: the kernel is restarting, the rows are cleared;
 * - `dead`: the kernel died;
 * - `error`: the last preview request failed (the rows, if any, are kept);
 * - `unavailable`: the server does not make previews.
 */
export type PreviewState =
  | 'no-kernel'
  | 'loading'
  | 'ok'
  | 'empty'
  | 'restarting'
  | 'dead'
  | 'error'
  | 'unavailable';

/**
 * One variable of the preview, as the table shows it.
 */
export interface IPreviewRow {
  /**
   * The variable's name.
   */
  readonly name: string;
  /**
   * The item type (group) it came in: `variables`, `tables`...
   */
  readonly itemType: string;
  /**
   * The name of its type.
   */
  readonly type: string;
  /**
   * The module of its type.
   */
  readonly module: string;
  /**
   * Its shape (list), length (number) or `null`.
   */
  readonly shape: readonly number[] | number | null;
  /**
   * The element type(s), for arrays and tables.
   */
  readonly dtype: string | null;
  /**
   * The memory it holds, or `null` when unknown.
   */
  readonly bytes: number | null;
  /**
   * A short rendering of its value.
   */
  readonly summary: string;
  /**
   * Whether it changed since the previous preview.
   */
  readonly changed: boolean;
  /**
   * The MIME bundle to render when the row is expanded, without the
   * metadata entry.
   */
  readonly bundle: ReadonlyPartialJSONObject;
}

/**
 * A sort order of the table.
 */
export interface ISortOrder {
  /**
   * The column sorted by.
   */
  key: SortKey;
  /**
   * Ascending or descending.
   */
  direction: 'ascending' | 'descending';
}

/**
 * The model of the Variables panel, as other extensions see it.
 */
export interface IPreviewModel {
  /**
   * A signal emitted on every change.
   */
  readonly stateChanged: ISignal<any, void>;
  /**
   * The label of the notebook or console followed, or `null`.
   */
  readonly target: string | null;
  /**
   * The rows of the last preview, in the order the server sent them.
   */
  readonly rows: readonly IPreviewRow[];
  /**
   * The rows that pass the filter, in the current sort order.
   */
  readonly visibleRows: readonly IPreviewRow[];
  /**
   * What the panel has to say about the kernel.
   */
  readonly state: PreviewState;
  /**
   * The error message of the `error` and `unavailable` states.
   */
  readonly error: string;
  /**
   * Whether a user's execution is running in the kernel.
   */
  readonly busy: boolean;
  /**
   * Whether a preview request of the panel is on its way.
   */
  readonly refreshing: boolean;
  /**
   * Whether a pushed preview was not applied because auto-update is off.
   */
  readonly stale: boolean;
  /**
   * Whether previews pushed by the server are applied as they come.
   */
  autoRefresh: boolean;
  /**
   * When the rows were last updated, or `null`.
   */
  readonly lastUpdated: Date | null;
  /**
   * The meta part of the last preview, or `null`.
   */
  readonly meta: IPreviewMeta | null;
  /**
   * The filter text (name or type, ignoring case).
   */
  filter: string;
  /**
   * The sort order of the table.
   */
  sort: Readonly<ISortOrder>;
  /**
   * The optional columns shown, in table order.
   */
  columns: readonly ColumnId[];
  /**
   * Show a preview (the content of a `preview` message); `false` when it
   * is not one.
   */
  applyPreview(content: IPreviewContent): boolean;
  /**
   * Whether the row of `name` shows its rich preview.
   */
  isExpanded(name: string): boolean;
  /**
   * Expand or collapse the row of `name`.
   */
  toggleExpanded(name: string, expanded?: boolean): void;
}

/**
 * The variable preview of the application: its panel and model.
 *
 * #### Notes
 * Provided by the `beaker-server:preview` plugin so that other extensions
 * can read the model or ask for a refresh.
 */
export interface IVariablePreview {
  /**
   * The model the panel shows.
   */
  readonly model: IPreviewModel;
  /**
   * The sidebar panel.
   */
  readonly panel: Widget;
  /**
   * Ask the kernel the panel follows for a fresh preview.
   */
  refresh(): Promise<void>;
}

/**
 * The token of the variable preview.
 */
export const IVariablePreview = new Token<IVariablePreview>(
  'beaker-server:IVariablePreview',
  'The variable preview panel of beaker-server and its model.'
);

/**
 * A variable kept in the server's store, as `list_vars` describes it.
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
 * What `save_var` and `load_var` say about the variable.
 */
export interface IStoredVariableInfo {
  /**
   * The id in the store.
   */
  id: string;
  /**
   * The name in the kernel.
   */
  name: string;
  /**
   * The name of its type.
   */
  type: string;
  /**
   * The size of its stored form, or `null`.
   */
  bytes: number | null;
}

/**
 * The store actions the panel offers.
 */
export type StoreAction = 'save' | 'load' | 'delete' | 'list';

/**
 * The outcome of the last store action.
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
 * What the server's variable store looks like from the front end.
 *
 * - `unknown`: not known yet whether the server has a store;
 * - `unavailable`: the server has no `save_var`/`list_vars` message type;
 * - `no-kernel`: a store, but no kernel to talk to it through;
 * - `loading`: the list is being fetched;
 * - `ok`: the list is shown;
 * - `error`: the list could not be fetched.
 */
export type StoreState =
  'unknown' | 'unavailable' | 'no-kernel' | 'loading' | 'ok' | 'error';

/**
 * The model of the saved variables.
 */
export interface ISavedVariablesModel {
  /**
   * A signal emitted on every change.
   */
  readonly stateChanged: ISignal<any, void>;
  /**
   * The label of the notebook or console whose kernel the store talks
   * through, or `null`.
   */
  readonly target: string | null;
  /**
   * The saved variables, newest first.
   */
  readonly items: readonly ISavedVariable[];
  /**
   * Whether the list has been fetched at least once.
   */
  readonly listed: boolean;
  /**
   * Where the store stands.
   */
  readonly state: StoreState;
  /**
   * The error of the `error` state.
   */
  readonly error: string;
  /**
   * Whether the server has a variable store.
   */
  readonly available: boolean;
  /**
   * Whether the kernel the store talks through can take requests (neither
   * dead nor restarting).
   */
  readonly kernelReady: boolean;
  /**
   * The outcome of the last action, or `null`.
   */
  notice: IStoreNotice | null;
  /**
   * The id of the entry to draw attention to (the one just saved), or
   * `null`.
   */
  readonly highlighted: string | null;
  /**
   * Whether an action on `key` (a name for `save`, an id otherwise) is
   * under way.
   */
  isPending(action: StoreAction, key: string): boolean;
}

/**
 * What the Variables panel lends the store: the names it shows (offered
 * when a save is asked for without a name), and a refresh of the preview
 * (run after a load, which is no execution: no preview follows it).
 */
export interface IPreviewLink {
  names(): readonly string[];
  refresh(): Promise<void>;
}

/**
 * The client of the server's variable store (`save_var`, `load_var`,
 * `list_vars`, `delete_var`), talking through the kernel of the current
 * notebook or console.
 */
export interface IVariableStore {
  /**
   * The model of the saved variables.
   */
  readonly model: ISavedVariablesModel;
  /**
   * The kernel the requests go through, or `null`.
   */
  readonly kernel: Kernel.IKernelConnection | null;
  /**
   * Which of the store's message types the server answers.
   */
  readonly supported: ReadonlySet<string>;
  /**
   * Whether `message` can be sent now: the server has a store and answers
   * `message`, and there is a kernel to send it through.
   */
  canSend(message: string): boolean;
  /**
   * Save the kernel's variable `name`; what the server says about it, or
   * `null` when it failed (the model's notice tells why).
   */
  save(name: string): Promise<IStoredVariableInfo | null>;
  /**
   * Load the saved variable `id` into the kernel, under `name` or the name
   * it was saved with; `null` when it failed.
   */
  load(id: string, name?: string): Promise<IStoredVariableInfo | null>;
  /**
   * Delete the saved variable `id`; whether it was deleted.
   */
  delete(id: string): Promise<boolean>;
  /**
   * Fetch the list again; it never rejects.
   */
  list(): Promise<void>;
  /**
   * Lend the store what the Variables panel knows (see
   * {@link IPreviewLink}) until the returned handle is disposed.
   */
  linkPreview(link: IPreviewLink): IDisposable;
}

/**
 * The token of the variable store.
 */
export const IVariableStore = new Token<IVariableStore>(
  'beaker-server:IVariableStore',
  'The client of the server-side variable store of beaker-server.'
);

/**
 * A Data Explorer tab, as other extensions see it.
 */
export interface IDataExplorerWidget extends Widget {
  /**
   * The name of the variable explored.
   */
  readonly name: string;
  /**
   * The path of the notebook or console whose kernel holds it.
   */
  readonly path: string;
}

/**
 * The tracker of the Data Explorer tabs: one per view of a kernel
 * variable, restored with the layout and closed cleanly.
 */
export type IDataExplorerTracker = IWidgetTracker<IDataExplorerWidget>;

/**
 * The token of the Data Explorer tracker.
 */
export const IDataExplorerTracker = new Token<IDataExplorerTracker>(
  'beaker-server:IDataExplorerTracker',
  'The tracker of the Data Explorer tabs of beaker-server.'
);
