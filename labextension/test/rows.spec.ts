import type { IPreviewRow, ISortOrder } from '../src/tokens';
import {
  COLUMNS,
  VARIABLE_MIME_TYPE,
  filterRows,
  parseTime,
  readColumns,
  readRows,
  sortRows
} from '../src/preview/rows';

/**
 * A row with defaults for what a test does not care about.
 */
function row(fields: Partial<IPreviewRow> & { name: string }): IPreviewRow {
  return {
    itemType: 'variables',
    type: '',
    module: '',
    shape: null,
    dtype: null,
    bytes: null,
    summary: '',
    changed: false,
    bundle: {},
    ...fields
  };
}

const names = (rows: readonly IPreviewRow[]) => rows.map(r => r.name);

describe('readRows', () => {
  it('reads the metadata entry into columns and keeps the rest to render', () => {
    const rows = readRows({
      preview: {
        tables: {
          df: {
            'text/html': '<table></table>',
            'text/plain': 'a b\n0 1',
            [VARIABLE_MIME_TYPE]: {
              type: 'DataFrame',
              module: 'pandas.core.frame',
              shape: [1000, 2],
              bytes: 16128,
              changed: true
            }
          }
        }
      }
    });
    expect(rows).toHaveLength(1);
    const [df] = rows!;
    expect(df).toMatchObject({
      name: 'df',
      itemType: 'tables',
      type: 'DataFrame',
      module: 'pandas.core.frame',
      shape: [1000, 2],
      dtype: null,
      bytes: 16128,
      changed: true,
      // No summary: the first line of the plain text.
      summary: 'a b'
    });
    expect(Object.keys(df.bundle).sort()).toEqual(['text/html', 'text/plain']);
  });

  it('lists known item types first, in their order, then unknown ones', () => {
    const rows = readRows({
      preview: {
        custom: { c: { 'text/plain': 'c' } },
        figures: { f: { 'text/plain': 'f' } },
        variables: { v: { 'text/plain': 'v' } }
      }
    });
    expect(names(rows!)).toEqual(['v', 'f', 'c']);
  });

  it('turns odd metadata into unknowns', () => {
    const [x] = readRows({
      preview: {
        variables: {
          x: {
            [VARIABLE_MIME_TYPE]: {
              type: 3,
              shape: ['a'],
              bytes: '12',
              summary: 'short'
            } as any
          }
        }
      }
    })!;
    expect(x).toMatchObject({
      type: '',
      shape: null,
      bytes: null,
      summary: 'short',
      changed: false
    });
  });

  it('keeps a length as a number', () => {
    const [l] = readRows({
      preview: {
        variables: { l: { [VARIABLE_MIME_TYPE]: { shape: 3 } } }
      }
    })!;
    expect(l.shape).toBe(3);
  });

  it('skips entries that are not bundles, refuses what is no preview', () => {
    expect(
      readRows({ preview: { variables: { a: 1 as any, b: {} } } })!.map(
        r => r.name
      )
    ).toEqual(['b']);
    expect(readRows(null as any)).toBeNull();
    expect(readRows({ preview: [] as any })).toBeNull();
    expect(readRows({} as any)).toBeNull();
  });
});

describe('filterRows', () => {
  const rows = [
    row({ name: 'df', type: 'DataFrame' }),
    row({ name: 'frames', type: 'list' }),
    row({ name: 'x', type: 'int' })
  ];

  it('matches names and types, ignoring case and outer spaces', () => {
    expect(names(filterRows(rows, ' FRAME '))).toEqual(['df', 'frames']);
    expect(names(filterRows(rows, 'int'))).toEqual(['x']);
  });

  it('keeps every row for an empty filter, as a copy', () => {
    const all = filterRows(rows, '  ');
    expect(names(all)).toEqual(['df', 'frames', 'x']);
    expect(all).not.toBe(rows);
  });
});

describe('sortRows', () => {
  const sorted = (key: ISortOrder['key'], direction: ISortOrder['direction']) =>
    names(sortRows(rows(), { key, direction }));
  const rows = () => [
    row({ name: 'b10', type: 'int', bytes: 28, summary: 'z' }),
    row({ name: 'b2', type: 'DataFrame', shape: [10, 2], bytes: null }),
    row({ name: 'a', type: 'list', shape: 3, bytes: 1024, summary: 'a' })
  ];

  it('sorts names naturally', () => {
    expect(sorted('name', 'ascending')).toEqual(['a', 'b2', 'b10']);
    expect(sorted('name', 'descending')).toEqual(['b10', 'b2', 'a']);
  });

  it('puts unknown sizes last in both directions', () => {
    expect(sorted('size', 'ascending')).toEqual(['b10', 'a', 'b2']);
    expect(sorted('size', 'descending')).toEqual(['a', 'b10', 'b2']);
  });

  it('sorts shapes by element count, lengths as counts', () => {
    expect(sorted('shape', 'ascending')).toEqual(['a', 'b2', 'b10']);
  });

  it('sorts types ignoring case and breaks ties by name', () => {
    const tied = [
      row({ name: 'y', type: 'int' }),
      row({ name: 'x', type: 'Int' })
    ];
    expect(
      names(sortRows(tied, { key: 'type', direction: 'ascending' }))
    ).toEqual(['x', 'y']);
  });
});

describe('parseTime', () => {
  it('reads ISO 8601 and refuses the rest', () => {
    expect(parseTime('2026-11-23T22:30:00+00:00')?.toISOString()).toBe(
      '2026-11-23T22:30:00.000Z'
    );
    expect(parseTime('yesterday')).toBeNull();
    expect(parseTime(12)).toBeNull();
  });
});

describe('readColumns', () => {
  it('keeps the known columns in table order', () => {
    expect(readColumns(['value', 'type', 'nope'])).toEqual(['type', 'value']);
    expect(readColumns(undefined)).toEqual(COLUMNS);
    expect(readColumns([])).toEqual([]);
  });
});
