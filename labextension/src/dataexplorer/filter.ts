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
 * `contains "x"`, `starts with "x"`, `ends with "x"`: a term written as a
 * JSON string (any text, quotes and spaces included).
 */
const QUOTED = /^(contains|starts\s+with|ends\s+with)\s*("(?:[^"\\]|\\.)*")$/is;

/**
 * Read the text of a column's filter box.
 *
 * - any column: `null` (or `is null`) and `not null`;
 * - numbers, dates and times: `> 5`, `>= 5`, `< 5`, `<= 5`, `= 7`, `!= 7`,
 *   `1..10` (between, both ends included), and a bare value (equal);
 * - booleans: `true`, `false` (with or without `=`);
 * - strings and the rest: the text is looked for (contains, ignoring
 *   case); `= text` is equality, `!= text` inequality; `contains "x"`,
 *   `starts with "x"` and `ends with "x"` take the term as a JSON string
 *   (for a term that would read otherwise: `"null"`, `"= x"`, spaces).
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
  const quoted = QUOTED.exec(trimmed);
  if (quoted) {
    const term = readJsonString(quoted[2]);
    if (term !== null) {
      const kind = quoted[1].toLowerCase().replace(/\s+/, '_') as
        'contains' | 'starts_with' | 'ends_with';
      return { filter: { kind, column: index, term } };
    }
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

/**
 * The text of a filter box that {@link parseFilterText} reads back to
 * `filter` (for `column`): `> 5`, `1..10`, `null`, `not null`, `= text`, the
 * term of a contains. A filter the box cannot write (`in`, `regex`, a
 * comparison of a string column other than `=`/`!=`) gets a readable text
 * that need not read back; editing the box replaces it.
 *
 * Surrounding spaces of an equality's value are not kept (the box is
 * trimmed).
 */
export function filterText(
  filter: TableFilter,
  column: Pick<ITableColumn, 'index' | 'display_type'>
): string {
  const type = column.display_type ?? 'unknown';
  switch (filter.kind) {
    case 'is_null':
      return 'null';
    case 'not_null':
      return 'not null';
    case 'compare': {
      const { op, value } = filter;
      if (type === 'boolean' && typeof value === 'boolean' && op === '=') {
        return String(value);
      }
      return `${op} ${valueText(value)}`;
    }
    case 'between':
      return `${valueText(filter.low)}..${valueText(filter.high)}`;
    case 'contains': {
      const back = parseFilterText(filter.term, column);
      const plain =
        'filter' in back &&
        back.filter?.kind === 'contains' &&
        back.filter.term === filter.term;
      return plain ? filter.term : `contains ${JSON.stringify(filter.term)}`;
    }
    case 'starts_with':
      return `starts with ${JSON.stringify(filter.term)}`;
    case 'ends_with':
      return `ends with ${JSON.stringify(filter.term)}`;
    case 'regex':
      return `matches /${filter.term}/`;
    case 'in':
      return `in {${filter.values.map(formatValue).join(', ')}}`;
    default:
      return '';
  }
}

/**
 * The text a filter row shows for `column`: that of the first filter of
 * the column, with ` +n` when n more filters are on it; empty for none.
 */
export function columnFilterText(
  filters: readonly TableFilter[],
  column: Pick<ITableColumn, 'index' | 'display_type'>
): string {
  const on = filters.filter(f => f.column === column.index);
  if (on.length === 0) {
    return '';
  }
  const text = filterText(on[0], column);
  return on.length > 1 ? `${text} +${on.length - 1}` : text;
}

/**
 * `filters` with the first filter of column `index` replaced by `filter`
 * (in its place), removed when `filter` is `null`, or `filter` appended
 * when the column had none.
 */
export function replaceColumnFilter(
  filters: readonly TableFilter[],
  index: number,
  filter: TableFilter | null
): TableFilter[] {
  const at = filters.findIndex(f => f.column === index);
  if (at < 0) {
    return filter ? [...filters, filter] : [...filters];
  }
  const next = [...filters];
  if (filter) {
    next[at] = filter;
  } else {
    next.splice(at, 1);
  }
  return next;
}

/**
 * A value as a filter box writes it: a number as JavaScript writes it
 * (`-0` kept), a string as it is.
 */
function valueText(value: string | number | boolean): string {
  if (typeof value === 'number' && Object.is(value, -0)) {
    return '-0';
  }
  return String(value);
}

/**
 * The string a JSON string literal holds, or `null`.
 */
function readJsonString(text: string): string | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'string' ? value : null;
  } catch {
    return null;
  }
}
