import { ILayoutRestorer } from '@jupyterlab/application';
import {
  IThemeManager,
  InputDialog,
  Notification,
  WidgetTracker
} from '@jupyterlab/apputils';
import { tableRowsIcon } from '@jupyterlab/ui-components';

import { addToPalette, describeArgs, featurePlugin } from '../common/plugin';
import { CurrentTarget } from '../common/target';
import type { KernelTarget } from '../common/target';
import { IDataExplorerTracker, IVariablePreview } from '../tokens';
import { DataExplorerModel } from './view';
import { DataExplorer } from './widget';

/**
 * The command IDs of the Data Explorer.
 */
export const DataExplorerCommandIDs = {
  /**
   * Open a kernel variable in a Data Explorer tab (args: `name`, and the
   * `path` of the notebook or console; without them, the current one).
   */
  open: 'beaker-server:open-data-explorer',
  /**
   * Put the keyboard in the current Data Explorer tab's find box (Accel F).
   */
  find: 'beaker-server:data-explorer-find'
} as const;

/**
 * How long a restored tab waits for its notebook or console to open, in ms.
 */
const TARGET_WAIT = 20_000;

/**
 * The Data Explorer: a main-area tab per view of a kernel variable (a
 * DataFrame, an array, a list of rows...), paged, sorted and filtered by
 * the kernel, with a column summary.
 */
export const dataExplorerPlugin = featurePlugin<IDataExplorerTracker>({
  id: 'beaker-server:data-explorer',
  description:
    'Explore a kernel variable as a table: paged, sorted and filtered by the kernel.',
  provides: IDataExplorerTracker,
  optional: [ILayoutRestorer, IThemeManager, IVariablePreview],
  activate: (
    { app, trackers, palette, trans },
    restorer: ILayoutRestorer | null,
    themeManager: IThemeManager | null,
    preview: IVariablePreview | null
  ) => {
    const tracker = new WidgetTracker<DataExplorer>({
      namespace: 'beaker-data-explorer'
    });
    const current = new CurrentTarget({ shell: app.shell, ...trackers });
    void app.restored.then(() => current.update());

    const byPath = (path: string): KernelTarget | null => {
      const matches = (widget: KernelTarget) =>
        widget.sessionContext.path === path;
      return (
        (trackers.notebooks?.find(w => matches(w as KernelTarget)) as
          KernelTarget | undefined) ??
        (trackers.consoles?.find(w => matches(w as KernelTarget)) as
          KernelTarget | undefined) ??
        null
      );
    };

    const waitForPath = (
      path: string,
      timeout: number
    ): Promise<KernelTarget | null> =>
      new Promise(resolve => {
        const added = () => {
          const found = byPath(path);
          if (found) {
            done(found);
          }
        };
        const done = (found: KernelTarget | null) => {
          window.clearTimeout(timer);
          trackers.notebooks?.widgetAdded.disconnect(added);
          trackers.consoles?.widgetAdded.disconnect(added);
          resolve(found);
        };
        const timer = window.setTimeout(() => done(null), timeout);
        trackers.notebooks?.widgetAdded.connect(added);
        trackers.consoles?.widgetAdded.connect(added);
      });

    const askName = async (): Promise<string | null> => {
      const names = preview?.model.rows.map(row => row.name) ?? [];
      const answer =
        names.length > 0
          ? await InputDialog.getItem({
              title: trans.__('Open in the Data Explorer'),
              label: trans.__('Variable'),
              items: names,
              editable: true
            })
          : await InputDialog.getText({
              title: trans.__('Open in the Data Explorer'),
              label: trans.__('Variable'),
              placeholder: 'df'
            });
      const name = answer.button.accept ? (answer.value ?? '').trim() : '';
      return name || null;
    };

    app.commands.addCommand(DataExplorerCommandIDs.open, {
      label: args =>
        args.name
          ? trans.__('Explore %1', String(args.name))
          : trans.__('Open Variable in Data Explorer…'),
      caption: trans.__(
        'Open a variable of the current kernel as a table: paged, sorted and filtered by the kernel'
      ),
      icon: args => (args.isPalette ? undefined : tableRowsIcon),
      describedBy: describeArgs({
        name: ['string', 'The name of the variable'],
        path: [
          'string',
          'The path of the notebook or console whose kernel holds it (default: the current one)'
        ]
      }),
      execute: async args => {
        const path = typeof args.path === 'string' ? args.path : '';
        let target = path ? byPath(path) : current.target;
        if (!target && path) {
          // Restoring the layout: the notebook may open after this tab.
          // (Not `app.restored`: it waits for this very command.)
          target = await waitForPath(path, TARGET_WAIT);
        }
        if (!target) {
          Notification.warning(
            trans.__('Open a notebook or console to explore its variables.'),
            { autoClose: 5000 }
          );
          return;
        }
        let name = typeof args.name === 'string' ? args.name.trim() : '';
        if (!name) {
          name = (await askName()) ?? '';
          if (!name) {
            return;
          }
        }
        const open = tracker.find(
          widget =>
            widget.name === name &&
            widget.content.model.target === target &&
            widget.content.model.state !== 'closed'
        );
        if (open) {
          app.shell.activateById(open.id);
          return open;
        }
        const model = new DataExplorerModel({ name, target, trans });
        const widget = new DataExplorer({ model, trans });
        void tracker.add(widget);
        app.shell.add(widget, 'main');
        app.shell.activateById(widget.id);
        void model.open();
        return widget;
      }
    });
    addToPalette(palette, trans, [DataExplorerCommandIDs.open]);

    app.commands.addCommand(DataExplorerCommandIDs.find, {
      label: trans.__('Find in the Data Explorer'),
      caption: trans.__(
        'Look for a text in the cells of the current Data Explorer tab'
      ),
      isEnabled: () => tracker.currentWidget !== null,
      execute: () => tracker.currentWidget?.focusFind()
    });
    app.commands.addKeyBinding({
      command: DataExplorerCommandIDs.find,
      keys: ['Accel F'],
      selector: '.jp-BeakerDataExplorer'
    });

    if (restorer) {
      void restorer.restore(tracker, {
        command: DataExplorerCommandIDs.open,
        args: widget => ({ name: widget.name, path: widget.path }),
        name: widget => `${widget.path}:${widget.name}`
      });
    }
    themeManager?.themeChanged.connect(() => {
      // The new theme's variables are in place once it has been applied.
      requestAnimationFrame(() =>
        tracker.forEach(widget => widget.content.refreshTheme())
      );
    });
    return tracker;
  }
});
