import { Kernel, KernelMessage } from '@jupyterlab/services';
import type { JSONObject, JSONValue } from '@lumino/coreutils';

/**
 * The content of a successful `<name>_reply`.
 */
export interface ICustomReplyOk extends JSONObject {
  status: 'ok';
  /**
   * The JSON value returned by the server-side handler.
   */
  return: JSONValue;
}

/**
 * The content of a failed `<name>_reply`.
 *
 * #### Notes
 * `ename` is meant for programs to branch on (`ValidationError`,
 * `PayloadTooLarge`, `HandlerTimeout`, or the name of the exception raised
 * in the handler or the kernel).
 */
export interface ICustomReplyError extends JSONObject {
  status: 'error';
  ename: string;
  evalue: string;
  traceback: string[];
}

/**
 * The content of a `<name>_reply` for a request that was given up: the kernel
 * restarted or died, the server shut down, or the request was cancelled.
 */
export interface ICustomReplyAborted extends JSONObject {
  status: 'aborted';
}

/**
 * The content of a `<name>_reply`.
 */
export type CustomReplyContent =
  ICustomReplyOk | ICustomReplyError | ICustomReplyAborted;

/**
 * A `<name>_request` sent on the shell channel.
 *
 * #### Notes
 * `KernelMessage` types `msg_type` as a union of the standard message types
 * only, so custom messages borrow the shape of a shell message and carry
 * their real type in the header at run time.
 */
export type CustomRequestMsg = KernelMessage.IShellMessage & {
  content: JSONObject;
};

/**
 * A `<name>_reply` received on the shell channel.
 */
export type CustomReplyMsg = KernelMessage.IShellMessage & {
  content: CustomReplyContent;
};

/**
 * The future of a custom request: it settles once both the `<name>_reply`
 * and the iopub `status: idle` whose parent is the request have arrived.
 */
export type CustomRequestFuture = Kernel.IShellFuture<
  CustomRequestMsg,
  CustomReplyMsg
>;

/**
 * Handlers for what a custom request produces on iopub.
 *
 * #### Notes
 * Every handler only sees messages whose parent is the request. A handler
 * may return a promise: the kernel connection waits for it before handling
 * the next message, as for any future's `onIOPub`.
 */
export interface ICustomRequestCallbacks {
  /**
   * Called for each `<name>_response` message.
   */
  onResponse?: (msg: KernelMessage.IIOPubMessage) => void | PromiseLike<void>;

  /**
   * Called for each `stream` message (the handler's stdout and stderr).
   */
  onStream?: (msg: KernelMessage.IStreamMsg) => void | PromiseLike<void>;

  /**
   * Called for every other iopub message, such as `status` or `display_data`.
   */
  onIOPub?: (msg: KernelMessage.IIOPubMessage) => void | PromiseLike<void>;
}

/**
 * Send a custom `<name>_request` to a kernel through the server extension.
 *
 * @param kernel - The kernel connection to send on.
 * @param name - The custom message type, a Python identifier such as
 *   `'evaluate'`; `_request` is appended to make the `msg_type`.
 * @param content - The payload of the request.
 * @param callbacks - Handlers for the `<name>_response`, stream and other
 *   iopub messages the request produces.
 * @param metadata - The metadata of the request message.
 *
 * @returns The future of the request. Its `done` promise resolves with the
 *   `<name>_reply` once the idle status has arrived too; it rejects if the
 *   kernel connection is disposed first.
 *
 * @throws {Error} When `name` is not an identifier.
 *
 * #### Notes
 * This is the custom-message counterpart of `kernel.requestInspect` and the
 * like: the request goes out on the kernel's own websocket, so it takes the
 * same route (and the same authentication) as the notebook's executions. The
 * future is disposed once done.
 */
export function sendCustomRequest(
  kernel: Kernel.IKernelConnection,
  name: string,
  content: JSONObject,
  callbacks: ICustomRequestCallbacks = {},
  metadata: JSONObject = {}
): CustomRequestFuture {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new Error(`Invalid custom message name: ${JSON.stringify(name)}`);
  }
  // The standard message type union does not include custom types: go
  // through `unknown` once here rather than at every call site.
  const options = {
    channel: 'shell',
    msgType: `${name}_request`,
    session: kernel.clientId,
    username: kernel.username,
    content,
    metadata
  } as unknown as KernelMessage.IOptions<KernelMessage.IInspectRequestMsg>;
  const msg = KernelMessage.createMessage(options) as CustomRequestMsg;

  const future = kernel.sendShellMessage(
    msg,
    true,
    true
  ) as unknown as CustomRequestFuture;

  const responseType = `${name}_response`;
  const { onResponse, onStream, onIOPub } = callbacks;
  if (onResponse || onStream || onIOPub) {
    future.onIOPub = (iopubMsg: KernelMessage.IIOPubMessage) => {
      const msgType: string = iopubMsg.header.msg_type;
      if (msgType === responseType) {
        return onResponse?.(iopubMsg);
      }
      if (KernelMessage.isStreamMsg(iopubMsg)) {
        return onStream?.(iopubMsg);
      }
      return onIOPub?.(iopubMsg);
    };
  }
  return future;
}

/**
 * Send a custom request and wait for its reply, at most `timeout` ms.
 *
 * @returns The reply once the request is done (reply and idle status both
 *   in), or `null` when it took longer than `timeout`; the future is then
 *   disposed, so a late reply is dropped.
 *
 * @throws {Error} What {@link sendCustomRequest} throws, and the rejection
 *   of the future's `done` (the kernel connection went away first).
 */
export async function requestReply(
  kernel: Kernel.IKernelConnection,
  name: string,
  content: JSONObject,
  timeout: number
): Promise<CustomReplyMsg | null> {
  const future = sendCustomRequest(kernel, name, content);
  let timer = 0;
  const timedOut = new Promise<null>(resolve => {
    timer = window.setTimeout(() => resolve(null), timeout);
  });
  try {
    return await Promise.race([future.done, timedOut]);
  } finally {
    window.clearTimeout(timer);
    if (!future.isDisposed) {
      future.dispose();
    }
  }
}

/**
 * The message of an error, or the text of any other thrown value.
 */
export function errorMessage(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
