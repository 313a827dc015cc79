import type { JSONObject } from '@lumino/coreutils';

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
