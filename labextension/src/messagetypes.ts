import type { JSONObject } from '@lumino/coreutils';

import { requestAPI } from './handler';

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
