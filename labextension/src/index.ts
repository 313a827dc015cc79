import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IConsoleTracker } from '@jupyterlab/console';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ITranslator } from '@jupyterlab/translation';

import { addEvaluateCommand } from './evaluate';
import { explorerPlugin } from './explorerplugin';
import { requestAPI } from './handler';
import { IMessageTypesReply } from './messagetypes';
import { previewPlugin } from './previewplugin';

export { CommandIDs } from './evaluate';
export { ExplorerConnector } from './explorerconnector';
export * from './explorermodel';
export {
  EXPLORER_PANEL_ID,
  ExplorerPanel,
  formatElapsed
} from './explorerpanel';
export { EXPLORER_PLUGIN_ID, ExplorerCommandIDs } from './explorerplugin';
export * from './kernel';
export * from './messagetypes';
export { PreviewConnector } from './previewconnector';
export {
  IPreviewRow,
  ISortOrder,
  PreviewModel,
  PreviewState,
  formatBytes,
  formatShape
} from './previewmodel';
export { PREVIEW_PANEL_ID, PreviewPanel } from './previewpanel';
export { PREVIEW_PLUGIN_ID, PreviewCommandIDs } from './previewplugin';
export * from './previewtokens';
export { IStoredVariableInfo, STORE_MESSAGES, VariableStore } from './store';
export * from './storemodel';
export { PreviewTarget, SidebarConnector } from './sidebarconnector';
export { SidebarModel } from './sidebarmodel';
export { CurrentTarget } from './tracker';

/**
 * The state of the link to the server extension, as published on
 * `document.body.dataset.beakerServer` (the `data-beaker-server` attribute).
 *
 * #### Notes
 * The attribute is absent until the first check has finished, so a browser
 * test can wait for `body[data-beaker-server]` and then read its value
 * instead of scraping the console.
 */
export type ConnectionState = 'connected' | 'unreachable';

/**
 * Ask the server extension for its message types and report the outcome.
 *
 * @returns A promise that resolves with the state that was published; it
 *   never rejects, since a missing server extension must not break the rest
 *   of JupyterLab.
 *
 * #### Notes
 * The front end is installed as a prebuilt extension and the server part as a
 * Jupyter Server extension; either can be present without the other (for
 * instance when the server extension is disabled, or when JupyterLab talks to
 * a remote server). This check makes such a mismatch visible in the browser
 * console right away rather than at the first feature that needs the server.
 */
export async function checkServerExtension(): Promise<ConnectionState> {
  let state: ConnectionState;
  try {
    const reply = await requestAPI<IMessageTypesReply>('message-types');
    if (!reply || !Array.isArray(reply.message_types)) {
      // Something answered on the route, but not the extension we expect.
      throw new Error('reply has no "message_types" array');
    }
    console.log(
      `beaker-server: connected to server, ${reply.message_types.length} message types`
    );
    state = 'connected';
  } catch (reason) {
    console.error('beaker-server: server extension not reachable', reason);
    state = 'unreachable';
  }
  // Published after the log line so that whoever waits on the attribute
  // can count on the console message having been written already.
  document.body.dataset.beakerServer = state;
  return state;
}

/**
 * The beaker-server front-end plugin.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'beaker-server:plugin',
  description:
    'Connects JupyterLab to the beaker_server Jupyter Server extension.',
  autoStart: true,
  optional: [INotebookTracker, IConsoleTracker, ICommandPalette, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker | null,
    consoles: IConsoleTracker | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ): void => {
    // The check is deliberately not awaited: JupyterLab waits for `activate`
    // to settle before it finishes starting, and a slow or absent server
    // extension must not hold up the whole application.
    void checkServerExtension();
    addEvaluateCommand({ app, notebooks, consoles, palette, translator });
  }
};

export default [plugin, previewPlugin, explorerPlugin];
