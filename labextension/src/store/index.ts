import type { JupyterFrontEnd } from '@jupyterlab/application';
import { InputDialog } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { STORE_MESSAGES } from '../common/messagetypes';
import {
  addToPalette,
  describeArgs,
  featurePlugin,
  notifyOn
} from '../common/plugin';
import { followCurrentTarget } from '../common/target';
import { IStoredVariableInfo, IVariableStore } from '../tokens';
import { StoreConnector } from './connector';
import { SavedVariablesModel } from './model';
import { VariableStore } from './store';

/**
 * The command IDs of the variable store: save a variable of the current
 * kernel, load a saved one into it, delete one, list them again.
 */
export const StoreCommandIDs = {
  saveVariable: 'beaker-server:save-variable',
  loadVariable: 'beaker-server:load-saved-variable',
  deleteVariable: 'beaker-server:delete-saved-variable',
  refreshSaved: 'beaker-server:refresh-saved-variables'
} as const;

/**
 * The client of the server's variable store, talking through the kernel of
 * the current notebook or console, and its commands.
 */
export const storePlugin = featurePlugin<IVariableStore>({
  id: 'beaker-server:store',
  description:
    'The client of the variable store of beaker_server (save, load, list and delete kernel variables).',
  provides: IVariableStore,
  activate: ({ app, trackers, palette, translator, trans }) => {
    const store = new VariableStore({
      model: new SavedVariablesModel(),
      translator
    });
    const connector = new StoreConnector({ store, translator });
    followCurrentTarget(app, trackers, connector);
    addCommands(app, store, trans);
    notifyOn(app, store.model.stateChanged, Object.values(StoreCommandIDs));
    addToPalette(palette, trans, [
      StoreCommandIDs.saveVariable,
      StoreCommandIDs.refreshSaved
    ]);
    return store;
  }
});

/**
 * Add the commands on the store.
 */
function addCommands(
  app: JupyterFrontEnd,
  store: VariableStore,
  trans: TranslationBundle
): void {
  const { commands } = app;
  // The `id` argument of the commands on a saved variable.
  const savedIdArg: [string, string] = [
    'string',
    trans.__('The id of the saved variable.')
  ];
  const savedId = (command: string, args: ReadonlyPartialJSONObject) => {
    if (typeof args.id !== 'string') {
      throw new Error(`${command}: no "id"`);
    }
    return args.id;
  };
  const canSend = (message: string) => () => store.canSend(message);
  commands.addCommand(StoreCommandIDs.saveVariable, {
    label: trans.__('Save Variable to Store'),
    caption: trans.__(
      'Save a variable of the current kernel in the server-side store'
    ),
    describedBy: describeArgs({
      name: [
        'string',
        trans.__('The variable to save; when absent, it is asked for.')
      ]
    }),
    isEnabled: canSend(STORE_MESSAGES.save),
    execute: async (
      args: ReadonlyPartialJSONObject
    ): Promise<IStoredVariableInfo | null> => {
      let name = typeof args.name === 'string' ? args.name : null;
      if (name === null) {
        const result = await InputDialog.getItem({
          title: trans.__('Save Variable to Store'),
          label: trans.__('Variable'),
          items: [...store.previewNames],
          editable: true,
          okLabel: trans.__('Save')
        });
        name = result.button.accept ? (result.value?.trim() ?? '') : '';
        if (!name) {
          return null;
        }
      }
      return store.save(name);
    }
  });
  commands.addCommand(StoreCommandIDs.loadVariable, {
    label: trans.__('Load Saved Variable'),
    caption: trans.__('Load a saved variable into the current kernel'),
    describedBy: describeArgs(
      {
        id: savedIdArg,
        name: [
          'string',
          trans.__(
            'The name to give it in the kernel; by default the name it was saved with.'
          )
        ]
      },
      ['id']
    ),
    isEnabled: canSend(STORE_MESSAGES.load),
    execute: (args: ReadonlyPartialJSONObject) =>
      store.load(
        savedId(StoreCommandIDs.loadVariable, args),
        typeof args.name === 'string' ? args.name : undefined
      )
  });
  commands.addCommand(StoreCommandIDs.deleteVariable, {
    label: trans.__('Delete Saved Variable'),
    caption: trans.__('Delete a saved variable from the store'),
    describedBy: describeArgs({ id: savedIdArg }, ['id']),
    isEnabled: canSend(STORE_MESSAGES.delete),
    execute: (args: ReadonlyPartialJSONObject) =>
      store.delete(savedId(StoreCommandIDs.deleteVariable, args))
  });
  commands.addCommand(StoreCommandIDs.refreshSaved, {
    label: trans.__('Refresh Saved Variables'),
    caption: trans.__('List the variables saved in the store again'),
    isEnabled: canSend(STORE_MESSAGES.list),
    execute: () => store.list()
  });
}
