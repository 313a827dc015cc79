import type { TranslationBundle } from '@jupyterlab/translation';
import { runIcon } from '@jupyterlab/ui-components';
import * as React from 'react';

import { firstLine, reflow } from '../common/format';
import type { IMessageType } from '../common/messagetypes';
import { LazyRenderer } from '../common/sidebar';
import type { ExplorerModel } from './model';

/**
 * The id of the explorer in the right sidebar.
 */
export const EXPLORER_PANEL_ID = 'beaker-message-explorer';

interface ICatalogueProps {
  model: ExplorerModel;
  trans: TranslationBundle;
  onSend: () => void;
}

/**
 * The "Message types" section: what requests go to, the server's custom
 * message types with their docs, and the payload editor of the chosen one.
 */
export class CatalogueBody extends LazyRenderer<ExplorerModel> {
  /**
   * Create the section's body.
   */
  constructor(options: {
    model: ExplorerModel;
    trans: TranslationBundle;
    onSend: () => void;
  }) {
    super(options.model);
    this._trans = options.trans;
    this._onSend = options.onSend;
    this.addClass('jp-BeakerExplorer-body');
  }

  protected render(): React.ReactElement {
    const props = {
      model: this.model,
      trans: this._trans,
      onSend: this._onSend
    };
    return (
      <>
        <KernelLine {...props} />
        <TypeList {...props} />
        <TypeDetails {...props} />
      </>
    );
  }

  private _trans: TranslationBundle;
  private _onSend: () => void;
}

/**
 * What requests go to, in one line.
 */
function KernelLine(props: ICatalogueProps): React.ReactElement {
  const { model, trans } = props;
  const status = model.kernelStatus;
  let text: string;
  if (status === null) {
    text = model.target
      ? trans.__('No kernel: start one for %1 to send requests.', model.target)
      : trans.__('No kernel: open a notebook or a console to send requests.');
  } else {
    text = trans.__(
      'Requests go to the kernel of %1 (%2).',
      model.target ?? '',
      status
    );
  }
  return (
    <div
      className="jp-BeakerSidebar-state jp-BeakerExplorer-kernel"
      data-state={status === null ? 'no-kernel' : status}
      role="status"
    >
      {text}
    </div>
  );
}

/**
 * The catalogue: one entry per message type, the chosen one highlighted.
 */
function TypeList(props: ICatalogueProps): React.ReactElement {
  const { model, trans } = props;
  const types = model.types;
  const select = (name: string) => {
    model.selected = name;
  };
  return (
    <div className="jp-BeakerExplorer-catalogue">
      {model.catalogueState === 'error' && (
        <div className="jp-BeakerExplorer-error" role="alert">
          {model.catalogueError}
        </div>
      )}
      {model.catalogueState === 'loading' && types.length === 0 && (
        <div className="jp-BeakerSidebar-state">
          {trans.__('Loading the message types…')}
        </div>
      )}
      {model.catalogueState === 'ok' && types.length === 0 && (
        <div className="jp-BeakerSidebar-state">
          {trans.__('The server has no custom message types.')}
        </div>
      )}
      {types.length > 0 && (
        <ul
          className="jp-BeakerExplorer-types"
          role="listbox"
          aria-label={trans.__('Message types')}
        >
          {types.map(type => {
            const selected = type.name === model.selected;
            return (
              <li
                key={type.name}
                className={`jp-BeakerExplorer-type${selected ? ' jp-mod-selected' : ''}`}
                role="option"
                aria-selected={selected}
                tabIndex={selected ? 0 : -1}
                data-name={type.name}
                title={typeof type.docs === 'string' ? type.docs : undefined}
                onClick={() => select(type.name)}
                onKeyDown={event => {
                  const index = types.indexOf(type);
                  let next: IMessageType | undefined;
                  if (event.key === 'ArrowDown') {
                    next = types[index + 1];
                  } else if (event.key === 'ArrowUp') {
                    next = types[index - 1];
                  } else if (event.key === 'Enter' || event.key === ' ') {
                    next = type;
                  }
                  if (next) {
                    event.preventDefault();
                    select(next.name);
                    const list = event.currentTarget.parentElement;
                    // Keep the focus on the chosen entry once re-rendered.
                    requestAnimationFrame(() =>
                      list
                        ?.querySelector<HTMLElement>(
                          `[data-name="${next!.name}"]`
                        )
                        ?.focus()
                    );
                  }
                }}
              >
                <code className="jp-BeakerExplorer-typeName">{type.name}</code>
                <span className="jp-BeakerExplorer-typeSummary">
                  {firstLine(type.docs)}
                </span>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}

/**
 * The chosen type: its docs, message types, schema and the payload editor.
 */
function TypeDetails(props: ICatalogueProps): React.ReactElement | null {
  const { model, trans, onSend } = props;
  const type = model.selectedType;
  if (!type) {
    return null;
  }
  const docs = typeof type.docs === 'string' ? type.docs.trim() : '';
  const parsed = model.parsedPayload;
  const error = 'error' in parsed ? parsed.error : null;
  let errorText = '';
  if (error?.kind === 'syntax') {
    errorText = trans.__('Invalid JSON: %1', error.message);
  } else if (error) {
    errorText = trans.__(
      'The payload must be a JSON object, not a %1.',
      error.message
    );
  }
  const rows: [string, string | undefined][] = [
    [trans.__('Request'), type.request_type],
    [trans.__('Responses'), type.response_type],
    [trans.__('Reply'), type.reply_type],
    [trans.__('Permission'), type.permission],
    [trans.__('Defined in'), type.source]
  ];
  const payloadId = `${EXPLORER_PANEL_ID}-payload`;
  const errorId = `${EXPLORER_PANEL_ID}-payload-error`;
  return (
    <div className="jp-BeakerExplorer-details" data-name={type.name}>
      <h3 className="jp-BeakerExplorer-name">{type.name}</h3>
      {docs ? (
        <div className="jp-BeakerExplorer-docs">
          {reflow(docs).map((paragraph, index) => (
            <p key={index}>{paragraph}</p>
          ))}
        </div>
      ) : (
        <div className="jp-BeakerExplorer-docs jp-mod-empty">
          {trans.__('No documentation.')}
        </div>
      )}
      <dl className="jp-BeakerExplorer-facts">
        {rows
          .filter(([, value]) => typeof value === 'string' && value)
          .map(([label, value]) => (
            <React.Fragment key={label}>
              <dt>{label}</dt>
              <dd>
                <code>{value}</code>
              </dd>
            </React.Fragment>
          ))}
      </dl>
      {type.schema && (
        <details className="jp-BeakerExplorer-schema">
          <summary>{trans.__('Payload schema')}</summary>
          <pre>{JSON.stringify(type.schema, null, 2)}</pre>
        </details>
      )}
      <label className="jp-BeakerExplorer-label" htmlFor={payloadId}>
        {trans.__('Payload (JSON)')}
      </label>
      <PayloadEditor
        key={`${type.name}:${model.payloadGeneration}`}
        id={payloadId}
        errorId={errorId}
        initial={model.payloadText}
        invalid={error !== null}
        onChange={text => (model.payloadText = text)}
        onSend={() => {
          if (model.canSend) {
            onSend();
          }
        }}
        trans={trans}
      />
      {error && (
        <div
          className="jp-BeakerExplorer-payloadError"
          id={errorId}
          role="alert"
        >
          {errorText}
        </div>
      )}
      <div className="jp-BeakerExplorer-buttons">
        <button
          type="button"
          className="jp-Button jp-mod-styled jp-mod-reject jp-BeakerExplorer-reset"
          disabled={!model.payloadEdited}
          onClick={() => model.resetPayload()}
        >
          {trans.__('Reset')}
        </button>
        <button
          type="button"
          className="jp-Button jp-mod-styled jp-mod-accept jp-BeakerExplorer-send"
          disabled={!model.canSend}
          title={trans.__(
            'Send %1 (Ctrl+Enter)',
            type.request_type ?? type.name
          )}
          onClick={onSend}
        >
          <runIcon.react tag="span" className="jp-BeakerExplorer-sendIcon" />
          {trans.__('Send')}
        </button>
      </div>
    </div>
  );
}

/**
 * The payload textarea.
 *
 * #### Notes
 * It keeps its own text, like the Variables panel's filter: the panel
 * re-renders asynchronously, and a textarea controlled by the model would
 * lose keystrokes and its caret. A reset or another type remounts it
 * (through its key).
 */
function PayloadEditor(props: {
  id: string;
  errorId: string;
  initial: string;
  invalid: boolean;
  onChange: (text: string) => void;
  onSend: () => void;
  trans: TranslationBundle;
}): React.ReactElement {
  const { id, errorId, initial, invalid, onChange, onSend, trans } = props;
  const [value, setValue] = React.useState(initial);
  const lines = Math.min(Math.max(value.split('\n').length + 1, 4), 16);
  return (
    <textarea
      id={id}
      className="jp-mod-styled jp-BeakerExplorer-payload"
      rows={lines}
      spellCheck={false}
      aria-invalid={invalid}
      aria-describedby={invalid ? errorId : undefined}
      aria-label={trans.__('Payload (JSON)')}
      value={value}
      onChange={event => {
        setValue(event.target.value);
        onChange(event.target.value);
      }}
      onKeyDown={event => {
        if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          onSend();
        }
      }}
    />
  );
}
