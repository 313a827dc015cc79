import { nullTranslator } from '@jupyterlab/translation';
import { MessageLoop } from '@lumino/messaging';
import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import type { IProfile } from '../src/dataexplorer/protocol';
import { SummaryPane } from '../src/dataexplorer/summary';
import type { DataExplorerModel } from '../src/dataexplorer/view';

const trans = nullTranslator.load('beaker_server');
const EVIL = '<img src=x onerror=alert(1)>';

/**
 * What the summary reads of a view's model.
 */
function fakeModel(state: string, profile: IProfile | null): DataExplorerModel {
  const model = {
    stateChanged: new Signal<unknown, void>({}),
    isDisposed: false,
    summaryColumn: 1,
    grid: {
      columns: [
        { index: 0, name: 'a', dtype: 'int64', display_type: 'number' },
        { index: 1, name: 'x', dtype: 'float64', display_type: 'number' }
      ]
    },
    profileState: state,
    profile,
    profileError: 'KernelError: boom'
  };
  return model as unknown as DataExplorerModel;
}

function profile(approximate: boolean): IProfile {
  return {
    generation: 3,
    row_count: 1000,
    approximate,
    sample_rows: approximate ? 100 : undefined,
    columns: [
      {
        index: 1,
        display_type: 'number',
        count: 990,
        null_count: 10,
        nan_count: 50,
        stats: { min: '-1.5', max: '9.25', mean: '3.1', std: 1 },
        quantiles: [
          { q: 0.25, value: '1' },
          { q: 0.5, value: '3' },
          { q: 0.75, value: '5' }
        ],
        histogram: {
          counts: [5, 0, 20, 40],
          edges: ['-1.5', '1', '3.5', '6', '9.25']
        },
        top: [
          { value: EVIL, count: 7 },
          { value: 0, count: 3 }
        ],
        other: 980
      }
    ]
  };
}

describe('ColumnSummary', () => {
  let node: HTMLElement;
  let pane: SummaryPane | null = null;
  afterEach(() => {
    pane?.dispose();
    pane = null;
  });
  const render = async (model: DataExplorerModel) => {
    pane?.dispose();
    pane = new SummaryPane(model, trans);
    Widget.attach(pane, document.body);
    MessageLoop.sendMessage(pane, Widget.Msg.UpdateRequest);
    await pane.renderPromise;
    node = pane.node;
  };

  it('draws the histogram as one SVG bar per bin, scaled to the largest', async () => {
    await render(fakeModel('exact', profile(false)));
    const bars = [
      ...node.querySelectorAll('rect.jp-BeakerDataExplorer-bar')
    ] as SVGRectElement[];
    expect(bars).toHaveLength(4);
    const heights = bars.map(bar => Number(bar.getAttribute('height')));
    expect(heights[1]).toBe(0);
    expect(Math.max(...heights)).toBe(heights[3]);
    expect(bars[3].querySelector('title')?.textContent).toBe('6 – 9.25: 40');
    const body = node.querySelector('.jp-BeakerDataExplorer-summaryBody')!;
    expect(body.getAttribute('data-state')).toBe('exact');
    expect(body.textContent).toContain('Nulls10 (1.0%)');
    expect(body.textContent).toContain('NaN50 (5.0%)');
    expect(body.textContent).not.toContain('+inf');
    // A special value code (1: NaN) is shown as its name.
    expect(body.textContent).toContain('StdNaN');
    expect(body.textContent).not.toContain('≈');
  });

  it('marks an approximate answer with ≈', async () => {
    await render(fakeModel('approximate', profile(true)));
    const title = node.querySelector('.jp-BeakerDataExplorer-summaryTitle')!;
    expect(title.textContent).toBe('≈ x');
    expect(node.textContent).toContain('Values≈ 990');
    expect(node.textContent).toContain('From a sample of 100 rows');
  });

  it('shows kernel text as text, never as HTML', async () => {
    await render(fakeModel('exact', profile(false)));
    const labels = [
      ...node.querySelectorAll('.jp-BeakerDataExplorer-topLabel')
    ].map(label => label.textContent);
    expect(labels).toEqual([`${EVIL.slice(0, 15)}…`, 'null']);
    expect(node.querySelector('img')).toBeNull();
    const titles = [
      ...node.querySelectorAll('.jp-BeakerDataExplorer-top title')
    ];
    expect(titles[0].textContent).toBe(`${EVIL}: 7`);
  });

  it('says when there is nothing yet, or an error', async () => {
    await render(fakeModel('loading', null));
    expect(node.textContent).toContain('Computing…');
    await render(fakeModel('error', null));
    expect(
      node.querySelector('.jp-BeakerDataExplorer-summaryError')?.textContent
    ).toBe('KernelError: boom');
    await render(fakeModel('unsupported', null));
    expect(node.textContent).toContain('cannot profile');
  });
});
