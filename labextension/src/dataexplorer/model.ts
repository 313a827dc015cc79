import { DataModel } from '@lumino/datagrid';
import { ISignal, Signal } from '@lumino/signaling';

import type {
  CellValue,
  IPage,
  IStaleAnswer,
  ILabelLevel,
  ITableColumn
} from './protocol';
import { isStale, valueText } from './protocol';

/*
 * Longer than most modules on purpose: one state machine over the cached
 * blocks (queued, on their way, partly or wholly in, failed) and the
 * view's generations, whose invariants would be spread thin over files.
 */

/**
 * What the model asks the kernel for: rows `start` to `start + count` of
 * the view's `generation`, for `columns`.
 */
export interface IRowsRequest {
  generation: number;
  start: number;
  count: number;
  columns: number[];
}

/**
 * The function that reads a page (a `table_rows` request).
 */
export type FetchRows = (
  request: IRowsRequest
) => Promise<IPage | IStaleAnswer>;

/**
 * A cell that is not a plain value: a block still on its way, a special
 * value (null, NaN, ...), or a block that could not be read. Renderers
 * dim it; nothing copies it.
 */
export class CellMark {
  constructor(
    readonly kind: 'placeholder' | 'special' | 'error',
    readonly text: string
  ) {}
}

/**
 * The mark of a cell whose block is not there yet.
 */
export const PLACEHOLDER = new CellMark('placeholder', '…');

/**
 * The mark of a cell whose block could not be read.
 */
export const FAILED = new CellMark('error', '⚠');

/**
 * The state of a cached block.
 */
type BlockState = 'queued' | 'loading' | 'partial' | 'complete' | 'error';

/**
 * Rows `row0 .. row0 + rows` × columns `col0 .. col0 + cols` of the view,
 * filled as pages come in: each column is loaded from `row0` on, up to
 * `loaded[c]` rows.
 */
interface IBlock {
  key: string;
  rb: number;
  cb: number;
  row0: number;
  rows: number;
  col0: number;
  cols: number;
  values: CellValue[][];
  loaded: number[];
  labels: CellValue[][];
  labelsLoaded: number;
  state: BlockState;
}

/**
 * A `@lumino/datagrid` data model over a view of a table in the kernel,
 * paged lazily.
 *
 * #### Notes
 * The grid calls `rowCount`, `columnCount` and `data` synchronously on every
 * paint. A cell of a block that is not cached yet is a {@link PLACEHOLDER}:
 * the block (`blockRows` rows × `blockColumns` columns) is queued, fetched
 * after the paint with the `fetch` function (a few at a time, the block
 * wanted last first) and its cells announced with `cells-changed`. At most
 * `maxBlocks` blocks are kept, the least recently painted are dropped.
 *
 * A sort, a filter or a change of the variable gives the view a new
 * generation: {@link reset} drops every block and announces `model-reset`.
 * An answer for an older generation is dropped, and the block is asked for
 * again when the grid paints it. When the kernel says the view moved on
 * past the model's generation, {@link generationMoved} is emitted.
 */
export class TableDataModel extends DataModel {
  /**
   * Create a model reading pages with `options.fetch`.
   */
  constructor(options: TableDataModel.IOptions) {
    super();
    this._fetch = options.fetch;
    this._blockRows = options.blockRows ?? 200;
    this._blockColumns = options.blockColumns ?? 25;
    this._maxBlocks = Math.max(1, options.maxBlocks ?? 50);
    this._maxInFlight = Math.max(1, options.maxInFlight ?? 2);
    this._schedule = options.schedule ?? (task => queueMicrotask(task));
    const marks = options.filterMarks ?? {};
    this._filterMarks = {
      none: new CellMark('placeholder', marks.none ?? '(all)'),
      refused: new CellMark('placeholder', marks.refused ?? 'no filters'),
      corner: new CellMark('placeholder', marks.corner ?? 'filter')
    };
  }

  /**
   * The generation of the view shown.
   */
  get generation(): number {
    return this._generation;
  }

  /**
   * The rows of the view.
   */
  get rows(): number {
    return this._rowCount;
  }

  /**
   * The columns of the view's schema.
   */
  get columns(): readonly ITableColumn[] {
    return this._columns;
  }

  /**
   * The levels of the row labels.
   */
  get labelLevels(): readonly ILabelLevel[] {
    return this._levels;
  }

  /**
   * The sort keys marked in the column headers.
   */
  get sortMarks(): ReadonlyMap<number, { ascending: boolean; rank: number }> {
    return this._sortMarks;
  }

  /**
   * Mark the sort keys in the column headers (by column position).
   */
  setSortMarks(keys: readonly { column: number; ascending: boolean }[]): void {
    this._sortMarks = new Map(
      keys.map((key, rank) => [
        key.column,
        { ascending: key.ascending, rank: rank + 1 }
      ])
    );
    this._sortRankShown = keys.length > 1;
    this.emitChanged({
      type: 'cells-changed',
      region: 'column-header',
      row: 0,
      column: 0,
      rowSpan: 1,
      columnSpan: this._columns.length
    });
  }

  /**
   * What the filter row (the second row of the column headers) shows: each
   * column's filter text by position (`''`: none), or `refused`, why the
   * view takes no filters.
   */
  setFilterRow(texts: readonly string[], refused: string | null): void {
    const same =
      refused === this._filterRefused &&
      texts.length === this._filterTexts.length &&
      texts.every((text, i) => text === this._filterTexts[i]);
    if (same) {
      return;
    }
    this._filterTexts = [...texts];
    this._filterRefused = refused;
    this.emitChanged({
      type: 'cells-changed',
      region: 'column-header',
      row: 1,
      column: 0,
      rowSpan: 1,
      columnSpan: this._columns.length
    });
  }

  /**
   * The filter text of the column at `position` as the filter row shows it
   * (`''`: none).
   */
  filterCellText(position: number): string {
    return this._filterTexts[position] ?? '';
  }

  /**
   * A signal emitted when the kernel says the view is at another generation
   * than the model's (it changed behind its back, or a sort shown early was
   * given up), with the kernel's generation.
   */
  get generationMoved(): ISignal<this, number> {
    return this._generationMoved;
  }

  /**
   * A signal emitted when the row count of an open-ended view changed.
   */
  get rowCountChanged(): ISignal<this, number> {
    return this._rowCountChanged;
  }

  /**
   * Whether the row count is not known yet (a lazy source): the grid shows
   * one block more than was paged, and grows as pages come in.
   */
  get openEnded(): boolean {
    return this._openEnded;
  }

  /**
   * A signal emitted when a page could not be read, with the reason.
   */
  get fetchFailed(): ISignal<this, string> {
    return this._fetchFailed;
  }

  /**
   * How many blocks are cached (or on their way).
   */
  get blockCount(): number {
    return this._blocks.size;
  }

  /**
   * How many requests are on their way.
   */
  get inFlight(): number {
    return this._inFlight;
  }

  /**
   * Show another generation, shape or schema: drop every block and tell the
   * grid (`model-reset`). What is not given is kept.
   */
  reset(options: TableDataModel.IResetOptions): void {
    if (options.generation !== undefined) {
      this._generation = options.generation;
    }
    if (options.rowCount !== undefined) {
      this._rowCount = Math.max(0, options.rowCount);
    }
    if (options.columns !== undefined) {
      this._columns = [...options.columns];
    }
    if (options.labelLevels !== undefined) {
      this._levels = [...options.labelLevels];
    }
    if (options.openEnded !== undefined) {
      this._openEnded = options.openEnded;
    }
    this._epoch++;
    this._blocks.clear();
    this._queue = [];
    this._lastKey = '';
    if (options.first && options.first.generation === this._generation) {
      this._seed(options.first);
    }
    this.emitChanged({ type: 'model-reset' });
  }

  /**
   * Forget the blocks that could not be read, so that they are asked for
   * again.
   */
  retry(): void {
    let any = false;
    for (const [key, block] of this._blocks) {
      if (block.state === 'error') {
        this._blocks.delete(key);
        any = true;
      }
    }
    if (any) {
      this.emitChanged({ type: 'model-reset' });
    }
  }

  rowCount(region: DataModel.RowRegion): number {
    return region === 'body' ? this._rowCount : 2;
  }

  columnCount(region: DataModel.ColumnRegion): number {
    return region === 'body' ? this._columns.length : this._labelColumns();
  }

  data(region: DataModel.CellRegion, row: number, column: number): any {
    switch (region) {
      case 'corner-header': {
        if (row === 1) {
          return column === 0 ? this._filterMarks.corner : '';
        }
        const level = this._levels[column];
        return level?.name ?? '';
      }
      case 'column-header':
        return row === 1 ? this._filterCell(column) : this._headerText(column);
      case 'row-header':
        return this._label(row, column);
      default:
        return this._value(row, column);
    }
  }

  metadata(
    region: DataModel.CellRegion,
    row: number,
    column: number
  ): DataModel.Metadata {
    if (region === 'body' || region === 'column-header') {
      const type = this._columns[column]?.display_type;
      return type ? { type } : DataModel.emptyMetadata;
    }
    return DataModel.emptyMetadata;
  }

  /**
   * The cell's value as the kernel sent it, or `undefined` while its block
   * is not cached; nothing is fetched.
   */
  peek(row: number, column: number): CellValue | undefined {
    const block = this._blocks.get(this._key(row, column));
    if (!block) {
      return undefined;
    }
    const c = column - block.col0;
    const r = row - block.row0;
    return r < block.loaded[c] ? block.values[c][r] : undefined;
  }

  /**
   * The row's labels as the kernel sent them, or `undefined` while no
   * block of the row is cached; nothing is fetched.
   */
  peekLabels(row: number): CellValue[] | undefined {
    const block = this._labelBlock(row);
    if (!block) {
      return undefined;
    }
    const r = row - block.row0;
    return block.labels.map(level => level[r]);
  }

  /**
   * Whether every cell of rows `r1..r2` × columns `c1..c2` is cached.
   */
  isLoaded(r1: number, c1: number, r2: number, c2: number): boolean {
    for (let row = r1; row <= r2; row++) {
      for (let column = c1; column <= c2; column++) {
        if (this.peek(row, column) === undefined) {
          return false;
        }
      }
    }
    return true;
  }

  private _labelColumns(): number {
    return Math.max(1, this._levels.length);
  }

  private _headerText(column: number): string {
    const spec = this._columns[column];
    const name = spec ? (spec.name ?? String(spec.index)) : '';
    const mark = this._sortMarks.get(column);
    if (!mark) {
      return name;
    }
    const arrow = mark.ascending ? '↑' : '↓';
    return this._sortRankShown
      ? `${name} ${arrow}${mark.rank}`
      : `${name} ${arrow}`;
  }

  private _filterCell(column: number): string | CellMark {
    if (column >= this._columns.length) {
      return '';
    }
    if (this._filterRefused !== null) {
      return this._filterMarks.refused;
    }
    return this._filterTexts[column] || this._filterMarks.none;
  }

  private _value(row: number, column: number): any {
    if (row >= this._rowCount || column >= this._columns.length) {
      return '';
    }
    const block = this._want(row, column);
    if (block.state === 'error') {
      return FAILED;
    }
    const c = column - block.col0;
    const r = row - block.row0;
    if (r >= block.loaded[c]) {
      return PLACEHOLDER;
    }
    return Private.display(block.values[c][r]);
  }

  private _label(row: number, level: number): any {
    if (row >= this._rowCount) {
      return '';
    }
    let block = this._labelBlock(row);
    if (!block) {
      block = this._want(row, this._lastColumn);
    }
    if (block.state === 'error') {
      return FAILED;
    }
    const r = row - block.row0;
    if (r >= block.labelsLoaded) {
      return PLACEHOLDER;
    }
    if (this._levels.length === 0) {
      return String(row);
    }
    return Private.display(block.labels[level]?.[r]);
  }

  /**
   * A cached block of `row` with its labels loaded that far, if any.
   */
  private _labelBlock(row: number): IBlock | undefined {
    const rb = Math.floor(row / this._blockRows);
    const r = row - rb * this._blockRows;
    const columnBlocks = Math.ceil(this._columns.length / this._blockColumns);
    const first = Math.floor(this._lastColumn / this._blockColumns);
    for (let i = 0; i < Math.max(1, columnBlocks); i++) {
      const cb = (first + i) % Math.max(1, columnBlocks);
      const block = this._blocks.get(`${rb}:${cb}`);
      if (block && (r < block.labelsLoaded || block.state === 'error')) {
        return block;
      }
    }
    return undefined;
  }

  private _key(row: number, column: number): string {
    return `${Math.floor(row / this._blockRows)}:${Math.floor(
      column / this._blockColumns
    )}`;
  }

  /**
   * The block of a cell, cached or created (and queued) now; touched as the
   * most recently used.
   */
  private _want(row: number, column: number): IBlock {
    this._lastColumn = column;
    const key = this._key(row, column);
    let block = this._blocks.get(key);
    if (block) {
      if (key !== this._lastKey) {
        this._blocks.delete(key);
        this._blocks.set(key, block);
        this._lastKey = key;
      }
      if (block.state === 'partial') {
        this._enqueue(block);
      }
      return block;
    }
    block = this._newBlock(
      Math.floor(row / this._blockRows),
      Math.floor(column / this._blockColumns)
    );
    this._blocks.set(key, block);
    this._lastKey = key;
    this._enqueue(block);
    this._evict();
    return block;
  }

  private _newBlock(rb: number, cb: number): IBlock {
    const row0 = rb * this._blockRows;
    const col0 = cb * this._blockColumns;
    const rows = Math.max(0, Math.min(this._blockRows, this._rowCount - row0));
    const cols = Math.max(
      0,
      Math.min(this._blockColumns, this._columns.length - col0)
    );
    return {
      key: `${rb}:${cb}`,
      rb,
      cb,
      row0,
      rows,
      col0,
      cols,
      values: Array.from({ length: cols }, () => new Array(rows)),
      loaded: new Array(cols).fill(0),
      labels: Array.from(
        { length: this._levels.length },
        () => new Array(rows)
      ),
      labelsLoaded: 0,
      state: 'partial'
    };
  }

  private _enqueue(block: IBlock): void {
    block.state = 'queued';
    this._queue.push(block.key);
    if (!this._pumpScheduled) {
      this._pumpScheduled = true;
      this._schedule(() => {
        this._pumpScheduled = false;
        this._pump();
      });
    }
  }

  /**
   * Drop the least recently used blocks over the bound; a block on its way
   * is kept (its answer is small and soon in).
   */
  private _evict(): void {
    if (this._blocks.size <= this._maxBlocks) {
      return;
    }
    for (const [key, block] of this._blocks) {
      if (this._blocks.size <= this._maxBlocks) {
        break;
      }
      if (block.state !== 'loading') {
        this._blocks.delete(key);
      }
    }
  }

  /**
   * Send the queued requests, the block wanted last first, while fewer than
   * `maxInFlight` are on their way.
   */
  private _pump(): void {
    while (this._inFlight < this._maxInFlight && this._queue.length > 0) {
      const key = this._queue.pop()!;
      const block = this._blocks.get(key);
      if (!block || block.state !== 'queued') {
        continue;
      }
      this._send(block);
    }
  }

  private _send(block: IBlock): void {
    // The rows and columns still missing: from the first row some column
    // lacks, the columns that lack it.
    let from = block.rows;
    for (const count of block.loaded) {
      from = Math.min(from, count);
    }
    if (block.cols === 0) {
      from = block.labelsLoaded;
    }
    if (from >= block.rows) {
      block.state = 'complete';
      return;
    }
    const columns: number[] = [];
    for (let c = 0; c < block.cols; c++) {
      if (block.loaded[c] === from) {
        columns.push(block.col0 + c);
      }
    }
    const request: IRowsRequest = {
      generation: this._generation,
      start: block.row0 + from,
      count: block.rows - from,
      columns: columns.map(c => this._columns[c].index)
    };
    const epoch = this._epoch;
    block.state = 'loading';
    this._inFlight++;
    let answer: Promise<IPage | IStaleAnswer>;
    try {
      answer = this._fetch(request);
    } catch (reason) {
      answer = Promise.reject(reason);
    }
    answer
      .then(
        page => this._receive(block, epoch, request.count, page),
        reason => this._fail(block, epoch, reason)
      )
      .finally(() => {
        this._inFlight--;
        this._pump();
      });
  }

  private _receive(
    block: IBlock,
    epoch: number,
    requested: number,
    page: IPage | IStaleAnswer
  ): void {
    if (epoch !== this._epoch || this._blocks.get(block.key) !== block) {
      return; // the model moved on, or the block was dropped
    }
    if (isStale(page) || page.generation !== this._generation) {
      // The view changed in the kernel: ask again when painted.
      this._blocks.delete(block.key);
      if (page.generation !== this._generation) {
        this._generationMoved.emit(page.generation);
      }
      return;
    }
    this._learnRowCount(block, page, requested);
    if (block.rows === 0) {
      // Past the end of an open-ended view: nothing to read.
      this._blocks.delete(block.key);
      return;
    }
    const progress = this._apply(block, page);
    if (!progress) {
      block.state = 'error';
      this._fetchFailed.emit('the kernel sent an empty page');
    } else {
      const complete =
        block.labelsLoaded >= block.rows &&
        block.loaded.every(count => count >= block.rows);
      block.state = complete ? 'complete' : 'partial';
      if (!complete) {
        this._enqueue(block);
      }
    }
    this._announce(block);
  }

  private _fail(block: IBlock, epoch: number, reason: unknown): void {
    if (epoch !== this._epoch || this._blocks.get(block.key) !== block) {
      return;
    }
    block.state = 'error';
    this._announce(block);
    this._fetchFailed.emit(
      reason instanceof Error ? reason.message : String(reason)
    );
  }

  /**
   * What a page says of the row count of an open-ended view (a lazy
   * source): its `row_count` once known, or the end when it has fewer rows
   * than were asked for (not for the byte bound); until then, a full page
   * at the end makes room for one more block.
   */
  private _learnRowCount(block: IBlock, page: IPage, requested: number): void {
    if (!this._openEnded) {
      return;
    }
    let rows = this._rowCount;
    if (typeof page.row_count === 'number') {
      rows = page.row_count;
      this._openEnded = false;
    } else if (
      page.count < requested &&
      (page.count === 0 || !page.truncated)
    ) {
      // Fewer rows than asked for, not for the byte bound: the end.
      rows = page.start + page.count;
      this._openEnded = false;
    } else if (page.start + page.count >= this._rowCount) {
      rows = this._rowCount + this._blockRows;
    }
    if (rows === this._rowCount) {
      return;
    }
    const old = this._rowCount;
    this._rowCount = rows;
    for (const cached of this._blocks.values()) {
      if (cached.row0 + cached.rows > rows) {
        cached.rows = Math.max(0, rows - cached.row0);
      }
    }
    if (block.row0 + block.rows > rows) {
      block.rows = Math.max(0, rows - block.row0);
    }
    this.emitChanged(
      rows > old
        ? {
            type: 'rows-inserted',
            region: 'body',
            index: old,
            span: rows - old
          }
        : {
            type: 'rows-removed',
            region: 'body',
            index: rows,
            span: old - rows
          }
    );
    this._rowCountChanged.emit(rows);
  }

  /**
   * Put what `page` holds of `block` into it; whether anything was new.
   */
  private _apply(block: IBlock, page: IPage): boolean {
    const offset = page.start - block.row0;
    const count = Math.min(page.count, block.rows - offset);
    if (offset < 0 || count <= 0) {
      return false;
    }
    let progress = false;
    const positions = new Map<number, number>();
    this._columns.forEach((column, position) =>
      positions.set(column.index, position)
    );
    for (const column of page.columns ?? []) {
      const position = positions.get(column.index);
      if (position === undefined) {
        continue;
      }
      const c = position - block.col0;
      if (c < 0 || c >= block.cols || block.loaded[c] < offset) {
        continue;
      }
      const values = block.values[c];
      const n = Math.min(count, column.values.length);
      for (let i = 0; i < n; i++) {
        values[offset + i] = column.values[i];
      }
      if (offset + n > block.loaded[c]) {
        block.loaded[c] = offset + n;
        progress = true;
      }
    }
    if (offset <= block.labelsLoaded) {
      const labels = page.labels ?? [];
      block.labels.forEach((level, l) => {
        const got = labels[l] ?? [];
        for (let i = 0; i < count && i < got.length; i++) {
          level[offset + i] = got[i];
        }
      });
      if (offset + count > block.labelsLoaded) {
        block.labelsLoaded = offset + count;
        progress = true;
      }
    }
    return progress;
  }

  /**
   * Put the first page of a view (rows from 0, some columns) in the cache.
   */
  private _seed(page: IPage): void {
    const count = Math.min(page.count, this._blockRows, this._rowCount);
    if (count <= 0) {
      return;
    }
    const columnBlocks = Math.ceil(this._columns.length / this._blockColumns);
    for (let cb = 0; cb < Math.max(1, columnBlocks); cb++) {
      const block = this._newBlock(0, cb);
      if (this._apply(block, page)) {
        const complete =
          block.labelsLoaded >= block.rows &&
          block.loaded.every(n => n >= block.rows);
        block.state = complete ? 'complete' : 'partial';
        this._blocks.set(block.key, block);
      }
      if (this._blocks.size >= this._maxBlocks) {
        break;
      }
    }
  }

  private _announce(block: IBlock): void {
    if (block.rows === 0) {
      return;
    }
    if (block.cols > 0) {
      this.emitChanged({
        type: 'cells-changed',
        region: 'body',
        row: block.row0,
        column: block.col0,
        rowSpan: block.rows,
        columnSpan: block.cols
      });
    }
    this.emitChanged({
      type: 'cells-changed',
      region: 'row-header',
      row: block.row0,
      column: 0,
      rowSpan: block.rows,
      columnSpan: this._labelColumns()
    });
  }

  private _fetch: FetchRows;
  private _blockRows: number;
  private _blockColumns: number;
  private _maxBlocks: number;
  private _maxInFlight: number;
  private _schedule: (task: () => void) => void;
  private _generation = 0;
  private _rowCount = 0;
  private _columns: ITableColumn[] = [];
  private _levels: ILabelLevel[] = [];
  private _sortMarks = new Map<number, { ascending: boolean; rank: number }>();
  private _sortRankShown = false;
  private _filterTexts: string[] = [];
  private _filterRefused: string | null = null;
  private _filterMarks: { none: CellMark; refused: CellMark; corner: CellMark };
  private _epoch = 0;
  private _blocks = new Map<string, IBlock>();
  private _queue: string[] = [];
  private _lastKey = '';
  private _lastColumn = 0;
  private _inFlight = 0;
  private _pumpScheduled = false;
  private _generationMoved = new Signal<this, number>(this);
  private _fetchFailed = new Signal<this, string>(this);
  private _rowCountChanged = new Signal<this, number>(this);
  private _openEnded = false;
}

/**
 * The namespace for {@link TableDataModel} statics.
 */
export namespace TableDataModel {
  /**
   * The options of a model.
   */
  export interface IOptions {
    /**
     * Reads a page of the view.
     */
    fetch: FetchRows;
    /**
     * The rows of a block (200).
     */
    blockRows?: number;
    /**
     * The columns of a block (25).
     */
    blockColumns?: number;
    /**
     * The most blocks cached (50).
     */
    maxBlocks?: number;
    /**
     * The most requests on their way at once (2).
     */
    maxInFlight?: number;
    /**
     * How to run the sending of queued requests after a paint (a
     * microtask); tests may run it by hand.
     */
    schedule?: (task: () => void) => void;
    /**
     * The dim texts of the filter row: a column without a filter
     * (`(all)`), a view that takes no filters (`no filters`), the corner
     * (`filter`).
     */
    filterMarks?: { none?: string; refused?: string; corner?: string };
  }

  /**
   * What {@link TableDataModel.reset} changes.
   */
  export interface IResetOptions {
    generation?: number;
    rowCount?: number;
    columns?: readonly ITableColumn[];
    labelLevels?: readonly ILabelLevel[];
    /**
     * A page of the new generation to start the cache with.
     */
    first?: IPage;
    /**
     * Whether the row count is not known yet (see
     * {@link TableDataModel.openEnded}).
     */
    openEnded?: boolean;
  }
}

/**
 * A module-private namespace.
 */
namespace Private {
  /**
   * A value of a page as a cell shows it.
   */
  export function display(value: CellValue | undefined): string | CellMark {
    if (typeof value === 'number') {
      let mark = specials.get(value);
      if (!mark) {
        mark = new CellMark('special', valueText(value));
        specials.set(value, mark);
      }
      return mark;
    }
    return value ?? '';
  }

  /**
   * One mark per special value code, made once.
   */
  const specials = new Map<number, CellMark>();
}
