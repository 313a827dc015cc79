import type { TranslationBundle } from '@jupyterlab/translation';
import { VDomModel, VDomRenderer } from '@jupyterlab/ui-components';
import * as React from 'react';

import { statusText } from './status';
import type { DataExplorerModel } from './view';

/**
 * What the cell under the grid's cursor holds, for the readout.
 */
export class CursorReadout extends VDomModel {
  get text(): string {
    return this._text;
  }
  set text(text: string) {
    if (text !== this._text) {
      this._text = text;
      this.stateChanged.emit();
    }
  }

  private _text = '';
}

/**
 * The status line: the view's shape, filter and sort, what runs, the
 * passing notice, the cursor cell's readout, and a Cancel button while a
 * sort or filter runs.
 */
export class StatusLine extends VDomRenderer<DataExplorerModel> {
  constructor(
    model: DataExplorerModel,
    readout: CursorReadout,
    trans: TranslationBundle
  ) {
    super(model);
    this._readout = readout;
    this._trans = trans;
    readout.stateChanged.connect(this.update, this);
    this.addClass('jp-BeakerDataExplorer-statusBar');
  }

  protected render(): React.ReactElement {
    const model = this.model;
    const trans = this._trans;
    const { state, text } = statusText(model.statusInfo, trans);
    const running = state === 'sorting' || state === 'filtering';
    return (
      <>
        <span
          className="jp-BeakerDataExplorer-status"
          data-state={state}
          role="status"
          aria-live="polite"
        >
          {text}
        </span>
        {running && model.supports('table_cancel') && (
          <button
            type="button"
            className="jp-BeakerDataExplorer-cancel jp-mod-styled jp-mod-warn"
            onClick={() => void model.cancel()}
          >
            {trans.__('Cancel')}
          </button>
        )}
        {model.notice && (
          <span className="jp-BeakerDataExplorer-notice">{model.notice}</span>
        )}
        <span className="jp-BeakerDataExplorer-readout">
          {this._readout.text}
        </span>
      </>
    );
  }

  private _readout: CursorReadout;
  private _trans: TranslationBundle;
}
