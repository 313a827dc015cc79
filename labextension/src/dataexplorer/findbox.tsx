import type { TranslationBundle } from '@jupyterlab/translation';
import {
  caretDownEmptyThinIcon,
  caretUpEmptyThinIcon,
  VDomRenderer
} from '@jupyterlab/ui-components';
import * as React from 'react';

import type { FindModel } from './find';

/**
 * The find box of a Data Explorer tab's toolbar: the term, the previous
 * and next match, whether case matters, and where the search stands.
 *
 * Enter finds the next match, Shift+Enter the previous one; Escape goes
 * back to the grid.
 */
export class FindBox extends VDomRenderer<FindModel> {
  constructor(
    model: FindModel,
    trans: TranslationBundle,
    private _leave: () => void
  ) {
    super(model);
    this._trans = trans;
    this.addClass('jp-BeakerDataExplorer-find');
  }

  /**
   * Put the keyboard in the box, its text selected.
   */
  focusInput(): void {
    const input = this.node.querySelector('input');
    if (input) {
      input.focus();
      input.select();
    }
  }

  protected render(): React.ReactElement {
    const model = this.model;
    const trans = this._trans;
    const unavailable = model.unavailable;
    const disabled = unavailable !== null;
    const status = model.status;
    const empty = model.text === '';
    const find = (direction: 'next' | 'previous') => void model.find(direction);
    return (
      <>
        <input
          className="jp-BeakerDataExplorer-findText jp-mod-styled"
          type="text"
          aria-label={trans.__('Find in the table')}
          placeholder={trans.__('Find…')}
          title={
            unavailable ?? trans.__('Enter: next match · Shift+Enter: previous')
          }
          value={model.text}
          disabled={disabled}
          spellCheck={false}
          onChange={event => {
            model.text = event.target.value;
          }}
          onKeyDown={event => {
            if (event.key === 'Enter') {
              event.preventDefault();
              find(event.shiftKey ? 'previous' : 'next');
            } else if (event.key === 'Escape') {
              event.preventDefault();
              this._leave();
            }
          }}
        />
        <button
          type="button"
          className="jp-BeakerDataExplorer-findPrevious jp-ToolbarButtonComponent"
          aria-label={trans.__('Previous match')}
          title={trans.__('Previous match (Shift+Enter)')}
          disabled={disabled || empty}
          onClick={() => find('previous')}
        >
          <caretUpEmptyThinIcon.react tag="span" />
        </button>
        <button
          type="button"
          className="jp-BeakerDataExplorer-findNext jp-ToolbarButtonComponent"
          aria-label={trans.__('Next match')}
          title={trans.__('Next match (Enter)')}
          disabled={disabled || empty}
          onClick={() => find('next')}
        >
          <caretDownEmptyThinIcon.react tag="span" />
        </button>
        <button
          type="button"
          className="jp-BeakerDataExplorer-findCase jp-ToolbarButtonComponent"
          aria-label={trans.__('Match case')}
          aria-pressed={model.caseSensitive}
          title={trans.__('Match case')}
          disabled={disabled}
          onClick={() => {
            model.caseSensitive = !model.caseSensitive;
          }}
        >
          Aa
        </button>
        <span
          className="jp-BeakerDataExplorer-findStatus"
          data-kind={status.kind}
          role="status"
          aria-live="polite"
        >
          {model.statusText}
        </span>
      </>
    );
  }

  private _trans: TranslationBundle;
}
