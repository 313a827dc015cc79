import type {
  ReadonlyPartialJSONObject,
  ReadonlyPartialJSONValue
} from '@lumino/coreutils';

import {
  COLUMNS,
  ColumnId,
  IPreviewContent,
  IPreviewMeta,
  ITEM_TYPES,
  IVariableMetadata,
  SortKey,
  VARIABLE_MIME_TYPE
} from './previewtokens';
import { SidebarModel } from './sidebarmodel';

/**
 * What the panel has to say about the kernel it follows.
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
 * The model of the variable preview panel.
 *
 * #### Notes
 * The model knows nothing about kernels: a {@link PreviewConnector} feeds it
 * with previews and kernel states, and the panel renders it. Every change
 * is announced on `stateChanged`.
 */
export class PreviewModel extends SidebarModel {
  /**
   * The rows of the last preview, in the order the server sent them.
   */
  get rows(): readonly IPreviewRow[] {
    return this._rows;
  }

  /**
   * The rows that pass the filter, in the current sort order.
   */
  get visibleRows(): readonly IPreviewRow[] {
    if (this._visible === null) {
      this._visible = Private.sortRows(
        Private.filterRows(this._rows, this._filter),
        this._sort
      );
    }
    return this._visible;
  }

  /**
   * What the panel has to say about the kernel.
   */
  get state(): PreviewState {
    return this._state;
  }

  /**
   * The error message of the `error` and `unavailable` states.
   */
  get error(): string {
    return this._error;
  }

  /**
   * Whether a user's execution is running in the kernel: a new preview
   * comes once it is done. The rows of the last preview stay meanwhile.
   */
  get busy(): boolean {
    return this._busy;
  }
  set busy(value: boolean) {
    if (value !== this._busy) {
      this._busy = value;
      this.stateChanged.emit(void 0);
    }
  }

  /**
   * Whether a preview request of the panel is on its way.
   */
  get refreshing(): boolean {
    return this._refreshing;
  }
  set refreshing(value: boolean) {
    if (value !== this._refreshing) {
      this._refreshing = value;
      this.stateChanged.emit(void 0);
    }
  }

  /**
   * Whether the kernel pushed a preview that was not applied because
   * {@link autoRefresh} is off.
   */
  get stale(): boolean {
    return this._stale;
  }
  set stale(value: boolean) {
    if (value !== this._stale) {
      this._stale = value;
      this.stateChanged.emit(void 0);
    }
  }

  /**
   * Whether previews pushed by the server are applied as they come; when
   * off, only a refresh updates the rows.
   */
  get autoRefresh(): boolean {
    return this._autoRefresh;
  }
  set autoRefresh(value: boolean) {
    if (value !== this._autoRefresh) {
      this._autoRefresh = value;
      this._stale = false;
      this.stateChanged.emit(void 0);
    }
  }

  /**
   * When the rows were last updated (the time the preview was made, when
   * the server says so), or `null`.
   */
  get lastUpdated(): Date | null {
    return this._lastUpdated;
  }

  /**
   * The meta part of the last preview, or `null`.
   */
  get meta(): IPreviewMeta | null {
    return this._meta;
  }

  /**
   * The filter text: rows whose name or type contains it (ignoring case)
   * are shown.
   */
  get filter(): string {
    return this._filter;
  }
  set filter(value: string) {
    if (value !== this._filter) {
      this._filter = value;
      this._visible = null;
      this.stateChanged.emit(void 0);
    }
  }

  /**
   * The sort order of the table.
   */
  get sort(): Readonly<ISortOrder> {
    return this._sort;
  }
  set sort(value: Readonly<ISortOrder>) {
    if (
      value.key === this._sort.key &&
      value.direction === this._sort.direction
    ) {
      return;
    }
    this._sort = { ...value };
    this._visible = null;
    this.stateChanged.emit(void 0);
  }

  /**
   * Sort by `key`: ascending first, descending when it is already the
   * ascending key.
   */
  toggleSort(key: SortKey): void {
    const direction =
      this._sort.key === key && this._sort.direction === 'ascending'
        ? 'descending'
        : 'ascending';
    this.sort = { key, direction };
  }

  /**
   * The optional columns shown, in table order.
   */
  get columns(): readonly ColumnId[] {
    return this._columns;
  }
  set columns(value: readonly ColumnId[]) {
    const shown = COLUMNS.filter(column => value.includes(column));
    if (shown.join() === this._columns.join()) {
      return;
    }
    this._columns = shown;
    this.stateChanged.emit(void 0);
  }

  /**
   * Whether the row of `name` shows its rich preview.
   */
  isExpanded(name: string): boolean {
    return this._expanded.has(name);
  }

  /**
   * Expand or collapse the row of `name`.
   */
  toggleExpanded(name: string, expanded = !this._expanded.has(name)): void {
    if (expanded === this._expanded.has(name)) {
      return;
    }
    if (expanded) {
      this._expanded.add(name);
    } else {
      this._expanded.delete(name);
    }
    this.stateChanged.emit(void 0);
  }

  /**
   * Show a preview: the content of a `preview` message or the `return` of
   * a `preview_reply`.
   *
   * @returns Whether the content was a preview; anything else is ignored
   *   (and logged), leaving the model as it was.
   *
   * #### Notes
   * A preview made (`meta.time`) no later than the one shown is ignored:
   * pushes and replies can overtake each other, and a kernel restart must
   * not bring back the variables of the kernel before it.
   */
  applyPreview(content: IPreviewContent): boolean {
    const rows = Private.readRows(content);
    if (rows === null) {
      console.warn('beaker-server: ignoring a malformed preview', content);
      return false;
    }
    const meta: IPreviewMeta =
      content.meta && typeof content.meta === 'object' ? content.meta : {};
    const time = Private.parseTime(meta.time);
    if (time && this._made !== null && time.getTime() <= this._made) {
      // Not newer than the preview shown (a reply or a push overtaken on
      // the way, or the same preview sent again): the newest state wins.
      return true;
    }
    this._made = time ? time.getTime() : null;
    this._meta = meta;
    this._lastUpdated = time ?? new Date();
    this._stale = false;
    this._error = '';
    if (meta.state === 'restarting') {
      this._setRows([]);
      this._state = 'restarting';
    } else {
      this._setRows(rows);
      this._state = rows.length > 0 ? 'ok' : 'empty';
    }
    this.stateChanged.emit(void 0);
    return true;
  }

  /**
   * Forget the rows and go to `state` (a kernel went away, restarts, or
   * another one is followed).
   */
  clear(state: PreviewState): void {
    this._setRows([]);
    this._meta = null;
    this._lastUpdated = null;
    if (state !== 'restarting' && state !== 'dead') {
      // Another kernel: its previews are not ordered with the last one's.
      // The same kernel restarting keeps the bound, so that no preview
      // made before the restart comes back.
      this._made = null;
    }
    this._error = '';
    this._busy = false;
    this._stale = false;
    this._expanded.clear();
    this._state = state;
    this.stateChanged.emit(void 0);
  }

  /**
   * Go to the `error` (or `unavailable`) state with `message`, keeping the
   * rows already shown.
   */
  setError(message: string, state: 'error' | 'unavailable' = 'error'): void {
    this._error = message;
    this._state = state;
    this.stateChanged.emit(void 0);
  }

  /**
   * Go to `state` without touching the rows.
   */
  setState(state: PreviewState): void {
    if (state !== 'error' && state !== 'unavailable') {
      this._error = '';
    }
    if (state === this._state) {
      return;
    }
    this._state = state;
    this.stateChanged.emit(void 0);
  }

  private _setRows(rows: IPreviewRow[]): void {
    this._rows = rows;
    this._visible = null;
    const names = new Set(rows.map(row => row.name));
    for (const name of this._expanded) {
      if (!names.has(name)) {
        this._expanded.delete(name);
      }
    }
  }

  private _rows: IPreviewRow[] = [];
  private _visible: IPreviewRow[] | null = null;
  private _state: PreviewState = 'no-kernel';
  private _error = '';
  private _busy = false;
  private _refreshing = false;
  private _stale = false;
  private _autoRefresh = true;
  private _lastUpdated: Date | null = null;
  private _made: number | null = null;
  private _meta: IPreviewMeta | null = null;
  private _filter = '';
  private _sort: ISortOrder = { key: 'name', direction: 'ascending' };
  private _columns: readonly ColumnId[] = COLUMNS;
  private _expanded = new Set<string>();
}

/**
 * Text for the shape column: `1000 × 2` for a shape, `len 3` for a length,
 * an empty string otherwise.
 */
export function formatShape(shape: IPreviewRow['shape']): string {
  if (Array.isArray(shape)) {
    return shape.length === 0 ? '()' : shape.join(' × ');
  }
  if (typeof shape === 'number') {
    return `len ${shape}`;
  }
  return '';
}

/**
 * Text for the size column, in binary units: `28 B`, `15.8 KiB`, `512 KiB`, `1.2 GiB`.
 */
export function formatBytes(bytes: number | null): string {
  if (bytes === null || !Number.isFinite(bytes) || bytes < 0) {
    return '';
  }
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) {
    return `${value} B`;
  }
  return `${value < 100 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/**
 * A module-private namespace.
 */
namespace Private {
  /**
   * The rows of a preview, or `null` when it is not one.
   */
  export function readRows(content: IPreviewContent): IPreviewRow[] | null {
    if (!content || typeof content !== 'object') {
      return null;
    }
    const groups = content.preview;
    if (!groups || typeof groups !== 'object' || Array.isArray(groups)) {
      return null;
    }
    // Known item types first, in their order; unknown ones after them.
    const itemTypes = [
      ...ITEM_TYPES.filter(itemType => itemType in groups),
      ...Object.keys(groups).filter(
        itemType => !(ITEM_TYPES as readonly string[]).includes(itemType)
      )
    ];
    const rows: IPreviewRow[] = [];
    for (const itemType of itemTypes) {
      const items = groups[itemType];
      if (!items || typeof items !== 'object') {
        continue;
      }
      for (const [name, bundle] of Object.entries(items)) {
        if (bundle && typeof bundle === 'object') {
          rows.push(readRow(itemType, name, bundle));
        }
      }
    }
    return rows;
  }

  function readRow(
    itemType: string,
    name: string,
    bundle: ReadonlyPartialJSONObject
  ): IPreviewRow {
    const raw = bundle[VARIABLE_MIME_TYPE];
    const meta: IVariableMetadata =
      raw && typeof raw === 'object' && !Array.isArray(raw)
        ? (raw as IVariableMetadata)
        : {};
    const data: { [mimeType: string]: ReadonlyPartialJSONValue | undefined } =
      {};
    for (const [mimeType, value] of Object.entries(bundle)) {
      if (mimeType !== VARIABLE_MIME_TYPE) {
        data[mimeType] = value;
      }
    }
    const plain =
      typeof data['text/plain'] === 'string' ? data['text/plain'] : '';
    return {
      name,
      itemType,
      type: typeof meta.type === 'string' ? meta.type : '',
      module: typeof meta.module === 'string' ? meta.module : '',
      shape: readShape(meta.shape),
      dtype: typeof meta.dtype === 'string' ? meta.dtype : null,
      bytes: typeof meta.bytes === 'number' ? meta.bytes : null,
      summary:
        typeof meta.summary === 'string'
          ? meta.summary
          : (plain as string).split('\n', 1)[0],
      changed: meta.changed === true,
      bundle: data
    };
  }

  function readShape(shape: unknown): IPreviewRow['shape'] {
    if (typeof shape === 'number') {
      return shape;
    }
    if (Array.isArray(shape) && shape.every(n => typeof n === 'number')) {
      return shape as number[];
    }
    return null;
  }

  /**
   * The date of an ISO 8601 text, or `null`.
   */
  export function parseTime(time: unknown): Date | null {
    if (typeof time !== 'string') {
      return null;
    }
    const date = new Date(time);
    return Number.isNaN(date.getTime()) ? null : date;
  }

  /**
   * The rows whose name or type contains `filter`, ignoring case.
   */
  export function filterRows(
    rows: readonly IPreviewRow[],
    filter: string
  ): IPreviewRow[] {
    const needle = filter.trim().toLowerCase();
    if (!needle) {
      return [...rows];
    }
    return rows.filter(
      row =>
        row.name.toLowerCase().includes(needle) ||
        row.type.toLowerCase().includes(needle)
    );
  }

  const collator = new Intl.Collator(undefined, {
    numeric: true,
    sensitivity: 'base'
  });

  /**
   * A number to sort shapes by: the element count of a shape, a length.
   */
  function shapeSize(shape: IPreviewRow['shape']): number | null {
    if (typeof shape === 'number') {
      return shape;
    }
    if (Array.isArray(shape)) {
      return shape.reduce((product, n) => product * n, 1);
    }
    return null;
  }

  /**
   * Compare two possibly unknown values; unknown ones go last whatever the
   * direction.
   */
  function compareKnown<T>(
    a: T | null,
    b: T | null,
    compare: (a: T, b: T) => number,
    sign: number
  ): number {
    if (a === null || b === null) {
      return a === b ? 0 : a === null ? 1 : -1;
    }
    return sign * compare(a, b);
  }

  /**
   * The rows in `order`; ties are broken by name.
   */
  export function sortRows(
    rows: IPreviewRow[],
    order: ISortOrder
  ): IPreviewRow[] {
    const sign = order.direction === 'ascending' ? 1 : -1;
    const byNumber = (a: number, b: number) => a - b;
    const byText = (a: string, b: string) => collator.compare(a, b);
    const compare = (a: IPreviewRow, b: IPreviewRow): number => {
      switch (order.key) {
        case 'type':
          return sign * byText(a.type, b.type);
        case 'shape':
          return compareKnown(
            shapeSize(a.shape),
            shapeSize(b.shape),
            byNumber,
            sign
          );
        case 'size':
          return compareKnown(a.bytes, b.bytes, byNumber, sign);
        case 'value':
          return sign * byText(a.summary, b.summary);
        default:
          return sign * byText(a.name, b.name);
      }
    };
    return rows.sort(
      (a, b) =>
        compare(a, b) || byText(a.name, b.name) || (a.name < b.name ? -1 : 1)
    );
  }
}
