import type { Kernel } from '@jupyterlab/services';
import type { JSONObject } from '@lumino/coreutils';

import { sendCustomRequest } from '../common/kernel';

/**
 * A failed Data Explorer request: the server's `ename` and `evalue` (and
 * the rest of its error content), `Aborted` when the kernel restarted or
 * the server stopped, `Timeout` when no reply came in time.
 */
export class TableRequestError extends Error {
  constructor(
    readonly ename: string,
    readonly evalue: string,
    readonly content: { [key: string]: unknown } = {}
  ) {
    super(evalue ? `${ename}: ${evalue}` : ename);
  }
}

/**
 * Send a custom request `name` and wait for its reply's `return`.
 *
 * @param onResponse - Called with the content of each `<name>_response`
 *   (progress, an approximate profile) that comes before the reply.
 * @param timeout - How long to wait for the reply, in ms (no bound: 0).
 *
 * @throws {TableRequestError} When the reply is an error, the request was
 *   aborted or timed out, or the kernel connection went away.
 */
export async function tableRequest<T>(
  kernel: Kernel.IKernelConnection,
  name: string,
  content: JSONObject,
  options: {
    onResponse?: (content: any) => void;
    timeout?: number;
  } = {}
): Promise<T> {
  const { onResponse, timeout = 0 } = options;
  const future = sendCustomRequest(kernel, name, content, {
    onResponse: onResponse ? msg => onResponse(msg.content) : undefined
  });
  let timer = 0;
  const bounded =
    timeout > 0
      ? Promise.race([
          future.done,
          new Promise<null>(resolve => {
            timer = window.setTimeout(() => resolve(null), timeout);
          })
        ])
      : future.done;
  let reply;
  try {
    reply = await bounded;
  } catch (reason) {
    throw new TableRequestError(
      'Aborted',
      reason instanceof Error ? reason.message : String(reason)
    );
  } finally {
    window.clearTimeout(timer);
    if (!future.isDisposed) {
      future.dispose();
    }
  }
  if (reply === null) {
    throw new TableRequestError('Timeout', `no ${name} reply in time`);
  }
  const answer = reply.content;
  if (answer.status === 'ok') {
    return answer.return as unknown as T;
  }
  if (answer.status === 'error') {
    const { ename, evalue, ...rest } = answer;
    throw new TableRequestError(String(ename), String(evalue ?? ''), rest);
  }
  throw new TableRequestError('Aborted', '');
}
