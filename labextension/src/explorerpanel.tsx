import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { TranslationBundle } from '@jupyterlab/translation';
import { clearIcon, runIcon } from '@jupyterlab/ui-components';
import type { JSONObject, ReadonlyPartialJSONObject } from '@lumino/coreutils';
import * as React from 'react';

import {
  ExplorerModel,
  IExplorerEvent,
  IExplorerRun,
  RunStatus
} from './explorermodel';
import { messagesIcon } from './icons';
import type { IMessageType } from './messagetypes';
import { RichPreview } from './previewpanel';
import { IconButton, SidebarHeader, SidebarPanel } from './sidebarpanel';

/**
 * The id of the explorer in the right sidebar.
 */
export const EXPLORER_PANEL_ID = 'beaker-message-explorer';

/**
 * The most characters of a message's JSON shown before it is cut.
 */
const MAX_JSON_CHARS = 20_000;

/**
 * The message explorer: the server's custom message types with their docs,
 * a payload editor, and the flow of the requests sent, message by message.
 *
 * #### Notes
 * Display data is rendered with the rendermime registry, untrusted; every
 * other message shows as its JSON content. While the panel is hidden,
 * model changes do not re-render it; it catches up when shown.
 */
export class ExplorerPanel extends SidebarPanel<ExplorerModel> {
  /**
   * Create the panel of `options.model`.
   */
  constructor(options: ExplorerPanel.IOptions) {
    super(options);
    this._onSend = options.onSend;
    this._onReload = options.onReload;
    this.id = EXPLORER_PANEL_ID;
    this.addClass('jp-BeakerExplorer');
    this.title.icon = messagesIcon;
    this.title.caption = this.trans.__('Message Explorer');
  }

  protected render(): React.ReactElement {
    return (
      <ExplorerView
        model={this.model}
        rendermime={this.rendermime}
        trans={this.trans}
        onSend={this._onSend}
        onReload={this._onReload}
      />
    );
  }

  private _onSend: () => void;
  private _onReload: () => void;
}

/**
 * The namespace for {@link ExplorerPanel} statics.
 */
export namespace ExplorerPanel {
  /**
   * The options of a panel.
   */
  export interface IOptions extends SidebarPanel.IOptions<ExplorerModel> {
    /**
     * What the Send button does.
     */
    onSend: () => void;
    /**
     * What the reload button does (list the message types again).
     */
    onReload: () => void;
  }
}

interface IViewProps {
  model: ExplorerModel;
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
  onSend: () => void;
  onReload: () => void;
}

/**
 * The whole panel.
 */
function ExplorerView(props: IViewProps): React.ReactElement {
  const { model, trans, onReload } = props;
  return (
    <>
      <SidebarHeader
        title={trans.__('Messages')}
        target={model.target}
        refreshLabel={trans.__('List the message types again')}
        refreshClassName="jp-BeakerExplorer-reload"
        refreshing={model.catalogueState === 'loading'}
        onRefresh={onReload}
      />
      <div className="jp-BeakerExplorer-body">
        <KernelLine model={model} trans={trans} />
        <TypeList model={model} trans={trans} />
        <TypeDetails {...props} />
        <Runs {...props} />
      </div>
    </>
  );
}

/**
 * What requests go to, in one line.
 */
function KernelLine(props: {
  model: ExplorerModel;
  trans: TranslationBundle;
}): React.ReactElement {
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
      className="jp-BeakerPreview-state jp-BeakerExplorer-kernel"
      data-state={status === null ? 'no-kernel' : status}
      role="status"
    >
      {text}
    </div>
  );
}

/**
 * The first line of a type's docs.
 */
function summary(type: IMessageType): string {
  const docs = typeof type.docs === 'string' ? type.docs.trim() : '';
  return docs.split('\n', 1)[0];
}

/**
 * The paragraphs of a docstring, with the line breaks of its source
 * joined: docstrings are wrapped for the editor, not for a sidebar. A line
 * that starts a list item keeps its break.
 */
export function reflow(docs: string): string[] {
  return docs
    .trim()
    .split(/\n\s*\n/)
    .map(paragraph => {
      let text = '';
      for (const line of paragraph.split('\n')) {
        const trimmed = line.trim();
        if (!text) {
          text = trimmed;
        } else if (/^([-*\u2022]|\d+[.)])\s/.test(trimmed)) {
          text += `\n${trimmed}`;
        } else if (trimmed) {
          text += ` ${trimmed}`;
        }
      }
      return text;
    })
    .filter(paragraph => paragraph.length > 0);
}

/**
 * The catalogue: one entry per message type, the chosen one highlighted.
 */
function TypeList(props: {
  model: ExplorerModel;
  trans: TranslationBundle;
}): React.ReactElement {
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
        <div className="jp-BeakerPreview-state">
          {trans.__('Loading the message types…')}
        </div>
      )}
      {model.catalogueState === 'ok' && types.length === 0 && (
        <div className="jp-BeakerPreview-state">
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
                  {summary(type)}
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
function TypeDetails(props: IViewProps): React.ReactElement | null {
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

/**
 * Milliseconds as text: `0.8 ms`, `42 ms`, `1.25 s`.
 */
export function formatElapsed(ms: number): string {
  if (ms < 10) {
    return `${ms.toFixed(1)} ms`;
  }
  if (ms < 1000) {
    return `${Math.round(ms)} ms`;
  }
  return `${(ms / 1000).toFixed(2)} s`;
}

/**
 * The recent requests, newest first.
 */
function Runs(props: IViewProps): React.ReactElement {
  const { model, trans } = props;
  const runs = model.runs;
  return (
    <div className="jp-BeakerExplorer-runs">
      <div className="jp-BeakerExplorer-runsHeader">
        <h3>{trans.__('Flow')}</h3>
        <IconButton
          className="jp-BeakerExplorer-clear"
          label={trans.__('Clear the finished requests')}
          icon={clearIcon}
          disabled={runs.every(run => run.status === 'running')}
          onClick={() => model.clearRuns()}
        />
      </div>
      {runs.length === 0 ? (
        <div className="jp-BeakerPreview-state">
          {trans.__(
            'Send a request: its responses, streams and reply show here as they arrive.'
          )}
        </div>
      ) : (
        <ol className="jp-BeakerExplorer-runList">
          {runs.map(run => (
            <Run key={run.id} {...props} run={run} />
          ))}
        </ol>
      )}
    </div>
  );
}

/**
 * The label of a run's status.
 */
function statusLabel(status: RunStatus, trans: TranslationBundle): string {
  switch (status) {
    case 'running':
      return trans.__('running');
    case 'ok':
      return trans.__('ok');
    case 'error':
      return trans.__('error');
    case 'aborted':
      return trans.__('aborted');
    default:
      return trans.__('failed');
  }
}

/**
 * One request and its flow.
 */
function Run(props: IViewProps & { run: IExplorerRun }): React.ReactElement {
  const { run, trans } = props;
  return (
    <li
      className="jp-BeakerExplorer-run"
      data-status={run.status}
      data-name={run.name}
      data-msg-id={run.msgId}
    >
      <div className="jp-BeakerExplorer-runHeader">
        <code className="jp-BeakerExplorer-runName">{run.name}</code>
        <span
          className="jp-BeakerExplorer-status"
          data-status={run.status}
          title={run.error || undefined}
        >
          {statusLabel(run.status, trans)}
        </span>
        <span
          className="jp-BeakerExplorer-elapsed"
          title={
            run.replyElapsed === null
              ? undefined
              : trans.__('Reply after %1', formatElapsed(run.replyElapsed))
          }
        >
          {run.elapsed === null ? (
            <Ticker since={run.started} />
          ) : (
            formatElapsed(run.elapsed)
          )}
        </span>
        <span
          className="jp-BeakerExplorer-runTarget"
          title={run.started.toLocaleString()}
        >
          {run.target ?? ''}
        </span>
      </div>
      <details className="jp-BeakerExplorer-sent">
        <summary>{trans.__('Sent')}</summary>
        <JSONBlock value={run.payload} trans={trans} />
      </details>
      <ol className="jp-BeakerExplorer-events">
        {run.events.map(event => (
          <Event key={event.index} {...props} event={event} />
        ))}
      </ol>
      {run.error && (
        <div className="jp-BeakerExplorer-error" role="alert">
          {trans.__('No reply: %1', run.error)}
        </div>
      )}
    </li>
  );
}

/**
 * The time since `since`, updated while shown.
 */
function Ticker(props: { since: Date }): React.ReactElement {
  const [now, setNow] = React.useState(() => Date.now());
  React.useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 100);
    return () => window.clearInterval(timer);
  }, []);
  return <>{formatElapsed(Math.max(0, now - props.since.getTime()))}</>;
}

/**
 * One message of a flow.
 */
function Event(
  props: IViewProps & { event: IExplorerEvent }
): React.ReactElement {
  const { event, rendermime, trans } = props;
  const content = event.content as { [key: string]: unknown };
  let note = '';
  let body: React.ReactElement | null = null;
  switch (event.msgType) {
    case 'status':
      note = String(content.execution_state ?? '');
      break;
    case 'stream':
      note = String(content.name ?? '');
      body = (
        <pre
          className="jp-BeakerExplorer-stream"
          data-name={String(content.name ?? '')}
        >
          {String(content.text ?? '')}
        </pre>
      );
      break;
    case 'display_data':
    case 'update_display_data':
    case 'execute_result':
      body = (
        <>
          {content.data && typeof content.data === 'object' ? (
            <RichPreview
              bundle={content.data as ReadonlyPartialJSONObject}
              rendermime={rendermime}
              trans={trans}
              className="jp-BeakerExplorer-display"
            />
          ) : null}
          <details>
            <summary>{trans.__('JSON')}</summary>
            <JSONBlock value={event.content} trans={trans} />
          </details>
        </>
      );
      break;
    case 'error':
      note = String(content.ename ?? '');
      body = <ErrorBlock content={content} />;
      break;
    default:
      if (event.channel === 'shell') {
        note = String(content.status ?? '');
        body = <ReplyBlock content={content} trans={trans} />;
      } else {
        body = <JSONBlock value={event.content} trans={trans} />;
      }
  }
  return (
    <li
      className="jp-BeakerExplorer-event"
      data-index={event.index}
      data-channel={event.channel}
      data-msg-type={event.msgType}
    >
      <div className="jp-BeakerExplorer-eventHeader">
        <span className="jp-BeakerExplorer-eventIndex">{event.index}</span>
        <span className="jp-BeakerExplorer-channel">{event.channel}</span>
        <code className="jp-BeakerExplorer-msgType">{event.msgType}</code>
        {note && (
          <span className="jp-BeakerExplorer-note" data-note={note}>
            {note}
          </span>
        )}
        <span className="jp-BeakerExplorer-eventTime">
          +{formatElapsed(event.elapsed)}
        </span>
      </div>
      {body}
    </li>
  );
}

/**
 * The content of a reply: its return value, or its error.
 */
function ReplyBlock(props: {
  content: { [key: string]: unknown };
  trans: TranslationBundle;
}): React.ReactElement {
  const { content, trans } = props;
  if (content.status === 'error') {
    return <ErrorBlock content={content} />;
  }
  if (content.status === 'aborted') {
    return (
      <div className="jp-BeakerExplorer-aborted">
        {trans.__(
          'Aborted: the kernel restarted or shut down, or the request was cancelled.'
        )}
      </div>
    );
  }
  return (
    <JSONBlock
      value={(content.return ?? content) as JSONObject}
      trans={trans}
    />
  );
}

/**
 * An error: `ename: evalue`, and its traceback without terminal colours.
 */
function ErrorBlock(props: {
  content: { [key: string]: unknown };
}): React.ReactElement {
  const { content } = props;
  const traceback = Array.isArray(content.traceback)
    ? content.traceback.map(line => stripAnsi(String(line))).join('\n')
    : '';
  return (
    <div className="jp-BeakerExplorer-errorBlock">
      <div className="jp-BeakerExplorer-errorName">
        {String(content.ename ?? '')}
        {content.evalue ? `: ${String(content.evalue)}` : ''}
      </div>
      {traceback && (
        <pre className="jp-BeakerExplorer-traceback">{traceback}</pre>
      )}
    </div>
  );
}

/**
 * Text without ANSI escape sequences.
 */
function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
}

/**
 * A JSON value, indented, cut when very long.
 */
function JSONBlock(props: {
  value: unknown;
  trans: TranslationBundle;
}): React.ReactElement {
  const { value, trans } = props;
  const text = React.useMemo(() => {
    try {
      return JSON.stringify(value, null, 2) ?? String(value);
    } catch {
      return String(value);
    }
  }, [value]);
  const cut = text.length > MAX_JSON_CHARS;
  return (
    <pre className="jp-BeakerExplorer-json">
      {cut ? text.slice(0, MAX_JSON_CHARS) : text}
      {cut && (
        <span className="jp-BeakerExplorer-cut">
          {'\n'}
          {trans.__('… %1 more characters', text.length - MAX_JSON_CHARS)}
        </span>
      )}
    </pre>
  );
}
