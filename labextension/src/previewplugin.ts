import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, InputDialog } from '@jupyterlab/apputils';
import { IConsoleTracker } from '@jupyterlab/console';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { PreviewConnector } from './previewconnector';
import { variablesIcon } from './icons';
import { PreviewModel } from './previewmodel';
import { PreviewPanel } from './previewpanel';
import { COLUMNS, ColumnId, IVariablePreview } from './previewtokens';
import {
  addToPalette,
  addToRightSidebar,
  followCurrentTarget
} from './sidebarplugin';
import { IStoredVariableInfo, STORE_MESSAGES, VariableStore } from './store';
import { SavedVariablesModel } from './storemodel';

/**
 * The command IDs of the variable preview.
 */
export namespace PreviewCommandIDs {
  /**
   * Ask the followed kernel for a fresh preview.
   */
  export const refresh = 'beaker-server:refresh-preview';
  /**
   * Show the Variables panel, or collapse the sidebar when it is shown.
   */
  export const toggle = 'beaker-server:toggle-preview-panel';
  /**
   * Show the Variables panel.
   */
  export const open = 'beaker-server:open-preview-panel';
  /**
   * Save a variable of the followed kernel in the server's store.
   */
  export const saveVariable = 'beaker-server:save-variable';
  /**
   * Load a saved variable into the followed kernel.
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
 * The id of the preview plugin, which is also the key of its settings.
 */
export const PREVIEW_PLUGIN_ID = 'beaker-server:preview';

/**
 * The Variables panel: a live preview of the variables of the kernel of
 * the current notebook or console, in the right sidebar.
 */
export const previewPlugin: JupyterFrontEndPlugin<IVariablePreview> = {
  id: PREVIEW_PLUGIN_ID,
  description:
    'A sidebar panel with a live preview of the variables of the current kernel.',
  autoStart: true,
  requires: [IRenderMimeRegistry],
  optional: [
    INotebookTracker,
    IConsoleTracker,
    ILabShell,
    ILayoutRestorer,
    ICommandPalette,
    ISettingRegistry,
    ITranslator
  ],
  provides: IVariablePreview,
  activate: (
    app: JupyterFrontEnd,
    rendermime: IRenderMimeRegistry,
    notebooks: INotebookTracker | null,
    consoles: IConsoleTracker | null,
    labShell: ILabShell | null,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null
  ): IVariablePreview => {
    translator = translator ?? nullTranslator;
    const trans = translator.load('beaker_server');
    const { commands } = app;

    const model = new PreviewModel();
    const connector = new PreviewConnector({ model, translator });
    const refresh = () => connector.refresh();
    const store = new VariableStore({
      model: new SavedVariablesModel(),
      translator,
      // `load_var` is no execution: no preview follows it on its own.
      onLoaded: refresh
    });
    const panel = new PreviewPanel({
      model,
      rendermime,
      translator,
      store,
      onRefresh: () => void refresh()
    });
    addToRightSidebar({
      app,
      panel,
      rank: 650,
      type: 'Variables',
      labShell,
      restorer,
      open: {
        id: PreviewCommandIDs.open,
        label: trans.__('Show Variables Panel'),
        caption: trans.__('Show the Variables panel in the right sidebar')
      },
      toggle: {
        id: PreviewCommandIDs.toggle,
        label: trans.__('Variables Panel'),
        caption: trans.__('Show or hide the Variables panel')
      }
    });

    // Follow the notebook or console in focus; when something else takes
    // the focus, keep the one followed as long as it is open.
    followCurrentTarget(app, { notebooks, consoles }, connector);
    // The store talks through the kernel of the preview; the preview model
    // changes whenever that kernel does.
    const syncStore = () => {
      store.kernel = connector.kernel;
    };
    model.stateChanged.connect(syncStore);
    syncStore();

    commands.addCommand(PreviewCommandIDs.refresh, {
      label: trans.__('Refresh Variables'),
      caption: trans.__(
        'Ask the kernel of the current notebook or console for a fresh preview of its variables'
      ),
      icon: args => (args.isPalette ? undefined : variablesIcon),
      isEnabled: () => connector.kernel !== null,
      execute: () => refresh()
    });
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
    const hasStore = (message: string) => () =>
      store.model.available &&
      store.supported.has(message) &&
      store.kernel !== null;
    commands.addCommand(PreviewCommandIDs.saveVariable, {
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
      isEnabled: hasStore(STORE_MESSAGES.save),
      execute: async (
        args: ReadonlyPartialJSONObject
      ): Promise<IStoredVariableInfo | null> => {
        let name = typeof args.name === 'string' ? args.name : null;
        if (name === null) {
          const result = await InputDialog.getItem({
            title: trans.__('Save Variable to Store'),
            label: trans.__('Variable'),
            items: model.rows.map(row => row.name),
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
    commands.addCommand(PreviewCommandIDs.loadVariable, {
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
      isEnabled: hasStore(STORE_MESSAGES.load),
      execute: (args: ReadonlyPartialJSONObject) =>
        store.load(
          savedId(PreviewCommandIDs.loadVariable, args),
          typeof args.name === 'string' ? args.name : undefined
        )
    });
    commands.addCommand(PreviewCommandIDs.deleteVariable, {
      label: trans.__('Delete Saved Variable'),
      caption: trans.__('Delete a saved variable from the store'),
      describedBy: {
        args: {
          type: 'object',
          properties: { id: savedIdArg },
          required: ['id']
        }
      },
      isEnabled: hasStore(STORE_MESSAGES.delete),
      execute: (args: ReadonlyPartialJSONObject) =>
        store.delete(savedId(PreviewCommandIDs.deleteVariable, args))
    });
    commands.addCommand(PreviewCommandIDs.refreshSaved, {
      label: trans.__('Refresh Saved Variables'),
      caption: trans.__('List the variables saved in the store again'),
      isEnabled: hasStore(STORE_MESSAGES.list),
      execute: () => store.list()
    });
    const storeCommands = [
      PreviewCommandIDs.saveVariable,
      PreviewCommandIDs.loadVariable,
      PreviewCommandIDs.deleteVariable,
      PreviewCommandIDs.refreshSaved
    ];
    model.stateChanged.connect(() =>
      commands.notifyCommandChanged(PreviewCommandIDs.refresh)
    );
    store.model.stateChanged.connect(() => {
      for (const command of storeCommands) {
        commands.notifyCommandChanged(command);
      }
    });
    addToPalette(palette, trans, [
      PreviewCommandIDs.refresh,
      PreviewCommandIDs.toggle,
      PreviewCommandIDs.open,
      PreviewCommandIDs.saveVariable,
      PreviewCommandIDs.refreshSaved
    ]);

    if (settingRegistry) {
      const apply = (settings: ISettingRegistry.ISettings) => {
        const missed = model.stale;
        model.autoRefresh = settings.get('autoRefresh').composite !== false;
        if (model.autoRefresh && missed) {
          // Catch up with what was pushed while auto-update was off.
          void refresh();
        }
        const columns = settings.get('columns').composite;
        model.columns = Array.isArray(columns)
          ? COLUMNS.filter(column => (columns as string[]).includes(column))
          : (COLUMNS as readonly ColumnId[]);
      };
      void Promise.all([settingRegistry.load(PREVIEW_PLUGIN_ID), app.restored])
        .then(([settings]) => {
          apply(settings);
          settings.changed.connect(apply);
        })
        .catch(reason =>
          console.error(
            'beaker-server: cannot load the preview settings',
            reason
          )
        );
    }

    return { model, panel, refresh, store };
  }
};
