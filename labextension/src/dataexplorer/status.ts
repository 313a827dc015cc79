import type { TranslationBundle } from '@jupyterlab/translation';

/**
 * Where a view stands.
 *
 * - `opening`: `table_open` is on its way;
 * - `ready`: the view is shown;
 * - `sorting`, `filtering`: a sort or filter runs in the kernel;
 * - `error`: the last request failed (the view, if any, is still shown);
 * - `closed`: the view is gone (kernel restarted, variable deleted, ...).
 */
export type ViewState =
  'opening' | 'ready' | 'sorting' | 'filtering' | 'error' | 'closed';

/**
 * What the status line says: a snapshot of a view.
 */
export interface IStatusInfo {
  state: ViewState;
  /**
   * The rows of the variable, or `null` when unknown.
   */
  totalRows: number | null;
  /**
   * The columns of the variable.
   */
  columns: number;
  /**
   * The rows that pass the filters, or `null` without filters.
   */
  filteredRows: number | null;
  /**
   * The sort keys, by column name.
   */
  sort: readonly { name: string; ascending: boolean }[];
  /**
   * How far the running sort or filter is, 0..1, or `null`.
   */
  progress?: number | null;
  /**
   * Whether a cell runs in the kernel (what is shown may change after it).
   */
  busy?: boolean;
  /**
   * The error of the `error` state, or why the view is `closed`.
   */
  message?: string;
}

/**
 * Digits grouped by thousands with commas, whatever the locale: the status
 * line is read by tests and people alike.
 */
export function formatCount(n: number): string {
  return new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 }).format(n);
}

/**
 * The shape part: `10,000,000 rows × 10 columns · 1,234,567 after filter ·
 * sorted by b ↓`.
 */
export function shapeText(info: IStatusInfo, trans: TranslationBundle): string {
  const parts: string[] = [];
  const rows =
    info.totalRows === null
      ? trans.__('? rows')
      : trans
          ._n('%1 row', '%1 rows', info.totalRows)
          .replace(String(info.totalRows), formatCount(info.totalRows));
  const columns = trans
    ._n('%1 column', '%1 columns', info.columns)
    .replace(String(info.columns), formatCount(info.columns));
  parts.push(`${rows} × ${columns}`);
  if (info.filteredRows !== null) {
    parts.push(trans.__('%1 after filter', formatCount(info.filteredRows)));
  }
  if (info.sort.length > 0) {
    const keys = info.sort
      .map(key => `${key.name} ${key.ascending ? '↑' : '↓'}`)
      .join(', ');
    parts.push(trans.__('sorted by %1', keys));
  }
  return parts.join(' · ');
}

/**
 * The status line's text and the state it shows (`busy` refines `ready`).
 */
export function statusText(
  info: IStatusInfo,
  trans: TranslationBundle
): { state: string; text: string } {
  const percent =
    typeof info.progress === 'number'
      ? ` ${Math.round(Math.max(0, Math.min(1, info.progress)) * 100)}%`
      : '';
  switch (info.state) {
    case 'opening':
      return { state: 'opening', text: trans.__('Loading…') };
    case 'closed':
      return {
        state: 'closed',
        text: info.message || trans.__('The view is closed.')
      };
    case 'sorting':
      return {
        state: 'sorting',
        text: `${shapeText(info, trans)} · ${trans.__('sorting…')}${percent}`
      };
    case 'filtering':
      return {
        state: 'filtering',
        text: `${shapeText(info, trans)} · ${trans.__('filtering…')}${percent}`
      };
    case 'error':
      return {
        state: 'error',
        text: info.message || trans.__('Something went wrong.')
      };
  }
  const text = shapeText(info, trans);
  if (info.busy) {
    return {
      state: 'busy',
      text: `${text} · ${trans.__('kernel busy: may change when the cell ends')}`
    };
  }
  return { state: 'ready', text };
}
