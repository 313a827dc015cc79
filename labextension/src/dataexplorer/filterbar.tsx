import type { TranslationBundle } from '@jupyterlab/translation';
import { VDomRenderer } from '@jupyterlab/ui-components';
import * as React from 'react';

import { parseFilterText } from './filter';
import type { ITableColumn, TableFilter } from './protocol';
import type { DataExplorerModel } from './view';

/**
 * The filter bar: a column, how to match it (the text of the box, is null,
 * is not null) and the filters applied, as chips that remove themselves.
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

type Mode = 'text' | 'is_null' | 'not_null';

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
  const columns = model.grid.columns;
  const selected = model.summaryColumn;
  const [position, setPosition] = React.useState<number>(selected ?? 0);
  const [mode, setMode] = React.useState<Mode>('text');
  const [text, setText] = React.useState('');
  const [error, setError] = React.useState('');
  React.useEffect(() => {
    if (selected !== null) {
      setPosition(selected);
    }
  }, [selected]);
  const column = columns[position];
  const busy = model.state === 'filtering' || model.state === 'sorting';
  const refusal = model.refusal('filter');
  const closed =
    model.state === 'closed' || model.state === 'opening' || refusal !== null;

  const apply = async () => {
    if (!column) {
      return;
    }
    let filter: TableFilter | null;
    if (mode === 'text') {
      const parsed = parseFilterText(text, column);
      if ('error' in parsed) {
        setError(trans.__('Expected %1', parsed.error));
        return;
      }
      filter = parsed.filter;
    } else {
      filter = { kind: mode, column: column.index };
    }
    if (!filter) {
      return;
    }
    setError('');
    if (await model.addFilter(filter)) {
      setText('');
    }
  };

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
      <select
        className="jp-BeakerDataExplorer-filterColumn"
        aria-label={trans.__('Column to filter')}
        value={String(position)}
        disabled={closed}
        onChange={event => setPosition(Number(event.target.value))}
      >
        {columns.map((c, i) => (
          <option key={i} value={String(i)}>
            {String(c.name ?? c.index)}
          </option>
        ))}
      </select>
      <select
        className="jp-BeakerDataExplorer-filterMode"
        aria-label={trans.__('How to match')}
        value={mode}
        disabled={closed}
        onChange={event => setMode(event.target.value as Mode)}
      >
        <option value="text">{trans.__('matches')}</option>
        <option value="is_null">{trans.__('is null')}</option>
        <option value="not_null">{trans.__('is not null')}</option>
      </select>
      {mode === 'text' && (
        <input
          className="jp-BeakerDataExplorer-filterText jp-mod-styled"
          type="text"
          aria-label={trans.__('Filter')}
          placeholder={filterHint(column, trans)}
          value={text}
          disabled={closed}
          onChange={event => {
            setText(event.target.value);
            setError('');
          }}
          onKeyDown={event => {
            if (event.key === 'Enter') {
              event.preventDefault();
              void apply();
            }
          }}
        />
      )}
      <button
        type="button"
        className="jp-BeakerDataExplorer-filterAdd jp-mod-styled jp-mod-accept"
        disabled={closed || busy || !column}
        onClick={() => void apply()}
      >
        {trans.__('Add filter')}
      </button>
      {error && (
        <span className="jp-BeakerDataExplorer-filterError" role="alert">
          {error}
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
