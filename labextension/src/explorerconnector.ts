import type { KernelMessage } from '@jupyterlab/services';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import type { JSONObject } from '@lumino/coreutils';
import type { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import type { ExplorerModel, IExplorerRun } from './explorermodel';
import { sendCustomRequest } from './kernel';
import { fetchMessageTypes } from './messagetypes';
import type { PreviewTarget } from './previewconnector';

/**
 * Feeds an {@link ExplorerModel}: the message types from the server, the
 * kernel of the notebook or console followed, and the requests sent.
 */
export class ExplorerConnector implements IDisposable {
  /**
   * Create a connector feeding `options.model`.
   */
  constructor(options: ExplorerConnector.IOptions) {
    this._model = options.model;
    this._trans = (options.translator ?? nullTranslator).load('beaker_server');
  }

  /**
   * The model fed.
   */
  get model(): ExplorerModel {
    return this._model;
  }

  /**
   * A signal emitted when the flow of a request is over.
   */
  get requestDone(): ISignal<this, IExplorerRun> {
    return this._requestDone;
  }

  /**
   * The notebook or console whose kernel requests go to, or `null`.
   */
  get target(): PreviewTarget | null {
    return this._target;
  }
  set target(target: PreviewTarget | null) {
    if (target === this._target) {
      return;
    }
    const old = this._target;
    if (old) {
      old.sessionContext.kernelChanged.disconnect(this._update, this);
      old.sessionContext.statusChanged.disconnect(this._update, this);
      old.sessionContext.sessionChanged.disconnect(this._update, this);
      old.title.changed.disconnect(this._update, this);
    }
    this._target = target;
    if (target) {
      target.sessionContext.kernelChanged.connect(this._update, this);
      target.sessionContext.statusChanged.connect(this._update, this);
      target.sessionContext.sessionChanged.connect(this._update, this);
      target.title.changed.connect(this._update, this);
    }
    this._update();
  }

  /**
   * Whether the connector is disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Stop following the target.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this.target = null;
    this._isDisposed = true;
    Signal.clearData(this);
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
    const model = this._model;
    model.setCatalogueState('loading');
    try {
      model.setTypes(await fetchMessageTypes(force));
    } catch (reason) {
      model.setCatalogueState(
        'error',
        this._trans.__(
          'Cannot list the message types: %1. Is the beaker_server server extension enabled?',
          reason instanceof Error ? reason.message : String(reason)
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
    const model = this._model;
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
    const target = this._target;
    if (!target) {
      return null;
    }
    await target.sessionContext.ready;
    const kernel = target.sessionContext.session?.kernel;
    if (!kernel || target !== this._target) {
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
      model.finishRun(
        run,
        reason instanceof Error ? reason.message : String(reason)
      );
    }
    this._requestDone.emit(run);
    return run;
  }

  private _update(): void {
    const target = this._target;
    const model = this._model;
    model.target = target ? target.title.label : null;
    const kernel = target?.sessionContext.session?.kernel ?? null;
    model.kernelStatus = kernel ? kernel.status : null;
  }

  private _model: ExplorerModel;
  private _trans: ReturnType<ITranslator['load']>;
  private _target: PreviewTarget | null = null;
  private _requestDone = new Signal<this, IExplorerRun>(this);
  private _isDisposed = false;
}

/**
 * The namespace for {@link ExplorerConnector} statics.
 */
export namespace ExplorerConnector {
  /**
   * The options of a connector.
   */
  export interface IOptions {
    /**
     * The model to feed.
     */
    model: ExplorerModel;
    /**
     * The application's translator.
     */
    translator?: ITranslator | null;
  }
}
