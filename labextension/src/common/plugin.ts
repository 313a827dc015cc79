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
import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import type { LabIcon } from '@jupyterlab/ui-components';
import type { ReadonlyJSONObject, Token } from '@lumino/coreutils';
import type { Widget } from '@lumino/widgets';

import { translateBundle } from './sidebar';
import type { ITrackers } from './target';

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

/**
 * What every plugin of the extension gets from the application.
 */
export interface IFeatureContext {
  app: JupyterFrontEnd;
  /**
   * The notebook and console trackers (see `CurrentTarget`).
   */
  trackers: ITrackers;
  palette: ICommandPalette | null;
  translator: ITranslator | null;
  /**
   * The extension's translation bundle.
   */
  trans: TranslationBundle;
}

/**
 * A plugin of the extension: it may follow the current notebook or
 * console, add commands to the palette, and ask for more optional tokens,
 * which `activate` gets after the context.
 */
export function featurePlugin<T>(options: {
  id: string;
  description: string;
  provides?: Token<T>;
  requires?: Token<any>[];
  optional?: Token<any>[];
  activate: (context: IFeatureContext, ...extra: any[]) => T;
}): JupyterFrontEndPlugin<T> {
  const own = options.requires ?? [];
  return {
    id: options.id,
    description: options.description,
    autoStart: true,
    provides: options.provides,
    requires: own,
    optional: [
      INotebookTracker,
      IConsoleTracker,
      ICommandPalette,
      ITranslator,
      ...(options.optional ?? [])
    ],
    activate: (app: JupyterFrontEnd, ...tokens: any[]): T => {
      const required = tokens.slice(0, own.length);
      const [notebooks, consoles, palette, translator, ...extra] = tokens.slice(
        own.length
      );
      const context: IFeatureContext = {
        app,
        trackers: { notebooks, consoles },
        palette,
        translator,
        trans: translateBundle(translator)
      };
      return options.activate(context, ...required, ...extra);
    }
  };
}

/**
 * A plugin whose view is a panel of the right sidebar: the panel is put in
 * the sidebar, restored with the layout, and gets its open and toggle
 * commands (see {@link addToRightSidebar}), also in the palette.
 */
export function sidebarPlugin<T>(options: {
  id: string;
  description: string;
  provides?: Token<T>;
  optional?: Token<any>[];
  /**
   * The panel's rank and type in the sidebar.
   */
  rank: number;
  type: string;
  /**
   * The open and toggle commands, from the translation bundle.
   */
  commands: (trans: TranslationBundle) => {
    open: ISidebarCommand & { icon?: LabIcon };
    toggle: ISidebarCommand;
  };
  /**
   * Make the panel; `extra` are the optional tokens asked for, in order.
   */
  activate: (
    context: IFeatureContext & { rendermime: IRenderMimeRegistry },
    ...extra: any[]
  ) => { panel: Widget; value: T };
}): JupyterFrontEndPlugin<T> {
  return featurePlugin<T>({
    id: options.id,
    description: options.description,
    provides: options.provides,
    requires: [IRenderMimeRegistry],
    optional: [ILabShell, ILayoutRestorer, ...(options.optional ?? [])],
    activate: (context, rendermime, labShell, restorer, ...extra) => {
      const { panel, value } = options.activate(
        { ...context, rendermime },
        ...extra
      );
      const { open, toggle } = options.commands(context.trans);
      addToRightSidebar({
        app: context.app,
        panel,
        rank: options.rank,
        type: options.type,
        labShell,
        restorer,
        open,
        toggle
      });
      addToPalette(context.palette, context.trans, [open.id, toggle.id]);
      return value;
    }
  });
}

/**
 * The `describedBy` of a command whose arguments are `properties`, each
 * `[type, description]`; `required` names those it cannot do without.
 */
export function describeArgs(
  properties: { [name: string]: [string, string] },
  required?: string[]
): { args: ReadonlyJSONObject } {
  const schema: { [name: string]: ReadonlyJSONObject } = {};
  for (const [name, [type, description]] of Object.entries(properties)) {
    schema[name] = { type, description };
  }
  return {
    args: {
      type: 'object',
      properties: schema,
      ...(required ? { required } : {})
    }
  };
}
