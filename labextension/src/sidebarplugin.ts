import type {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd
} from '@jupyterlab/application';
import type { ICommandPalette } from '@jupyterlab/apputils';
import type { IConsoleTracker } from '@jupyterlab/console';
import type { INotebookTracker } from '@jupyterlab/notebook';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { LabIcon } from '@jupyterlab/ui-components';
import type { Widget } from '@lumino/widgets';

import type { PreviewTarget } from './sidebarconnector';
import { CurrentTarget } from './tracker';

/**
 * Keep `connector.target` on the notebook or console a sidebar panel works
 * on (see {@link CurrentTarget}), from now on.
 *
 * @returns The tracker, which looks at the focus again once the
 *   application is restored.
 */
export function followCurrentTarget(
  app: JupyterFrontEnd,
  trackers: {
    notebooks: INotebookTracker | null;
    consoles: IConsoleTracker | null;
  },
  connector: { target: PreviewTarget | null }
): CurrentTarget {
  const current = new CurrentTarget({ shell: app.shell, ...trackers });
  current.targetChanged.connect((_, target) => {
    connector.target = target;
  });
  connector.target = current.target;
  void app.restored.then(() => current.update());
  return current;
}

/**
 * A command of a sidebar panel.
 */
export interface ISidebarCommand {
  /**
   * The command id.
   */
  id: string;
  /**
   * The label, translated.
   */
  label: string;
  /**
   * The caption, translated.
   */
  caption: string;
}

/**
 * Put `panel` in the right sidebar, restored with the layout, and add its
 * commands: `open` shows it; `toggle` shows it, or collapses the sidebar
 * when it is shown.
 */
export function addToRightSidebar(options: {
  app: JupyterFrontEnd;
  panel: Widget;
  /**
   * The panel's rank and type in the sidebar.
   */
  rank: number;
  type: string;
  labShell: ILabShell | null;
  restorer: ILayoutRestorer | null;
  /**
   * The open command; its `icon`, when given, shows everywhere but in the
   * command palette.
   */
  open: ISidebarCommand & { icon?: LabIcon };
  toggle: ISidebarCommand;
}): void {
  const { app, panel, labShell, open, toggle } = options;
  const { commands, shell } = app;
  shell.add(panel, 'right', { rank: options.rank, type: options.type });
  options.restorer?.add(panel, panel.id);

  const icon = open.icon;
  commands.addCommand(open.id, {
    label: open.label,
    caption: open.caption,
    icon: icon ? args => (args.isPalette ? undefined : icon) : undefined,
    execute: () => shell.activateById(panel.id)
  });
  commands.addCommand(toggle.id, {
    label: toggle.label,
    caption: toggle.caption,
    isToggled: () => panel.isVisible,
    execute: () => {
      if (panel.isVisible) {
        labShell?.collapseRight();
      } else {
        shell.activateById(panel.id);
      }
    }
  });
  labShell?.layoutModified.connect(() =>
    commands.notifyCommandChanged(toggle.id)
  );
}

/**
 * Add `commands` to the palette, if any, in the Beaker category.
 */
export function addToPalette(
  palette: ICommandPalette | null,
  trans: TranslationBundle,
  commands: readonly string[]
): void {
  if (!palette) {
    return;
  }
  const category = trans.__('Beaker');
  for (const command of commands) {
    palette.addItem({ command, category });
  }
}
