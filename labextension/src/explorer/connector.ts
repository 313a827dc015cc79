import type { KernelMessage } from '@jupyterlab/services';
import type { JSONObject } from '@lumino/coreutils';
import { ISignal, Signal } from '@lumino/signaling';

import { SidebarConnector } from '../common/connector';
import { errorMessage, sendCustomRequest } from '../common/kernel';
import { fetchMessageTypes } from '../common/messagetypes';
import type { ExplorerModel } from './model';
import type { IExplorerRun } from './types';

/**
 * Feeds an {@link ExplorerModel}: the message types from the server, the
 * kernel of the notebook or console followed, and the requests sent.
 */
export class ExplorerConnector extends SidebarConnector<ExplorerModel> {
  /**
   * A signal emitted when the flow of a request is over.
   */
  get requestDone(): ISignal<this, IExplorerRun> {
    return this._requestDone;
  }

  /**
   * Show the server's message types.
   *
   * @param force - Ask the server again rather than take the catalogue
   *   already fetched by the extension.
   *
   * @returns A promise that resolves once the model shows them or the
   *   error; it never rejects.
   */
  async refreshTypes(force = false): Promise<void> {
    const model = this.model;
    model.setCatalogueState('loading');
    try {
      model.setTypes(await fetchMessageTypes(force));
    } catch (reason) {
      model.setCatalogueState(
        'error',
        this.trans.__(
          'Cannot list the message types: %1. Is the beaker_server server extension enabled?',
          errorMessage(reason)
        )
      );
    }
  }

  /**
   * Send a custom request to the kernel of the target and record its flow
   * in the model.
   *
   * @param name - The message type; the chosen one by default.
   * @param payload - The content; the chosen type's payload by default.
   *
   * @returns A promise that resolves with the run once the flow is over
   *   (the reply and the idle status both in, or the connection gone), or
   *   with `null` when nothing could be sent; it never rejects.
   */
  async send(
    name?: string,
    payload?: JSONObject
  ): Promise<IExplorerRun | null> {
    const model = this.model;
    const type = name ?? model.selected;
    if (!type) {
      return null;
    }
    let content = payload;
    if (content === undefined) {
      const parsed = model.parsedPayload;
      if (!('payload' in parsed)) {
        return null;
      }
      content = parsed.payload;
    }
    const target = this.target;
    if (!target) {
      return null;
    }
    await target.sessionContext.ready;
    const kernel = target.sessionContext.session?.kernel;
    if (!kernel || target !== this.target) {
      return null;
    }
    const record = (msg: KernelMessage.IIOPubMessage) => {
      model.addEvent(run, 'iopub', msg);
    };
    let future: ReturnType<typeof sendCustomRequest>;
    try {
      future = sendCustomRequest(kernel, type, content, {
        onResponse: record,
        onStream: record,
        onIOPub: record
      });
    } catch {
      return null; // not an identifier: the catalogue has none such
    }
    // Messages are handled in later tasks: `run` is set before the first.
    const run = model.startRun({
      name: type,
      msgId: future.msg.header.msg_id,
      payload: content,
      target: target.title.label
    });
    future.onReply = msg => {
      model.addEvent(run, 'shell', msg);
    };
    try {
      await future.done;
      model.finishRun(run);
    } catch (reason) {
      model.finishRun(run, errorMessage(reason));
    }
    this._requestDone.emit(run);
    return run;
  }

  /**
   * Show the status of the target's kernel.
   */
  protected onTargetChanged(): void {
    this.model.kernelStatus = this.targetKernel?.status ?? null;
  }

  private _requestDone = new Signal<this, IExplorerRun>(this);
}

/**
 * The namespace for {@link ExplorerConnector} statics.
 */
export namespace ExplorerConnector {
  /**
   * The options of a connector.
   */
  export type IOptions = SidebarConnector.IOptions<ExplorerModel>;
}
