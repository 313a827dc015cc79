import {
  Dialog,
  InputDialog,
  showDialog,
  showErrorMessage
} from '@jupyterlab/apputils';
import { KernelMessage } from '@jupyterlab/services';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';

import { CustomReplyContent, sendCustomRequest } from '../common/kernel';
import { MESSAGES, checkServerExtension } from '../common/messagetypes';
import {
  IFeatureContext,
  addToPalette,
  describeArgs,
  featurePlugin
} from '../common/plugin';
import { CurrentTarget } from '../common/target';

/**
 * The command IDs of the extension.
 */
export namespace CommandIDs {
  /**
   * Evaluate an expression in the kernel of the current notebook or console
   * with the server's built-in `evaluate` message.
   */
  export const evaluate = 'beaker-server:evaluate';
}

/**
 * A `<pre>` block to use as a dialog body.
 */
function preBlock(text: string): Widget {
  const node = document.createElement('pre');
  node.className = 'jp-Beaker-evaluateResult';
  node.textContent = text;
  return new Widget({ node });
}

/**
 * Add the `beaker-server:evaluate` command and its palette entry.
 *
 * #### Notes
 * The command asks for an expression (unless given as the `expression`
 * argument), sends an `evaluate_request` to the kernel of the current
 * notebook or console, waits until the request is done (reply and idle
 * status both received) and shows the value or the error in a dialog. The
 * expression runs without touching the execution count, the history or the
 * outputs of the notebook.
 *
 * The command resolves with the reply content (`{status: 'ok', return}`,
 * `{status: 'error', ename, evalue, traceback}` or `{status: 'aborted'}`)
 * as soon as it is known, without waiting for the dialog to be closed; it
 * resolves with `undefined` when there is no kernel or the prompt is
 * cancelled.
 */
export function addEvaluateCommand(context: IFeatureContext): void {
  const { app, trackers, palette, trans } = context;
  const { notebooks, consoles } = trackers;
  // The notebook or console the command applies to: the one in focus,
  // else the one last followed, as for the panels.
  const current = new CurrentTarget({ shell: app.shell, notebooks, consoles });
  // The last expression is offered again the next time the prompt opens.
  let lastExpression = '';

  const hasKernel = (): boolean =>
    !!current.target?.sessionContext.session?.kernel;

  app.commands.addCommand(CommandIDs.evaluate, {
    label: trans.__('Evaluate Expression in Kernel (Beaker)'),
    caption: trans.__(
      'Evaluate an expression in the current kernel without running a cell'
    ),
    describedBy: describeArgs({
      expression: [
        'string',
        trans.__('The expression to evaluate; when absent, it is asked for.')
      ]
    }),
    isEnabled: hasKernel,
    execute: async (
      args: ReadonlyPartialJSONObject
    ): Promise<CustomReplyContent | undefined> => {
      const target = current.target;
      if (target) {
        await target.sessionContext.ready;
      }
      const kernel = target?.sessionContext.session?.kernel;
      if (!target || !kernel) {
        void showErrorMessage(
          trans.__('No Kernel'),
          trans.__('Open a notebook or a console with a running kernel first.')
        );
        return undefined;
      }

      let expression =
        typeof args.expression === 'string' ? args.expression : null;
      if (expression === null) {
        const result = await InputDialog.getText({
          title: trans.__('Evaluate in %1', target.title.label),
          label: trans.__('Expression'),
          placeholder: 'sum(range(10))',
          text: lastExpression,
          okLabel: trans.__('Evaluate')
        });
        if (!result.button.accept || !result.value?.trim()) {
          return undefined;
        }
        expression = result.value;
      }
      lastExpression = expression;

      // Anything the expression prints arrives as stream messages.
      let streams = '';
      const future = sendCustomRequest(
        kernel,
        MESSAGES.evaluate,
        { expression },
        {
          onStream: (msg: KernelMessage.IStreamMsg) => {
            streams += msg.content.text;
          }
        }
      );
      let content: CustomReplyContent;
      try {
        content = (await future.done).content;
      } catch (reason) {
        // The connection was disposed before the request was done.
        void showErrorMessage(trans.__('Evaluation Failed'), String(reason));
        throw reason;
      }

      let title: string;
      let text: string;
      switch (content.status) {
        case 'ok':
          title = trans.__('Result of %1', expression);
          text = JSON.stringify(content.return, null, 2);
          break;
        case 'error':
          title = trans.__('Error in %1', expression);
          text = `${content.ename}: ${content.evalue}`;
          break;
        default:
          title = trans.__('Evaluation Aborted');
          text = trans.__(
            'The kernel restarted or shut down before the expression was evaluated.'
          );
      }
      if (streams) {
        text = `${streams}${streams.endsWith('\n') ? '' : '\n'}${text}`;
      }
      // Not awaited: the caller gets the reply without waiting for the user
      // to close the dialog.
      void showDialog({
        title,
        body: preBlock(text),
        buttons: [Dialog.okButton({ label: trans.__('Close') })]
      });
      return content;
    }
  });

  const refresh = () => app.commands.notifyCommandChanged(CommandIDs.evaluate);
  // Keep the enabled state of menus and palette in step with the kernels.
  for (const tracker of [notebooks, consoles]) {
    tracker?.currentChanged.connect(refresh);
    tracker?.widgetAdded.connect((_, widget) => {
      widget.sessionContext.kernelChanged.connect(refresh);
    });
  }
  app.shell.currentChanged?.connect(refresh);

  addToPalette(palette, trans, [CommandIDs.evaluate]);
}

/**
 * The beaker-server front-end plugin: checks the link to the server
 * extension and adds the evaluate command.
 */
export const corePlugin = featurePlugin<void>({
  id: 'beaker-server:plugin',
  description:
    'Connects JupyterLab to the beaker_server Jupyter Server extension.',
  activate: context => {
    // The check is deliberately not awaited: JupyterLab waits for `activate`
    // to settle before it finishes starting, and a slow or absent server
    // extension must not hold up the whole application.
    void checkServerExtension();
    addEvaluateCommand(context);
  }
});
