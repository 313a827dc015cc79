/*
 * The Data Explorer's messages as the front end reads them: the requests it
 * sends and the answers and iopub messages it gets (the contract of the
 * server's `table_*` custom messages).
 */

/**
 * How the kernel says what a column holds.
 */
export type DisplayType =
  | 'number'
  | 'boolean'
  | 'string'
  | 'datetime'
  | 'date'
  | 'time'
  | 'interval'
  | 'object'
  | 'unknown';

/**
 * The special values of a page, sent as integer codes (every other value is
 * a string).
 */
export const SpecialValue = {
  null: 0,
  NaN: 1,
  NaT: 2,
  posInf: 3,
  negInf: 4
} as const;

/**
 * A value of a page: the kernel's text of it, or a special value's code.
 */
export type CellValue = string | number;

/**
 * The text a special value code is shown as.
 */
export function specialText(code: number): string {
  switch (code) {
    case SpecialValue.null:
      return 'null';
    case SpecialValue.NaN:
      return 'NaN';
    case SpecialValue.NaT:
      return 'NaT';
    case SpecialValue.posInf:
      return 'inf';
    case SpecialValue.negInf:
      return '-inf';
    default:
      return '?';
  }
}

/**
 * The text of any value of a page.
 */
export function valueText(value: CellValue | null | undefined): string {
  if (typeof value === 'number') {
    return specialText(value);
  }
  return value ?? '';
}

/**
 * One column of a view's schema.
 */
export interface ITableColumn {
  index: number;
  name: string | null;
  dtype?: string;
  display_type?: DisplayType | string;
  levels?: unknown[];
  categories?: unknown[];
}

/**
 * One level of a view's row labels.
 */
export interface ILabelLevel {
  name: string | null;
  dtype?: string;
  display_type?: DisplayType | string;
}

/**
 * A page of rows: the `return` of `table_rows`, and `first` of
 * `table_open`.
 */
export interface IPage {
  generation: number;
  start: number;
  count: number;
  columns: { index: number; values: CellValue[]; clipped?: number[] }[];
  labels: CellValue[][];
  positions?: number[];
  truncated?: boolean;
  omitted_columns?: number[];
  /**
   * The view's rows, when a page of a lazy source says them (`null` until
   * its last row was paged).
   */
  row_count?: number | null;
}

/**
 * The answer to a request for an older generation of a view.
 */
export interface IStaleAnswer {
  stale: true;
  generation: number;
}

/**
 * Whether an answer says the view moved on.
 */
export function isStale(answer: unknown): answer is IStaleAnswer {
  return (
    !!answer &&
    typeof answer === 'object' &&
    (answer as { stale?: unknown }).stale === true
  );
}

/**
 * The `return` of `table_open`.
 */
export interface IOpenReply {
  view: string;
  generation: number;
  kind: string;
  shape: [number | null, number];
  columns: ITableColumn[];
  columns_truncated?: boolean;
  row_label_levels: ILabelLevel[];
  features?: { [name: string]: unknown };
  first?: IPage;
}

/**
 * One key of a sort.
 */
export interface ISortKey {
  column: number;
  ascending: boolean;
}

/**
 * A filter of `table_filter`.
 */
export type TableFilter =
  | {
      kind: 'compare';
      column: number;
      op: '=' | '!=' | '<' | '<=' | '>' | '>=';
      value: string | number | boolean;
    }
  | {
      kind: 'between';
      column: number;
      low: string | number;
      high: string | number;
    }
  | { kind: 'is_null' | 'not_null'; column: number }
  | {
      kind: 'contains' | 'starts_with' | 'ends_with' | 'regex';
      column: number;
      term: string;
      case_sensitive?: boolean;
    }
  | { kind: 'in'; column: number; values: (string | number | boolean)[] };

/**
 * The `return` of `table_sort` and `table_filter`.
 */
export interface IViewChange {
  generation: number;
  row_count: number;
}

/**
 * A progress message of a slow request (`table_sort_response`, ...).
 */
export interface IProgress {
  view?: string;
  task?: string;
  progress?: number;
  stage?: string;
  generation?: number;
  sorted_rows?: number;
}

/**
 * The profile of one column.
 */
export interface IColumnProfile {
  index: number;
  display_type?: string;
  count?: number;
  null_count?: number;
  /**
   * Floats: the NaN, +inf and -inf values, when the kernel counts them
   * apart from `count` and `null_count`.
   */
  nan_count?: number;
  pos_inf_count?: number;
  neg_inf_count?: number;
  stats?: {
    min?: CellValue;
    max?: CellValue;
    mean?: CellValue;
    std?: CellValue;
  };
  quantiles?: { q: number; value: CellValue }[];
  histogram?: { counts: number[]; edges: CellValue[] };
  top?: { value: CellValue; count: number }[];
  distinct?: number;
  other?: number;
}

/**
 * The answer of `table_profile` (a response or the reply).
 */
export interface IProfile {
  generation: number;
  row_count: number;
  approximate: boolean;
  sample_rows?: number;
  columns: IColumnProfile[];
}

/**
 * The `return` of `table_export`.
 */
export interface IExport {
  generation: number;
  format: string;
  mime: string;
  text: string;
  rows: number;
  truncated: boolean;
}

/**
 * The content of a `table_find` request (the view is added).
 */
export interface IFindRequest {
  generation: number;
  text: string;
  case_sensitive: boolean;
  columns: number[];
  row: number;
  column: number;
  direction: 'next' | 'previous';
}

/**
 * The `return` of `table_find`: the matching cell (a row position in the
 * view and a column's kernel index), or `null`.
 */
export interface IFindAnswer {
  generation: number;
  match: { row: number; column: number } | null;
  wrapped: boolean;
  scanned_rows: number;
}

/**
 * Why a `table_update` was sent.
 */
export type UpdateReason = 'reassigned' | 'mutated' | 'deleted' | 'restarted';

/**
 * The content of a `table_update` iopub message.
 */
export interface ITableUpdate {
  view: string;
  name: string;
  reason: UpdateReason | string;
  closed: boolean;
  generation?: number;
  shape?: [number | null, number];
  columns?: ITableColumn[];
  row_count?: number;
  sort?: ISortKey[];
  filters?: TableFilter[];
  dropped?: { sort?: ISortKey[]; filters?: TableFilter[] };
}

/**
 * The message types of the Data Explorer.
 */
export const TABLE_MESSAGES = {
  open: 'table_open',
  rows: 'table_rows',
  sort: 'table_sort',
  filter: 'table_filter',
  close: 'table_close',
  profile: 'table_profile',
  export: 'table_export',
  cancel: 'table_cancel',
  find: 'table_find',
  update: 'table_update'
} as const;
