import type { TranslationBundle } from '@jupyterlab/translation';
import { VDomModel } from '@jupyterlab/ui-components';

import { TableRequestError } from './client';
import type { IFindAnswer, IStaleAnswer } from './protocol';
import { formatCount } from './status';
import type { DataExplorerModel } from './view';

/**
 * A cell of the grid: a row position and a column position.
 */
export interface IGridCell {
  row: number;
  column: number;
}

/**
 * Where the grid's cursor is, and how to move it.
 */
export interface IFindCursor {
  /**
   * The cursor's cell, or `null` when there is none.
   */
  get(): IGridCell | null;
  /**
   * Put the cursor on `cell` and scroll it into view.
   */
  set(cell: IGridCell): void;
}

/**
 * Where a search in the grid stands.
 */
export type FindStatus =
  | { kind: 'idle' }
  | { kind: 'searching'; progress: number | null }
  | { kind: 'found'; cell: IGridCell; wrapped: boolean }
  | { kind: 'none' }
  | { kind: 'error'; message: string };

/**
 * The cell a search starts from (that cell included), in row-major order
 * of `rows` × `columns`: the cursor's cell when `inclusive` (a new term),
 * else the cell after it (`next`) or before it (`previous`), wrapping at
 * the ends; without a cursor, the first cell (or the last, backwards).
 */
export function startCell(
  cursor: IGridCell | null,
  rows: number,
  columns: number,
  direction: 'next' | 'previous',
  inclusive: boolean
): IGridCell {
  const forward = direction === 'next';
  if (
    !cursor ||
    cursor.row < 0 ||
    cursor.row >= rows ||
    cursor.column < 0 ||
    cursor.column >= columns
  ) {
    return forward
      ? { row: 0, column: 0 }
      : { row: Math.max(0, rows - 1), column: Math.max(0, columns - 1) };
  }
  if (inclusive) {
    return { ...cursor };
  }
  const total = rows * columns;
  const at = cursor.row * columns + cursor.column;
  const next = (at + (forward ? 1 : -1) + total) % total;
  return { row: Math.floor(next / columns), column: next % columns };
}

/**
 * How many times a search is asked again when the view changed under it
 * (a sort or a cell's change committed a newer generation).
 */
const ATTEMPTS = 3;

/**
 * The find box's model: the term, whether case matters, and the search in
 * the kernel (`table_find`) from the grid's cursor, which moves to the
 * match.
 *
 * #### Notes
 * The kernel looks through the view's rows in its order, the text of each
 * cell as the grid shows it; a newer search of the view cancels an older
 * one in the kernel, and an older one's answer is dropped here.
 */
export class FindModel extends VDomModel {
  constructor(
    readonly explorer: DataExplorerModel,
    private _cursor: IFindCursor,
    private _trans: TranslationBundle
  ) {
    super();
    explorer.stateChanged.connect(this._onExplorerChanged, this);
  }

  /**
   * The term looked for.
   */
  get text(): string {
    return this._text;
  }
  set text(text: string) {
    if (text !== this._text) {
      this._text = text;
      this._drop();
    }
  }

  /**
   * Whether case matters.
   */
  get caseSensitive(): boolean {
    return this._caseSensitive;
  }
  set caseSensitive(value: boolean) {
    if (value !== this._caseSensitive) {
      this._caseSensitive = value;
      this._drop();
    }
  }

  /**
   * Where the search stands.
   */
  get status(): FindStatus {
    return this._status;
  }

  /**
   * Why the view cannot be searched now, or `null` when it can.
   */
  get unavailable(): string | null {
    const explorer = this.explorer;
    const trans = this._trans;
    if (explorer.state === 'closed' || explorer.state === 'opening') {
      return trans.__('The view is not open.');
    }
    if (!explorer.supports('table_find')) {
      return trans.__('The server cannot find yet (no table_find).');
    }
    return explorer.refusal('find');
  }

  /**
   * The status in a few words, for the box.
   */
  get statusText(): string {
    const trans = this._trans;
    const status = this._status;
    switch (status.kind) {
      case 'searching':
        return status.progress === null
          ? trans.__('Searching…')
          : trans.__('Searching… %1%', Math.floor(status.progress * 100));
      case 'found': {
        const column = this.explorer.grid.columns[status.cell.column];
        const where = trans.__(
          'Row %1 · %2',
          formatCount(status.cell.row + 1),
          String(column?.name ?? column?.index ?? status.cell.column)
        );
        return status.wrapped ? trans.__('%1 (wrapped)', where) : where;
      }
      case 'none':
        return trans.__('No match');
      case 'error':
        return status.message;
      default:
        return '';
    }
  }

  /**
   * Look for the term from the cursor on (the cursor's own cell for a new
   * term, else the one after or before it), and move the cursor to the
   * match.
   */
  async find(direction: 'next' | 'previous'): Promise<void> {
    const text = this._text;
    const unavailable = this.unavailable;
    if (!text) {
      this._setStatus({ kind: 'idle' });
      return;
    }
    if (unavailable !== null) {
      this._setStatus({ kind: 'error', message: unavailable });
      return;
    }
    const token = ++this._token;
    const inclusive = this._searched !== this._key();
    this._searched = this._key();
    this._setStatus({ kind: 'searching', progress: null });
    const grid = this.explorer.grid;
    const start = startCell(
      this._cursor.get(),
      grid.rows,
      grid.columns.length,
      direction,
      inclusive
    );
    let generation = grid.generation;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const columns = grid.columns.map(column => column.index);
      let answer: IFindAnswer | IStaleAnswer;
      try {
        answer = await this.explorer.find(
          {
            generation,
            text,
            case_sensitive: this._caseSensitive,
            columns,
            row: start.row,
            column: columns[start.column] ?? columns[0] ?? 0,
            direction
          },
          progress => {
            if (token === this._token) {
              this._setStatus({ kind: 'searching', progress });
            }
          }
        );
      } catch (reason) {
        if (token !== this._token) {
          return; // a newer search took over (the kernel cancelled this one)
        }
        const message =
          reason instanceof TableRequestError
            ? reason.evalue || reason.ename
            : String(reason);
        this._searched = null;
        this._setStatus({ kind: 'error', message });
        return;
      }
      if (token !== this._token) {
        return;
      }
      if ('stale' in answer) {
        generation = answer.generation;
        continue;
      }
      if (grid.generation > answer.generation && attempt + 1 < ATTEMPTS) {
        // The grid moved on while the kernel looked: look in what it shows.
        // (A grid behind the kernel catches up: the kernel's order holds.)
        generation = grid.generation;
        continue;
      }
      const match = answer.match;
      if (!match) {
        this._setStatus({ kind: 'none' });
        return;
      }
      const column = grid.columns.findIndex(c => c.index === match.column);
      const cell = { row: match.row, column: Math.max(0, column) };
      this._cursor.set(cell);
      this._setStatus({ kind: 'found', cell, wrapped: answer.wrapped });
      return;
    }
    this._searched = null;
    this._setStatus({
      kind: 'error',
      message: this._trans.__('The view kept changing: search again.')
    });
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.explorer.stateChanged.disconnect(this._onExplorerChanged, this);
    super.dispose();
  }

  /**
   * A new term (or case): an answer on its way is dropped, and the next
   * search starts at the cursor's own cell.
   */
  private _drop(): void {
    this._token++;
    this._searched = null;
    this._setStatus({ kind: 'idle' });
  }

  private _key(): string {
    return `${this._caseSensitive ? 1 : 0}:${this._text}`;
  }

  private _setStatus(status: FindStatus): void {
    this._status = status;
    this.stateChanged.emit();
  }

  private _onExplorerChanged(): void {
    if (this.explorer.state === 'closed' && this._status.kind === 'searching') {
      this._token++;
      this._setStatus({ kind: 'idle' });
      return;
    }
    this.stateChanged.emit();
  }

  private _text = '';
  private _caseSensitive = false;
  private _status: FindStatus = { kind: 'idle' };
  private _token = 0;
  private _searched: string | null = null;
}
