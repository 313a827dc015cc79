import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { JSONObject, ReadonlyPartialJSONObject } from '@lumino/coreutils';
import * as React from 'react';

import { formatElapsed, formatJSON, stripAnsi } from '../common/format';
import { RichPreview } from '../common/rendered';
import { LazyRenderer } from '../common/sidebar';
import type { ExplorerModel } from './model';
import type { IExplorerEvent, IExplorerRun, RunStatus } from './types';

/**
 * The most characters of a message's JSON shown before it is cut.
 */
const MAX_JSON_CHARS = 20_000;

interface IFlowProps {
  model: ExplorerModel;
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
}

/**
 * The "Flow" section: the recent requests, newest first, each with its
 * messages as they arrived.
 *
 * #### Notes
 * Display data is rendered with the rendermime registry, untrusted; every
 * other message shows as its JSON content.
 */
export class FlowBody extends LazyRenderer<ExplorerModel> {
  /**
   * Create the section's body.
   */
  constructor(options: IFlowProps) {
    super(options.model);
    this._rendermime = options.rendermime;
    this._trans = options.trans;
    this.addClass('jp-BeakerExplorer-runs');
  }

  protected render(): React.ReactElement {
    return (
      <Runs
        model={this.model}
        rendermime={this._rendermime}
        trans={this._trans}
      />
    );
  }

  private _rendermime: IRenderMimeRegistry;
  private _trans: TranslationBundle;
}

/**
 * The recent requests, newest first.
 */
function Runs(props: IFlowProps): React.ReactElement {
  const { model, trans } = props;
  const runs = model.runs;
  if (runs.length === 0) {
    return (
      <div className="jp-BeakerSidebar-state">
        {trans.__(
          'Send a request: its responses, streams and reply show here as they arrive.'
        )}
      </div>
    );
  }
  return (
    <ol className="jp-BeakerExplorer-runList">
      {runs.map(run => (
        <Run key={run.id} {...props} run={run} />
      ))}
    </ol>
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
function Run(props: IFlowProps & { run: IExplorerRun }): React.ReactElement {
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
  props: IFlowProps & { event: IExplorerEvent }
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
 * A JSON value, indented, cut when very long.
 */
function JSONBlock(props: {
  value: unknown;
  trans: TranslationBundle;
}): React.ReactElement {
  const { value, trans } = props;
  const text = React.useMemo(() => formatJSON(value), [value]);
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
