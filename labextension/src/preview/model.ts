import { SidebarModel } from '../common/model';
import type {
  ColumnId,
  IPreviewContent,
  IPreviewMeta,
  IPreviewModel,
  IPreviewRow,
  ISortOrder,
  PreviewState,
  SortKey
} from '../tokens';
import { COLUMNS, filterRows, parseTime, readRows, sortRows } from './rows';

/**
 * The model of the variable preview panel.
 *
 * #### Notes
 * The model knows nothing about kernels: a `PreviewConnector` feeds it with
 * previews and kernel states, and the panel renders it. Every change is
 * announced on `stateChanged`.
 */
export class PreviewModel extends SidebarModel implements IPreviewModel {
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
      this._visible = sortRows(
        filterRows(this._rows, this._filter),
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
    this.change(this._busy, value, v => (this._busy = v));
  }

  /**
   * Whether a preview request of the panel is on its way.
   */
  get refreshing(): boolean {
    return this._refreshing;
  }
  set refreshing(value: boolean) {
    this.change(this._refreshing, value, v => (this._refreshing = v));
  }

  /**
   * Whether the kernel pushed a preview that was not applied because
   * {@link autoRefresh} is off.
   */
  get stale(): boolean {
    return this._stale;
  }
  set stale(value: boolean) {
    this.change(this._stale, value, v => (this._stale = v));
  }

  /**
   * Whether previews pushed by the server are applied as they come; when
   * off, only a refresh updates the rows.
   */
  get autoRefresh(): boolean {
    return this._autoRefresh;
  }
  set autoRefresh(value: boolean) {
    this.change(this._autoRefresh, value, v => {
      this._autoRefresh = v;
      this._stale = false;
    });
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
    this.change(this._filter, value, v => {
      this._filter = v;
      this._visible = null;
    });
  }

  /**
   * The sort order of the table.
   */
  get sort(): Readonly<ISortOrder> {
    return this._sort;
  }
  set sort(value: Readonly<ISortOrder>) {
    const key = (order: Readonly<ISortOrder>) =>
      `${order.key}:${order.direction}`;
    this.change(key(this._sort), key(value), () => {
      this._sort = { ...value };
      this._visible = null;
    });
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
    this.change(this._columns.join(), shown.join(), () => {
      this._columns = shown;
    });
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
    this.change(this._expanded.has(name), expanded, () => {
      if (expanded) {
        this._expanded.add(name);
      } else {
        this._expanded.delete(name);
      }
    });
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
    const rows = readRows(content);
    if (rows === null) {
      console.warn('beaker-server: ignoring a malformed preview', content);
      return false;
    }
    const meta: IPreviewMeta =
      content.meta && typeof content.meta === 'object' ? content.meta : {};
    const time = parseTime(meta.time);
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
    this.changed();
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
    this.changed();
  }

  /**
   * Go to the `error` (or `unavailable`) state with `message`, keeping the
   * rows already shown.
   */
  setError(message: string, state: 'error' | 'unavailable' = 'error'): void {
    this._error = message;
    this._state = state;
    this.changed();
  }

  /**
   * Go to `state` without touching the rows.
   */
  setState(state: PreviewState): void {
    if (state !== 'error' && state !== 'unavailable') {
      this._error = '';
    }
    this.change(this._state, state, v => (this._state = v));
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
