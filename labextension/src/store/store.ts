import type { Kernel, KernelMessage } from '@jupyterlab/services';
import type { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import type { JSONObject } from '@lumino/coreutils';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';

import {
  CustomReplyContent,
  errorMessage,
  requestReply
} from '../common/kernel';
import { STORE_MESSAGES, fetchMessageTypes } from '../common/messagetypes';
import { Rerun } from '../common/rerun';
import { translateBundle } from '../common/sidebar';
import type {
  IPreviewLink,
  IStoreNotice,
  IStoredVariableInfo,
  IVariableStore
} from '../tokens';
import {
  SavedVariablesModel,
  readSavedVariables,
  readStoredInfo
} from './model';

/*
 * One module of some 430 lines on purpose: the client of the store's four
 * messages, whose three actions share one runner (`_act`); split, each
 * piece would need the client's private state.
 */

/**
 * Talks to the server's variable store through a kernel, and keeps a
 * {@link SavedVariablesModel} up to date.
 *
 * #### Notes
 * The store is on the server, but its messages (`save_var`, `load_var`,
 * `list_vars`, `delete_var`) go over a kernel's websocket like any custom
 * message, so the actions need a kernel. The list is the same whatever the
 * kernel (it is the user's); it is fetched when a kernel is first known,
 * after every save and delete, on {@link list}, and when a `save_var_response`
 * shows on the kernel (a save made elsewhere, such as in the message
 * explorer).
 */
export class VariableStore implements IVariableStore, IDisposable {
  /**
   * Create a store client feeding `options.model`.
   */
  constructor(options: VariableStore.IOptions) {
    this._model = options.model;
    this._timeout = options.requestTimeout ?? 60_000;
    this._trans = translateBundle(options.translator);
    void this._checkAvailable();
  }

  /**
   * The model of the saved variables.
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
   * Whether `message` can be sent now.
   */
  canSend(message: string): boolean {
    return (
      this._model.available &&
      this._supported.has(message) &&
      this._kernel !== null
    );
  }

  /**
   * The names the Variables panel shows (offered by the save command).
   */
  get previewNames(): readonly string[] {
    return this._link?.names() ?? [];
  }

  /**
   * Lend the store what the Variables panel knows.
   */
  linkPreview(link: IPreviewLink): IDisposable {
    this._link = link;
    return new DisposableDelegate(() => {
      if (this._link === link) {
        this._link = null;
      }
    });
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
  save(name: string): Promise<IStoredVariableInfo | null> {
    const trans = this._trans;
    return this._act({
      action: 'save',
      key: name,
      subject: { name },
      content: { name },
      failure: why => trans.__('Could not save %1: %2', name, why),
      done: returned => {
        const info = readStoredInfo(returned, name);
        return {
          notice: {
            name: info.name,
            id: info.id,
            text: trans.__('Saved %1 as %2', info.name, info.id)
          },
          result: info,
          afterwards: () => {
            this._model.highlighted = info.id;
            void this.list();
          }
        };
      },
      failed: null
    });
  }

  /**
   * Put the stored variable `id` into the kernel, under `name` or the name
   * it was saved with; then refresh the preview.
   *
   * @returns What the server says about the loaded variable, or `null`
   *   when it failed; the model's notice tells why.
   */
  load(id: string, name?: string): Promise<IStoredVariableInfo | null> {
    const trans = this._trans;
    const label = name || this._model.nameOf(id) || id;
    return this._act({
      action: 'load',
      key: id,
      subject: { id },
      content: name ? { id, name } : { id },
      failure: why => trans.__('Could not load %1: %2', label, why),
      done: returned => {
        const info = readStoredInfo(returned, label);
        return {
          notice: {
            id,
            name: info.name,
            text: trans.__('Loaded %1 into the kernel (id %2)', info.name, id)
          },
          result: info,
          // `load_var` is not an execution: the server pushes no preview.
          afterwards: () => this._link?.refresh()
        };
      },
      failed: null
    });
  }

  /**
   * Delete the stored variable `id`.
   *
   * @returns Whether it was deleted; the model's notice tells why not.
   */
  delete(id: string): Promise<boolean> {
    const trans = this._trans;
    const label = this._model.nameOf(id) || id;
    return this._act({
      action: 'delete',
      key: id,
      subject: { id },
      content: { id },
      failure: why => trans.__('Could not delete %1: %2', label, why),
      done: () => {
        this._model.removeItem(id);
        return {
          notice: { id, text: trans.__('Deleted %1 (%2)', label, id) },
          result: true,
          afterwards: () => void this.list()
        };
      },
      failed: false
    });
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
    return this._listing.run(() => this._list());
  }

  /**
   * One action on the store: mark it pending, send its request, and say
   * how it went in the model's notice.
   */
  private async _act<T>(action: Private.IAction<T>): Promise<T> {
    const model = this._model;
    const notice = (
      kind: 'ok' | 'error',
      fields: Omit<IStoreNotice, 'kind' | 'action'>
    ) => {
      model.notice = { kind, action: action.action, ...fields };
    };
    const fail = (why: string) => {
      notice('error', { ...action.subject, text: action.failure(why) });
      return action.failed;
    };
    model.setPending(action.action, action.key, true);
    try {
      const reply = await this._request(
        STORE_MESSAGES[action.action],
        action.content
      );
      if (reply.status !== 'ok') {
        return fail(this._why(reply));
      }
      const done = action.done(reply.return);
      notice('ok', done.notice);
      await done.afterwards?.();
      return done.result;
    } catch (reason) {
      return fail(errorMessage(reason));
    } finally {
      model.setPending(action.action, action.key, false);
    }
  }

  private async _list(): Promise<void> {
    const model = this._model;
    if (!model.listed) {
      model.setState('loading');
    }
    try {
      const reply = await this._request(STORE_MESSAGES.list, {});
      if (reply.status === 'ok') {
        model.setItems(readSavedVariables(reply.return));
      } else if (reply.status === 'error') {
        model.setState('error', this._why(reply));
      } else if (!model.listed) {
        // Aborted (the kernel restarted): asked again once it is back.
        model.setState(this._kernel ? 'loading' : 'no-kernel');
      }
    } catch (reason) {
      model.setState('error', errorMessage(reason));
    }
  }

  /**
   * Ask the server once which store messages it answers.
   */
  private async _checkAvailable(): Promise<void> {
    try {
      const types = await fetchMessageTypes();
      const names: string[] = Object.values(STORE_MESSAGES);
      this._supported = new Set(
        types.map(type => type.name).filter(name => names.includes(name))
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
    const reply = await requestReply(kernel, name, content, this._timeout);
    if (reply === null) {
      throw new Error(this._trans.__('The server did not answer in time.'));
    }
    return reply.content;
  }

  private _why(reply: CustomReplyContent): string {
    if (reply.status === 'error') {
      return reply.evalue ? `${reply.ename}: ${reply.evalue}` : reply.ename;
    }
    return this._trans.__('the request was aborted (the kernel restarted?)');
  }

  private _model: SavedVariablesModel;
  private _timeout: number;
  private _trans: TranslationBundle;
  private _kernel: Kernel.IKernelConnection | null = null;
  private _supported: ReadonlySet<string> = new Set();
  private _listing = new Rerun(() => void this.list());
  private _link: IPreviewLink | null = null;
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
   * What {@link VariableStore._act} does for one action.
   */
  export interface IAction<T> {
    action: 'save' | 'load' | 'delete';
    /**
     * What the action is pending on: a name for `save`, an id otherwise.
     */
    key: string;
    /**
     * The `id` or `name` an error notice names.
     */
    subject: { id?: string; name?: string };
    content: JSONObject;
    /**
     * The text of an error notice, from why it failed.
     */
    failure: (why: string) => string;
    /**
     * What an `ok` reply's return value means: the notice and the result.
     */
    done: (returned: unknown) => {
      notice: Omit<IStoreNotice, 'kind' | 'action'>;
      result: T;
      /**
       * What to do once the notice is shown, waited for before resolving.
       */
      afterwards?: () => Promise<void> | void;
    };
    /**
     * The result of a failure.
     */
    failed: T;
  }
}
