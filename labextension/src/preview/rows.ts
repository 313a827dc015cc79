import type {
  ReadonlyPartialJSONObject,
  ReadonlyPartialJSONValue
} from '@lumino/coreutils';

import type {
  ColumnId,
  IPreviewContent,
  IPreviewRow,
  ISortOrder,
  IVariableMetadata
} from '../tokens';

/**
 * The MIME type of the metadata entry the server adds to every variable's
 * bundle. It feeds the table's columns and is never rendered.
 */
export const VARIABLE_MIME_TYPE = 'application/vnd.beaker.variable+json';

/**
 * The item types (groups) of a preview, in the order the panel lists them
 * when rows are not sorted otherwise.
 */
export const ITEM_TYPES = [
  'variables',
  'tables',
  'arrays',
  'figures',
  'functions',
  'classes'
] as const;

/**
 * The columns the panel can show besides the always shown name, in order.
 */
export const COLUMNS: readonly ColumnId[] = ['type', 'shape', 'size', 'value'];

/**
 * The known columns among `value` (a setting), in table order; every column
 * when `value` is not a list.
 */
export function readColumns(value: unknown): readonly ColumnId[] {
  return Array.isArray(value)
    ? COLUMNS.filter(column => (value as unknown[]).includes(column))
    : COLUMNS;
}

/**
 * The rows of a preview, or `null` when it is not one.
 *
 * #### Notes
 * Known item types come first, in their order; unknown ones after them.
 * Entries that are not MIME bundles are skipped.
 */
export function readRows(content: IPreviewContent): IPreviewRow[] | null {
  if (!content || typeof content !== 'object') {
    return null;
  }
  const groups = content.preview;
  if (!groups || typeof groups !== 'object' || Array.isArray(groups)) {
    return null;
  }
  const itemTypes = [
    ...ITEM_TYPES.filter(itemType => itemType in groups),
    ...Object.keys(groups).filter(
      itemType => !(ITEM_TYPES as readonly string[]).includes(itemType)
    )
  ];
  const rows: IPreviewRow[] = [];
  for (const itemType of itemTypes) {
    const items = groups[itemType];
    if (!items || typeof items !== 'object') {
      continue;
    }
    for (const [name, bundle] of Object.entries(items)) {
      if (bundle && typeof bundle === 'object') {
        rows.push(readRow(itemType, name, bundle));
      }
    }
  }
  return rows;
}

/**
 * One row: the metadata entry read into columns, the rest kept to render.
 */
export function readRow(
  itemType: string,
  name: string,
  bundle: ReadonlyPartialJSONObject
): IPreviewRow {
  const raw = bundle[VARIABLE_MIME_TYPE];
  const meta: IVariableMetadata =
    raw && typeof raw === 'object' && !Array.isArray(raw)
      ? (raw as IVariableMetadata)
      : {};
  const data: { [mimeType: string]: ReadonlyPartialJSONValue | undefined } = {};
  for (const [mimeType, value] of Object.entries(bundle)) {
    if (mimeType !== VARIABLE_MIME_TYPE) {
      data[mimeType] = value;
    }
  }
  const plain =
    typeof data['text/plain'] === 'string' ? data['text/plain'] : '';
  return {
    name,
    itemType,
    type: typeof meta.type === 'string' ? meta.type : '',
    module: typeof meta.module === 'string' ? meta.module : '',
    shape: readShape(meta.shape),
    dtype: typeof meta.dtype === 'string' ? meta.dtype : null,
    bytes: typeof meta.bytes === 'number' ? meta.bytes : null,
    summary:
      typeof meta.summary === 'string'
        ? meta.summary
        : (plain as string).split('\n', 1)[0],
    changed: meta.changed === true,
    bundle: data
  };
}

function readShape(shape: unknown): IPreviewRow['shape'] {
  if (typeof shape === 'number') {
    return shape;
  }
  if (Array.isArray(shape) && shape.every(n => typeof n === 'number')) {
    return shape as number[];
  }
  return null;
}

/**
 * The date of an ISO 8601 text, or `null`.
 */
export function parseTime(time: unknown): Date | null {
  if (typeof time !== 'string') {
    return null;
  }
  const date = new Date(time);
  return Number.isNaN(date.getTime()) ? null : date;
}

/**
 * The rows whose name or type contains `filter`, ignoring case.
 */
export function filterRows(
  rows: readonly IPreviewRow[],
  filter: string
): IPreviewRow[] {
  const needle = filter.trim().toLowerCase();
  if (!needle) {
    return [...rows];
  }
  return rows.filter(
    row =>
      row.name.toLowerCase().includes(needle) ||
      row.type.toLowerCase().includes(needle)
  );
}

const collator = new Intl.Collator(undefined, {
  numeric: true,
  sensitivity: 'base'
});

/**
 * A number to sort shapes by: the element count of a shape, a length.
 */
function shapeSize(shape: IPreviewRow['shape']): number | null {
  if (typeof shape === 'number') {
    return shape;
  }
  if (Array.isArray(shape)) {
    return shape.reduce((product, n) => product * n, 1);
  }
  return null;
}

/**
 * Compare two possibly unknown values; unknown ones go last whatever the
 * direction.
 */
function compareKnown<T>(
  a: T | null,
  b: T | null,
  compare: (a: T, b: T) => number,
  sign: number
): number {
  if (a === null || b === null) {
    return a === b ? 0 : a === null ? 1 : -1;
  }
  return sign * compare(a, b);
}

/**
 * The rows in `order` (sorted in place); ties are broken by name.
 */
export function sortRows(
  rows: IPreviewRow[],
  order: ISortOrder
): IPreviewRow[] {
  const sign = order.direction === 'ascending' ? 1 : -1;
  const byNumber = (a: number, b: number) => a - b;
  const byText = (a: string, b: string) => collator.compare(a, b);
  const compare = (a: IPreviewRow, b: IPreviewRow): number => {
    switch (order.key) {
      case 'type':
        return sign * byText(a.type, b.type);
      case 'shape':
        return compareKnown(
          shapeSize(a.shape),
          shapeSize(b.shape),
          byNumber,
          sign
        );
      case 'size':
        return compareKnown(a.bytes, b.bytes, byNumber, sign);
      case 'value':
        return sign * byText(a.summary, b.summary);
      default:
        return sign * byText(a.name, b.name);
    }
  };
  return rows.sort(
    (a, b) =>
      compare(a, b) || byText(a.name, b.name) || (a.name < b.name ? -1 : 1)
  );
}
