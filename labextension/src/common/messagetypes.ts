import type { JSONObject } from '@lumino/coreutils';

import { requestAPI } from './request';

/**
 * The custom message types of the server this extension sends by name.
 */
export const MESSAGES = {
  /**
   * A fresh variable preview of the kernel.
   */
  preview: 'preview',
  /**
   * Evaluate an expression without running a cell.
   */
  evaluate: 'evaluate'
} as const;

/**
 * The message types of the server's variable store.
 */
export const STORE_MESSAGES = {
  save: 'save_var',
  load: 'load_var',
  list: 'list_vars',
  delete: 'delete_var'
} as const;

/**
 * One entry of the server's message type catalogue, as served by
 * `GET <baseUrl>beaker/api/message-types`.
 *
 * #### Notes
 * Only `name` is relied upon everywhere; the other fields are read when
 * present. The server may send more fields, which are kept as they are.
 */
export interface IMessageType {
  /**
   * The custom message type `N`, a Python identifier such as `save_var`.
   */
  name: string;

  /**
   * The `msg_type` of the request, `N_request`.
   */
  request_type?: string;

  /**
   * The `msg_type` of the iopub responses, `N_response`.
   */
  response_type?: string;

  /**
   * The `msg_type` of the reply, `N_reply`.
   */
  reply_type?: string;

  /**
   * The channel of each of the three messages.
   */
  channels?: { [role: string]: string };

  /**
   * What the message does, as written by the handler's author.
   */
  docs?: string;

  /**
   * The JSON schema of the request's content.
   */
  schema?: JSONObject;

  /**
   * A payload to start from.
   */
  default?: JSONObject;

  /**
   * The action on the `kernels` resource the user needs: `read` for a
   * request that only looks, `execute` for one that may change the kernel.
   */
  permission?: string;

  /**
   * Where the handler is defined, as `module:function`.
   */
  source?: string;

  /**
   * Any other field the server sends about this message type.
   */
  [key: string]: unknown;
}

/**
 * The body of `GET <baseUrl>beaker/api/message-types`.
 */
export interface IMessageTypesReply {
  /**
   * The message types the server extension knows how to handle.
   */
  message_types: IMessageType[];
}

/**
 * The last request for the catalogue, or `null`.
 */
let catalogue: Promise<IMessageType[]> | null = null;

/**
 * The message types of the server, asked for once and shared by every
 * part of the extension.
 *
 * @param refresh - Ask the server again rather than reuse the last answer.
 *
 * @returns A promise of the message types, sorted by name.
 *
 * @throws {ServerConnection.ResponseError} When the server does not
 *   answer with a catalogue; a failed answer is not kept, so the next call
 *   asks again.
 */
export function fetchMessageTypes(refresh = false): Promise<IMessageType[]> {
  if (refresh || catalogue === null) {
    const request = requestAPI<IMessageTypesReply>('message-types').then(
      reply => {
        if (!reply || !Array.isArray(reply.message_types)) {
          throw new Error(
            'The server answered without a "message_types" list.'
          );
        }
        return reply.message_types
          .filter(type => type && typeof type.name === 'string')
          .sort((a, b) => a.name.localeCompare(b.name));
      }
    );
    catalogue = request;
    request.catch(() => {
      if (catalogue === request) {
        catalogue = null;
      }
    });
  }
  return catalogue!;
}

/**
 * The state of the link to the server extension, as published on
 * `document.body.dataset.beakerServer` (the `data-beaker-server` attribute).
 *
 * #### Notes
 * The attribute is absent until the first check has finished, so a browser
 * test can wait for `body[data-beaker-server]` and then read its value
 * instead of scraping the console.
 */
export type ConnectionState = 'connected' | 'unreachable';

/**
 * Ask the server extension for its message types and report the outcome.
 *
 * @returns A promise that resolves with the state that was published; it
 *   never rejects, since a missing server extension must not break the rest
 *   of JupyterLab.
 *
 * #### Notes
 * The front end is installed as a prebuilt extension and the server part as a
 * Jupyter Server extension; either can be present without the other (for
 * instance when the server extension is disabled, or when JupyterLab talks to
 * a remote server). This check makes such a mismatch visible in the browser
 * console right away rather than at the first feature that needs the server.
 * Its answer is the catalogue every part of the extension then shares.
 */
export async function checkServerExtension(): Promise<ConnectionState> {
  let state: ConnectionState;
  try {
    const types = await fetchMessageTypes();
    console.log(
      `beaker-server: connected to server, ${types.length} message types`
    );
    state = 'connected';
  } catch (reason) {
    console.error('beaker-server: server extension not reachable', reason);
    state = 'unreachable';
  }
  // Published after the log line so that whoever waits on the attribute
  // can count on the console message having been written already.
  document.body.dataset.beakerServer = state;
  return state;
}
