import type { TranslationBundle } from '@jupyterlab/translation';
import { VDomRenderer } from '@jupyterlab/ui-components';
import * as React from 'react';

import type { ITableColumn } from './protocol';
import type { DataExplorerModel } from './view';

/**
 * The filter bar: the filters applied, as chips that remove themselves
 * (they are written in the grid's filter row, see `filterrow.ts`), or why
 * the view takes none.
 */
export class FilterBar extends VDomRenderer<DataExplorerModel> {
  constructor(model: DataExplorerModel, trans: TranslationBundle) {
    super(model);
    this._trans = trans;
    this.addClass('jp-BeakerDataExplorer-filterBar');
  }

  protected render(): React.ReactElement {
    return <FilterControls model={this.model} trans={this._trans} />;
  }

  private _trans: TranslationBundle;
}

/**
 * The hint of the filter box for a column.
 */
export function filterHint(
  column: ITableColumn | undefined,
  trans: TranslationBundle
): string {
  switch (column?.display_type) {
    case 'number':
      return trans.__('> 5, <= 3, = 7, 1..10');
    case 'datetime':
    case 'date':
    case 'time':
    case 'interval':
      return trans.__('>= 2024-01-01, a..b');
    case 'boolean':
      return trans.__('true or false');
    default:
      return trans.__('contains… (= text for equal)');
  }
}

function FilterControls(props: {
  model: DataExplorerModel;
  trans: TranslationBundle;
}): React.ReactElement {
  const { model, trans } = props;
  const busy = model.state === 'filtering' || model.state === 'sorting';
  const refusal = model.refusal('filter');
  const closed =
    model.state === 'closed' || model.state === 'opening' || refusal !== null;
  const labels = model.filterLabels();
  if (refusal !== null && model.state !== 'closed') {
    return (
      <span className="jp-BeakerDataExplorer-filterNote" title={refusal}>
        {trans.__('No filters: %1', refusal)}
      </span>
    );
  }
  return (
    <>
      {labels.length === 0 && (
        <span className="jp-BeakerDataExplorer-filterHintText">
          {trans.__(
            'Filter: click the cell under a column name (or Alt+Down), type > 5, 1..10, text…'
          )}
        </span>
      )}
      <span className="jp-BeakerDataExplorer-chips">
        {labels.map((label, i) => (
          <span key={`${i}:${label}`} className="jp-BeakerDataExplorer-chip">
            <span className="jp-BeakerDataExplorer-chipText">{label}</span>
            <button
              type="button"
              className="jp-BeakerDataExplorer-chipRemove"
              title={trans.__('Remove the filter %1', label)}
              aria-label={trans.__('Remove the filter %1', label)}
              disabled={busy || closed}
              onClick={() => void model.removeFilter(i)}
            >
              ×
            </button>
          </span>
        ))}
        {labels.length > 1 && (
          <button
            type="button"
            className="jp-BeakerDataExplorer-chipClear"
            disabled={busy || closed}
            onClick={() => void model.setFilters([])}
          >
            {trans.__('Clear filters')}
          </button>
        )}
      </span>
    </>
  );
}
