import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { variablesIcon } from '../common/icons';
import { addToPalette, notifyOn, sidebarPlugin } from '../common/plugin';
import { followCurrentTarget } from '../common/target';
import { IVariablePreview, IVariableStore } from '../tokens';
import { PreviewConnector } from './connector';
import { PreviewModel } from './model';
import { PreviewPanel } from './panel';
import { readColumns } from './rows';

/**
 * The command IDs of the variable preview: ask the followed kernel for a
 * fresh preview; show or hide the Variables panel; show it.
 */
export const PreviewCommandIDs = {
  refresh: 'beaker-server:refresh-preview',
  toggle: 'beaker-server:toggle-preview-panel',
  open: 'beaker-server:open-preview-panel'
} as const;

/**
 * The command of the Data Explorer that opens a variable (see
 * `dataexplorer/index.ts`), run by name so that either plugin works
 * without the other.
 */
const OPEN_DATA_EXPLORER = 'beaker-server:open-data-explorer';

/**
 * The id of the preview plugin, which is also the key of its settings.
 */
export const PREVIEW_PLUGIN_ID = 'beaker-server:preview';

/**
 * The Variables panel: a live preview of the variables of the kernel of
 * the current notebook or console, in the right sidebar.
 */
export const previewPlugin = sidebarPlugin<IVariablePreview>({
  id: PREVIEW_PLUGIN_ID,
  description:
    'A sidebar panel with a live preview of the variables of the current kernel.',
  provides: IVariablePreview,
  optional: [ISettingRegistry, IVariableStore],
  rank: 650,
  type: 'Variables',
  commands: trans => ({
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
  }),
  activate: (
    { app, trackers, palette, translator, trans, rendermime },
    settingRegistry: ISettingRegistry | null,
    store: IVariableStore | null
  ) => {
    const model = new PreviewModel();
    const connector = new PreviewConnector({ model, translator });
    const refresh = () => connector.refresh();
    // The store offers the names shown when a save is asked for without
    // one, and refreshes the preview after a load (no execution: no
    // preview follows it on its own).
    store?.linkPreview({
      names: () => model.rows.map(row => row.name),
      refresh
    });
    const panel = new PreviewPanel({
      model,
      rendermime,
      translator,
      store,
      onRefresh: () => void refresh(),
      // The Data Explorer's command, when the application has it, opens
      // the variable in the kernel this panel follows.
      onExplore: name => {
        if (app.commands.hasCommand(OPEN_DATA_EXPLORER)) {
          void app.commands.execute(OPEN_DATA_EXPLORER, {
            name,
            path: connector.target?.sessionContext.path ?? ''
          });
        }
      }
    });
    // Follow the notebook or console in focus; when something else takes
    // the focus, keep the one followed as long as it is open.
    followCurrentTarget(app, trackers, connector);

    app.commands.addCommand(PreviewCommandIDs.refresh, {
      label: trans.__('Refresh Variables'),
      caption: trans.__(
        'Ask the kernel of the current notebook or console for a fresh preview of its variables'
      ),
      icon: args => (args.isPalette ? undefined : variablesIcon),
      isEnabled: () => connector.kernel !== null,
      execute: () => refresh()
    });
    notifyOn(app, model.stateChanged, [PreviewCommandIDs.refresh]);
    addToPalette(palette, trans, [PreviewCommandIDs.refresh]);

    if (settingRegistry) {
      const apply = (settings: ISettingRegistry.ISettings) => {
        const missed = model.stale;
        model.autoRefresh = settings.get('autoRefresh').composite !== false;
        if (model.autoRefresh && missed) {
          // Catch up with what was pushed while auto-update was off.
          void refresh();
        }
        model.columns = readColumns(settings.get('columns').composite);
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

    return { panel, value: { model, panel, refresh } };
  }
});
