import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { TranslationBundle } from '@jupyterlab/translation';
import { FilterBox } from '@jupyterlab/ui-components';
import * as React from 'react';

import { LazyRenderer } from '../common/sidebar';
import type { IVariableStore } from '../tokens';
import type { PreviewModel } from './model';
import { PreviewTable } from './table';

/**
 * The kernels states in which there is nothing to ask a preview of.
 */
const NO_KERNEL_STATES = ['no-kernel', 'restarting', 'dead'];

/**
 * Whether the kernel followed can be asked for a preview.
 */
export function canRefresh(model: PreviewModel): boolean {
  return !NO_KERNEL_STATES.includes(model.state);
}

/**
 * The Variables section: a filter, a state line, notices and the table.
 *
 * #### Notes
 * The rich previews are rendered by the application's rendermime registry
 * with `trusted: false` (see `RichPreview`).
 */
export class PreviewBody extends LazyRenderer<PreviewModel> {
  /**
   * Create the body of `options.model`.
   */
  constructor(options: PreviewBody.IOptions) {
    super(options.model);
    this._rendermime = options.rendermime;
    this._trans = options.trans;
    this._store = options.store;
    this._onExplore = options.onExplore ?? null;
    // A row's save action follows the store.
    this._store?.model.stateChanged.connect(this.update, this);
    this.addClass('jp-BeakerPreview-main');
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._store?.model.stateChanged.disconnect(this.update, this);
    super.dispose();
  }

  protected render(): React.ReactElement {
    const model = this.model;
    const trans = this._trans;
    return (
      <>
        <div className="jp-BeakerPreview-toolbar jp-BeakerPreview-filter">
          <FilterBox
            placeholder={trans.__('Filter by name or type')}
            initialQuery={model.filter}
            updateFilter={this._updateFilter}
          />
        </div>
        <StateLine model={model} trans={trans} />
        <Notices model={model} trans={trans} />
        <div className="jp-BeakerPreview-body">
          <PreviewTable
            model={model}
            rendermime={this._rendermime}
            trans={trans}
            store={this._store}
            onExplore={this._onExplore}
          />
        </div>
      </>
    );
  }

  /**
   * What the filter box calls; one function for every render, so that the
   * box does not take each render for a change of its settings.
   */
  private _updateFilter = (_: unknown, query?: string): void => {
    this.model.filter = query ?? '';
  };

  private _rendermime: IRenderMimeRegistry;
  private _trans: TranslationBundle;
  private _store: IVariableStore | null;
  private _onExplore: ((name: string) => void) | null;
}

/**
 * The namespace for {@link PreviewBody} statics.
 */
export namespace PreviewBody {
  /**
   * The options of the body.
   */
  export interface IOptions {
    model: PreviewModel;
    rendermime: IRenderMimeRegistry;
    trans: TranslationBundle;
    /**
     * The variable store, whose save action rows offer.
     */
    store: IVariableStore | null;
    /**
     * Open a variable in the Data Explorer (a row action and a double
     * click); none: not offered.
     */
    onExplore?: ((name: string) => void) | null;
  }
}

/**
 * The text of the state line, and the state it shows (`busy` and `stale`
 * refine `ok` and `empty`).
 */
export function stateText(
  model: PreviewModel,
  trans: TranslationBundle
): { state: string; text: string } {
  const count = model.rows.length;
  const total =
    typeof model.meta?.total === 'number' ? model.meta.total : count;
  const updated = model.lastUpdated;
  const time = updated ? updated.toLocaleTimeString() : '';
  const state: string = model.state;
  switch (model.state) {
    case 'no-kernel':
      return {
        state,
        text: model.target
          ? trans.__(
              'No kernel: start one for %1 to see its variables.',
              model.target
            )
          : trans.__(
              'No kernel: open a notebook or a console to see its variables.'
            )
      };
    case 'loading':
      return {
        state,
        text: model.busy
          ? trans.__(
              'Kernel busy: the variables are shown after the cell finishes.'
            )
          : trans.__('Loading the variables…')
      };
    case 'restarting':
      return {
        state,
        text: trans.__(
          'Kernel restarting: the variables are shown when it is ready.'
        )
      };
    case 'dead':
      return {
        state,
        text: trans.__('The kernel is dead: restart it to see its variables.')
      };
    case 'error':
    case 'unavailable':
      return { state, text: model.error };
  }
  if (model.busy) {
    return {
      state: 'busy',
      text: trans.__('Kernel busy: updating after the cell finishes.')
    };
  }
  if (model.stale) {
    return {
      state: 'stale',
      text: trans.__(
        'The variables changed. Auto-update is off: refresh to see them.'
      )
    };
  }
  if (model.state === 'empty') {
    return {
      state,
      text: trans.__('No variables yet: define some in a cell.')
    };
  }
  let text =
    total > count
      ? trans.__('%1 of %2 variables', count, total)
      : trans._n('%1 variable', '%1 variables', count);
  if (time) {
    text = trans.__('%1 · updated %2', text, time);
  }
  return { state, text };
}

/**
 * The state of the preview in one line.
 */
function StateLine(props: {
  model: PreviewModel;
  trans: TranslationBundle;
}): React.ReactElement {
  const { model, trans } = props;
  const { state, text } = stateText(model, trans);
  const updated = model.lastUpdated;
  return (
    <div
      className="jp-BeakerSidebar-state jp-BeakerPreview-state"
      data-state={state}
      role="status"
      aria-live="polite"
      title={
        updated
          ? trans.__('Last updated %1', updated.toLocaleString())
          : undefined
      }
    >
      {text}
    </div>
  );
}

/**
 * What the preview left out: the "N more" marker, a partial or truncated
 * preview; and that it will not update by itself when the server's live
 * updates are off.
 */
export function noticeTexts(
  model: PreviewModel,
  trans: TranslationBundle
): string[] {
  const meta = model.meta;
  if (!meta || !['ok', 'empty'].includes(model.state)) {
    return [];
  }
  const notices: string[] = [];
  const omitted = typeof meta.omitted === 'number' ? meta.omitted : 0;
  if (omitted > 0) {
    notices.push(trans.__('%1 more not shown', omitted));
  }
  if (meta.partial) {
    notices.push(
      trans.__('Partial preview: the kernel ran out of its time budget.')
    );
  }
  if (meta.truncated) {
    notices.push(trans.__('Truncated preview: the size limit was reached.'));
  }
  if (meta.live === false) {
    notices.push(
      trans.__(
        'Live updates are off on this server: refresh to see new values.'
      )
    );
  }
  return notices;
}

function Notices(props: {
  model: PreviewModel;
  trans: TranslationBundle;
}): React.ReactElement | null {
  const notices = noticeTexts(props.model, props.trans);
  if (notices.length === 0) {
    return null;
  }
  return (
    <div className="jp-BeakerPreview-notice" role="note">
      {notices.map(notice => (
        <div key={notice}>{notice}</div>
      ))}
    </div>
  );
}
