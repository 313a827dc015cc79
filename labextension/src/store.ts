import type { Kernel, KernelMessage } from '@jupyterlab/services';
import {
  ITranslator,
  TranslationBundle,
  nullTranslator
} from '@jupyterlab/translation';
import type { JSONObject } from '@lumino/coreutils';
import type { IDisposable } from '@lumino/disposable';

import { CustomReplyContent, sendCustomRequest } from './kernel';
import { fetchMessageTypes } from './messagetypes';
import {
  ISavedVariable,
  SavedVariablesModel,
  readSavedVariable
} from './storemodel';

/**
 * The message types of the variable store, as the server names them.
 */
export const STORE_MESSAGES = {
  save: 'save_var',
  load: 'load_var',
  list: 'list_vars',
  delete: 'delete_var'
} as const;

/**
 * What `save_var` and `load_var` say about the variable.
 */
export interface IStoredVariableInfo {
  /**
   * The id in the store.
   */
  id: string;
  /**
   * The name in the kernel.
   */
  name: string;
  /**
   * The name of its type.
   */
  type: string;
  /**
   * The size of its stored form, or `null`.
   */
  bytes: number | null;
}

/**
 * Talks to the server's variable store through the kernel followed by the
 * Variables panel, and keeps a {@link SavedVariablesModel} up to date.
 *
 * #### Notes
 * The store is on the server, but its messages (`save_var`, `load_var`,
 * `list_vars`, `delete_var`) go over a kernel's websocket like any custom
 * message, so the actions need a kernel. The list is the same whatever the
 * kernel (it is the user's); it is fetched when a kernel is first known,
 * after every save and delete, on {@link list}, and when a `save_var_response`
 * shows on the followed kernel (a save made elsewhere, such as in the
 * message explorer).
 */
export class VariableStore implements IDisposable {
  /**
   * Create a store client feeding `options.model`.
   */
  constructor(options: VariableStore.IOptions) {
    this._model = options.model;
    this._onLoaded = options.onLoaded ?? (() => Promise.resolve());
    this._timeout = options.requestTimeout ?? 60_000;
    this._trans = (options.translator ?? nullTranslator).load('beaker_server');
    void this._checkAvailable();
  }

  /**
   * The model of the store's part of the panel.
   */
  get model(): SavedVariablesModel {
    return this._model;
  }

  /**
   * The kernel the requests go through, or `null`.
   */
  get kernel(): Kernel.IKernelConnection | null {
    return this._kernel;
  }
  set kernel(kernel: Kernel.IKernelConnection | null) {
    if (kernel === this._kernel || this._isDisposed) {
      return;
    }
    this._kernel?.iopubMessage.disconnect(this._onIOPub, this);
    this._kernel = kernel;
    kernel?.iopubMessage.connect(this._onIOPub, this);
    this._sync();
  }

  /**
   * Which of the store's message types the server answers.
   */
  get supported(): ReadonlySet<string> {
    return this._supported;
  }

  /**
   * Whether the store client is disposed.
   */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Stop listening to the kernel.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this.kernel = null;
    this._isDisposed = true;
  }

  /**
   * Save the kernel's variable `name` in the store.
   *
   * @returns What the server says about the saved variable (its new `id`
   *   first), or `null` when it failed; the model's notice tells why.
   */
  async save(name: string): Promise<IStoredVariableInfo | null> {
    const trans = this._trans;
    const model = this._model;
    model.setPending('save', name, true);
    try {
      const reply = await this._request(STORE_MESSAGES.save, { name });
      if (reply.status !== 'ok') {
        model.notice = {
          kind: 'error',
          action: 'save',
          name,
          text: trans.__('Could not save %1: %2', name, this._why(reply))
        };
        return null;
      }
      const info = Private.readInfo(reply.return, name);
      model.notice = {
        kind: 'ok',
        action: 'save',
        name: info.name,
        id: info.id,
        text: trans.__('Saved %1 as %2', info.name, info.id)
      };
      model.highlighted = info.id;
      void this.list();
      return info;
    } catch (reason) {
      model.notice = {
        kind: 'error',
        action: 'save',
        name,
        text: trans.__('Could not save %1: %2', name, Private.message(reason))
      };
      return null;
    } finally {
      model.setPending('save', name, false);
    }
  }

  /**
   * Put the stored variable `id` into the kernel, under `name` or the name
   * it was saved with; then refresh the preview.
   *
   * @returns What the server says about the loaded variable, or `null`
   *   when it failed; the model's notice tells why.
   */
  async load(id: string, name?: string): Promise<IStoredVariableInfo | null> {
    const trans = this._trans;
    const model = this._model;
    const content: JSONObject = name ? { id, name } : { id };
    const label = name || this._nameOf(id) || id;
    model.setPending('load', id, true);
    try {
      const reply = await this._request(STORE_MESSAGES.load, content);
      if (reply.status !== 'ok') {
        model.notice = {
          kind: 'error',
          action: 'load',
          id,
          text: trans.__('Could not load %1: %2', label, this._why(reply))
        };
        return null;
      }
      const info = Private.readInfo(reply.return, label);
      model.notice = {
        kind: 'ok',
        action: 'load',
        id,
        name: info.name,
        text: trans.__('Loaded %1 into the kernel (id %2)', info.name, id)
      };
      // `load_var` is not an execution: the server pushes no preview.
      await this._onLoaded();
      return info;
    } catch (reason) {
      model.notice = {
        kind: 'error',
        action: 'load',
        id,
        text: trans.__('Could not load %1: %2', label, Private.message(reason))
      };
      return null;
    } finally {
      model.setPending('load', id, false);
    }
  }

  /**
   * Delete the stored variable `id`.
   *
   * @returns Whether it was deleted; the model's notice tells why not.
   */
  async delete(id: string): Promise<boolean> {
    const trans = this._trans;
    const model = this._model;
    const label = this._nameOf(id) || id;
    model.setPending('delete', id, true);
    try {
      const reply = await this._request(STORE_MESSAGES.delete, { id });
      if (reply.status !== 'ok') {
        model.notice = {
          kind: 'error',
          action: 'delete',
          id,
          text: trans.__('Could not delete %1: %2', label, this._why(reply))
        };
        return false;
      }
      model.removeItem(id);
      model.notice = {
        kind: 'ok',
        action: 'delete',
        id,
        text: trans.__('Deleted %1 (%2)', label, id)
      };
      void this.list();
      return true;
    } catch (reason) {
      model.notice = {
        kind: 'error',
        action: 'delete',
        id,
        text: trans.__(
          'Could not delete %1: %2',
          label,
          Private.message(reason)
        )
      };
      return false;
    } finally {
      model.setPending('delete', id, false);
    }
  }

  /**
   * Fetch the list of saved variables.
   *
   * @returns A promise that resolves once the model shows the answer (or
   *   the error); it never rejects. A call made while a list request is on
   *   its way sends one more once it is done.
   */
  list(): Promise<void> {
    if (!this._kernel || !this._model.available) {
      return Promise.resolve();
    }
    if (this._listing) {
      this._listAgain = true;
      return this._listing;
    }
    const done = this._list().finally(() => {
      if (this._listing === done) {
        this._listing = null;
      }
      if (this._listAgain) {
        this._listAgain = false;
        void this.list();
      }
    });
    this._listing = done;
    return done;
  }

  private async _list(): Promise<void> {
    const model = this._model;
    if (!model.listed) {
      model.setState('loading');
    }
    try {
      const reply = await this._request(STORE_MESSAGES.list, {});
      if (reply.status === 'ok') {
        const raw = (reply.return as { vars?: unknown } | null)?.vars;
        const items = Array.isArray(raw)
          ? raw
              .map(readSavedVariable)
              .filter((item): item is ISavedVariable => item !== null)
          : [];
        model.setItems(items);
      } else if (reply.status === 'error') {
        model.setState('error', this._why(reply));
      } else if (!model.listed) {
        // Aborted (the kernel restarted): asked again once it is back.
        model.setState(this._kernel ? 'loading' : 'no-kernel');
      }
    } catch (reason) {
      model.setState('error', Private.message(reason));
    }
  }

  /**
   * Ask the server once which store messages it answers.
   */
  private async _checkAvailable(): Promise<void> {
    try {
      const types = await fetchMessageTypes();
      this._supported = new Set(
        types
          .map(type => type.name)
          .filter(name =>
            (Object.values(STORE_MESSAGES) as string[]).includes(name)
          )
      );
    } catch (reason) {
      console.warn('beaker-server: cannot list the message types', reason);
      this._supported = new Set();
    }
    const available =
      this._supported.has(STORE_MESSAGES.save) &&
      this._supported.has(STORE_MESSAGES.list);
    this._model.setState(available ? 'no-kernel' : 'unavailable');
    this._sync();
  }

  /**
   * Bring the model in step with the kernel.
   */
  private _sync(): void {
    const model = this._model;
    if (!model.available) {
      return;
    }
    if (!this._kernel) {
      if (!model.listed) {
        model.setState('no-kernel');
      }
      return;
    }
    if (!model.listed || model.state === 'error') {
      void this.list();
    }
  }

  private _onIOPub(
    kernel: Kernel.IKernelConnection,
    msg: KernelMessage.IIOPubMessage
  ): void {
    const msgType: string = msg.header.msg_type;
    if (
      kernel === this._kernel &&
      msgType === `${STORE_MESSAGES.save}_response`
    ) {
      // A save, maybe made by someone else on this kernel: the list grew.
      void this.list();
    }
  }

  private async _request(
    name: string,
    content: JSONObject
  ): Promise<CustomReplyContent> {
    const kernel = this._kernel;
    if (!kernel) {
      throw new Error(
        this._trans.__('No kernel: open a notebook or a console first.')
      );
    }
    const future = sendCustomRequest(kernel, name, content);
    let timer = 0;
    const timedOut = new Promise<never>((_, reject) => {
      timer = window.setTimeout(
        () =>
          reject(
            new Error(this._trans.__('The server did not answer in time.'))
          ),
        this._timeout
      );
    });
    try {
      return (await Promise.race([future.done, timedOut])).content;
    } finally {
      window.clearTimeout(timer);
      if (!future.isDisposed) {
        future.dispose();
      }
    }
  }

  private _why(reply: CustomReplyContent): string {
    if (reply.status === 'error') {
      return reply.evalue ? `${reply.ename}: ${reply.evalue}` : reply.ename;
    }
    return this._trans.__('the request was aborted (the kernel restarted?)');
  }

  private _nameOf(id: string): string {
    return this._model.items.find(item => item.id === id)?.name ?? '';
  }

  private _model: SavedVariablesModel;
  private _onLoaded: () => Promise<void>;
  private _timeout: number;
  private _trans: TranslationBundle;
  private _kernel: Kernel.IKernelConnection | null = null;
  private _supported: ReadonlySet<string> = new Set();
  private _listing: Promise<void> | null = null;
  private _listAgain = false;
  private _isDisposed = false;
}

/**
 * The namespace for {@link VariableStore} statics.
 */
export namespace VariableStore {
  /**
   * The options of a store client.
   */
  export interface IOptions {
    /**
     * The model to feed.
     */
    model: SavedVariablesModel;
    /**
     * What to do once a variable is loaded into the kernel: refresh the
     * preview, since `load_var` is no execution and no preview follows it.
     */
    onLoaded?: () => Promise<void>;
    /**
     * How long to wait for a reply, in milliseconds (60 s).
     */
    requestTimeout?: number;
    /**
     * The application's translator.
     */
    translator?: ITranslator | null;
  }
}

/**
 * A module-private namespace.
 */
namespace Private {
  /**
   * The variable a `save_var` or `load_var` reply describes.
   */
  export function readInfo(raw: unknown, name: string): IStoredVariableInfo {
    const value =
      raw && typeof raw === 'object' ? (raw as { [key: string]: unknown }) : {};
    return {
      id: typeof value.id === 'string' ? value.id : String(value.id ?? ''),
      name: typeof value.name === 'string' ? value.name : name,
      type: typeof value.type === 'string' ? value.type : '',
      bytes: typeof value.bytes === 'number' ? value.bytes : null
    };
  }

  /**
   * The message of an error.
   */
  export function message(reason: unknown): string {
    return reason instanceof Error ? reason.message : String(reason);
  }
}
