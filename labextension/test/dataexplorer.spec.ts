import { nullTranslator } from '@jupyterlab/translation';
import type { DataModel } from '@lumino/datagrid';

import { parseFilterText } from '../src/dataexplorer/filter';
import {
  CellMark,
  FAILED,
  PLACEHOLDER,
  TableDataModel
} from '../src/dataexplorer/model';
import type { IRowsRequest } from '../src/dataexplorer/model';
import type {
  IPage,
  IStaleAnswer,
  ITableColumn
} from '../src/dataexplorer/protocol';
import { formatCount, statusText } from '../src/dataexplorer/status';
import type { IStatusInfo } from '../src/dataexplorer/status';

const trans = nullTranslator.load('beaker_server');

/**
 * A kernel that answers `table_rows` when told to: each request waits
 * until the test resolves it. Values are `r<row>c<column>`; labels `L<row>`.
 */
class FakeKernel {
  requests: (IRowsRequest & {
    resolve: (answer?: IPage | IStaleAnswer) => void;
    reject: (reason: unknown) => void;
  })[] = [];
  rows: number;
  generation = 0;
  /**
   * The most rows and columns a page carries (the kernel's byte bound).
   */
  maxRows = Infinity;
  maxColumns = Infinity;

  constructor(rows: number) {
    this.rows = rows;
  }

  fetch = (request: IRowsRequest): Promise<IPage | IStaleAnswer> =>
    new Promise((resolve, reject) => {
      this.requests.push({
        ...request,
        resolve: answer => resolve(answer ?? this.page(request)),
        reject
      });
    });

  page(request: IRowsRequest): IPage | IStaleAnswer {
    if (request.generation !== this.generation) {
      return { stale: true, generation: this.generation };
    }
    const stop = Math.min(
      this.rows,
      request.start + Math.min(request.count, this.maxRows)
    );
    const rows = Array.from(
      { length: Math.max(0, stop - request.start) },
      (_, i) => request.start + i
    );
    const shown = request.columns.slice(0, this.maxColumns);
    return {
      generation: this.generation,
      start: request.start,
      count: rows.length,
      columns: shown.map(c => ({
        index: c,
        values: rows.map(r => (c === 0 && r % 10 === 0 ? 1 : `r${r}c${c}`))
      })),
      labels: [rows.map(r => `L${r}`)],
      positions: rows,
      ...(shown.length < request.columns.length
        ? {
            truncated: true,
            omitted_columns: request.columns.slice(shown.length)
          }
        : {})
    };
  }

  /**
   * Answer every request on its way (and those they cause), in order.
   */
  async answerAll(flush: () => void): Promise<void> {
    for (let round = 0; round < 50; round++) {
      flush();
      const pending = this.requests.splice(0);
      if (pending.length === 0) {
        return;
      }
      for (const request of pending) {
        request.resolve();
      }
      await settle();
    }
  }
}

function settle(): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, 0));
}

function columns(n: number): ITableColumn[] {
  return Array.from({ length: n }, (_, i) => ({
    index: i,
    name: `col${i}`,
    display_type: i === 0 ? 'number' : 'string'
  }));
}

function setup(
  options: {
    rows?: number;
    columns?: number;
    maxBlocks?: number;
    maxInFlight?: number;
  } = {}
) {
  const kernel = new FakeKernel(options.rows ?? 1000);
  const tasks: (() => void)[] = [];
  const flush = () => {
    for (const task of tasks.splice(0)) {
      task();
    }
  };
  const model = new TableDataModel({
    fetch: kernel.fetch,
    blockRows: 100,
    blockColumns: 5,
    maxBlocks: options.maxBlocks ?? 50,
    maxInFlight: options.maxInFlight ?? 2,
    schedule: task => tasks.push(task)
  });
  model.reset({
    generation: 0,
    rowCount: kernel.rows,
    columns: columns(options.columns ?? 8),
    labelLevels: [{ name: 'idx' }]
  });
  const changes: DataModel.ChangedArgs[] = [];
  model.changed.connect((_, args) => changes.push(args));
  return { kernel, model, flush, changes };
}

describe('TableDataModel', () => {
  it('answers a missing block with a placeholder and fetches it once', async () => {
    const { kernel, model, flush, changes } = setup();
    expect(model.rowCount('body')).toBe(1000);
    expect(model.columnCount('body')).toBe(8);
    expect(model.columnCount('row-header')).toBe(1);
    // A paint: many cells of one block, nothing is sent during it.
    for (let row = 100; row < 130; row++) {
      for (let column = 0; column < 5; column++) {
        expect(model.data('body', row, column)).toBe(PLACEHOLDER);
      }
    }
    expect(kernel.requests).toHaveLength(0);
    flush();
    expect(kernel.requests).toHaveLength(1);
    const request = kernel.requests[0];
    expect(request).toMatchObject({
      generation: 0,
      start: 100,
      count: 100,
      columns: [0, 1, 2, 3, 4]
    });
    // Asked again while on its way: no second request.
    model.data('body', 150, 3);
    flush();
    expect(kernel.requests).toHaveLength(1);
    request.resolve();
    await settle();
    expect(model.data('body', 123, 2)).toBe('r123c2');
    expect(model.data('row-header', 123, 0)).toBe('L123');
    expect(model.peek(199, 4)).toBe('r199c4');
    expect(changes).toContainEqual({
      type: 'cells-changed',
      region: 'body',
      row: 100,
      column: 0,
      rowSpan: 100,
      columnSpan: 5
    });
    expect(
      changes.some(c => c.type === 'cells-changed' && c.region === 'row-header')
    ).toBe(true);
  });

  it('shows special values as marks, never as their code', async () => {
    const { kernel, model, flush } = setup();
    model.data('body', 0, 0);
    await kernel.answerAll(flush);
    const value = model.data('body', 10, 0);
    expect(value).toBeInstanceOf(CellMark);
    expect((value as CellMark).kind).toBe('special');
    expect((value as CellMark).text).toBe('NaN');
    expect(model.peek(10, 0)).toBe(1);
  });

  it('sends the block wanted last first, a few at a time', async () => {
    const { kernel, model, flush } = setup({ maxInFlight: 2 });
    model.data('body', 0, 0);
    model.data('body', 300, 0);
    model.data('body', 600, 0);
    flush();
    expect(kernel.requests.map(r => r.start)).toEqual([600, 300]);
    kernel.requests.shift()!.resolve();
    await settle();
    expect(kernel.requests.map(r => r.start)).toEqual([300, 0]);
  });

  it('keeps at most maxBlocks blocks, dropping the least recently painted', async () => {
    const { kernel, model, flush } = setup({ maxBlocks: 3 });
    for (const row of [0, 100, 200]) {
      model.data('body', row, 0);
    }
    await kernel.answerAll(flush);
    expect(model.blockCount).toBe(3);
    // Paint block 0 again: block 100 is now the oldest.
    expect(model.data('body', 0, 1)).toBe('r0c1');
    model.data('body', 300, 0);
    await kernel.answerAll(flush);
    expect(model.blockCount).toBe(3);
    expect(model.peek(0, 1)).toBe('r0c1');
    expect(model.peek(150, 1)).toBeUndefined();
    expect(model.peek(250, 1)).toBe('r250c1');
    // The dropped block is fetched again when painted.
    expect(model.data('body', 150, 1)).toBe(PLACEHOLDER);
    flush();
    expect(kernel.requests.map(r => r.start)).toEqual([100]);
  });

  it('drops an answer of an older generation and asks again', async () => {
    const { kernel, model, flush, changes } = setup();
    model.data('body', 0, 0);
    flush();
    const old = kernel.requests.shift()!;
    // A sort ends meanwhile: the grid is reset to the new generation.
    kernel.generation = 1;
    model.reset({ generation: 1, rowCount: 500 });
    expect(changes[changes.length - 1]).toEqual({ type: 'model-reset' });
    expect(model.rowCount('body')).toBe(500);
    old.resolve(kernel.page({ ...old, generation: 1 }));
    await settle();
    // Not applied: it was asked for the old generation.
    expect(model.peek(5, 0)).toBeUndefined();
    expect(model.data('body', 5, 1)).toBe(PLACEHOLDER);
    flush();
    expect(kernel.requests).toHaveLength(1);
    expect(kernel.requests[0].generation).toBe(1);
    await kernel.answerAll(flush);
    expect(model.data('body', 5, 1)).toBe('r5c1');
  });

  it('says when the kernel is at a newer generation, and refetches', async () => {
    const { kernel, model, flush } = setup();
    const moved: number[] = [];
    model.generationMoved.connect((_, generation) => moved.push(generation));
    kernel.generation = 4;
    model.data('body', 0, 0);
    flush();
    kernel.requests.shift()!.resolve();
    await settle();
    expect(moved).toEqual([4]);
    expect(model.data('body', 0, 1)).toBe(PLACEHOLDER);
    model.reset({ generation: 4 });
    model.data('body', 0, 1);
    await kernel.answerAll(flush);
    expect(model.data('body', 0, 1)).toBe('r0c1');
  });

  it('says when the kernel went back to an older generation', async () => {
    // A sort showed its first rows (generation 5), then was cancelled: the
    // kernel's view is still at generation 4.
    const { kernel, model, flush } = setup();
    const moved: number[] = [];
    model.generationMoved.connect((_, generation) => moved.push(generation));
    kernel.generation = 4;
    model.reset({ generation: 5 });
    model.data('body', 0, 0);
    flush();
    kernel.requests.shift()!.resolve();
    await settle();
    expect(moved).toEqual([4]);
  });

  it('asks for the rest of a block the kernel cut short', async () => {
    const { kernel, model, flush } = setup();
    kernel.maxRows = 30;
    kernel.maxColumns = 2;
    model.data('body', 0, 0);
    flush();
    const first = kernel.requests.shift()!;
    expect(first).toMatchObject({
      start: 0,
      count: 100,
      columns: [0, 1, 2, 3, 4]
    });
    first.resolve();
    await settle();
    expect(model.peek(29, 1)).toBe('r29c1');
    expect(model.data('body', 0, 2)).toBe(PLACEHOLDER);
    flush();
    // The omitted columns of the same rows come next.
    expect(kernel.requests[0]).toMatchObject({ start: 0, columns: [2, 3, 4] });
    await kernel.answerAll(flush);
    expect(model.isLoaded(0, 0, 99, 4)).toBe(true);
    expect(model.data('body', 99, 4)).toBe('r99c4');
    expect(model.data('row-header', 99, 0)).toBe('L99');
  });

  it('grows an open-ended view (a lazy source) as its pages come in', async () => {
    const { kernel, model, flush, changes } = setup({ rows: 250 });
    const counts: number[] = [];
    model.rowCountChanged.connect((_, rows) => counts.push(rows));
    // The kernel does not know the row count: the grid shows one block
    // more than was paged (here two blocks, of which one was paged).
    model.reset({ rowCount: 200, openEnded: true });
    const page = kernel.page.bind(kernel);
    kernel.rows = 300;
    kernel.page = request => ({
      ...(page(request) as IPage),
      row_count: request.start + request.count >= 300 ? 300 : null
    });
    model.data('body', 150, 0);
    await kernel.answerAll(flush);
    // A full page at the end: room for one more block.
    expect(model.rowCount('body')).toBe(300);
    expect(model.openEnded).toBe(true);
    expect(changes).toContainEqual({
      type: 'rows-inserted',
      region: 'body',
      index: 200,
      span: 100
    });
    // The next full page grows it again; a page past the end (the kernel
    // then knows the count) shrinks it to the count, no error.
    model.data('body', 220, 0);
    await kernel.answerAll(flush);
    expect(model.rowCount('body')).toBe(300);
    kernel.page = request => ({
      ...(page(request) as IPage),
      row_count: 250
    });
    kernel.rows = 250;
    model.reset({ rowCount: 400, openEnded: true });
    model.data('body', 320, 0);
    await kernel.answerAll(flush);
    expect(model.rowCount('body')).toBe(250);
    expect(model.openEnded).toBe(false);
    expect(model.data('body', 249, 1)).toBe(PLACEHOLDER);
    await kernel.answerAll(flush);
    expect(model.data('body', 249, 1)).toBe('r249c1');
    expect(counts).toEqual([300, 250]);
  });

  it('starts from the first page of the open', () => {
    const { kernel, model, flush } = setup();
    const first = kernel.page({
      generation: 0,
      start: 0,
      count: 100,
      columns: [0, 1, 2, 3, 4, 5, 6, 7]
    }) as IPage;
    model.reset({ generation: 0, first });
    expect(model.data('body', 42, 6)).toBe('r42c6');
    expect(model.data('row-header', 42, 0)).toBe('L42');
    flush();
    expect(kernel.requests).toHaveLength(0);
  });

  it('marks a block that could not be read and says why', async () => {
    const { kernel, model, flush } = setup();
    const failures: string[] = [];
    model.fetchFailed.connect((_, reason) => failures.push(reason));
    model.data('body', 0, 0);
    flush();
    kernel.requests.shift()!.reject(new Error('KernelError: boom'));
    await settle();
    expect(model.data('body', 3, 3)).toBe(FAILED);
    expect(failures).toEqual(['KernelError: boom']);
    model.retry();
    expect(model.data('body', 3, 3)).toBe(PLACEHOLDER);
  });

  it('shows the sort keys in the column headers', () => {
    const { model } = setup();
    expect(model.data('column-header', 0, 2)).toBe('col2');
    model.setSortMarks([{ column: 2, ascending: true }]);
    expect(model.data('column-header', 0, 2)).toBe('col2 ↑');
    model.setSortMarks([
      { column: 2, ascending: false },
      { column: 0, ascending: true }
    ]);
    expect(model.data('column-header', 0, 2)).toBe('col2 ↓1');
    expect(model.data('column-header', 0, 0)).toBe('col0 ↑2');
    expect(model.data('corner-header', 0, 0)).toBe('idx');
    expect(model.metadata('body', 0, 0)).toEqual({ type: 'number' });
  });
});

describe('parseFilterText', () => {
  const number = { index: 3, display_type: 'number' };
  const text = { index: 1, display_type: 'string' };
  const when = { index: 2, display_type: 'datetime' };
  const flag = { index: 4, display_type: 'boolean' };

  it('reads comparisons and ranges of numbers', () => {
    expect(parseFilterText('> 5', number)).toEqual({
      filter: { kind: 'compare', column: 3, op: '>', value: 5 }
    });
    expect(parseFilterText('<=3', number)).toEqual({
      filter: { kind: 'compare', column: 3, op: '<=', value: 3 }
    });
    expect(parseFilterText('=7', number)).toEqual({
      filter: { kind: 'compare', column: 3, op: '=', value: 7 }
    });
    expect(parseFilterText('== -2.5', number)).toEqual({
      filter: { kind: 'compare', column: 3, op: '=', value: -2.5 }
    });
    expect(parseFilterText('!= 0', number)).toEqual({
      filter: { kind: 'compare', column: 3, op: '!=', value: 0 }
    });
    expect(parseFilterText('1..10', number)).toEqual({
      filter: { kind: 'between', column: 3, low: 1, high: 10 }
    });
    expect(parseFilterText(' 1.5 .. 2e3 ', number)).toEqual({
      filter: { kind: 'between', column: 3, low: 1.5, high: 2000 }
    });
    expect(parseFilterText('42', number)).toEqual({
      filter: { kind: 'compare', column: 3, op: '=', value: 42 }
    });
  });

  it('refuses what is not a number in a number column', () => {
    expect('error' in parseFilterText('> five', number)).toBe(true);
    expect('error' in parseFilterText('a..b', number)).toBe(true);
    expect('error' in parseFilterText('abc', number)).toBe(true);
    expect('error' in parseFilterText('>', number)).toBe(true);
  });

  it('reads null tests in any column, and nothing from an empty box', () => {
    expect(parseFilterText('null', text)).toEqual({
      filter: { kind: 'is_null', column: 1 }
    });
    expect(parseFilterText('IS NULL', number)).toEqual({
      filter: { kind: 'is_null', column: 3 }
    });
    expect(parseFilterText('not null', when)).toEqual({
      filter: { kind: 'not_null', column: 2 }
    });
    expect(parseFilterText('   ', text)).toEqual({ filter: null });
  });

  it('looks for text in strings, or compares with =', () => {
    expect(parseFilterText('alp', text)).toEqual({
      filter: { kind: 'contains', column: 1, term: 'alp' }
    });
    expect(parseFilterText('> 5', text)).toEqual({
      filter: { kind: 'contains', column: 1, term: '> 5' }
    });
    expect(parseFilterText('= beta', text)).toEqual({
      filter: { kind: 'compare', column: 1, op: '=', value: 'beta' }
    });
    expect(parseFilterText('!=beta', text)).toEqual({
      filter: { kind: 'compare', column: 1, op: '!=', value: 'beta' }
    });
  });

  it('sends dates as written, and reads booleans', () => {
    expect(parseFilterText('>= 2024-01-01', when)).toEqual({
      filter: { kind: 'compare', column: 2, op: '>=', value: '2024-01-01' }
    });
    expect(parseFilterText('2020-01-01..2020-02-01', when)).toEqual({
      filter: {
        kind: 'between',
        column: 2,
        low: '2020-01-01',
        high: '2020-02-01'
      }
    });
    expect(parseFilterText('True', flag)).toEqual({
      filter: { kind: 'compare', column: 4, op: '=', value: true }
    });
    expect('error' in parseFilterText('yes', flag)).toBe(true);
  });
});

describe('statusText', () => {
  const base: IStatusInfo = {
    state: 'ready',
    totalRows: 10_000_000,
    columns: 10,
    filteredRows: null,
    sort: []
  };

  it('says the shape, the filter and the sort', () => {
    expect(statusText(base, trans)).toEqual({
      state: 'ready',
      text: '10,000,000 rows × 10 columns'
    });
    expect(
      statusText(
        {
          ...base,
          filteredRows: 1_234_567,
          sort: [{ name: 'b', ascending: false }]
        },
        trans
      ).text
    ).toBe(
      '10,000,000 rows × 10 columns · 1,234,567 after filter · sorted by b ↓'
    );
    expect(
      statusText(
        {
          ...base,
          totalRows: 1,
          columns: 1,
          sort: [
            { name: 'a', ascending: true },
            { name: 'b', ascending: false }
          ]
        },
        trans
      ).text
    ).toBe('1 row × 1 column · sorted by a ↑, b ↓');
  });

  it('says what runs, with its progress', () => {
    expect(
      statusText({ ...base, state: 'sorting', progress: 0.42 }, trans)
    ).toEqual({
      state: 'sorting',
      text: '10,000,000 rows × 10 columns · sorting… 42%'
    });
    expect(statusText({ ...base, state: 'filtering' }, trans).text).toBe(
      '10,000,000 rows × 10 columns · filtering…'
    );
    expect(statusText({ ...base, state: 'opening' }, trans)).toEqual({
      state: 'opening',
      text: 'Loading…'
    });
  });

  it('says when the kernel is busy, failed or the view closed', () => {
    expect(statusText({ ...base, busy: true }, trans).state).toBe('busy');
    expect(statusText({ ...base, busy: true }, trans).text).toContain(
      'kernel busy'
    );
    expect(
      statusText(
        { ...base, state: 'error', message: 'KernelError: boom' },
        trans
      )
    ).toEqual({ state: 'error', text: 'KernelError: boom' });
    expect(
      statusText(
        {
          ...base,
          state: 'closed',
          message: 'The kernel restarted: the view is closed.'
        },
        trans
      )
    ).toEqual({
      state: 'closed',
      text: 'The kernel restarted: the view is closed.'
    });
    expect(statusText({ ...base, totalRows: null }, trans).text).toBe(
      '? rows × 10 columns'
    );
  });

  it('groups digits whatever the locale', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatCount(0)).toBe('0');
  });
});
