import type { TranslationBundle } from '@jupyterlab/translation';
import type { DataGrid, DataModel } from '@lumino/datagrid';
import type { IDisposable } from '@lumino/disposable';
import { MessageLoop } from '@lumino/messaging';

import { filterText, parseFilterText } from './filter';
import { filterHint } from './filterbar';
import type { TableDataModel } from './model';
import type { DataExplorerModel } from './view';

/**
 * The editor of the filter row: a text box over a column's filter cell
 * (the second row of the column headers), opened by a click on the cell
 * or Alt+Down.
 *
 * #### Notes
 * Enter applies the text (see `parseFilterText`), Tab and Shift+Tab apply
 * it and move to the next or previous column's cell, Escape closes without
 * change, leaving the box applies a changed text. A text that cannot be
 * read keeps the box open, marked invalid, with the reason. The box closes
 * without applying when the grid scrolls sideways or a column is resized
 * under it, and when the view closes or its columns change.
 *
 * A text applied while a sort or filter runs waits for it to end (the
 * filters are set from those the view has then).
 */
export class FilterRowEditor implements IDisposable {
  constructor(options: FilterRowEditor.IOptions) {
    this._grid = options.grid;
    this._model = options.model;
    this._trans = options.trans;
    const node = (this._node = document.createElement('div'));
    node.className = 'jp-BeakerDataExplorer-filterEditor';
    const input = (this._input = document.createElement('input'));
    input.type = 'text';
    input.className = 'jp-BeakerDataExplorer-filterInput';
    input.spellcheck = false;
    input.autocomplete = 'off';
    const note = (this._note = document.createElement('div'));
    note.className = 'jp-BeakerDataExplorer-filterEditorNote';
    note.setAttribute('role', 'alert');
    note.hidden = true;
    node.append(input, note);
    input.addEventListener('keydown', this._onKeyDown);
    input.addEventListener('input', this._onInput);
    input.addEventListener('blur', this._onBlur);
    // The grid reads no key or press of the box.
    for (const type of ['mousedown', 'dblclick', 'contextmenu']) {
      node.addEventListener(type, event => event.stopPropagation());
    }
    this._model.stateChanged.connect(this._onModelState, this);
    this._model.grid.changed.connect(this._onGridChanged, this);
  }

  /**
   * The column (position) whose filter is edited, or `null`.
   */
  get position(): number | null {
    return this._position;
  }

  /**
   * The box (for tests and styling).
   */
  get input(): HTMLInputElement {
    return this._input;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /**
   * Edit the filter of the column at `position`, scrolled into view; not
   * while the view is closed or opening, nor for a view that takes no
   * filters (the notice says why).
   */
  open(position: number): void {
    const model = this._model;
    const columns = model.grid.columns;
    if (this._disposed || position < 0 || position >= columns.length) {
      return;
    }
    if (model.state === 'closed' || model.state === 'opening') {
      return;
    }
    const refusal = model.refusal('filter');
    if (refusal !== null) {
      this.close();
      model.notice = refusal;
      return;
    }
    const column = columns[position];
    const first = model.filters.find(f => f.column === column.index);
    // The box edits the column's first filter (the cell adds ` +n` when
    // more are on it).
    this._initial = first ? filterText(first, column) : '';
    this._position = position;
    this._columns = columns;
    const name = String(column.name ?? column.index);
    const input = this._input;
    input.value = this._initial;
    input.placeholder = filterHint(column, this._trans);
    input.setAttribute('aria-label', this._trans.__('Filter %1', name));
    this._setError('');
    // The grid scrolls when it handles the message the scroll posts: now,
    // so that the box is placed where the cell stays.
    this._grid.scrollToColumn(position);
    MessageLoop.flush();
    if (!this._node.isConnected) {
      this._grid.node.appendChild(this._node);
    }
    this._place();
    this._watch();
    input.focus();
    input.select();
  }

  /**
   * Close the box without applying its text (the grid takes the focus
   * back when the box had it).
   */
  close(): void {
    if (this._position === null) {
      return;
    }
    this._position = null;
    this._closing = true;
    try {
      const focused = this._node.contains(document.activeElement);
      this._node.remove();
      if (focused) {
        this._grid.activate();
      }
    } finally {
      this._closing = false;
    }
    if (this._frame !== 0) {
      cancelAnimationFrame(this._frame);
      this._frame = 0;
    }
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this.close();
    this._disposed = true;
    this._queue = [];
    this._model.stateChanged.disconnect(this._onModelState, this);
    this._model.grid.changed.disconnect(this._onGridChanged, this);
  }

  /**
   * Apply the box's text (when changed), then close it or move to the
   * column `move` away; a text that cannot be read keeps it open.
   */
  private _commit(move: -1 | 0 | 1): boolean {
    const position = this._position;
    const column = position === null ? undefined : this._columns[position];
    if (position === null || !column) {
      return false;
    }
    const text = this._input.value;
    const parsed = parseFilterText(text, column);
    if ('error' in parsed) {
      this._setError(this._trans.__('Expected %1', parsed.error));
      return false;
    }
    if (text.trim() !== this._initial.trim()) {
      this._queue.push({ index: column.index, text });
      void this._drain();
    }
    const next = position + move;
    if (move !== 0 && next >= 0 && next < this._columns.length) {
      this.open(next);
    } else {
      this.close();
    }
    return true;
  }

  /**
   * Apply the queued texts in order, each once no sort or filter runs.
   */
  private async _drain(): Promise<void> {
    if (this._draining) {
      return;
    }
    this._draining = true;
    const model = this._model;
    try {
      while (this._queue.length > 0 && !this._disposed) {
        const state = model.state;
        if (state === 'closed' || state === 'opening') {
          this._queue = [];
          break;
        }
        if (state === 'sorting' || state === 'filtering') {
          model.notice = this._trans.__(
            'The filter is applied when the running %1 ends.',
            state === 'sorting'
              ? this._trans.__('sort')
              : this._trans.__('filter')
          );
          await Private.nextChange(model);
          continue;
        }
        const item = this._queue.shift()!;
        const position = model.grid.columns.findIndex(
          c => c.index === item.index
        );
        if (position < 0) {
          continue;
        }
        const result = await model.setColumnFilter(position, item.text);
        if ('error' in result) {
          model.notice = result.error;
        }
      }
    } finally {
      this._draining = false;
    }
  }

  private _setError(message: string): void {
    const input = this._input;
    input.classList.toggle('jp-mod-invalid', !!message);
    if (message) {
      input.setAttribute('aria-invalid', 'true');
      input.title = message;
    } else {
      input.removeAttribute('aria-invalid');
      input.title = '';
    }
    this._note.textContent = message;
    this._note.hidden = !message;
  }

  /**
   * Put the box over its cell: the grid's node is its positioning parent,
   * and the viewport (headers and body) starts where its node does.
   */
  private _place(): void {
    const position = this._position;
    if (position === null) {
      return;
    }
    const grid = this._grid;
    const geometry = Private.geometry(grid, position);
    const viewport = grid.viewport.node;
    const left = Math.max(geometry.left, grid.headerWidth);
    const right = Math.min(geometry.left + geometry.width, grid.viewportWidth);
    const style = this._node.style;
    style.left = `${viewport.offsetLeft + left}px`;
    style.top = `${viewport.offsetTop + geometry.top}px`;
    style.width = `${Math.max(0, right - left)}px`;
    style.height = `${geometry.height}px`;
    this._geometry = geometry;
  }

  /**
   * Follow the cell each frame while the box is open: close when it moved
   * (a sideways scroll, a column resized), after the first frames of
   * settling.
   */
  private _watch(): void {
    if (this._frame !== 0) {
      return;
    }
    const tick = () => {
      this._frame = 0;
      const position = this._position;
      if (position === null || this._disposed) {
        return;
      }
      const now = Private.geometry(this._grid, position);
      if (!Private.sameGeometry(now, this._geometry)) {
        this.close();
        return;
      }
      // The viewport may have changed size (the cell did not move).
      this._place();
      this._frame = requestAnimationFrame(tick);
    };
    this._frame = requestAnimationFrame(tick);
  }

  private _onKeyDown = (event: KeyboardEvent): void => {
    // The grid and the page's shortcuts get none of the box's keys.
    event.stopPropagation();
    switch (event.key) {
      case 'Enter':
        event.preventDefault();
        this._commit(0);
        break;
      case 'Tab':
        event.preventDefault();
        this._commit(event.shiftKey ? -1 : 1);
        break;
      case 'Escape':
        event.preventDefault();
        this.close();
        break;
      default:
        break;
    }
  };

  private _onInput = (): void => {
    this._setError('');
  };

  private _onBlur = (): void => {
    if (this._closing || this._position === null) {
      return;
    }
    if (this._input.value.trim() !== this._initial.trim()) {
      this._commit(0);
    } else {
      this.close();
    }
  };

  private _onModelState(): void {
    const state = this._model.state;
    if (state === 'closed' || state === 'opening') {
      this._queue = [];
      this.close();
    }
  }

  private _onGridChanged(_: TableDataModel, args: DataModel.ChangedArgs): void {
    if (args.type !== 'model-reset') {
      return;
    }
    const columns = this._model.grid.columns;
    if (this._position !== null && columns !== this._columns) {
      this.close();
    }
    if (this._queue.length > 0 && columns !== this._queueColumns) {
      // A table_update: the queued texts were for the columns before.
      this._queue = [];
      this._model.notice = this._trans.__(
        'The columns changed: a filter was not applied.'
      );
    }
    this._queueColumns = columns;
  }

  private _grid: DataGrid;
  private _model: DataExplorerModel;
  private _trans: TranslationBundle;
  private _node: HTMLDivElement;
  private _input: HTMLInputElement;
  private _note: HTMLDivElement;
  private _position: number | null = null;
  private _columns: TableDataModel['columns'] = [];
  private _queueColumns: TableDataModel['columns'] | null = null;
  private _initial = '';
  private _closing = false;
  private _disposed = false;
  private _frame = 0;
  private _geometry: Private.IGeometry = {
    left: 0,
    top: 0,
    width: 0,
    height: 0
  };
  private _queue: { index: number; text: string }[] = [];
  private _draining = false;
}

/**
 * The namespace for {@link FilterRowEditor} statics.
 */
export namespace FilterRowEditor {
  export interface IOptions {
    grid: DataGrid;
    model: DataExplorerModel;
    trans: TranslationBundle;
  }
}

/**
 * A module-private namespace.
 */
namespace Private {
  /**
   * Where a filter cell is in the grid's viewport.
   */
  export interface IGeometry {
    left: number;
    top: number;
    width: number;
    height: number;
  }

  export function geometry(grid: DataGrid, position: number): IGeometry {
    return {
      left:
        grid.headerWidth + grid.columnOffset('body', position) - grid.scrollX,
      top: grid.rowSize('column-header', 0),
      width: grid.columnSize('body', position),
      height: grid.rowSize('column-header', 1)
    };
  }

  export function sameGeometry(a: IGeometry, b: IGeometry): boolean {
    return (
      a.left === b.left &&
      a.top === b.top &&
      a.width === b.width &&
      a.height === b.height
    );
  }

  /**
   * The model's next change of state.
   */
  export function nextChange(model: DataExplorerModel): Promise<void> {
    return new Promise(resolve => {
      const done = () => {
        model.stateChanged.disconnect(done);
        resolve();
      };
      model.stateChanged.connect(done);
    });
  }
}
