import type { JSONObject, JSONValue } from '@lumino/coreutils';

import type { IMessageType } from '../common/messagetypes';
import { SidebarModel } from '../common/model';
import { defaultPayloadText, parsePayload } from './payload';
import type {
  CatalogueState,
  IExplorerEvent,
  IExplorerRun,
  IPayloadError,
  RunStatus
} from './types';

export type {
  CatalogueState,
  IExplorerEvent,
  IExplorerRun,
  IPayloadError,
  RunStatus
};

/**
 * The model of the message explorer.
 *
 * #### Notes
 * It holds the catalogue of message types, the one chosen, a payload draft
 * per type, and the recent runs with their messages. An
 * {@link ExplorerConnector} fills it from the server and the kernel; the
 * panel renders it. Every change is announced on `stateChanged`.
 */
export class ExplorerModel extends SidebarModel {
  /**
   * How many runs are kept; older ones are dropped.
   */
  static readonly maxRuns = 20;

  /**
   * The message types, sorted by name.
   */
  get types(): readonly IMessageType[] {
    return this._types;
  }

  /**
   * Where the catalogue stands.
   */
  get catalogueState(): CatalogueState {
    return this._catalogueState;
  }

  /**
   * The error of the `error` catalogue state.
   */
  get catalogueError(): string {
    return this._catalogueError;
  }

  /**
   * Show the catalogue `types`. The chosen type is kept when it is still
   * there; otherwise the first one is chosen.
   */
  setTypes(types: readonly IMessageType[]): void {
    this._types = [...types];
    this._catalogueState = 'ok';
    this._catalogueError = '';
    if (!this._types.some(type => type.name === this._selected)) {
      this._selected = this._types.length > 0 ? this._types[0].name : null;
    }
    this.changed();
  }

  /**
   * Go to the `loading` or `error` catalogue state, keeping the types.
   */
  setCatalogueState(state: 'loading' | 'error', error = ''): void {
    this._catalogueState = state;
    this._catalogueError = state === 'error' ? error : '';
    this.changed();
  }

  /**
   * The name of the chosen message type, or `null`.
   */
  get selected(): string | null {
    return this._selected;
  }
  set selected(name: string | null) {
    if (name !== null && !this._types.some(type => type.name === name)) {
      return;
    }
    this.change(this._selected, name, v => (this._selected = v));
  }

  /**
   * The chosen message type, or `null`.
   */
  get selectedType(): IMessageType | null {
    return this._types.find(type => type.name === this._selected) ?? null;
  }

  /**
   * The payload text of the chosen type: the user's draft, or its default
   * payload as indented JSON.
   */
  get payloadText(): string {
    const name = this._selected;
    if (name === null) {
      return '';
    }
    return this._drafts.get(name) ?? defaultPayloadText(this.selectedType);
  }
  set payloadText(text: string) {
    const name = this._selected;
    if (name !== null) {
      this.change(this.payloadText, text, v => this._drafts.set(name, v));
    }
  }

  /**
   * A number that grows whenever the payload text changes other than by
   * typing (a reset, another type chosen), for editors that keep their own
   * state.
   */
  get payloadGeneration(): number {
    return this._generation;
  }

  /**
   * Whether the payload of the chosen type differs from its default.
   */
  get payloadEdited(): boolean {
    return (
      this._selected !== null &&
      this._drafts.has(this._selected) &&
      this._drafts.get(this._selected) !== defaultPayloadText(this.selectedType)
    );
  }

  /**
   * Go back to the default payload of the chosen type.
   */
  resetPayload(): void {
    if (this._selected !== null && this._drafts.delete(this._selected)) {
      this._generation += 1;
      this.changed();
    }
  }

  /**
   * Set the payload of the chosen type to `payload`, as indented JSON.
   */
  setPayload(payload: JSONObject): void {
    if (this._selected === null) {
      return;
    }
    this._drafts.set(this._selected, JSON.stringify(payload, null, 2));
    this._generation += 1;
    this.changed();
  }

  /**
   * The parsed payload, or the reason it cannot be sent.
   */
  get parsedPayload(): { payload: JSONObject } | { error: IPayloadError } {
    return parsePayload(this.payloadText);
  }

  /**
   * The status of the kernel requests go to (that of the `target`), or
   * `null` when there is none.
   */
  get kernelStatus(): string | null {
    return this._kernelStatus;
  }
  set kernelStatus(value: string | null) {
    this.change(this._kernelStatus, value, v => (this._kernelStatus = v));
  }

  /**
   * Whether a request can be sent now: a type chosen, a valid payload, a
   * kernel that is neither dead nor restarting.
   */
  get canSend(): boolean {
    return (
      this._selected !== null &&
      'payload' in this.parsedPayload &&
      this._kernelStatus !== null &&
      !['dead', 'restarting', 'autorestarting', 'terminating'].includes(
        this._kernelStatus
      )
    );
  }

  /**
   * The runs, newest first.
   */
  get runs(): readonly IExplorerRun[] {
    return this._runs;
  }

  /**
   * Record that a request was sent; returns its run.
   */
  startRun(options: {
    name: string;
    msgId: string;
    payload: JSONObject;
    target: string | null;
  }): IExplorerRun {
    const run: Private.IMutableRun = {
      ...options,
      id: ++this._lastRunId,
      started: new Date(),
      startedAt: performance.now(),
      status: 'running',
      replyElapsed: null,
      elapsed: null,
      error: '',
      events: []
    };
    this._runs = [run, ...this._runs].slice(0, ExplorerModel.maxRuns);
    this.changed();
    return run;
  }

  /**
   * Add a message that arrived for `run`.
   */
  addEvent(
    run: IExplorerRun,
    channel: 'iopub' | 'shell',
    msg: {
      header: { msg_type: string; msg_id: string };
      content: unknown;
    }
  ): void {
    const mutable = run as Private.IMutableRun;
    const elapsed = performance.now() - mutable.startedAt;
    const content =
      msg.content && typeof msg.content === 'object'
        ? (msg.content as JSONObject)
        : { value: (msg.content ?? null) as JSONValue };
    const event: IExplorerEvent = {
      index: mutable.events.length + 1,
      channel,
      msgType: msg.header.msg_type,
      msgId: msg.header.msg_id,
      elapsed,
      content
    };
    mutable.events = [...mutable.events, event];
    if (channel === 'shell' && mutable.replyElapsed === null) {
      mutable.replyElapsed = elapsed;
      const status = (content as { status?: unknown }).status;
      if (status === 'ok' || status === 'error' || status === 'aborted') {
        mutable.status = status;
      } else {
        mutable.status = 'error';
      }
    }
    this._touch(mutable);
  }

  /**
   * Record that the flow of `run` is over; `error` says why when no reply
   * came.
   */
  finishRun(run: IExplorerRun, error?: string): void {
    const mutable = run as Private.IMutableRun;
    if (mutable.elapsed !== null) {
      return;
    }
    mutable.elapsed = performance.now() - mutable.startedAt;
    if (error !== undefined || mutable.replyElapsed === null) {
      mutable.status =
        mutable.replyElapsed === null ? 'failed' : mutable.status;
      mutable.error = error ?? '';
    }
    this._touch(mutable);
  }

  /**
   * Forget every run that is over.
   */
  clearRuns(): void {
    const running = this._runs.filter(run => run.status === 'running');
    if (running.length !== this._runs.length) {
      this._runs = running;
      this.changed();
    }
  }

  /**
   * Announce a change of `run` if it is still kept.
   */
  private _touch(run: Private.IMutableRun): void {
    if (this._runs.includes(run)) {
      this.changed();
    }
  }

  private _types: IMessageType[] = [];
  private _catalogueState: CatalogueState = 'loading';
  private _catalogueError = '';
  private _selected: string | null = null;
  private _drafts = new Map<string, string>();
  private _generation = 0;
  private _kernelStatus: string | null = null;
  private _runs: IExplorerRun[] = [];
  private _lastRunId = 0;
}

/**
 * A module-private namespace.
 */
namespace Private {
  /**
   * A run as the model updates it.
   */
  export interface IMutableRun {
    id: number;
    name: string;
    msgId: string;
    payload: JSONObject;
    target: string | null;
    started: Date;
    startedAt: number;
    status: RunStatus;
    replyElapsed: number | null;
    elapsed: number | null;
    error: string;
    events: IExplorerEvent[];
  }
}
