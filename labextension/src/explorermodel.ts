import type { JSONObject, JSONValue } from '@lumino/coreutils';

import type { IMessageType } from './messagetypes';
import { SidebarModel } from './sidebarmodel';

/**
 * Where the message type catalogue stands.
 */
export type CatalogueState = 'loading' | 'ok' | 'error';

/**
 * How a request of the explorer ended, or `running`.
 *
 * `ok`, `error` and `aborted` are the `status` of the reply; `failed` means
 * no reply came (the kernel connection went away, or the request could not
 * be sent).
 */
export type RunStatus = 'running' | 'ok' | 'error' | 'aborted' | 'failed';

/**
 * Why a payload text cannot be sent.
 */
export interface IPayloadError {
  /**
   * `syntax`: not JSON; `not-object`: JSON, but not an object.
   */
  readonly kind: 'syntax' | 'not-object';
  /**
   * The parser's message, or what the value is (`array`, `number`...).
   */
  readonly message: string;
}

/**
 * One message of a request's flow, as it arrived.
 */
export interface IExplorerEvent {
  /**
   * Its rank in the flow, from 1.
   */
  readonly index: number;
  /**
   * The channel it came on.
   */
  readonly channel: 'iopub' | 'shell';
  /**
   * Its `msg_type`.
   */
  readonly msgType: string;
  /**
   * Its `msg_id`.
   */
  readonly msgId: string;
  /**
   * Milliseconds from sending the request to its arrival.
   */
  readonly elapsed: number;
  /**
   * Its content.
   */
  readonly content: JSONObject;
}

/**
 * One request sent from the explorer, and what came back.
 */
export interface IExplorerRun {
  /**
   * A number that tells the runs of the explorer apart, from 1.
   */
  readonly id: number;
  /**
   * The custom message type `N`.
   */
  readonly name: string;
  /**
   * The `msg_id` of the `N_request`.
   */
  readonly msgId: string;
  /**
   * The content sent.
   */
  readonly payload: JSONObject;
  /**
   * The notebook or console whose kernel it went to.
   */
  readonly target: string | null;
  /**
   * When it was sent.
   */
  readonly started: Date;
  /**
   * How it ended, or `running`.
   */
  readonly status: RunStatus;
  /**
   * Milliseconds from sending to the reply, or `null` before it.
   */
  readonly replyElapsed: number | null;
  /**
   * Milliseconds from sending to the end of the flow (the reply and the
   * idle status both in), or `null` while running.
   */
  readonly elapsed: number | null;
  /**
   * Why no reply came, for `failed`.
   */
  readonly error: string;
  /**
   * The messages of the flow, in the order they arrived.
   */
  readonly events: readonly IExplorerEvent[];
}

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
    this.stateChanged.emit(void 0);
  }

  /**
   * Go to the `loading` or `error` catalogue state, keeping the types.
   */
  setCatalogueState(state: 'loading' | 'error', error = ''): void {
    this._catalogueState = state;
    this._catalogueError = state === 'error' ? error : '';
    this.stateChanged.emit(void 0);
  }

  /**
   * The name of the chosen message type, or `null`.
   */
  get selected(): string | null {
    return this._selected;
  }
  set selected(name: string | null) {
    if (name === this._selected) {
      return;
    }
    if (name !== null && !this._types.some(type => type.name === name)) {
      return;
    }
    this._selected = name;
    this.stateChanged.emit(void 0);
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
    return this._drafts.get(name) ?? Private.defaultText(this.selectedType);
  }
  set payloadText(text: string) {
    const name = this._selected;
    if (name === null || text === this.payloadText) {
      return;
    }
    this._drafts.set(name, text);
    this.stateChanged.emit(void 0);
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
      this._drafts.get(this._selected) !==
        Private.defaultText(this.selectedType)
    );
  }

  /**
   * Go back to the default payload of the chosen type.
   */
  resetPayload(): void {
    if (this._selected !== null && this._drafts.delete(this._selected)) {
      this._generation += 1;
      this.stateChanged.emit(void 0);
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
    this.stateChanged.emit(void 0);
  }

  /**
   * The parsed payload, or the reason it cannot be sent.
   */
  get parsedPayload(): { payload: JSONObject } | { error: IPayloadError } {
    return Private.parse(this.payloadText);
  }

  /**
   * The status of the kernel requests go to (that of the `target`), or
   * `null` when there is none.
   */
  get kernelStatus(): string | null {
    return this._kernelStatus;
  }
  set kernelStatus(value: string | null) {
    if (value !== this._kernelStatus) {
      this._kernelStatus = value;
      this.stateChanged.emit(void 0);
    }
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
    this.stateChanged.emit(void 0);
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
      this.stateChanged.emit(void 0);
    }
  }

  /**
   * Announce a change of `run` if it is still kept.
   */
  private _touch(run: Private.IMutableRun): void {
    if (this._runs.includes(run)) {
      this.stateChanged.emit(void 0);
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

  /**
   * The default payload of `type` as indented JSON.
   */
  export function defaultText(type: IMessageType | null): string {
    const payload =
      type?.default && typeof type.default === 'object' ? type.default : {};
    return JSON.stringify(payload, null, 2);
  }

  /**
   * Parse a payload text: a JSON object.
   */
  export function parse(
    text: string
  ): { payload: JSONObject } | { error: IPayloadError } {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (reason) {
      const message = reason instanceof Error ? reason.message : String(reason);
      return { error: { kind: 'syntax', message } };
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      const kind = Array.isArray(value) ? 'array' : typeof value;
      return { error: { kind: 'not-object', message: kind } };
    }
    return { payload: value as JSONObject };
  }
}
