import type { TranslationBundle } from '@jupyterlab/translation';
import { VDomRenderer } from '@jupyterlab/ui-components';
import * as React from 'react';

import { formatCount } from './status';
import type { CellValue, IColumnProfile } from './protocol';
import { valueText } from './protocol';
import type { DataExplorerModel } from './view';

/**
 * The column summary pane: type, nulls, statistics, quantiles, a histogram
 * and the most frequent values of the selected column.
 *
 * #### Notes
 * Everything the kernel sent is rendered as React text nodes and SVG
 * attributes, never as HTML.
 */
export class SummaryPane extends VDomRenderer<DataExplorerModel> {
  constructor(model: DataExplorerModel, trans: TranslationBundle) {
    super(model);
    this._trans = trans;
    this.addClass('jp-BeakerDataExplorer-summary');
  }

  protected render(): React.ReactElement {
    return <ColumnSummary model={this.model} trans={this._trans} />;
  }

  private _trans: TranslationBundle;
}

/**
 * The summary of the model's selected column.
 */
export function ColumnSummary(props: {
  model: DataExplorerModel;
  trans: TranslationBundle;
}): React.ReactElement {
  const { model, trans } = props;
  const position = model.summaryColumn;
  const column = position === null ? undefined : model.grid.columns[position];
  const state = model.profileState;
  if (!column) {
    return (
      <div className="jp-BeakerDataExplorer-summaryEmpty" data-state="none">
        {trans.__('Select a column to see its summary.')}
      </div>
    );
  }
  const profile = model.profile?.columns.find(c => c.index === column.index);
  const approximate = state === 'approximate';
  let body: React.ReactNode;
  if (state === 'unsupported') {
    body = (
      <p className="jp-BeakerDataExplorer-summaryNote">
        {trans.__('The server cannot profile columns yet (no table_profile).')}
      </p>
    );
  } else if (state === 'error' && !profile) {
    body = (
      <p className="jp-BeakerDataExplorer-summaryError">{model.profileError}</p>
    );
  } else if (!profile) {
    body = (
      <p className="jp-BeakerDataExplorer-summaryNote">
        {trans.__('Computing…')}
      </p>
    );
  } else {
    body = (
      <ProfileBody
        profile={profile}
        approximate={approximate}
        sampleRows={model.profile?.sample_rows ?? null}
        rowCount={model.profile?.row_count ?? null}
        trans={trans}
      />
    );
  }
  return (
    <div
      className="jp-BeakerDataExplorer-summaryBody"
      data-state={state}
      data-column={column.index}
    >
      <h3 className="jp-BeakerDataExplorer-summaryTitle">
        {approximate && (
          <span
            className="jp-BeakerDataExplorer-approx"
            title={trans.__(
              'Approximate: from a sample; the exact summary follows'
            )}
          >
            {'≈ '}
          </span>
        )}
        {String(column.name ?? column.index)}
      </h3>
      <div className="jp-BeakerDataExplorer-summaryType">
        {[column.dtype, column.display_type].filter(Boolean).join(' · ')}
      </div>
      {body}
    </div>
  );
}

function ProfileBody(props: {
  profile: IColumnProfile;
  approximate: boolean;
  sampleRows: number | null;
  rowCount: number | null;
  trans: TranslationBundle;
}): React.ReactElement {
  const { profile, approximate, trans } = props;
  const approx = approximate ? '≈ ' : '';
  const rows: [string, string][] = [];
  if (typeof profile.count === 'number') {
    rows.push([trans.__('Values'), approx + formatCount(profile.count)]);
  }
  const total =
    props.rowCount ??
    (profile.count ?? 0) +
      (profile.null_count ?? 0) +
      (profile.nan_count ?? 0) +
      (profile.pos_inf_count ?? 0) +
      (profile.neg_inf_count ?? 0);
  const share = (n: number) =>
    total > 0 ? ` (${((100 * n) / total).toFixed(1)}%)` : '';
  if (typeof profile.null_count === 'number') {
    rows.push([
      trans.__('Nulls'),
      approx + formatCount(profile.null_count) + share(profile.null_count)
    ]);
  }
  const specials: [number | undefined, string][] = [
    [profile.nan_count, 'NaN'],
    [profile.pos_inf_count, '+inf'],
    [profile.neg_inf_count, '-inf']
  ];
  for (const [n, label] of specials) {
    if (typeof n === 'number' && n > 0) {
      rows.push([label, approx + formatCount(n) + share(n)]);
    }
  }
  if (typeof profile.distinct === 'number') {
    rows.push([trans.__('Distinct'), approx + formatCount(profile.distinct)]);
  }
  const stats = profile.stats ?? {};
  const statNames: [keyof typeof stats, string][] = [
    ['min', trans.__('Min')],
    ['max', trans.__('Max')],
    ['mean', trans.__('Mean')],
    ['std', trans.__('Std')]
  ];
  for (const [key, label] of statNames) {
    if (stats[key] !== undefined && stats[key] !== null) {
      rows.push([label, valueText(stats[key] as CellValue)]);
    }
  }
  for (const q of profile.quantiles ?? []) {
    rows.push([`${Math.round(q.q * 100)}%`, valueText(q.value)]);
  }
  return (
    <>
      {approximate && props.sampleRows !== null && (
        <p className="jp-BeakerDataExplorer-summaryNote">
          {trans.__(
            'From a sample of %1 rows; the exact summary follows.',
            formatCount(props.sampleRows)
          )}
        </p>
      )}
      <table className="jp-BeakerDataExplorer-stats">
        <tbody>
          {rows.map(([label, value]) => (
            <tr key={label}>
              <th>{label}</th>
              <td>{value}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {profile.histogram && profile.histogram.counts.length > 0 && (
        <Histogram histogram={profile.histogram} trans={trans} />
      )}
      {profile.top && profile.top.length > 0 && (
        <TopValues
          top={profile.top}
          other={profile.other ?? 0}
          approximate={approximate}
          trans={trans}
        />
      )}
    </>
  );
}

const HIST_WIDTH = 240;
const HIST_HEIGHT = 90;

/**
 * A histogram: one bar per bin, its range and count in its tooltip.
 */
function Histogram(props: {
  histogram: { counts: number[]; edges: CellValue[] };
  trans: TranslationBundle;
}): React.ReactElement {
  const { counts, edges } = props.histogram;
  const max = Math.max(1, ...counts);
  const width = HIST_WIDTH / counts.length;
  return (
    <figure className="jp-BeakerDataExplorer-histogram">
      <figcaption>{props.trans.__('Histogram')}</figcaption>
      <svg
        width={HIST_WIDTH}
        height={HIST_HEIGHT + 2}
        viewBox={`0 0 ${HIST_WIDTH} ${HIST_HEIGHT + 2}`}
        role="img"
        aria-label={props.trans.__('Histogram')}
      >
        {counts.map((count, i) => {
          const height =
            count > 0 ? Math.max(1, (HIST_HEIGHT * count) / max) : 0;
          return (
            <rect
              key={i}
              className="jp-BeakerDataExplorer-bar"
              x={i * width + 0.5}
              y={HIST_HEIGHT - height}
              width={Math.max(1, width - 1)}
              height={height}
              data-count={count}
            >
              <title>
                {`${valueText(edges[i])} – ${valueText(edges[i + 1])}: ${formatCount(count)}`}
              </title>
            </rect>
          );
        })}
        <line
          className="jp-BeakerDataExplorer-axis"
          x1={0}
          x2={HIST_WIDTH}
          y1={HIST_HEIGHT + 0.5}
          y2={HIST_HEIGHT + 0.5}
        />
      </svg>
      <div className="jp-BeakerDataExplorer-edges">
        <span>{valueText(edges[0])}</span>
        <span>{valueText(edges[edges.length - 1])}</span>
      </div>
    </figure>
  );
}

/**
 * The most frequent values, as horizontal bars.
 */
function TopValues(props: {
  top: { value: CellValue; count: number }[];
  other: number;
  approximate: boolean;
  trans: TranslationBundle;
}): React.ReactElement {
  const { top, other, trans } = props;
  const max = Math.max(1, ...top.map(t => t.count));
  const rowHeight = 18;
  const labelWidth = 110;
  const barWidth = HIST_WIDTH - labelWidth - 50;
  return (
    <figure className="jp-BeakerDataExplorer-top">
      <figcaption>{trans.__('Top values')}</figcaption>
      <svg
        width={HIST_WIDTH}
        height={top.length * rowHeight}
        role="img"
        aria-label={trans.__('Top values')}
      >
        {top.map((entry, i) => {
          const text = valueText(entry.value);
          const shown = text.length > 16 ? `${text.slice(0, 15)}…` : text;
          return (
            <g key={i} transform={`translate(0, ${i * rowHeight})`}>
              <title>{`${text}: ${formatCount(entry.count)}`}</title>
              <text
                className="jp-BeakerDataExplorer-topLabel"
                x={0}
                y={rowHeight - 5}
              >
                {shown}
              </text>
              <rect
                className="jp-BeakerDataExplorer-topBar"
                x={labelWidth}
                y={3}
                width={Math.max(1, (barWidth * entry.count) / max)}
                height={rowHeight - 6}
              />
              <text
                className="jp-BeakerDataExplorer-topCount"
                x={labelWidth + barWidth + 4}
                y={rowHeight - 5}
              >
                {(props.approximate ? '≈' : '') + formatCount(entry.count)}
              </text>
            </g>
          );
        })}
      </svg>
      {other > 0 && (
        <div className="jp-BeakerDataExplorer-other">
          {trans.__('%1 other rows', formatCount(other))}
        </div>
      )}
    </figure>
  );
}
