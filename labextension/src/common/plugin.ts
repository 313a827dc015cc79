import type {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd
} from '@jupyterlab/application';
import type { ICommandPalette } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { LabIcon } from '@jupyterlab/ui-components';
import type { Widget } from '@lumino/widgets';

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

/**
 * Tell the application that `commands` may have changed (enabled, toggled)
 * whenever `signal` fires.
 */
export function notifyOn(
  app: JupyterFrontEnd,
  signal: { connect: (slot: () => void) => unknown },
  commands: readonly string[]
): void {
  signal.connect(() => {
    for (const command of commands) {
      app.commands.notifyCommandChanged(command);
    }
  });
}
