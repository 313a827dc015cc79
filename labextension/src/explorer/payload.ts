import type { JSONObject } from '@lumino/coreutils';

import type { IMessageType } from '../common/messagetypes';
import type { IPayloadError } from './types';

/**
 * The default payload of `type` as indented JSON.
 */
export function defaultPayloadText(type: IMessageType | null): string {
  const payload =
    type?.default && typeof type.default === 'object' ? type.default : {};
  return JSON.stringify(payload, null, 2);
}

/**
 * Parse a payload text: a JSON object.
 */
export function parsePayload(
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
