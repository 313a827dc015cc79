import type { ISessionContext } from '@jupyterlab/apputils';
import type { Kernel, KernelMessage } from '@jupyterlab/services';
import type { TranslationBundle } from '@jupyterlab/translation';
import { VDomModel } from '@jupyterlab/ui-components';
import type { JSONObject } from '@lumino/coreutils';

import { fetchMessageTypes } from '../common/messagetypes';
import type { KernelTarget } from '../common/target';
import { TableRequestError, tableRequest } from './client';
import {
  columnFilterText,
  describeFilter,
  parseFilterText,
  replaceColumnFilter
} from './filter';
import { TableDataModel } from './model';
import { ProfileLoader } from './profile';
import type { ProfileState } from './profile';
import type {
  IExport,
  IFindAnswer,
  IFindRequest,
  IOpenReply,
  IPage,
  IProfile,
  IProgress,
  ISortKey,
  IStaleAnswer,
  ITableUpdate,
  IViewChange,
  TableFilter
} from './protocol';
import { TABLE_MESSAGES } from './protocol';
import type { IStatusInfo, ViewState } from './status';

/*
 * Longer than most modules on purpose: the state machine of one view
 * (opening, ready, sorting or filtering, error, closed) and every way it
 * moves (its requests, their progress, failures and cancellations, the
 * kernel's table_update, restarts and busy states), in one class; its
 * user-facing texts and documentation are most of its lines.
 */

/**
 * The rows asked for with the open (a block of the grid).
 */
const OPEN_ROWS = 200;

/**
 * The most bytes an export may take (the server's bound).
 */
const EXPORT_MAX_BYTES = 16 * 1024 * 1024;

/**
 * How long a page may take, in ms.
 */
const ROWS_TIMEOUT = 60_000;

/**
 * One view of a kernel variable in the Data Explorer: the requests to the
 * kernel, the state the status line, filter bar and summary show, and the
 * paged grid model.
 *
 * #### Notes
 * The view follows its notebook or console: a kernel restart, another
 * kernel or the notebook closing closes it, and so does a `table_update`
 * saying its variable was deleted. A `table_update` for a variable that was
 * reassigned or changed in place reloads the schema and rows, with the
 * sort and filters the kernel kept.
 */
export class DataExplorerModel extends VDomModel {
  /**
   * Make the model of the view of `options.name` in the kernel of
   * `options.target`; {@link open} opens it.
   */
  constructor(options: DataExplorerModel.IOptions) {
    super();
    this.name = options.name;
    this.target = options.target;
    this._trans = options.trans;
    this.grid = new TableDataModel({
      fetch: request => this._fetchRows(request),
      blockRows: options.blockRows,
      maxBlocks: options.maxBlocks,
      filterMarks: {
        none: this._trans.__('(all)'),
        refused: this._trans.__('no filters'),
        corner: this._trans.__('filter')
      }
    });
    this.stateChanged.connect(this._syncFilterRow, this);
    this.grid.generationMoved.connect(this._onGenerationMoved, this);
    this.grid.rowCountChanged.connect((_, rows) => {
      if (!this.grid.openEnded && this._filters.length === 0) {
        this._totalRows = rows;
      }
      this.stateChanged.emit();
    });
    this.grid.fetchFailed.connect((_, message) => {
      if (this._state === 'ready') {
        this.notice = this._trans.__('A page could not be read: %1', message);
      }
    });
    const context = this.target.sessionContext;
    context.statusChanged.connect(this._onStatus, this);
    context.kernelChanged.connect(this._onKernelChanged, this);
    this.target.disposed.connect(this._onTargetDisposed, this);
  }

  /**
   * The variable's name.
   */
  readonly name: string;

  /**
   * The notebook or console whose kernel holds the variable.
   */
  readonly target: KernelTarget;

  /**
   * The paged model of the grid.
   */
  readonly grid: TableDataModel;

  /**
   * The view's id in the kernel, or `null` before it is open.
   */
  get view(): string | null {
    return this._view;
  }

  /**
   * What `table_open` said about the view.
   */
  get info(): IOpenReply | null {
    return this._info;
  }

  /**
   * Where the view stands.
   */
  get state(): ViewState {
    return this._state;
  }

  /**
   * The error of the `error` state, or why the view is closed.
   */
  get message(): string {
    return this._message;
  }

  /**
   * A passing remark (a sort cancelled, rows copied), or an empty string.
   */
  get notice(): string {
    return this._notice;
  }
  set notice(notice: string) {
    if (notice !== this._notice) {
      this._notice = notice;
      this.stateChanged.emit();
    }
  }

  /**
   * How far the running sort or filter is, or `null`.
   */
  get progress(): number | null {
    return this._progress;
  }

  /**
   * Whether a user's cell runs in the kernel.
   */
  get busy(): boolean {
    return this._busyParents.size > 0;
  }

  /**
   * The sort keys, by column position.
   */
  get sort(): readonly ISortKey[] {
    return this._sort;
  }

  /**
   * The filters applied (columns are the kernel's indexes).
   */
  get filters(): readonly TableFilter[] {
    return this._filters;
  }

  /**
   * The rows that pass the filters, or `null` without filters.
   */
  get filteredRows(): number | null {
    return this._filters.length > 0 ? this.grid.rows : null;
  }

  /**
   * The rows of the variable, or `null` when the kernel does not know.
   */
  get totalRows(): number | null {
    return this._totalRows;
  }

  /**
   * Whether the server answers `message` (one of {@link TABLE_MESSAGES}).
   */
  supports(message: string): boolean {
    return this._supported.has(message);
  }

  /**
   * The column (position) the summary is about, or `null`.
   */
  get summaryColumn(): number | null {
    return this._summaryColumn;
  }

  /**
   * Whether the summary pane is shown (the profile is only asked for then).
   */
  get summaryShown(): boolean {
    return this._summaryShown;
  }
  set summaryShown(shown: boolean) {
    if (shown === this._summaryShown) {
      return;
    }
    this._summaryShown = shown;
    this.stateChanged.emit();
    if (shown) {
      this._requestProfile();
    }
  }

  /**
   * The profile shown in the summary, and how far it is.
   */
  get profile(): IProfile | null {
    return this._profiles.profile;
  }
  get profileState(): ProfileState {
    return this._profiles.state;
  }
  get profileError(): string {
    return this._profiles.error;
  }

  /**
   * The status line's snapshot of the view.
   */
  get statusInfo(): IStatusInfo {
    const columns = this.grid.columns;
    return {
      state: this._state,
      totalRows: this._totalRows,
      columns: this._info?.shape?.[1] ?? columns.length,
      filteredRows: this.filteredRows,
      sort: this._sort.map(key => ({
        name: String(columns[key.column]?.name ?? key.column),
        ascending: key.ascending
      })),
      progress: this._progress,
      busy: this.busy,
      message: this._message
    };
  }

  /**
   * The names of the filters, for the filter bar's chips.
   */
  filterLabels(): string[] {
    return this._filters.map(filter =>
      describeFilter(filter, this.columnName(filter.column))
    );
  }

  /**
   * The name of the column of kernel index `index`.
   */
  columnName(index: number): string {
    const column = this.grid.columns.find(c => c.index === index);
    return column ? String(column.name ?? column.index) : String(index);
  }

  /**
   * Open the view: ask the kernel for it and show its first rows.
   */
  async open(): Promise<void> {
    this._setState('opening');
    try {
      await this.target.sessionContext.ready;
    } catch {
      // No session: said below.
    }
    if (this._state === 'closed' || this.isDisposed) {
      return;
    }
    const kernel = this._kernel;
    if (!kernel) {
      this._close(
        this._trans.__('No kernel: start one to explore %1.', this.name)
      );
      return;
    }
    try {
      const types = await fetchMessageTypes();
      this._supported = new Set(types.map(type => type.name));
    } catch {
      // Unknown: try the essential messages anyway.
      this._supported = new Set([
        TABLE_MESSAGES.open,
        TABLE_MESSAGES.rows,
        TABLE_MESSAGES.sort,
        TABLE_MESSAGES.filter,
        TABLE_MESSAGES.close
      ]);
    }
    if (!this._supported.has(TABLE_MESSAGES.open)) {
      this._close(
        this._trans.__(
          'The server has no Data Explorer: is the beaker_server server extension up to date and enabled?'
        )
      );
      return;
    }
    kernel.iopubMessage.connect(this._onIOPub, this);
    this._busyParents.clear();
    let reply: IOpenReply;
    try {
      reply = await tableRequest<IOpenReply>(
        kernel,
        TABLE_MESSAGES.open,
        { name: this.name, rows: OPEN_ROWS },
        { timeout: ROWS_TIMEOUT }
      );
    } catch (reason) {
      if (kernel !== this._kernel || this.state === 'closed') {
        return;
      }
      this._close(this._openError(reason), false);
      return;
    }
    if (this.state === 'closed' || kernel !== this._kernel) {
      // Closed while opening: let the kernel drop the view.
      void this._sendClose(kernel, reply.view);
      return;
    }
    this._view = reply.view;
    this._info = reply;
    const known = reply.shape?.[0] ?? reply.first?.row_count ?? null;
    const paged = reply.first?.count ?? 0;
    this._totalRows = known;
    this.grid.reset({
      generation: reply.generation,
      // A lazy source: the rows paged, and room for one block more while
      // the first page was full.
      rowCount: known ?? (paged >= OPEN_ROWS ? paged + OPEN_ROWS : paged),
      openEnded: known === null && paged >= OPEN_ROWS,
      columns: reply.columns,
      labelLevels: reply.row_label_levels ?? [],
      first: reply.first
    });
    this._summaryColumn = reply.columns.length > 0 ? 0 : null;
    this._setState('ready');
    this._requestProfile();
  }

  /**
   * Sort by the column at `position`: ascending, then descending, then not
   * by it. With `add`, the other keys are kept (a key more, or this one
   * changed); otherwise it becomes the only key.
   */
  toggleSort(position: number, add: boolean): Promise<void> {
    const refusal = this.refusal('sort');
    if (refusal !== null) {
      this.notice = refusal;
      return Promise.resolve();
    }
    const current = this._sort.find(key => key.column === position);
    let next: ISortKey | null;
    if (!current) {
      next = { column: position, ascending: true };
    } else if (current.ascending) {
      next = { column: position, ascending: false };
    } else {
      next = null;
    }
    let keys: ISortKey[];
    if (add) {
      keys = this._sort
        .map(key => (key.column === position ? next : key))
        .filter((key): key is ISortKey => key !== null);
      if (!current && next) {
        keys.push(next);
      }
    } else {
      keys = next ? [next] : [];
    }
    return this.setSort(keys);
  }

  /**
   * Sort by `keys` (column positions); none: the table's order.
   */
  async setSort(keys: readonly ISortKey[]): Promise<void> {
    const kernel = this._kernel;
    const view = this._view;
    if (!kernel || !view || !this._canChange()) {
      return;
    }
    const previous = this._sort;
    this._generationBefore = this.grid.generation;
    const columns = this.grid.columns;
    const token = ++this._changeToken;
    this._progress = null;
    this.grid.setSortMarks(keys);
    this._setState('sorting');
    try {
      const answer = await tableRequest<IViewChange>(
        kernel,
        TABLE_MESSAGES.sort,
        {
          view,
          keys: keys.map(key => ({
            column: columns[key.column].index,
            ascending: key.ascending
          }))
        },
        {
          onResponse: content =>
            token === this._changeToken && this._onProgress(content, 'sort')
        }
      );
      if (!this._current(kernel, view)) {
        return;
      }
      // Committed in the kernel, whatever was asked after it (a newer sort
      // would have cancelled it; a newer filter keeps it).
      this._sort = [...keys];
      if (token !== this._changeToken) {
        return; // the newer request's reply shows the rows
      }
      this.grid.reset({
        generation: answer.generation,
        rowCount: answer.row_count
      });
      this._setState('ready');
      this._requestProfile();
    } catch (reason) {
      if (!this._current(kernel, view) || token !== this._changeToken) {
        return; // a newer sort or filter took over
      }
      this.grid.setSortMarks(previous);
      this._settleFailure(reason, this._trans.__('Sort'));
    }
  }

  /**
   * Apply `filters` (combined with and); none: every row.
   *
   * @returns Whether they were applied (a bad filter leaves the view as it
   *   was, and the notice says why).
   */
  async setFilters(filters: readonly TableFilter[]): Promise<boolean> {
    const kernel = this._kernel;
    const view = this._view;
    if (!kernel || !view || !this._canChange()) {
      return false;
    }
    const token = ++this._changeToken;
    this._progress = null;
    this._setState('filtering');
    try {
      const answer = await tableRequest<IViewChange>(
        kernel,
        TABLE_MESSAGES.filter,
        {
          view,
          filters: filters as unknown as JSONObject[],
          combine: 'and'
        } as JSONObject,
        {
          onResponse: content =>
            token === this._changeToken && this._onProgress(content, 'filter')
        }
      );
      if (!this._current(kernel, view)) {
        return false;
      }
      // Committed in the kernel, whatever was asked after it (a newer filter
      // would have cancelled it; a newer sort keeps it).
      this._filters = [...filters];
      if (token !== this._changeToken) {
        return true; // the newer request's reply shows the rows
      }
      this.grid.reset({
        generation: answer.generation,
        rowCount: answer.row_count
      });
      this._setState('ready');
      this._requestProfile();
      return true;
    } catch (reason) {
      if (this._current(kernel, view) && token === this._changeToken) {
        this._settleFailure(reason, this._trans.__('Filter'));
      }
      return false;
    }
  }

  /**
   * Set the filter of the column at `position` from the text of its filter
   * box (see `parseFilterText`): the column's first filter is replaced (in
   * its place in the list), removed for an empty text, or appended when the
   * column had none.
   *
   * @returns The error of a text that cannot be read (the view is left as
   *   it was), or whether the filters were applied (`true` too when they
   *   were already so).
   */
  async setColumnFilter(
    position: number,
    text: string
  ): Promise<{ error: string } | { applied: boolean }> {
    const column = this.grid.columns[position];
    if (!column) {
      return { error: this._trans.__('No column %1', position) };
    }
    const parsed = parseFilterText(text, column);
    if ('error' in parsed) {
      return { error: this._trans.__('Expected %1', parsed.error) };
    }
    const filters = replaceColumnFilter(
      this._filters,
      column.index,
      parsed.filter
    );
    if (JSON.stringify(filters) === JSON.stringify(this._filters)) {
      return { applied: true };
    }
    return { applied: await this.setFilters(filters) };
  }

  /**
   * Add a filter to those applied.
   */
  addFilter(filter: TableFilter): Promise<boolean> {
    return this.setFilters([...this._filters, filter]);
  }

  /**
   * Remove the filter at `index`.
   */
  removeFilter(index: number): Promise<boolean> {
    return this.setFilters(this._filters.filter((_, i) => i !== index));
  }

  /**
   * Cancel the running sort or filter.
   */
  async cancel(): Promise<void> {
    const kernel = this._kernel;
    const view = this._view;
    if (!kernel || !view || !this.supports(TABLE_MESSAGES.cancel)) {
      return;
    }
    try {
      await tableRequest(kernel, TABLE_MESSAGES.cancel, { view });
    } catch (reason) {
      this.notice = this._trans.__(
        'Cancel failed: %1',
        reason instanceof Error ? reason.message : String(reason)
      );
    }
  }

  /**
   * Why the kernel does not `sort`, `filter` or `find` in this view (a
   * lazy source: it would compute all of it), or `null` when it does.
   */
  refusal(op: 'sort' | 'filter' | 'find'): string | null {
    const feature = this._info?.features?.[op] as
      { supported?: boolean; reason?: string } | undefined;
    if (feature && feature.supported === false) {
      return (
        feature.reason || this._trans.__('The kernel cannot %1 this view.', op)
      );
    }
    return null;
  }

  /**
   * Show the summary of the column at `position`.
   */
  selectColumn(position: number | null): void {
    if (position === this._summaryColumn) {
      return;
    }
    this._summaryColumn = position;
    this.stateChanged.emit();
    this._requestProfile();
  }

  /**
   * The text of rows `r1..r2` × columns `c1..c2` (positions), with headers,
   * through `table_export` (full precision, never placeholders).
   */
  async exportRange(
    r1: number,
    c1: number,
    r2: number,
    c2: number,
    format: 'tsv' | 'csv' = 'tsv'
  ): Promise<IExport> {
    const columns = this.grid.columns
      .slice(c1, c2 + 1)
      .map(column => column.index);
    return this._export({
      format,
      rows: { start: r1, stop: r2 + 1 },
      columns,
      headers: true
    });
  }

  /**
   * The whole view as CSV, with its row labels.
   */
  exportAll(): Promise<IExport> {
    return this._export({ format: 'csv', headers: true, index: true });
  }

  /**
   * Look for a cell with `request.text` through `table_find` (a slow
   * request of the kernel: `onProgress` gets how far it is, 0 to 1).
   *
   * @throws {TableRequestError} When the view is closed or the server has
   *   no `table_find`, or as the request failed.
   */
  async find(
    request: IFindRequest,
    onProgress: (progress: number) => void
  ): Promise<IFindAnswer | IStaleAnswer> {
    const kernel = this._kernel;
    const view = this._view;
    if (!kernel || !view || this._state === 'closed') {
      throw new TableRequestError(
        'Closed',
        this._trans.__('The view is closed.')
      );
    }
    if (!this.supports(TABLE_MESSAGES.find)) {
      throw new TableRequestError(
        'Unsupported',
        this._trans.__('The server cannot find yet (no table_find).')
      );
    }
    return tableRequest<IFindAnswer | IStaleAnswer>(
      kernel,
      TABLE_MESSAGES.find,
      { view, ...request } as unknown as JSONObject,
      {
        onResponse: (content: IProgress) => {
          if (content?.view === view && typeof content.progress === 'number') {
            onProgress(content.progress);
          }
        }
      }
    );
  }

  /**
   * Let the kernel drop the view and stop following the kernel.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    const kernel = this._kernel;
    const view = this._view;
    if (kernel && view && this._state !== 'closed') {
      void this._sendClose(kernel, view);
    }
    this._stopFollowing();
    super.dispose();
  }

  private get _kernel(): Kernel.IKernelConnection | null {
    if (this._closedKernel) {
      return null;
    }
    return this.target.sessionContext.session?.kernel ?? null;
  }

  private async _export(content: JSONObject): Promise<IExport> {
    const kernel = this._kernel;
    const view = this._view;
    if (!kernel || !view) {
      throw new TableRequestError(
        'Closed',
        this._trans.__('The view is closed.')
      );
    }
    if (!this.supports(TABLE_MESSAGES.export)) {
      throw new TableRequestError(
        'Unsupported',
        this._trans.__('The server cannot export yet (no table_export).')
      );
    }
    return tableRequest<IExport>(
      kernel,
      TABLE_MESSAGES.export,
      {
        view,
        generation: this.grid.generation,
        max_bytes: EXPORT_MAX_BYTES,
        ...content
      },
      { timeout: 120_000 }
    );
  }

  private _fetchRows(request: {
    generation: number;
    start: number;
    count: number;
    columns: number[];
  }): Promise<IPage | IStaleAnswer> {
    const kernel = this._kernel;
    const view = this._view;
    if (!kernel || !view || this._state === 'closed') {
      return Promise.reject(new Error(this._trans.__('the view is closed')));
    }
    return tableRequest<IPage | IStaleAnswer>(
      kernel,
      TABLE_MESSAGES.rows,
      { view, ...request },
      { timeout: ROWS_TIMEOUT }
    );
  }

  /**
   * A progress message of the running sort or filter.
   */
  private _onProgress(content: IProgress, task: 'sort' | 'filter'): void {
    if (!content || (content.view && content.view !== this._view)) {
      return;
    }
    if (typeof content.progress === 'number') {
      this._progress = content.progress;
    }
    if (
      task === 'sort' &&
      content.stage === 'first_rows' &&
      typeof content.generation === 'number'
    ) {
      // The first rows are in their final order: show them already.
      this.grid.reset({ generation: content.generation });
      this._onTheWay = content.generation;
    }
    this.stateChanged.emit();
  }

  /**
   * The kernel answered for a newer generation than the grid's.
   */
  private _onGenerationMoved(_: TableDataModel, generation: number): void {
    if (this._state === 'sorting' || this._state === 'filtering') {
      return; // the reply is on its way with the new generation
    }
    if (this._state === 'closed' || generation === this.grid.generation) {
      return;
    }
    // The kernel's generation is the truth (a table_update may follow with
    // more: the shape, the schema).
    this.grid.reset({ generation });
  }

  /**
   * After a failed sort or filter: back to the view as it was, with the
   * reason in the notice (or the error state when the view is gone).
   */
  private _settleFailure(reason: unknown, what: string): void {
    this._progress = null;
    const error =
      reason instanceof TableRequestError
        ? reason
        : new TableRequestError('Error', String(reason));
    if (this._onTheWay !== null) {
      // A sort showed its first rows, then failed: the kernel kept the view
      // as it was; show that generation again.
      this._onTheWay = null;
      this.grid.reset({ generation: this._generationBefore });
    }
    if (error.ename === 'Cancelled') {
      this._notice = this._trans.__('%1 cancelled.', what);
      this._setState('ready');
      return;
    }
    if (error.ename === 'UnknownView') {
      this._close(
        this._trans.__('The view is gone from the kernel: %1', error.evalue)
      );
      return;
    }
    if (['BadFilter', 'BadSort', 'ViewChanged'].includes(error.ename)) {
      this._notice = `${error.ename}: ${error.evalue}`;
      this._setState('ready');
      return;
    }
    this._message = `${error.ename}: ${error.evalue}`;
    this._setState('error');
  }

  /**
   * Whether the view may be sorted or filtered now.
   */
  private _canChange(): boolean {
    return ['ready', 'error', 'sorting', 'filtering'].includes(this._state);
  }

  /**
   * Whether `kernel` and `view` are still those of the model.
   */
  private _current(kernel: Kernel.IKernelConnection, view: string): boolean {
    return (
      !this.isDisposed &&
      this._state !== 'closed' &&
      this._kernel === kernel &&
      this._view === view
    );
  }

  private _openError(reason: unknown): string {
    const trans = this._trans;
    if (!(reason instanceof TableRequestError)) {
      return String(reason);
    }
    switch (reason.ename) {
      case 'NotATable':
        return trans.__(
          '%1 cannot be shown as a table: %2',
          this.name,
          reason.evalue
        );
      case 'UnknownVariable':
        return trans.__('The kernel has no variable %1.', this.name);
      case 'KernelUnavailable':
        return trans.__(
          'The Data Explorer needs a kernel with subshells (ipykernel 7 or later): %1',
          reason.evalue
        );
      default:
        return `${reason.ename}: ${reason.evalue}`;
    }
  }

  /**
   * Ask for the profile of the summary's column (when the summary is shown):
   * the approximate answer first, then the exact one.
   */
  private _requestProfile(): void {
    const position = this._summaryColumn;
    const kernel = this._kernel;
    const view = this._view;
    if (!this._summaryShown || position === null || !kernel || !view) {
      this._profiles.cancel();
      return;
    }
    this._profiles.load({
      kernel,
      view,
      column: this.grid.columns[position],
      supported: this.supports(TABLE_MESSAGES.profile),
      generation: () => this.grid.generation
    });
  }

  private _onIOPub(
    kernel: Kernel.IKernelConnection,
    msg: KernelMessage.IIOPubMessage
  ): void {
    if (kernel !== this._kernel) {
      return;
    }
    const msgType: string = msg.header.msg_type;
    if (msgType === TABLE_MESSAGES.update) {
      const update = msg.content as unknown as ITableUpdate;
      if (update && update.view === this._view) {
        this._onUpdate(update);
      }
      return;
    }
    if (msgType !== 'status') {
      return;
    }
    const parent = msg.parent_header as Partial<KernelMessage.IHeader>;
    if (parent?.msg_type !== 'execute_request' || !parent.msg_id) {
      return;
    }
    const state = (msg.content as KernelMessage.IStatusMsg['content'])
      .execution_state;
    const before = this.busy;
    if (state === 'busy') {
      this._busyParents.add(parent.msg_id);
    } else if (state === 'idle') {
      this._busyParents.delete(parent.msg_id);
    }
    if (before !== this.busy) {
      this.stateChanged.emit();
    }
  }

  /**
   * The variable behind the view changed, or went away.
   */
  private _onUpdate(update: ITableUpdate): void {
    const trans = this._trans;
    if (this._state === 'closed') {
      return;
    }
    if (update.closed) {
      const reason =
        update.reason === 'deleted'
          ? trans.__('%1 was deleted: the view is closed.', this.name)
          : update.reason === 'restarted'
            ? trans.__('The kernel restarted: the view is closed.')
            : trans.__('%1 changed: the view is closed.', this.name);
      this._close(reason, false);
      return;
    }
    const columns = update.columns ?? this.grid.columns;
    if (update.shape) {
      this._totalRows = update.shape[0];
      if (this._info) {
        this._info = {
          ...this._info,
          shape: update.shape,
          columns: [...columns]
        };
      }
    }
    const positions = new Map<number, number>();
    columns.forEach((column, position) =>
      positions.set(column.index, position)
    );
    this._sort = (update.sort ?? [])
      .filter(key => positions.has(key.column))
      .map(key => ({
        column: positions.get(key.column)!,
        ascending: key.ascending
      }));
    this._filters = [...(update.filters ?? [])];
    this.grid.reset({
      generation: update.generation,
      rowCount: update.row_count ?? update.shape?.[0] ?? this.grid.rows,
      columns
    });
    this.grid.setSortMarks(this._sort);
    if (this._summaryColumn !== null && this._summaryColumn >= columns.length) {
      this._summaryColumn = columns.length > 0 ? 0 : null;
    }
    const dropped =
      (update.dropped?.sort?.length ?? 0) +
      (update.dropped?.filters?.length ?? 0);
    this._notice =
      update.reason === 'mutated'
        ? trans.__('%1 changed in place: reloaded.', this.name)
        : trans.__('%1 was reassigned: reloaded.', this.name);
    if (dropped > 0) {
      this._notice +=
        ' ' +
        trans.__('Sort keys and filters of removed columns were dropped.');
    }
    if (this._state === 'error') {
      this._state = 'ready';
    }
    this.stateChanged.emit();
    this._requestProfile();
  }

  private _onStatus(context: ISessionContext, status: Kernel.Status): void {
    if (status === 'restarting' || status === 'autorestarting') {
      this._close(
        this._trans.__('The kernel restarted: the view is closed.'),
        false
      );
    } else if (status === 'dead') {
      this._close(
        this._trans.__('The kernel died: the view is closed.'),
        false
      );
    }
  }

  private _onKernelChanged(): void {
    if (this._state !== 'closed' && this._view) {
      this._close(
        this._trans.__('The notebook changed its kernel: the view is closed.'),
        false
      );
    }
  }

  private _onTargetDisposed(): void {
    this._close(
      this._trans.__('The notebook or console was closed: the view is closed.')
    );
  }

  /**
   * Close the view with `message`; `tell` lets the kernel drop it (not
   * after a restart: the kernel has none).
   */
  private _close(message: string, tell = true): void {
    if (this._state === 'closed') {
      return;
    }
    const kernel = this._kernel;
    const view = this._view;
    if (tell && kernel && view) {
      void this._sendClose(kernel, view);
    }
    this._message = message;
    this._progress = null;
    this._profiles.cancel();
    this._busyParents.clear();
    this._stopFollowing();
    this._setState('closed');
  }

  private async _sendClose(
    kernel: Kernel.IKernelConnection,
    view: string
  ): Promise<void> {
    if (kernel.isDisposed || kernel.status === 'dead') {
      return;
    }
    try {
      await tableRequest(
        kernel,
        TABLE_MESSAGES.close,
        { view },
        { timeout: 10_000 }
      );
    } catch {
      // The kernel lets go of it at its restart anyway.
    }
  }

  private _stopFollowing(): void {
    const kernel = this.target.sessionContext.session?.kernel;
    kernel?.iopubMessage.disconnect(this._onIOPub, this);
    this._closedKernel = true;
    const context = this.target.sessionContext;
    context.statusChanged.disconnect(this._onStatus, this);
    context.kernelChanged.disconnect(this._onKernelChanged, this);
    this.target.disposed.disconnect(this._onTargetDisposed, this);
  }

  /**
   * Show each column's filter (the first filter on it) in the grid's
   * filter row, or that the view takes none.
   */
  private _syncFilterRow(): void {
    const columns = this.grid.columns;
    const filters = this._filters;
    const refused = this._info ? this.refusal('filter') : null;
    if (
      columns === this._rowColumns &&
      filters === this._rowFilters &&
      refused === this._rowRefused
    ) {
      return;
    }
    this._rowColumns = columns;
    this._rowFilters = filters;
    this._rowRefused = refused;
    this.grid.setFilterRow(
      columns.map(column => columnFilterText(filters, column)),
      refused
    );
  }

  private _setState(state: ViewState): void {
    if (state !== 'error') {
      this._message = state === 'closed' ? this._message : '';
    }
    if (state !== 'sorting' && state !== 'filtering') {
      this._progress = null;
      this._onTheWay = null;
    } else {
      this._notice = '';
    }
    this._state = state;
    this.stateChanged.emit();
  }

  private _trans: TranslationBundle;
  private _view: string | null = null;
  private _info: IOpenReply | null = null;
  private _state: ViewState = 'opening';
  private _message = '';
  private _notice = '';
  private _progress: number | null = null;
  private _onTheWay: number | null = null;
  private _generationBefore = 0;
  private _busyParents = new Set<string>();
  private _sort: ISortKey[] = [];
  private _filters: TableFilter[] = [];
  private _totalRows: number | null = null;
  private _supported = new Set<string>();
  private _summaryColumn: number | null = null;
  private _summaryShown = false;
  private _profiles = new ProfileLoader(() => this.stateChanged.emit());
  private _closedKernel = false;
  private _rowColumns: readonly unknown[] | null = null;
  private _rowFilters: readonly TableFilter[] | null = null;
  private _rowRefused: string | null = null;
  private _changeToken = 0;
}

/**
 * The namespace for {@link DataExplorerModel} statics.
 */
export namespace DataExplorerModel {
  /**
   * The options of a view's model.
   */
  export interface IOptions {
    /**
     * The variable's name.
     */
    name: string;
    /**
     * The notebook or console whose kernel holds it.
     */
    target: KernelTarget;
    /**
     * The extension's translation bundle.
     */
    trans: TranslationBundle;
    /**
     * The rows of a page (200).
     */
    blockRows?: number;
    /**
     * The most pages kept (50).
     */
    maxBlocks?: number;
  }
}
