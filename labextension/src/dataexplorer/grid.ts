import {
  BasicKeyHandler,
  BasicMouseHandler,
  DataGrid,
  TextRenderer
} from '@lumino/datagrid';
import type { CellRenderer } from '@lumino/datagrid';
import { Platform } from '@lumino/domutils';

import { CellMark } from './model';
import type { ITableColumn } from './protocol';

/*
 * What the Data Explorer's grid adds to `@lumino/datagrid`: colours and
 * fonts from JupyterLab's theme, cell renderers that dim placeholders and
 * special values, first column widths, and key and mouse handlers (copy
 * through the kernel, sort by a header click).
 */

/**
 * Paint `grid` with the theme's colours and fonts (read now: call again
 * after a theme change).
 */
export function applyTheme(grid: DataGrid): void {
  const theme = readTheme();
  grid.style = theme.style;
  const body = new TextRenderer({
    font: theme.cellFont,
    textColor: ({ value }: CellRenderer.CellConfig) =>
      value instanceof CellMark
        ? value.kind === 'error'
          ? theme.errorColor
          : theme.dimColor
        : theme.textColor,
    horizontalAlignment: ({ metadata }: CellRenderer.CellConfig) =>
      metadata.type === 'number' ? 'right' : 'left',
    format
  });
  // Row 1 of the headers is the filter row: the cells' font, dim marks.
  const header = new TextRenderer({
    font: ({ row }: CellRenderer.CellConfig) =>
      row === 1 ? theme.cellFont : theme.headerFont,
    textColor: ({ value, row }: CellRenderer.CellConfig) =>
      value instanceof CellMark
        ? theme.dimColor
        : row === 1
          ? theme.textColor
          : theme.headerColor,
    horizontalAlignment: 'left',
    format
  });
  const labels = new TextRenderer({
    font: theme.cellFont,
    textColor: ({ value }: CellRenderer.CellConfig) =>
      value instanceof CellMark ? theme.dimColor : theme.labelColor,
    horizontalAlignment: 'left',
    format
  });
  grid.cellRenderers.update({
    body,
    'column-header': header,
    'corner-header': header,
    'row-header': labels
  });
}

/**
 * The first width of a column, by what it holds.
 */
const TYPE_WIDTHS: { [type: string]: number } = {
  number: 100,
  boolean: 70,
  string: 150,
  datetime: 170,
  date: 100,
  time: 100,
  interval: 150,
  object: 150
};

/**
 * The width a column starts with: wide enough for its name and for what
 * it holds (a date and time is wider than a number).
 */
export function initialWidth(column: ITableColumn): number {
  const name = String(column.name ?? column.index);
  const byType = TYPE_WIDTHS[column.display_type ?? ''] ?? 120;
  return Math.min(320, Math.max(byType, name.length * 8 + 36));
}

/**
 * The text of a cell.
 */
function format({ value }: CellRenderer.CellConfig): string {
  if (value instanceof CellMark) {
    return value.text;
  }
  return value === null || value === undefined ? '' : String(value);
}

/**
 * The grid's colours and fonts, from JupyterLab's CSS variables.
 */
function readTheme(): {
  style: DataGrid.Style;
  cellFont: string;
  headerFont: string;
  textColor: string;
  dimColor: string;
  errorColor: string;
  headerColor: string;
  labelColor: string;
} {
  const css = getComputedStyle(document.body);
  const get = (name: string, fallback: string) =>
    css.getPropertyValue(name).trim() || fallback;
  const background = get('--jp-layout-color0', '#ffffff');
  const stripe = get('--jp-rendermime-table-row-background', background);
  const header = get('--jp-layout-color2', '#eeeeee');
  const brand = get('--jp-brand-color1', '#1976d2');
  const border = get('--jp-border-color2', '#e0e0e0');
  const border3 = get('--jp-border-color3', '#eeeeee');
  const codeFont = get('--jp-code-font-family', 'monospace');
  const codeSize = get('--jp-code-font-size', '13px');
  const uiFont = get('--jp-ui-font-family', 'sans-serif');
  const uiSize = get('--jp-ui-font-size1', '13px');
  return {
    style: {
      ...DataGrid.defaultStyle,
      voidColor: background,
      backgroundColor: background,
      rowBackgroundColor: (i: number) => (i % 2 === 1 ? stripe : background),
      gridLineColor: border3,
      headerBackgroundColor: header,
      headerGridLineColor: border,
      selectionFillColor: withAlpha(brand, 0.2),
      selectionBorderColor: brand,
      cursorBorderColor: brand,
      cursorFillColor: withAlpha(brand, 0.08),
      headerSelectionFillColor: withAlpha(brand, 0.25),
      headerSelectionBorderColor: brand,
      scrollShadow: {
        size: 6,
        color1: withAlpha('#000000', 0.18),
        color2: withAlpha('#000000', 0.05),
        color3: withAlpha('#000000', 0)
      }
    },
    cellFont: `${codeSize} ${codeFont}`,
    headerFont: `600 ${uiSize} ${uiFont}`,
    textColor: get('--jp-content-font-color1', '#000000'),
    dimColor: get('--jp-ui-font-color3', '#9e9e9e'),
    errorColor: get('--jp-error-color1', '#d32f2f'),
    headerColor: get('--jp-ui-font-color1', '#000000'),
    labelColor: get('--jp-ui-font-color2', '#616161')
  };
}

/**
 * `color` (hex or rgb) with an alpha channel; other forms as they are.
 */
function withAlpha(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color);
  if (hex) {
    let digits = hex[1];
    if (digits.length === 3) {
      digits = [...digits].map(d => d + d).join('');
    }
    const n = parseInt(digits, 16);
    return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
  }
  const rgb = /^rgba?\(([^)]+)\)$/i.exec(color);
  if (rgb) {
    const [r, g, b] = rgb[1].split(/[\s,/]+/);
    return `rgba(${r}, ${g}, ${b}, ${alpha})`;
  }
  return color;
}

/**
 * The grid's keys, with copy going through the kernel (full values,
 * never placeholders), and Alt+Down opening the filter box of the
 * cursor's column.
 */
export class ExplorerKeyHandler extends BasicKeyHandler {
  constructor(
    private _copy: () => void,
    private _filter: (column: number) => void = () => undefined
  ) {
    super();
  }

  protected onArrowDown(grid: DataGrid, event: KeyboardEvent): void {
    if (!event.altKey || event.shiftKey || Platform.accelKey(event)) {
      super.onArrowDown(grid, event);
      return;
    }
    event.preventDefault();
    event.stopPropagation();
    this._filter(Math.max(0, grid.selectionModel?.cursorColumn ?? 0));
  }

  protected onKeyC(grid: DataGrid, event: KeyboardEvent): void {
    if (event.shiftKey || !Platform.accelKey(event)) {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
    this._copy();
  }
}

/**
 * The grid's mouse, with a click on a column header (not a drag, not on
 * a resize handle) sorting by that column (shift adds a sort key), and a
 * click on its filter cell (the headers' second row) editing its filter.
 */
export class ExplorerMouseHandler extends BasicMouseHandler {
  constructor(
    private _sort: (column: number, add: boolean) => void,
    private _filter: (column: number) => void = () => undefined
  ) {
    super();
  }

  onMouseDown(grid: DataGrid, event: MouseEvent): void {
    this._press = null;
    super.onMouseDown(grid, event);
    const press = this.pressData;
    if (
      event.button === 0 &&
      press &&
      press.type === 'select' &&
      press.region === 'column-header'
    ) {
      this._press = {
        column: press.column,
        row: press.row,
        x: event.clientX,
        y: event.clientY,
        add: event.shiftKey
      };
    }
  }

  onMouseUp(grid: DataGrid, event: MouseEvent): void {
    const press = this._press;
    this._press = null;
    super.onMouseUp(grid, event);
    if (
      press &&
      Math.abs(event.clientX - press.x) < 4 &&
      Math.abs(event.clientY - press.y) < 4
    ) {
      if (press.row === 1) {
        this._filter(press.column);
      } else {
        this._sort(press.column, press.add);
      }
    }
  }

  private _press: {
    column: number;
    row: number;
    x: number;
    y: number;
    add: boolean;
  } | null = null;
}
