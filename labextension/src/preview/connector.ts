import type { ISessionContext } from '@jupyterlab/apputils';
import type { IChangedArgs } from '@jupyterlab/coreutils';
import type { Kernel, KernelMessage } from '@jupyterlab/services';

import { SidebarConnector } from '../common/connector';
import { requestReply } from '../common/kernel';
import { Rerun } from '../common/rerun';
import { MESSAGES, fetchMessageTypes } from '../common/messagetypes';
import type { IPreviewContent } from '../tokens';
import type { PreviewModel } from './model';

/**
 * Feeds a {@link PreviewModel} from the kernel of one notebook or console.
 *
 * #### Notes
 * The connector follows the target's session context through kernel
 * changes and restarts. It applies the `preview` messages the server pushes
 * on iopub (unless the model's `autoRefresh` is off), asks for a preview
 * with a `preview_request` when it starts following a kernel, when that
 * kernel is back from a restart and on {@link refresh}, and tells the model
 * when a user's execution keeps the kernel busy.
 *
 * Only executions make the model busy: the status messages of the server's
 * own requests (a refresh, an `evaluate`) have other parents.
 */
export class PreviewConnector extends SidebarConnector<PreviewModel> {
  /**
   * Create a connector feeding `options.model`.
   */
  constructor(options: PreviewConnector.IOptions) {
    super(options);
    this._timeout = options.requestTimeout ?? 30_000;
  }

  /**
   * The kernel connection followed, or `null`.
   */
  get kernel(): Kernel.IKernelConnection | null {
    return this._kernel;
  }

  /**
   * Ask the followed kernel for a preview and show it.
   *
   * @returns A promise that resolves once the reply is applied (or the
   *   request failed, which the model shows); it never rejects.
   *
   * #### Notes
   * At most one request is on its way at a time: a refresh asked for
   * meanwhile sends one more request once the current one is done.
   */
  refresh(): Promise<void> {
    const kernel = this._kernel;
    if (!kernel || this.isDisposed) {
      return Promise.resolve();
    }
    return this._rerun.run(() => this._request(kernel));
  }

  private async _request(kernel: Kernel.IKernelConnection): Promise<void> {
    const model = this.model;
    if (!(await this._serverMakesPreviews())) {
      if (kernel === this._kernel && model.rows.length === 0) {
        model.setError(
          this.trans.__(
            'The server does not make variable previews: is the beaker_server server extension enabled?'
          ),
          'unavailable'
        );
      }
      return;
    }
    if (kernel !== this._kernel || kernel.isDisposed) {
      return;
    }
    model.refreshing = true;
    try {
      const reply = await requestReply(
        kernel,
        MESSAGES.preview,
        {},
        this._timeout
      );
      if (kernel !== this._kernel) {
        return; // another kernel is followed now: this answer is stale
      }
      if (reply === null) {
        model.setError(
          this.trans.__('The kernel did not answer the preview request.')
        );
        return;
      }
      const content = reply.content;
      if (content.status === 'ok') {
        if (!model.applyPreview(content.return as unknown as IPreviewContent)) {
          model.setError(this.trans.__('The server sent a malformed preview.'));
        }
      } else if (content.status === 'error') {
        model.setError(
          this.trans.__('Preview failed: %1: %2', content.ename, content.evalue)
        );
      }
      // `aborted`: the kernel restarted or shut down; the status change
      // that comes with it updates the model.
    } catch (reason) {
      // The future is disposed when the kernel restarts or the connection
      // goes away: the status change says what happened.
      if (kernel === this._kernel && !Private.isRestarting(kernel.status)) {
        model.setError(
          this.trans.__('Preview request failed: %1', String(reason))
        );
      }
    } finally {
      if (kernel === this._kernel) {
        model.refreshing = false;
      }
    }
  }

  /**
   * Whether the server lists the `preview` message type. A failed check
   * counts as yes (the request then tells); a "no" is asked again next time.
   */
  private async _serverMakesPreviews(): Promise<boolean> {
    try {
      const types = await fetchMessageTypes(this._askAgain);
      const answer = types.some(type => type.name === MESSAGES.preview);
      this._askAgain = !answer;
      return answer;
    } catch {
      return true;
    }
  }

  /**
   * Follow the kernel of the new target.
   */
  protected onTargetChanged(): void {
    this._setKernel(this.targetKernel, true);
  }

  protected onKernelChanged(
    _: ISessionContext,
    change: IChangedArgs<
      Kernel.IKernelConnection | null,
      Kernel.IKernelConnection | null,
      'kernel'
    >
  ): void {
    this._setKernel(change.newValue, false);
  }

  protected onSessionChanged(context: ISessionContext): void {
    this._setKernel(context.session?.kernel ?? null, false);
  }

  protected onStatusChanged(_: ISessionContext, status: Kernel.Status): void {
    const kernel = this.targetKernel;
    if (kernel !== this._kernel) {
      this._setKernel(kernel, false);
      return;
    }
    if (!kernel) {
      return;
    }
    const model = this.model;
    if (Private.isRestarting(status)) {
      this._busyParents.clear();
      this._busyUnknown = false;
      this._rerun.reset();
      model.clear('restarting');
    } else if (status === 'dead') {
      this._busyParents.clear();
      model.clear('dead');
    } else if (status === 'idle') {
      const waiting = ['restarting', 'dead', 'loading', 'no-kernel'];
      if (waiting.includes(model.state) && model.rows.length === 0) {
        if (model.state !== 'loading') {
          model.setState('loading');
        }
        void this.refresh();
      }
    }
  }

  private _setKernel(
    kernel: Kernel.IKernelConnection | null,
    force: boolean
  ): void {
    if (kernel === this._kernel && !force) {
      return;
    }
    if (this._kernel && this._kernel !== kernel) {
      this._kernel.iopubMessage.disconnect(this._onIOPub, this);
    }
    if (kernel && kernel !== this._kernel) {
      kernel.iopubMessage.connect(this._onIOPub, this);
    }
    this._kernel = kernel;
    this._busyParents.clear();
    this._rerun.reset(true);
    const model = this.model;
    model.refreshing = false;
    if (!kernel) {
      model.clear('no-kernel');
      return;
    }
    if (Private.isRestarting(kernel.status)) {
      model.clear('restarting');
      return;
    }
    if (kernel.status === 'dead') {
      model.clear('dead');
      return;
    }
    model.clear('loading');
    // A cell may already be running: busy until the next idle.
    this._busyUnknown = kernel.status === 'busy';
    model.busy = this._busyUnknown;
    void this.refresh();
  }

  private _onIOPub(
    kernel: Kernel.IKernelConnection,
    msg: KernelMessage.IIOPubMessage
  ): void {
    if (kernel !== this._kernel) {
      return;
    }
    const msgType: string = msg.header.msg_type;
    if (msgType === 'preview') {
      if (this.model.autoRefresh) {
        this.model.applyPreview(msg.content as unknown as IPreviewContent);
      } else {
        this.model.stale = true;
      }
      return;
    }
    if (msgType !== 'status') {
      return;
    }
    const state = (msg.content as KernelMessage.IStatusMsg['content'])
      .execution_state;
    const parent = msg.parent_header as Partial<KernelMessage.IHeader>;
    if (parent?.msg_type === 'execute_request' && parent.msg_id) {
      if (state === 'busy') {
        this._busyParents.add(parent.msg_id);
      } else if (state === 'idle') {
        this._busyParents.delete(parent.msg_id);
      }
    }
    if (state === 'idle') {
      this._busyUnknown = false;
    }
    this.model.busy = this._busyParents.size > 0 || this._busyUnknown;
  }

  private _timeout: number;
  private _kernel: Kernel.IKernelConnection | null = null;
  private _busyParents = new Set<string>();
  private _busyUnknown = false;
  private _rerun = new Rerun(() => void this.refresh());
  private _askAgain = false;
}

/**
 * The namespace for {@link PreviewConnector} statics.
 */
export namespace PreviewConnector {
  /**
   * The options of a connector.
   */
  export interface IOptions extends SidebarConnector.IOptions<PreviewModel> {
    /**
     * How long to wait for a `preview_reply`, in milliseconds (30 s).
     */
    requestTimeout?: number;
  }
}

/**
 * A module-private namespace.
 */
namespace Private {
  /**
   * Whether a kernel status means a restart is under way.
   */
  export function isRestarting(status: Kernel.Status): boolean {
    return status === 'restarting' || status === 'autorestarting';
  }
}
