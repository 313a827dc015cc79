import { nullTranslator } from '@jupyterlab/translation';
import { Signal } from '@lumino/signaling';

import { TableRequestError } from '../src/dataexplorer/client';
import { FindModel, startCell } from '../src/dataexplorer/find';
import type { IGridCell } from '../src/dataexplorer/find';
import type {
  IFindAnswer,
  IFindRequest,
  IStaleAnswer
} from '../src/dataexplorer/protocol';
import type { DataExplorerModel } from '../src/dataexplorer/view';

const trans = nullTranslator.load('beaker_server');

describe('startCell', () => {
  it('starts at the cursor for a new term, after or before it for the next', () => {
    const cursor = { row: 3, column: 1 };
    expect(startCell(cursor, 10, 4, 'next', true)).toEqual(cursor);
    expect(startCell(cursor, 10, 4, 'next', false)).toEqual({
      row: 3,
      column: 2
    });
    expect(startCell(cursor, 10, 4, 'previous', false)).toEqual({
      row: 3,
      column: 0
    });
  });

  it('wraps at the ends of rows and of the table', () => {
    expect(startCell({ row: 3, column: 3 }, 10, 4, 'next', false)).toEqual({
      row: 4,
      column: 0
    });
    expect(startCell({ row: 9, column: 3 }, 10, 4, 'next', false)).toEqual({
      row: 0,
      column: 0
    });
    expect(startCell({ row: 0, column: 0 }, 10, 4, 'previous', false)).toEqual({
      row: 9,
      column: 3
    });
    expect(startCell({ row: 0, column: 0 }, 1, 1, 'next', false)).toEqual({
      row: 0,
      column: 0
    });
  });

  it('starts at the first (or last) cell without a cursor or outside the view', () => {
    expect(startCell(null, 10, 4, 'next', false)).toEqual({
      row: 0,
      column: 0
    });
    expect(startCell(null, 10, 4, 'previous', true)).toEqual({
      row: 9,
      column: 3
    });
    expect(startCell({ row: 50, column: 0 }, 10, 4, 'next', false)).toEqual({
      row: 0,
      column: 0
    });
    expect(startCell(null, 0, 0, 'previous', false)).toEqual({
      row: 0,
      column: 0
    });
  });
});

type Answer = IFindAnswer | IStaleAnswer;

/**
 * The parts of a view the find model uses, answering finds from a queue
 * the test fills.
 */
class View {
  stateChanged = new Signal<this, void>(this);
  state = 'ready';
  grid = {
    rows: 100,
    generation: 2,
    columns: [
      { index: 4, name: 'a' },
      { index: 7, name: 'b' }
    ]
  };
  requests: IFindRequest[] = [];
  pending: {
    resolve: (answer: Answer) => void;
    reject: (reason: unknown) => void;
    progress: (p: number) => void;
  }[] = [];

  supports(): boolean {
    return true;
  }

  refusal(): string | null {
    return null;
  }

  find(request: IFindRequest, progress: (p: number) => void): Promise<Answer> {
    this.requests.push(request);
    return new Promise((resolve, reject) =>
      this.pending.push({ resolve, reject, progress })
    );
  }
}

function setUp() {
  const view = new View();
  let cursor: IGridCell | null = { row: 5, column: 1 };
  const moves: IGridCell[] = [];
  const model = new FindModel(
    view as unknown as DataExplorerModel,
    {
      get: () => cursor,
      set: cell => {
        cursor = cell;
        moves.push(cell);
      }
    },
    trans
  );
  return { view, model, moves };
}

const settle = () => new Promise(resolve => setTimeout(resolve, 0));

describe('FindModel', () => {
  it('asks from the cursor with the columns in grid order, and moves to the match', async () => {
    const { view, model, moves } = setUp();
    model.text = 'x';
    const done = model.find('next');
    expect(view.requests[0]).toEqual({
      generation: 2,
      text: 'x',
      case_sensitive: false,
      columns: [4, 7],
      row: 5,
      column: 7,
      direction: 'next'
    });
    view.pending[0].progress(0.5);
    expect(model.statusText).toBe('Searching… 50%');
    view.pending[0].resolve({
      generation: 2,
      match: { row: 9, column: 4 },
      wrapped: true,
      scanned_rows: 10
    });
    await done;
    expect(moves).toEqual([{ row: 9, column: 0 }]);
    expect(model.statusText).toBe('Row 10 · a (wrapped)');
    // The same term again: from the cell after the match.
    void model.find('next');
    expect(view.requests[1]).toMatchObject({ row: 9, column: 7 });
  });

  it('drops the answer of an older search when the term changes', async () => {
    const { view, model, moves } = setUp();
    model.text = 'old';
    const older = model.find('next');
    model.text = 'new';
    expect(model.status.kind).toBe('idle');
    const newer = model.find('previous');
    view.pending[1].resolve({
      generation: 2,
      match: { row: 1, column: 7 },
      wrapped: false,
      scanned_rows: 1
    });
    await newer;
    view.pending[0].resolve({
      generation: 2,
      match: { row: 50, column: 4 },
      wrapped: false,
      scanned_rows: 1
    });
    await older;
    expect(moves).toEqual([{ row: 1, column: 1 }]);
    // A new term starts at the cursor's own cell.
    expect(view.requests[1]).toMatchObject({ row: 5, column: 7 });
  });

  it('asks again for the generation the kernel has', async () => {
    const { view, model } = setUp();
    model.text = 'x';
    const done = model.find('next');
    view.pending[0].resolve({ stale: true, generation: 5 });
    await settle();
    expect(view.requests[1].generation).toBe(5);
    view.pending[1].resolve({
      generation: 5,
      match: null,
      wrapped: false,
      scanned_rows: 100
    });
    await done;
    expect(model.statusText).toBe('No match');
  });

  it('looks again when the grid moved on while the kernel looked', async () => {
    const { view, model, moves } = setUp();
    model.text = 'x';
    const done = model.find('next');
    view.grid.generation = 3; // a sort ended meanwhile
    view.pending[0].resolve({
      generation: 2,
      match: { row: 1, column: 4 },
      wrapped: false,
      scanned_rows: 2
    });
    await settle();
    expect(view.requests[1]).toMatchObject({ generation: 3, row: 5 });
    view.pending[1].resolve({
      generation: 3,
      match: { row: 7, column: 7 },
      wrapped: false,
      scanned_rows: 2
    });
    await done;
    expect(moves).toEqual([{ row: 7, column: 1 }]);
  });

  it('says an error, and that a closed view cannot be searched', async () => {
    const { view, model } = setUp();
    model.text = 'x';
    const done = model.find('next');
    view.pending[0].reject(new TableRequestError('BadRequest', 'too long'));
    await done;
    expect(model.status).toEqual({ kind: 'error', message: 'too long' });
    view.state = 'closed';
    expect(model.unavailable).toBe('The view is not open.');
    await model.find('next');
    expect(view.requests).toHaveLength(1);
  });

  it('stops a search when the view closes (a restart) and drops its answer', async () => {
    const { view, model, moves } = setUp();
    model.text = 'x';
    const done = model.find('next');
    view.state = 'closed';
    view.stateChanged.emit();
    expect(model.status.kind).toBe('idle');
    view.pending[0].resolve({
      generation: 2,
      match: { row: 3, column: 4 },
      wrapped: false,
      scanned_rows: 3
    });
    await done;
    expect(moves).toEqual([]);
    expect(model.status.kind).toBe('idle');
  });

  it('does nothing for an empty term', async () => {
    const { view, model } = setUp();
    await model.find('next');
    expect(view.requests).toHaveLength(0);
    expect(model.status.kind).toBe('idle');
  });
});
