import type { JSONObject, ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { messagesIcon } from '../common/icons';
import { STORE_MESSAGES } from '../common/messagetypes';
import {
  addToPalette,
  describeArgs,
  notifyOn,
  sidebarPlugin
} from '../common/plugin';
import { followCurrentTarget } from '../common/target';
import { IVariablePreview, IVariableStore } from '../tokens';
import { ExplorerConnector } from './connector';
import { ExplorerModel } from './model';
import { ExplorerPanel } from './panel';
import type { IExplorerRun } from './types';

/**
 * The command IDs of the message explorer: show it; show or hide it; send
 * a custom request from it and show its flow.
 */
export const ExplorerCommandIDs = {
  open: 'beaker-server:open-message-explorer',
  toggle: 'beaker-server:toggle-message-explorer',
  send: 'beaker-server:send-custom-request'
} as const;

/**
 * The message explorer: the server's custom message types, a payload
 * editor, and the flow of each request sent to the current kernel.
 */
export const explorerPlugin = sidebarPlugin<void>({
  id: 'beaker-server:explorer',
  description:
    'A sidebar view to browse the custom message types of beaker_server and send them to the current kernel.',
  optional: [IVariablePreview, IVariableStore],
  rank: 660,
  type: 'Message Explorer',
  commands: trans => ({
    open: {
      id: ExplorerCommandIDs.open,
      label: trans.__('Show Message Explorer'),
      caption: trans.__(
        'Show the custom message types of the server and send them to the current kernel'
      ),
      icon: messagesIcon
    },
    toggle: {
      id: ExplorerCommandIDs.toggle,
      label: trans.__('Message Explorer'),
      caption: trans.__('Show or hide the message explorer')
    }
  }),
  activate: (
    { app, trackers, palette, translator, trans, rendermime },
    preview: IVariablePreview | null,
    store: IVariableStore | null
  ) => {
    const { commands, shell } = app;
    const model = new ExplorerModel();
    const connector = new ExplorerConnector({ model, translator });
    const panel = new ExplorerPanel({
      model,
      rendermime,
      translator,
      onSend: () => void connector.send(),
      onReload: () => void connector.refreshTypes(true)
    });
    followCurrentTarget(app, trackers, connector);
    void connector.refreshTypes();

    // A request that may change the kernel's namespace (one that needs the
    // `execute` permission, such as `load_var`) is no execution: the server
    // need not push a preview after it, so the Variables panel asks for one.
    // A save or a delete changes the list of saved variables.
    connector.requestDone.connect((_, run) => {
      if (run.status !== 'ok') {
        return;
      }
      const type = model.types.find(item => item.name === run.name);
      if (preview && type?.permission === 'execute') {
        void preview.refresh();
      }
      if (
        store &&
        (run.name === STORE_MESSAGES.save || run.name === STORE_MESSAGES.delete)
      ) {
        void store.list();
      }
    });

    commands.addCommand(ExplorerCommandIDs.send, {
      label: trans.__('Send Custom Request'),
      caption: trans.__(
        'Send the custom request chosen in the message explorer to the current kernel'
      ),
      describedBy: describeArgs({
        name: [
          'string',
          trans.__(
            'The message type; by default the one chosen in the explorer.'
          )
        ],
        payload: [
          'object',
          trans.__(
            'The content of the request; by default the payload in the explorer.'
          )
        ]
      }),
      isEnabled: args =>
        typeof args.name === 'string'
          ? model.kernelStatus !== null
          : model.canSend,
      execute: async (
        args: ReadonlyPartialJSONObject
      ): Promise<IExplorerRun | null> => {
        const name = typeof args.name === 'string' ? args.name : undefined;
        const payload =
          args.payload && typeof args.payload === 'object'
            ? (args.payload as JSONObject)
            : undefined;
        if (name !== undefined) {
          model.selected = name;
        }
        if (
          payload !== undefined &&
          (name === undefined || model.selected === name)
        ) {
          model.setPayload(payload);
        }
        shell.activateById(panel.id);
        return connector.send(name, payload);
      }
    });
    notifyOn(app, model.stateChanged, [ExplorerCommandIDs.send]);
    addToPalette(palette, trans, [ExplorerCommandIDs.send]);
    return { panel, value: undefined };
  }
});
