import { Clipboard, MainAreaWidget } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import {
  copyIcon,
  downloadIcon,
  tableRowsIcon
} from '@jupyterlab/ui-components';
import { BasicSelectionModel, DataGrid } from '@lumino/datagrid';
import type { DataModel } from '@lumino/datagrid';
import type { Message } from '@lumino/messaging';
import { BoxPanel, Panel, SplitPanel } from '@lumino/widgets';

import { ModelButton } from '../common/sidebar';
import { FilterBar } from './filterbar';
import { FindModel } from './find';
import type { IGridCell } from './find';
import { FindBox } from './findbox';
import { FilterRowEditor } from './filterrow';
import {
  ExplorerKeyHandler,
  ExplorerMouseHandler,
  applyTheme,
  initialWidth
} from './grid';
import type { TableDataModel } from './model';
import { valueText } from './protocol';
import { formatCount } from './status';
import { CursorReadout, StatusLine } from './statusline';
import { SummaryPane } from './summary';
import type { DataExplorerModel } from './view';

/**
 * The content of a Data Explorer tab: the filter bar and the find box, the
 * grid with the column summary beside it, and the status line.
 */
export class DataExplorerContent extends BoxPanel {
  constructor(options: DataExplorerContent.IOptions) {
    super({ direction: 'top-to-bottom', spacing: 0 });
    const { model, trans } = options;
    this.model = model;
    this._trans = trans;
    this.addClass('jp-BeakerDataExplorer-content');

    const grid = (this.grid = new DataGrid({
      defaultSizes: {
        rowHeight: 22,
        columnWidth: 120,
        rowHeaderWidth: 90,
        columnHeaderHeight: 26
      },
      headerVisibility: 'all'
    }));
    grid.addClass('jp-BeakerDataExplorer-grid');
    grid.dataModel = model.grid;
    grid.selectionModel = new BasicSelectionModel({
      dataModel: model.grid,
      selectionMode: 'cell'
    });
    const filterRow = (this.filterRow = new FilterRowEditor({
      grid,
      model,
      trans
    }));
    grid.resizeRow('column-header', 1, 24);
    grid.keyHandler = new ExplorerKeyHandler(
      () => void this.copySelection(),
      column => filterRow.open(column)
    );
    grid.mouseHandler = new ExplorerMouseHandler(
      (column, add) => void model.toggleSort(column, add),
      column => filterRow.open(column)
    );
    grid.selectionModel.changed.connect(this._onSelection, this);
    model.grid.changed.connect(this._onGridChanged, this);

    this._filterBar = new FilterBar(model, trans);
    this.finder = new FindModel(
      model,
      { get: () => this.cursorCell(), set: cell => this.moveCursor(cell) },
      trans
    );
    this._findBox = new FindBox(this.finder, trans, () => grid.activate());
    // The filter chips and the find box share the row above the grid.
    const top = new Panel();
    top.addClass('jp-BeakerDataExplorer-aboveGrid');
    top.addWidget(this._filterBar);
    top.addWidget(this._findBox);
    this._summary = new SummaryPane(model, trans);
    this._summary.hide();
    this._readout = new CursorReadout();
    this._status = new StatusLine(model, this._readout, trans);

    const split = (this._split = new SplitPanel({
      orientation: 'horizontal',
      spacing: 1
    }));
    split.addClass('jp-BeakerDataExplorer-split');
    split.addWidget(grid);
    split.addWidget(this._summary);
    SplitPanel.setStretch(grid, 3);
    SplitPanel.setStretch(this._summary, 1);

    this.addWidget(top);
    this.addWidget(split);
    this.addWidget(this._status);
    BoxPanel.setStretch(top, 0);
    BoxPanel.setStretch(split, 1);
    BoxPanel.setStretch(this._status, 0);

    model.stateChanged.connect(this._onModelChanged, this);
    this._onModelChanged();
  }

  /**
   * The model of the view.
   */
  readonly model: DataExplorerModel;

  /**
   * The grid.
   */
  readonly grid: DataGrid;

  /**
   * The find box's model.
   */
  readonly finder: FindModel;

  /**
   * Put the keyboard in the find box.
   */
  focusFind(): void {
    this._findBox.focusInput();
  }

  /**
   * The editor of the grid's filter row.
   */
  readonly filterRow: FilterRowEditor;

  /**
   * Show or hide the column summary.
   */
  toggleSummary(shown?: boolean): void {
    const show = shown ?? !this.model.summaryShown;
    this.model.summaryShown = show;
    this._summary.setHidden(!show);
    if (show && this._split.widgets.length === 2) {
      this._split.setRelativeSizes([3, 1]);
    }
  }

  /**
   * Copy the selected cells (or the cursor's cell), with their column
   * names, as tab-separated text through `table_export`.
   */
  async copySelection(): Promise<void> {
    const model = this.model;
    const trans = this._trans;
    const range = this.selectedRange();
    if (!range) {
      model.notice = trans.__('Select cells to copy.');
      return;
    }
    const { r1, c1, r2, c2 } = range;
    try {
      const answer = await model.exportRange(r1, c1, r2, c2, 'tsv');
      await Private.writeClipboard(answer.text);
      const wanted = r2 - r1 + 1;
      model.notice = answer.truncated
        ? trans.__(
            'Copied %1 of %2 rows (size limit).',
            formatCount(answer.rows),
            formatCount(wanted)
          )
        : trans._n('Copied %1 row.', 'Copied %1 rows.', answer.rows);
    } catch (reason) {
      model.notice = trans.__(
        'Copy failed: %1',
        reason instanceof Error ? reason.message : String(reason)
      );
    }
  }

  /**
   * Download the whole view (sort and filters applied) as a CSV file.
   */
  async exportCsv(): Promise<void> {
    const model = this.model;
    const trans = this._trans;
    try {
      const answer = await model.exportAll();
      const blob = new Blob([answer.text], {
        type: answer.mime || 'text/csv'
      });
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = `${model.name}.csv`;
      link.style.display = 'none';
      document.body.appendChild(link);
      link.click();
      link.remove();
      // The download has started from the link; the URL is no longer needed.
      window.setTimeout(() => URL.revokeObjectURL(url), 30_000);
      model.notice = answer.truncated
        ? trans.__(
            'Exported the first %1 rows (size limit).',
            formatCount(answer.rows)
          )
        : trans.__('Exported %1 rows.', formatCount(answer.rows));
    } catch (reason) {
      model.notice = trans.__(
        'Export failed: %1',
        reason instanceof Error ? reason.message : String(reason)
      );
    }
  }

  /**
   * The selected rows and columns (positions), bounded by the view, or the
   * cursor's cell, or `null`.
   */
  selectedRange(): { r1: number; c1: number; r2: number; c2: number } | null {
    const selection = this.grid.selectionModel;
    const rows = this.model.grid.rows;
    const columns = this.model.grid.columns.length;
    if (!selection || rows === 0 || columns === 0) {
      return null;
    }
    const current = selection.currentSelection();
    if (!current) {
      return null;
    }
    const clamp = (n: number, max: number) => Math.max(0, Math.min(max - 1, n));
    return {
      r1: clamp(Math.min(current.r1, current.r2), rows),
      r2: clamp(Math.max(current.r1, current.r2), rows),
      c1: clamp(Math.min(current.c1, current.c2), columns),
      c2: clamp(Math.max(current.c1, current.c2), columns)
    };
  }

  /**
   * The cursor's cell (positions), or `null`.
   */
  cursorCell(): IGridCell | null {
    const selection = this.grid.selectionModel;
    if (!selection || selection.cursorRow < 0 || selection.cursorColumn < 0) {
      return null;
    }
    return { row: selection.cursorRow, column: selection.cursorColumn };
  }

  /**
   * Put the cursor (and the selection) on `cell` and scroll to it.
   */
  moveCursor(cell: IGridCell): void {
    const selection = this.grid.selectionModel;
    if (!selection) {
      return;
    }
    const { row, column } = cell;
    selection.select({
      r1: row,
      c1: column,
      r2: row,
      c2: column,
      cursorRow: row,
      cursorColumn: column,
      clear: 'all'
    });
    this.grid.scrollToCursor();
  }

  /**
   * Read JupyterLab's theme again (after a theme change) and repaint.
   */
  refreshTheme(): void {
    applyTheme(this.grid);
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.grid.changed.disconnect(this._onGridChanged, this);
    this.finder.dispose();
    this.filterRow.dispose();
    super.dispose();
    this.model.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this.refreshTheme();
  }

  protected onActivateRequest(msg: Message): void {
    this.grid.activate();
  }

  private _onModelChanged(): void {
    const model = this.model;
    const data = this.node.dataset;
    data.state = model.state;
    data.generation = String(model.grid.generation);
    data.rows = String(model.grid.rows);
    data.view = model.view ?? '';
    if (model.state === 'closed') {
      this.addClass('jp-mod-closed');
    }
  }

  private _onGridChanged(_: TableDataModel, args: DataModel.ChangedArgs): void {
    if (args.type === 'model-reset') {
      this._onModelChanged();
      const columns = this.model.grid.columns;
      if (columns !== this._sized) {
        this._sized = columns;
        this._sizeColumns();
      }
    }
    this._updateReadout();
  }

  /**
   * Give the first columns a width for what they hold (a date and time is
   * wider than a number) and their name; the user may resize them.
   */
  private _sizeColumns(): void {
    const columns = this.model.grid.columns;
    const count = Math.min(columns.length, Private.SIZED_COLUMNS);
    for (let i = 0; i < count; i++) {
      this.grid.resizeColumn('body', i, initialWidth(columns[i]));
    }
  }

  private _onSelection(): void {
    const selection = this.grid.selectionModel;
    if (!selection) {
      return;
    }
    const column = selection.cursorColumn;
    if (column >= 0 && column < this.model.grid.columns.length) {
      this.model.selectColumn(column);
    }
    this._updateReadout();
  }

  /**
   * Say what the cursor's cell holds: its row label, column and value.
   */
  private _updateReadout(): void {
    const selection = this.grid.selectionModel;
    const grid = this.model.grid;
    const row = selection?.cursorRow ?? -1;
    const column = selection?.cursorColumn ?? -1;
    if (
      !selection ||
      row < 0 ||
      column < 0 ||
      row >= grid.rows ||
      column >= grid.columns.length
    ) {
      this._readout.text = '';
      return;
    }
    const spec = grid.columns[column];
    const value = grid.peek(row, column);
    const labels = grid.peekLabels(row);
    const label =
      labels && labels.length > 0
        ? labels.map(valueText).join(', ')
        : String(row);
    const text = value === undefined ? '…' : valueText(value);
    this._readout.text = this._trans.__(
      'row %1 of %2 [%3] · %4 = %5',
      formatCount(row + 1),
      formatCount(grid.rows),
      label,
      String(spec.name ?? spec.index),
      text
    );
  }

  private _trans: TranslationBundle;
  private _filterBar: FilterBar;
  private _findBox: FindBox;
  private _summary: SummaryPane;
  private _status: StatusLine;
  private _readout: CursorReadout;
  private _split: SplitPanel;
  private _sized: readonly unknown[] | null = null;
}

/**
 * The namespace for {@link DataExplorerContent} statics.
 */
export namespace DataExplorerContent {
  /**
   * The options of the content.
   */
  export interface IOptions {
    model: DataExplorerModel;
    trans: TranslationBundle;
  }
}

/**
 * A Data Explorer tab of the main area: one view of a kernel variable,
 * with a toolbar (summary, copy, export).
 */
export class DataExplorer extends MainAreaWidget<DataExplorerContent> {
  constructor(options: DataExplorer.IOptions) {
    const { model, trans } = options;
    const content = new DataExplorerContent({ model, trans });
    super({ content });
    this.id = `beaker-data-explorer-${Private.nextId()}`;
    this.addClass('jp-BeakerDataExplorer');
    this.title.icon = tableRowsIcon;
    this.title.closable = true;
    this._trans = trans;
    const target = model.target;
    target.title.changed.connect(this._updateExplorerTitle, this);
    target.sessionContext.kernelChanged.connect(
      this._updateExplorerTitle,
      this
    );
    this._updateExplorerTitle();

    const toolbar = this.toolbar;
    toolbar.addItem(
      'summary',
      new ModelButton(model, m => ({
        className: 'jp-BeakerDataExplorer-summaryToggle',
        label: trans.__('Summary'),
        tooltip: trans.__('Show or hide the summary of the selected column'),
        pressed: m.summaryShown,
        enabled: m.state !== 'closed',
        onClick: () => content.toggleSummary()
      }))
    );
    toolbar.addItem(
      'copy',
      new ModelButton(model, m => ({
        className: 'jp-BeakerDataExplorer-copy',
        icon: copyIcon,
        label: trans.__('Copy'),
        tooltip: trans.__('Copy the selected cells with their column names'),
        enabled: m.state !== 'closed' && m.supports('table_export'),
        onClick: () => void content.copySelection()
      }))
    );
    toolbar.addItem(
      'export',
      new ModelButton(model, m => ({
        className: 'jp-BeakerDataExplorer-export',
        icon: downloadIcon,
        label: trans.__('Export CSV'),
        tooltip: trans.__(
          'Download the view (sorted and filtered) as a CSV file'
        ),
        enabled: m.state !== 'closed' && m.supports('table_export'),
        onClick: () => void content.exportCsv()
      }))
    );
  }

  /**
   * Put the keyboard in the find box.
   */
  focusFind(): void {
    this.content.focusFind();
  }

  /**
   * The variable's name.
   */
  get name(): string {
    return this.content.model.name;
  }

  /**
   * The path of the notebook or console whose kernel holds it.
   */
  get path(): string {
    return this.content.model.target.sessionContext.path;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    const target = this.content.model.target;
    target.title.changed.disconnect(this._updateExplorerTitle, this);
    target.sessionContext.kernelChanged.disconnect(
      this._updateExplorerTitle,
      this
    );
    super.dispose();
  }

  private _updateExplorerTitle(): void {
    const model = this.content.model;
    const target = model.target;
    const kernel = target.sessionContext.kernelDisplayName;
    const label = this._trans.__(
      '%1 — %2 (%3)',
      model.name,
      kernel,
      target.title.label
    );
    this.title.label = label;
    this.title.caption = this._trans.__(
      'Data Explorer: %1 in %2',
      model.name,
      target.sessionContext.path
    );
  }

  private _trans: TranslationBundle;
}

/**
 * The namespace for {@link DataExplorer} statics.
 */
export namespace DataExplorer {
  /**
   * The options of a tab.
   */
  export interface IOptions {
    model: DataExplorerModel;
    trans: TranslationBundle;
  }
}

/**
 * A module-private namespace.
 */
namespace Private {
  /**
   * How many columns get a width of their own when a view opens.
   */
  export const SIZED_COLUMNS = 200;

  let counter = 0;

  /**
   * A number for the id of a new tab.
   */
  export function nextId(): number {
    return ++counter;
  }

  /**
   * Put `text` on the system clipboard.
   */
  export async function writeClipboard(text: string): Promise<void> {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      Clipboard.copyToSystem(text);
    }
  }
}
