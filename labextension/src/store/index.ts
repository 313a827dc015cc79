import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, InputDialog } from '@jupyterlab/apputils';
import { IConsoleTracker } from '@jupyterlab/console';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ITranslator } from '@jupyterlab/translation';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { STORE_MESSAGES } from '../common/messagetypes';
import { addToPalette, notifyOn } from '../common/plugin';
import { translateBundle } from '../common/sidebar';
import { followCurrentTarget } from '../common/target';
import { IStoredVariableInfo, IVariableStore } from '../tokens';
import { StoreConnector } from './connector';
import { SavedVariablesModel } from './model';
import { VariableStore } from './store';

/**
 * The command IDs of the variable store.
 */
export namespace StoreCommandIDs {
  /**
   * Save a variable of the current kernel in the server's store.
   */
  export const saveVariable = 'beaker-server:save-variable';
  /**
   * Load a saved variable into the current kernel.
   */
  export const loadVariable = 'beaker-server:load-saved-variable';
  /**
   * Delete a saved variable from the store.
   */
  export const deleteVariable = 'beaker-server:delete-saved-variable';
  /**
   * Fetch the list of saved variables again.
   */
  export const refreshSaved = 'beaker-server:refresh-saved-variables';
}

/**
 * The id of the store plugin.
 */
export const STORE_PLUGIN_ID = 'beaker-server:store';

/**
 * The client of the server's variable store, talking through the kernel of
 * the current notebook or console, and its commands.
 */
export const storePlugin: JupyterFrontEndPlugin<IVariableStore> = {
  id: STORE_PLUGIN_ID,
  description:
    'The client of the variable store of beaker_server (save, load, list and delete kernel variables).',
  autoStart: true,
  optional: [INotebookTracker, IConsoleTracker, ICommandPalette, ITranslator],
  provides: IVariableStore,
  activate: (
    app: JupyterFrontEnd,
    notebooks: INotebookTracker | null,
    consoles: IConsoleTracker | null,
    palette: ICommandPalette | null,
    translator: ITranslator | null
  ): IVariableStore => {
    const trans = translateBundle(translator);
    const store = new VariableStore({
      model: new SavedVariablesModel(),
      translator
    });
    const connector = new StoreConnector({ store, translator });
    followCurrentTarget(app, { notebooks, consoles }, connector);
    addCommands(app, store, trans);
    notifyOn(app, store.model.stateChanged, Object.values(StoreCommandIDs));
    addToPalette(palette, trans, [
      StoreCommandIDs.saveVariable,
      StoreCommandIDs.refreshSaved
    ]);
    return store;
  }
};

/**
 * Add the commands on the store.
 */
function addCommands(
  app: JupyterFrontEnd,
  store: VariableStore,
  trans: ReturnType<typeof translateBundle>
): void {
  const { commands } = app;
  // The `id` argument of the commands on a saved variable.
  const savedIdArg = {
    type: 'string',
    description: trans.__('The id of the saved variable.')
  };
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
    describedBy: {
      args: {
        type: 'object',
        properties: {
          name: {
            type: 'string',
            description: trans.__(
              'The variable to save; when absent, it is asked for.'
            )
          }
        }
      }
    },
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
    describedBy: {
      args: {
        type: 'object',
        properties: {
          id: savedIdArg,
          name: {
            type: 'string',
            description: trans.__(
              'The name to give it in the kernel; by default the name it was saved with.'
            )
          }
        },
        required: ['id']
      }
    },
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
    describedBy: {
      args: {
        type: 'object',
        properties: { id: savedIdArg },
        required: ['id']
      }
    },
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
