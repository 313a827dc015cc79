import { PreviewModel } from '../src/preview/model';
import { VARIABLE_MIME_TYPE } from '../src/preview/rows';
import type { IPreviewContent } from '../src/tokens';
import { eachFresh } from './utils';

/**
 * A preview of `names` (ints), made at `time`.
 */
function preview(
  names: string[],
  time?: string,
  meta: IPreviewContent['meta'] = {}
): IPreviewContent {
  const variables: IPreviewContent['preview'][string] = {};
  for (const name of names) {
    variables[name] = {
      'text/plain': name,
      [VARIABLE_MIME_TYPE]: { type: 'int', bytes: 28 }
    };
  }
  return { preview: { variables }, meta: { time, ...meta } };
}

/**
 * How many times `model` announces a change while `action` runs.
 */
function changes(model: PreviewModel, action: () => void): number {
  let count = 0;
  const count1 = () => {
    count += 1;
  };
  model.stateChanged.connect(count1);
  action();
  model.stateChanged.disconnect(count1);
  return count;
}

describe('PreviewModel', () => {
  let model: PreviewModel;
  eachFresh(() => (model = new PreviewModel()));

  it('starts without a kernel', () => {
    expect(model.state).toBe('no-kernel');
    expect(model.rows).toEqual([]);
  });

  it('shows a preview and says whether it has variables', () => {
    expect(
      model.applyPreview(preview(['x', 'y'], '2026-01-01T00:00:01Z'))
    ).toBe(true);
    expect(model.state).toBe('ok');
    expect(model.rows.map(r => r.name)).toEqual(['x', 'y']);
    expect(model.lastUpdated?.toISOString()).toBe('2026-01-01T00:00:01.000Z');
    model.applyPreview(preview([], '2026-01-01T00:00:02Z'));
    expect(model.state).toBe('empty');
  });

  it('keeps the newest preview: an older or equal one is ignored', () => {
    model.applyPreview(preview(['new'], '2026-01-01T00:00:02Z'));
    expect(model.applyPreview(preview(['old'], '2026-01-01T00:00:01Z'))).toBe(
      true
    );
    expect(model.rows.map(r => r.name)).toEqual(['new']);
  });

  it('does not let a restart bring back the kernel before it', () => {
    model.applyPreview(preview(['x'], '2026-01-01T00:00:02Z'));
    model.clear('restarting');
    model.applyPreview(preview(['x'], '2026-01-01T00:00:01Z'));
    expect(model.rows).toEqual([]);
    expect(model.state).toBe('restarting');
    // Another kernel: its previews start afresh.
    model.clear('loading');
    model.applyPreview(preview(['z'], '2026-01-01T00:00:01Z'));
    expect(model.rows.map(r => r.name)).toEqual(['z']);
  });

  it('clears the rows of a preview that says the kernel restarts', () => {
    model.applyPreview(
      preview(['x'], '2026-01-01T00:00:01Z', { state: 'restarting' })
    );
    expect(model.state).toBe('restarting');
    expect(model.rows).toEqual([]);
  });

  it('ignores a malformed preview', () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    model.applyPreview(preview(['x']));
    expect(model.applyPreview({ preview: 'nope' } as any)).toBe(false);
    expect(model.rows.map(r => r.name)).toEqual(['x']);
    expect(warn).toHaveBeenCalled();
    warn.mockRestore();
  });

  it('filters and sorts the visible rows', () => {
    model.applyPreview(preview(['b', 'a', 'ab']));
    expect(model.visibleRows.map(r => r.name)).toEqual(['a', 'ab', 'b']);
    model.filter = 'A';
    expect(model.visibleRows.map(r => r.name)).toEqual(['a', 'ab']);
    model.toggleSort('name');
    expect(model.sort).toEqual({ key: 'name', direction: 'descending' });
    expect(model.visibleRows.map(r => r.name)).toEqual(['ab', 'a']);
    model.toggleSort('size');
    expect(model.sort).toEqual({ key: 'size', direction: 'ascending' });
  });

  it('announces a change only when there is one', () => {
    expect(changes(model, () => (model.busy = false))).toBe(0);
    expect(changes(model, () => (model.busy = true))).toBe(1);
    expect(changes(model, () => (model.filter = ''))).toBe(0);
    expect(
      changes(
        model,
        () => (model.sort = { key: 'name', direction: 'ascending' })
      )
    ).toBe(0);
    expect(changes(model, () => (model.columns = ['value', 'type']))).toBe(1);
    expect(model.columns).toEqual(['type', 'value']);
    expect(changes(model, () => (model.columns = ['type', 'value']))).toBe(0);
    expect(changes(model, () => model.setState('no-kernel'))).toBe(0);
  });

  it('turning auto-update back on forgets that a push was missed', () => {
    model.autoRefresh = false;
    model.stale = true;
    model.autoRefresh = true;
    expect(model.stale).toBe(false);
  });

  it('forgets the expansion of rows that went away', () => {
    model.applyPreview(preview(['x', 'y'], '2026-01-01T00:00:01Z'));
    model.toggleExpanded('x');
    model.toggleExpanded('y');
    expect(model.isExpanded('x')).toBe(true);
    model.applyPreview(preview(['y'], '2026-01-01T00:00:02Z'));
    expect(model.isExpanded('x')).toBe(false);
    expect(model.isExpanded('y')).toBe(true);
    model.toggleExpanded('y', false);
    expect(model.isExpanded('y')).toBe(false);
  });

  it('keeps the rows on an error and clears the error on a new state', () => {
    model.applyPreview(preview(['x']));
    model.setError('boom');
    expect(model.state).toBe('error');
    expect(model.error).toBe('boom');
    expect(model.rows).toHaveLength(1);
    model.setState('loading');
    expect(model.error).toBe('');
  });
});
