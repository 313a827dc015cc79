import type { DataModel } from '@lumino/datagrid';

import {
  columnFilterText,
  filterText,
  parseFilterText,
  replaceColumnFilter
} from '../src/dataexplorer/filter';
import { CellMark, TableDataModel } from '../src/dataexplorer/model';
import type { TableFilter } from '../src/dataexplorer/protocol';

const number = { index: 3, display_type: 'number' } as const;
const text = { index: 1, display_type: 'string' } as const;
const when = { index: 2, display_type: 'datetime' } as const;
const flag = { index: 4, display_type: 'boolean' } as const;
const other = { index: 5, display_type: 'object' } as const;
type Column = typeof number | typeof text | typeof when | typeof flag;

/**
 * That `filter` is written as `written` and read back to itself.
 */
function roundTrip(
  filter: TableFilter,
  column: Column | typeof other,
  written?: string
): void {
  const shown = filterText(filter, column);
  if (written !== undefined) {
    expect(shown).toBe(written);
  }
  expect(parseFilterText(shown, column)).toEqual({ filter });
}

describe('filterText', () => {
  it('writes the comparisons and ranges of numbers so that they read back', () => {
    const c = number.index;
    for (const op of ['>', '>=', '<', '<=', '=', '!='] as const) {
      roundTrip(
        { kind: 'compare', column: c, op, value: 5 },
        number,
        `${op} 5`
      );
    }
    roundTrip({ kind: 'compare', column: c, op: '=', value: -2.5 }, number);
    roundTrip({ kind: 'compare', column: c, op: '>', value: 1e-7 }, number);
    roundTrip({ kind: 'compare', column: c, op: '<', value: 1e300 }, number);
    roundTrip(
      { kind: 'compare', column: c, op: '=', value: -0 },
      number,
      '= -0'
    );
    roundTrip(
      { kind: 'between', column: c, low: 1, high: 10 },
      number,
      '1..10'
    );
    roundTrip(
      { kind: 'between', column: c, low: -5.5, high: -1 },
      number,
      '-5.5..-1'
    );
    roundTrip({ kind: 'between', column: c, low: 0, high: 99999 }, number);
  });

  it('writes dates and times as they were given', () => {
    const c = when.index;
    roundTrip(
      { kind: 'compare', column: c, op: '>=', value: '2024-01-01' },
      when,
      '>= 2024-01-01'
    );
    roundTrip(
      { kind: 'compare', column: c, op: '=', value: '2024-01-01T10:00:00' },
      when
    );
    roundTrip(
      {
        kind: 'between',
        column: c,
        low: '2020-01-01',
        high: '2020-02-01 12:00'
      },
      when,
      '2020-01-01..2020-02-01 12:00'
    );
  });

  it('writes booleans as true or false', () => {
    const c = flag.index;
    roundTrip(
      { kind: 'compare', column: c, op: '=', value: true },
      flag,
      'true'
    );
    roundTrip(
      { kind: 'compare', column: c, op: '=', value: false },
      flag,
      'false'
    );
  });

  it('writes null tests for every type', () => {
    for (const column of [number, text, when, flag, other]) {
      roundTrip({ kind: 'is_null', column: column.index }, column, 'null');
      roundTrip({ kind: 'not_null', column: column.index }, column, 'not null');
    }
  });

  it('writes a contains as its term, or quoted when the term would read otherwise', () => {
    const c = text.index;
    roundTrip({ kind: 'contains', column: c, term: 'alp' }, text, 'alp');
    roundTrip({ kind: 'contains', column: c, term: 'a..b' }, text, 'a..b');
    roundTrip({ kind: 'contains', column: c, term: '> 5' }, text, '> 5');
    roundTrip({ kind: 'contains', column: 5, term: 'x y' }, other, 'x y');
    // Terms that the box would read as something else.
    for (const term of [
      'null',
      'NOT NULL',
      'is null',
      '= x',
      '=',
      '!=y',
      ' padded ',
      '',
      'contains "x"',
      'starts with "q"'
    ]) {
      const shown = filterText({ kind: 'contains', column: c, term }, text);
      expect(shown).toBe(`contains ${JSON.stringify(term)}`);
      roundTrip({ kind: 'contains', column: c, term }, text);
    }
  });

  it('writes equality of strings with =, and !=', () => {
    const c = text.index;
    roundTrip(
      { kind: 'compare', column: c, op: '=', value: 'alpha' },
      text,
      '= alpha'
    );
    roundTrip(
      { kind: 'compare', column: c, op: '!=', value: 'beta' },
      text,
      '!= beta'
    );
    // A leading = of the value, and `..`, stay the value's.
    roundTrip(
      { kind: 'compare', column: c, op: '=', value: '=x' },
      text,
      '= =x'
    );
    roundTrip({ kind: 'compare', column: c, op: '=', value: '== y' }, text);
    roundTrip({ kind: 'compare', column: c, op: '=', value: 'a..b' }, text);
    roundTrip({ kind: 'compare', column: c, op: '=', value: 'null' }, text);
    roundTrip({ kind: 'compare', column: c, op: '=', value: '' }, text, '= ');
    // The box is trimmed: surrounding spaces of the value are not kept.
    expect(
      parseFilterText(
        filterText({ kind: 'compare', column: c, op: '=', value: ' a ' }, text),
        text
      )
    ).toEqual({ filter: { kind: 'compare', column: c, op: '=', value: 'a' } });
  });

  it('keeps hostile text as text: quotes, HTML, a lone surrogate, 10,000 characters', () => {
    const c = text.index;
    const long = 'ab"c\\'.repeat(2000);
    expect(long.length).toBe(10_000);
    for (const term of [
      'say "hi"',
      '"',
      '\\"',
      '<img onerror=alert(1)>',
      '<img src=x onerror=alert(1)>',
      '\ud800',
      'a\ud800b',
      'tab\there\nnewline',
      long,
      '=' + long
    ]) {
      roundTrip({ kind: 'contains', column: c, term }, text);
      roundTrip({ kind: 'starts_with', column: c, term }, text);
      roundTrip({ kind: 'ends_with', column: c, term }, text);
      if (term.trim() === term) {
        roundTrip({ kind: 'compare', column: c, op: '=', value: term }, text);
      }
    }
    roundTrip(
      { kind: 'contains', column: c, term: '<img onerror=alert(1)>' },
      text,
      '<img onerror=alert(1)>'
    );
  });

  it('writes starts with, ends with as quoted terms that read back', () => {
    const c = text.index;
    roundTrip(
      { kind: 'starts_with', column: c, term: 'x' },
      text,
      'starts with "x"'
    );
    roundTrip(
      { kind: 'ends_with', column: c, term: 'a "b"' },
      text,
      'ends with "a \\"b\\""'
    );
    // Not JSON: the whole text is the term of a contains.
    expect(parseFilterText('starts with "x', text)).toEqual({
      filter: { kind: 'contains', column: c, term: 'starts with "x' }
    });
  });

  it('writes regex and in filters readably (the box replaces them)', () => {
    expect(filterText({ kind: 'regex', column: 1, term: '^a.*z$' }, text)).toBe(
      'matches /^a.*z$/'
    );
    expect(
      filterText({ kind: 'in', column: 1, values: ['a', 'b "c"', 3] }, text)
    ).toBe('in {"a", "b \\"c\\"", 3}');
    expect(filterText({ kind: 'in', column: 3, values: [1, 2] }, number)).toBe(
      'in {1, 2}'
    );
  });
});

describe('columnFilterText', () => {
  const filters: TableFilter[] = [
    { kind: 'compare', column: 3, op: '>', value: 5 },
    { kind: 'contains', column: 1, term: 'a' },
    { kind: 'not_null', column: 3 },
    { kind: 'is_null', column: 3 }
  ];

  it('shows the first filter of the column, and how many more', () => {
    expect(columnFilterText(filters, number)).toBe('> 5 +2');
    expect(columnFilterText(filters, text)).toBe('a');
    expect(columnFilterText(filters, when)).toBe('');
    expect(columnFilterText([], number)).toBe('');
  });
});

describe('replaceColumnFilter', () => {
  const a: TableFilter = { kind: 'compare', column: 3, op: '>', value: 5 };
  const b: TableFilter = { kind: 'contains', column: 1, term: 'x' };
  const c: TableFilter = { kind: 'not_null', column: 3 };
  const d: TableFilter = { kind: 'between', column: 3, low: 1, high: 2 };

  it('replaces the first filter of the column in its place', () => {
    expect(replaceColumnFilter([b, a, c], 3, d)).toEqual([b, d, c]);
  });

  it('removes it for no filter, keeping the others of the column', () => {
    expect(replaceColumnFilter([a, b, c], 3, null)).toEqual([b, c]);
    expect(replaceColumnFilter([c], 3, null)).toEqual([]);
  });

  it('appends a filter to a column that had none', () => {
    const e: TableFilter = { kind: 'is_null', column: 7 };
    expect(replaceColumnFilter([a, b], 7, e)).toEqual([a, b, e]);
    expect(replaceColumnFilter([a, b], 7, null)).toEqual([a, b]);
    expect(replaceColumnFilter([], 7, e)).toEqual([e]);
  });

  it('leaves the list it was given as it was', () => {
    const list = [a, b];
    replaceColumnFilter(list, 3, d);
    replaceColumnFilter(list, 3, null);
    expect(list).toEqual([a, b]);
  });

  it('with parseFilterText: a text edits the column filter, empty removes it', () => {
    const parsed = parseFilterText('0..99999', number);
    expect('filter' in parsed).toBe(true);
    const next = replaceColumnFilter(
      [a, b],
      3,
      'filter' in parsed ? parsed.filter : null
    );
    expect(next).toEqual([
      { kind: 'between', column: 3, low: 0, high: 99999 },
      b
    ]);
    const empty = parseFilterText('   ', number);
    expect(
      replaceColumnFilter(next, 3, 'filter' in empty ? empty.filter : null)
    ).toEqual([b]);
  });
});

describe('the filter row of TableDataModel', () => {
  function setup() {
    const model = new TableDataModel({
      fetch: () => new Promise(() => undefined),
      schedule: () => undefined,
      filterMarks: { none: 'any', refused: 'none here', corner: 'filters' }
    });
    model.reset({
      generation: 0,
      rowCount: 10,
      columns: [
        { index: 0, name: 'x', display_type: 'number' },
        { index: 7, name: 's', display_type: 'string' }
      ],
      labelLevels: [{ name: 'idx' }]
    });
    const changes: DataModel.ChangedArgs[] = [];
    model.changed.connect((_, args) => changes.push(args));
    return { model, changes };
  }

  it('is the second row of the column headers, dim without a filter', () => {
    const { model } = setup();
    expect(model.rowCount('column-header')).toBe(2);
    expect(model.data('column-header', 0, 0)).toBe('x');
    const none = model.data('column-header', 1, 0);
    expect(none).toBeInstanceOf(CellMark);
    expect(none.text).toBe('any');
    expect(model.data('corner-header', 0, 0)).toBe('idx');
    const corner = model.data('corner-header', 1, 0);
    expect(corner).toBeInstanceOf(CellMark);
    expect(corner.text).toBe('filters');
    // Past the columns: nothing.
    expect(model.data('column-header', 1, 5)).toBe('');
  });

  it('shows each column text, and repaints only the filter row when it changes', () => {
    const { model, changes } = setup();
    model.setFilterRow(['> 5', ''], null);
    expect(model.data('column-header', 1, 0)).toBe('> 5');
    expect(model.data('column-header', 1, 1)).toBeInstanceOf(CellMark);
    expect(model.filterCellText(0)).toBe('> 5');
    expect(model.filterCellText(1)).toBe('');
    expect(changes).toEqual([
      {
        type: 'cells-changed',
        region: 'column-header',
        row: 1,
        column: 0,
        rowSpan: 1,
        columnSpan: 2
      }
    ]);
    model.setFilterRow(['> 5', ''], null);
    expect(changes).toHaveLength(1);
    // Sort marks stay on row 0.
    model.setSortMarks([{ column: 0, ascending: true }]);
    expect(model.data('column-header', 0, 0)).toBe('x ↑');
    expect(model.data('column-header', 1, 0)).toBe('> 5');
  });

  it('says when the view takes no filters', () => {
    const { model } = setup();
    model.setFilterRow(['', ''], 'a lazy source');
    for (const c of [0, 1]) {
      const cell = model.data('column-header', 1, c);
      expect(cell).toBeInstanceOf(CellMark);
      expect(cell.text).toBe('none here');
    }
  });

  it('shows hostile text as it is', () => {
    const { model } = setup();
    model.setFilterRow(['', '<img src=x onerror=alert(1)>'], null);
    expect(model.data('column-header', 1, 1)).toBe(
      '<img src=x onerror=alert(1)>'
    );
  });
});
