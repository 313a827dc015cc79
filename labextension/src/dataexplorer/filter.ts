import type { ITableColumn, TableFilter } from './protocol';

/**
 * What a filter box's text means: a filter, nothing (an empty box), or why
 * it cannot be read.
 */
export type ParsedFilter =
  { filter: TableFilter } | { filter: null } | { error: string };

const COMPARE = /^(>=|<=|!=|==|=|>|<)\s*(.*)$/s;
const BETWEEN = /^(.+?)\s*\.\.\s*(.+)$/s;

/**
 * The display types whose values are ordered (compare and between apply).
 */
const ORDERED = ['number', 'datetime', 'date', 'time', 'interval'];

/**
 * Read the text of a column's filter box.
 *
 * - any column: `null` (or `is null`) and `not null`;
 * - numbers, dates and times: `> 5`, `>= 5`, `< 5`, `<= 5`, `= 7`, `!= 7`,
 *   `1..10` (between, both ends included), and a bare value (equal);
 * - booleans: `true`, `false` (with or without `=`);
 * - strings and the rest: the text is looked for (contains, ignoring
 *   case); `= text` is equality, `!= text` inequality.
 *
 * Numbers are checked here; dates and times are sent as written (ISO 8601)
 * and checked by the kernel.
 */
export function parseFilterText(
  text: string,
  column: Pick<ITableColumn, 'index' | 'display_type'>
): ParsedFilter {
  const trimmed = text.trim();
  const index = column.index;
  if (!trimmed) {
    return { filter: null };
  }
  const lower = trimmed.toLowerCase();
  if (lower === 'null' || lower === 'is null') {
    return { filter: { kind: 'is_null', column: index } };
  }
  if (lower === 'not null' || lower === 'is not null') {
    return { filter: { kind: 'not_null', column: index } };
  }
  const type = column.display_type ?? 'unknown';
  if (type === 'boolean') {
    const bare = lower.replace(/^==?\s*/, '');
    if (bare === 'true' || bare === 'false') {
      return {
        filter: {
          kind: 'compare',
          column: index,
          op: '=',
          value: bare === 'true'
        }
      };
    }
    return { error: 'true or false' };
  }
  if (ORDERED.includes(type)) {
    const number = type === 'number';
    const read = (value: string): string | number | null => {
      const v = value.trim();
      if (!v) {
        return null;
      }
      if (!number) {
        return v;
      }
      const n = Number(v);
      return Number.isFinite(n) ? n : null;
    };
    const compare = COMPARE.exec(trimmed);
    if (compare) {
      const value = read(compare[2]);
      if (value === null) {
        return { error: number ? 'a number after the operator' : 'a value' };
      }
      const op = compare[1] === '==' ? '=' : compare[1];
      return {
        filter: {
          kind: 'compare',
          column: index,
          op: op as '=' | '!=' | '<' | '<=' | '>' | '>=',
          value
        }
      };
    }
    const between = BETWEEN.exec(trimmed);
    if (between) {
      const low = read(between[1]);
      const high = read(between[2]);
      if (low === null || high === null) {
        return { error: number ? 'two numbers: low..high' : 'low..high' };
      }
      return { filter: { kind: 'between', column: index, low, high } };
    }
    const value = read(trimmed);
    if (value === null) {
      return { error: 'a number, or > 5, <= 3, = 7, 1..10' };
    }
    return { filter: { kind: 'compare', column: index, op: '=', value } };
  }
  const compare = /^(!=|==|=)\s*(.*)$/s.exec(trimmed);
  if (compare) {
    return {
      filter: {
        kind: 'compare',
        column: index,
        op: compare[1] === '!=' ? '!=' : '=',
        value: compare[2]
      }
    };
  }
  return { filter: { kind: 'contains', column: index, term: trimmed } };
}

/**
 * A filter in a few words, for its chip: `a > 5`, `b contains "x"`.
 */
export function describeFilter(filter: TableFilter, name: string): string {
  switch (filter.kind) {
    case 'compare':
      return `${name} ${filter.op} ${formatValue(filter.value)}`;
    case 'between':
      return `${name} in ${formatValue(filter.low)}..${formatValue(filter.high)}`;
    case 'is_null':
      return `${name} is null`;
    case 'not_null':
      return `${name} is not null`;
    case 'in':
      return `${name} in {${filter.values.map(formatValue).join(', ')}}`;
    case 'starts_with':
      return `${name} starts with ${JSON.stringify(filter.term)}`;
    case 'ends_with':
      return `${name} ends with ${JSON.stringify(filter.term)}`;
    case 'regex':
      return `${name} matches /${filter.term}/`;
    default:
      return `${name} contains ${JSON.stringify(filter.term)}`;
  }
}

function formatValue(value: string | number | boolean): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
