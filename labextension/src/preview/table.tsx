import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { TranslationBundle } from '@jupyterlab/translation';
import {
  ToolbarButtonComponent,
  caretDownIcon,
  caretRightIcon,
  saveIcon,
  tableRowsIcon
} from '@jupyterlab/ui-components';
import * as React from 'react';

import { bytesTitle, formatBytes, formatShape } from '../common/format';
import { STORE_MESSAGES } from '../common/messagetypes';
import { RichPreview } from '../common/rendered';
import type { ColumnId, IPreviewRow, IVariableStore, SortKey } from '../tokens';
import type { PreviewModel } from './model';

/**
 * The table of variables: sortable headers, one row per variable that
 * expands to its rich preview.
 *
 * #### Notes
 * JupyterLab has no stock table with rows that expand to rendered MIME
 * bundles, so this one is the extension's own.
 */
export function PreviewTable(props: {
  model: PreviewModel;
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
  store: IVariableStore | null;
  /**
   * Open a variable in the Data Explorer, or `null` when there is none.
   */
  onExplore?: ((name: string) => void) | null;
}): React.ReactElement | null {
  const { model, rendermime, trans, store } = props;
  const onExplore = props.onExplore ?? null;
  const canSave = !!store && store.canSend(STORE_MESSAGES.save);
  const rows = model.visibleRows;
  const columns = model.columns;
  if (model.rows.length === 0) {
    return null;
  }
  const labels: { [key in SortKey]: string } = {
    name: trans.__('Name'),
    type: trans.__('Type'),
    shape: trans.__('Shape'),
    size: trans.__('Size'),
    value: trans.__('Value')
  };
  const header = (key: SortKey) => {
    const sorted = model.sort.key === key;
    return (
      <th
        key={key}
        className={`jp-BeakerPreview-col-${key}`}
        aria-sort={sorted ? model.sort.direction : 'none'}
        data-column={key}
      >
        <button
          type="button"
          className="jp-BeakerPreview-sort"
          title={trans.__('Sort by %1', labels[key])}
          onClick={() => model.toggleSort(key)}
        >
          {labels[key]}
          <span className="jp-BeakerPreview-sortIndicator" aria-hidden="true">
            {sorted ? (model.sort.direction === 'ascending' ? '▲' : '▼') : ''}
          </span>
        </button>
      </th>
    );
  };
  return (
    <table className="jp-BeakerPreview-table">
      <thead>
        <tr>
          {header('name')}
          {columns.map(header)}
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 ? (
          <tr className="jp-BeakerPreview-noMatch">
            <td colSpan={columns.length + 1}>
              {trans.__('No variable matches “%1”.', model.filter.trim())}
            </td>
          </tr>
        ) : (
          rows.map(row => (
            <PreviewRow
              key={`${row.itemType}:${row.name}`}
              row={row}
              columns={columns}
              expanded={model.isExpanded(row.name)}
              onToggle={() => model.toggleExpanded(row.name)}
              onSave={canSave ? () => void store!.save(row.name) : null}
              saving={!!store?.model.isPending('save', row.name)}
              onExplore={
                onExplore && explorable(row) ? () => onExplore(row.name) : null
              }
              rendermime={rendermime}
              trans={trans}
            />
          ))
        )}
      </tbody>
    </table>
  );
}

/**
 * The item types that are never tables: the Data Explorer is not offered
 * for them (any other variable may be one; the kernel says when not).
 */
const NOT_TABLES = ['figures', 'functions', 'classes'];

/**
 * Whether the Data Explorer is offered for a row.
 */
export function explorable(row: IPreviewRow): boolean {
  return !NOT_TABLES.includes(row.itemType);
}

/**
 * The text and tooltip of each optional cell of a row.
 */
function cellTexts(
  row: IPreviewRow,
  trans: TranslationBundle
): { [key in ColumnId]: [string, string | undefined] } {
  return {
    type: [row.type, row.module ? `${row.module}.${row.type}` : row.type],
    shape: [formatShape(row.shape), row.dtype ?? undefined],
    size: [formatBytes(row.bytes), bytesTitle(row.bytes, trans)],
    value: [row.summary, row.summary]
  };
}

/**
 * One variable, and its rich preview when expanded.
 */
function PreviewRow(props: {
  row: IPreviewRow;
  columns: readonly ColumnId[];
  expanded: boolean;
  onToggle: () => void;
  onSave: (() => void) | null;
  saving: boolean;
  onExplore: (() => void) | null;
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
}): React.ReactElement {
  const { row, columns, expanded, onToggle, onSave, saving, trans } = props;
  const onExplore = props.onExplore;
  const classes = ['jp-BeakerPreview-row'];
  if (row.changed) {
    classes.push('jp-BeakerPreview-row-changed');
  }
  if (expanded) {
    classes.push('jp-mod-expanded');
  }
  const texts = cellTexts(row, trans);
  const Caret = expanded ? caretDownIcon : caretRightIcon;
  return (
    <>
      <tr
        className={classes.join(' ')}
        data-name={row.name}
        data-item-type={row.itemType}
        aria-expanded={expanded}
        tabIndex={0}
        title={
          expanded
            ? trans.__('Hide the preview of %1', row.name)
            : trans.__('Show the preview of %1', row.name)
        }
        onClick={onToggle}
        onDoubleClick={
          onExplore
            ? event => {
                event.preventDefault();
                onExplore();
              }
            : undefined
        }
        onKeyDown={event => {
          if (event.key === 'Enter' || event.key === ' ') {
            event.preventDefault();
            onToggle();
          }
        }}
      >
        <td className="jp-BeakerPreview-col-name">
          <Caret.react tag="span" className="jp-BeakerPreview-caret" />
          {row.name}
          {(onSave || onExplore) && (
            <span
              className={`jp-BeakerPreview-rowActions${saving ? ' jp-mod-pending' : ''}`}
            >
              {onExplore && (
                <ToolbarButtonComponent
                  className="jp-BeakerPreview-explore"
                  tooltip={trans.__(
                    'Explore %1 in the Data Explorer',
                    row.name
                  )}
                  icon={tableRowsIcon}
                  onClick={event => {
                    event?.stopPropagation();
                    onExplore();
                  }}
                />
              )}
              {onSave && (
                <ToolbarButtonComponent
                  className="jp-BeakerPreview-save"
                  tooltip={trans.__('Save %1 to the store', row.name)}
                  icon={saveIcon}
                  enabled={!saving}
                  onClick={event => {
                    // The row itself expands on click and on Enter.
                    event?.stopPropagation();
                    onSave();
                  }}
                />
              )}
            </span>
          )}
        </td>
        {columns.map(column => (
          <td
            key={column}
            className={`jp-BeakerPreview-col-${column}`}
            title={texts[column][1]}
          >
            {texts[column][0]}
          </td>
        ))}
      </tr>
      {expanded && (
        <tr className="jp-BeakerPreview-detailRow" data-name={row.name}>
          <td colSpan={columns.length + 1}>
            <RichPreview
              bundle={row.bundle}
              rendermime={props.rendermime}
              trans={trans}
            />
          </td>
        </tr>
      )}
    </>
  );
}
