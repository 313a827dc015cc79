import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { Token } from '@lumino/coreutils';
import type { Widget } from '@lumino/widgets';

import type { PreviewModel } from './previewmodel';
import type { VariableStore } from './store';

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
 * The columns the panel can show besides the always shown name.
 */
export const COLUMNS = ['type', 'shape', 'size', 'value'] as const;

/**
 * An optional column of the table.
 */
export type ColumnId = (typeof COLUMNS)[number];

/**
 * A column the table can be sorted by.
 */
export type SortKey = 'name' | ColumnId;

/**
 * The metadata the server sends about one variable, under
 * {@link VARIABLE_MIME_TYPE}.
 */
export interface IVariableMetadata {
  /**
   * The name of the value's type, such as `int` or `DataFrame`.
   */
  type?: string;
  /**
   * The module the type is defined in, such as `pandas.core.frame`.
   */
  module?: string;
  /**
   * The shape of an array or table, the length of a sized container, or
   * `null`.
   */
  shape?: number[] | number | null;
  /**
   * The element type(s) of an array or table.
   */
  dtype?: string | null;
  /**
   * The memory held, as far as it is known without traversing the value.
   */
  bytes?: number | null;
  /**
   * A one-line, bounded rendering of the value.
   */
  summary?: string;
  /**
   * Whether the value changed since the previous preview.
   */
  changed?: boolean;
}

/**
 * The meta part of a preview: what it covers and when it was made.
 */
export interface IPreviewMeta {
  /**
   * `ok`, `empty` (no user variable), or `restarting` (the kernel is
   * restarting; the items are empty).
   */
  state?: 'ok' | 'empty' | 'restarting' | string;
  /**
   * How many variables the namespace holds.
   */
  total?: number;
  /**
   * How many of them the preview carries.
   */
  shown?: number;
  /**
   * How many were left out by the item cap, the time budget or the size cap.
   */
  omitted?: number;
  /**
   * Whether the time budget ran out before every variable was looked at.
   */
  partial?: boolean;
  /**
   * Whether the payload byte cap was hit.
   */
  truncated?: boolean;
  /**
   * How long the kernel took to make the preview, in milliseconds.
   */
  elapsed_ms?: number;
  /**
   * The names whose value changed since the previous preview.
   */
  changed?: string[];
  /**
   * The names that went away since the previous preview.
   */
  removed?: string[];
  /**
   * When the preview was made, in ISO 8601.
   */
  time?: string;
  /**
   * Whether the server pushes a preview after every cell; `false` when
   * previews are off on the server and only a refresh updates them.
   */
  live?: boolean;
}

/**
 * The content of a `preview` iopub message, and the `return` of a
 * `preview_reply`: `{item_type: {name: mime bundle}}` plus its meta.
 */
export interface IPreviewContent {
  preview: {
    [itemType: string]: { [name: string]: ReadonlyPartialJSONObject };
  };
  meta?: IPreviewMeta;
}

/**
 * The variable preview of the application: its panel, model and store.
 *
 * #### Notes
 * Provided by the `beaker-server:preview` plugin so that other extensions
 * can read the model or ask for a refresh.
 */
export interface IVariablePreview {
  /**
   * The model the panel shows.
   */
  readonly model: PreviewModel;
  /**
   * The sidebar panel.
   */
  readonly panel: Widget;
  /**
   * Ask the kernel the panel follows for a fresh preview.
   */
  refresh(): Promise<void>;
  /**
   * The client of the server's variable store, talking through the kernel
   * the panel follows.
   */
  readonly store: VariableStore;
}

/**
 * The token of the variable preview.
 */
export const IVariablePreview = new Token<IVariablePreview>(
  'beaker-server:IVariablePreview',
  'The variable preview panel of beaker-server and its model.'
);
