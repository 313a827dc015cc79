import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IConsoleTracker } from '@jupyterlab/console';
import { INotebookTracker } from '@jupyterlab/notebook';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import type { Widget } from '@lumino/widgets';

import { PreviewConnector, PreviewTarget } from './previewconnector';
import { variablesIcon } from './icons';
import { PreviewModel } from './previewmodel';
import { PreviewPanel } from './previewpanel';
import { COLUMNS, ColumnId, IVariablePreview } from './previewtokens';

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
    const { commands, shell } = app;

    const model = new PreviewModel();
    const connector = new PreviewConnector({ model, translator });
    const refresh = () => connector.refresh();
    const panel = new PreviewPanel({
      model,
      rendermime,
      translator,
      onRefresh: () => void refresh()
    });
    shell.add(panel, 'right', { rank: 650, type: 'Variables' });
    restorer?.add(panel, panel.id);

    // Follow the notebook or console in focus; when something else takes
    // the focus, keep the one followed as long as it is open.
    const isTarget = (widget: Widget | null | undefined): boolean =>
      !!widget &&
      ((notebooks?.has(widget) ?? false) || (consoles?.has(widget) ?? false));
    const follow = () => {
      const current = shell.currentWidget;
      if (isTarget(current)) {
        connector.target = current as PreviewTarget;
        return;
      }
      const followed = connector.target;
      if (followed && !followed.isDisposed && isTarget(followed)) {
        return;
      }
      connector.target =
        (notebooks?.currentWidget as PreviewTarget | null | undefined) ??
        (consoles?.currentWidget as PreviewTarget | null | undefined) ??
        null;
    };
    shell.currentChanged?.connect(follow);
    notebooks?.currentChanged.connect(follow);
    consoles?.currentChanged.connect(follow);
    // A closed notebook leaves its tracker before `currentChanged` fires.
    notebooks?.widgetAdded.connect((_, widget) =>
      widget.disposed.connect(() => queueMicrotask(follow))
    );
    consoles?.widgetAdded.connect((_, widget) =>
      widget.disposed.connect(() => queueMicrotask(follow))
    );
    void app.restored.then(follow);
    follow();

    commands.addCommand(PreviewCommandIDs.refresh, {
      label: trans.__('Refresh Variables'),
      caption: trans.__(
        'Ask the kernel of the current notebook or console for a fresh preview of its variables'
      ),
      icon: args => (args.isPalette ? undefined : variablesIcon),
      isEnabled: () => connector.kernel !== null,
      execute: () => refresh()
    });
    commands.addCommand(PreviewCommandIDs.toggle, {
      label: trans.__('Variables Panel'),
      caption: trans.__('Show or hide the Variables panel'),
      isToggled: () => panel.isVisible,
      execute: () => {
        if (panel.isVisible) {
          if (labShell) {
            labShell.collapseRight();
          }
        } else {
          shell.activateById(panel.id);
        }
      }
    });
    commands.addCommand(PreviewCommandIDs.open, {
      label: trans.__('Show Variables Panel'),
      caption: trans.__('Show the Variables panel in the right sidebar'),
      execute: () => shell.activateById(panel.id)
    });
    model.stateChanged.connect(() =>
      commands.notifyCommandChanged(PreviewCommandIDs.refresh)
    );
    labShell?.layoutModified.connect(() =>
      commands.notifyCommandChanged(PreviewCommandIDs.toggle)
    );
    if (palette) {
      const category = trans.__('Beaker');
      for (const command of [
        PreviewCommandIDs.refresh,
        PreviewCommandIDs.toggle,
        PreviewCommandIDs.open
      ]) {
        palette.addItem({ command, category });
      }
    }

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

    return { model, panel, refresh };
  }
};
