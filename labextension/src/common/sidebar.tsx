import {
  ITranslator,
  TranslationBundle,
  nullTranslator
} from '@jupyterlab/translation';
import {
  LabIcon,
  PanelWithToolbar,
  SidePanel,
  ToolbarButtonComponent,
  VDomModel,
  VDomRenderer
} from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import { AccordionPanel, Widget } from '@lumino/widgets';
import * as React from 'react';

import type { SidebarModel } from './model';

/**
 * The translation domain of the extension.
 */
export const TRANSLATION_DOMAIN = 'beaker_server';

/**
 * The translation bundle of the extension.
 */
export function translateBundle(
  translator?: ITranslator | null
): TranslationBundle {
  return (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
}

/**
 * A view of a model rendered with React that does not render while hidden.
 *
 * #### Notes
 * While the view is hidden (its sidebar collapsed, another panel shown, its
 * section folded), model changes do not re-render it; it catches up when
 * shown.
 */
export abstract class LazyRenderer<
  M extends VDomModel
> extends VDomRenderer<M> {
  protected onUpdateRequest(msg: Message): void {
    if (!this.isVisible) {
      this._needsRender = true;
      return;
    }
    this._needsRender = false;
    super.onUpdateRequest(msg);
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (this._needsRender) {
      this.update();
    }
  }

  private _needsRender = false;
}

/**
 * A toolbar button whose state follows a model: a `ToolbarButtonComponent`
 * rendered again at each change of the model.
 */
export class ModelButton<M extends VDomModel> extends LazyRenderer<M> {
  /**
   * Create a button of `model`; `props` gives its properties at each render.
   */
  constructor(model: M, props: (model: M) => ToolbarButtonComponent.IProps) {
    super(model);
    this._props = props;
    this.addClass('jp-ToolbarButton');
  }

  protected render(): React.ReactElement {
    return <ToolbarButtonComponent {...this._props(this.model)} />;
  }

  private _props: (model: M) => ToolbarButtonComponent.IProps;
}

/**
 * The header of a sidebar: its title and the notebook or console followed.
 */
class SidebarHeader extends LazyRenderer<SidebarModel> {
  constructor(model: SidebarModel, title: string, targetClass: string) {
    super(model);
    this._title = title;
    this._targetClass = targetClass;
    this.addClass('jp-BeakerSidebar-header');
  }

  protected render(): React.ReactElement {
    const target = this.model.target;
    return (
      <>
        <h2 className="jp-BeakerSidebar-title">{this._title}</h2>
        <span
          className={`jp-BeakerSidebar-target ${this._targetClass}`}
          title={target ?? undefined}
        >
          {target ?? ''}
        </span>
      </>
    );
  }

  private _title: string;
  private _targetClass: string;
}

/**
 * A sidebar of the extension: JupyterLab's `SidePanel` with a header that
 * names the notebook or console followed, a refresh button in its toolbar,
 * and the feature's sections (`PanelWithToolbar`s) in its accordion.
 */
export class BeakerSidebar<M extends SidebarModel> extends SidePanel {
  /**
   * Create the sidebar of `options.model`.
   */
  constructor(options: BeakerSidebar.IOptions<M>) {
    super({ translator: options.translator ?? undefined });
    const { model, refresh } = options;
    this.model = model;
    this.trans = translateBundle(options.translator);
    this.id = options.id;
    this.addClass('jp-BeakerSidebar');
    this.addClass(options.className);
    this.title.icon = options.icon;
    this.title.caption = options.caption ?? options.title;
    this.header.addWidget(
      new SidebarHeader(model, options.title, `${options.className}-target`)
    );
    this.toolbar.addItem(
      'refresh',
      new ModelButton(model, m => ({
        className: `jp-BeakerSidebar-refresh ${refresh.className}`,
        icon: refresh.icon,
        iconClass: refresh.isSpinning(m) ? 'jp-BeakerSidebar-spin' : '',
        tooltip: refresh.label,
        enabled: refresh.isEnabled?.(m) ?? true,
        onClick: refresh.onClick
      }))
    );
  }

  /**
   * The model of the sidebar.
   */
  readonly model: M;

  /**
   * The sidebar's translation bundle.
   */
  protected readonly trans: TranslationBundle;

  /**
   * Add a section: `body` under a foldable title, with `toolbar` items
   * shown in the title.
   *
   * @returns The section.
   */
  addSection(options: {
    title: string;
    className: string;
    body: Widget;
    toolbar?: [string, Widget][];
  }): PanelWithToolbar {
    const section = new PanelWithToolbar();
    section.title.label = options.title;
    section.addClass('jp-BeakerSidebar-section');
    section.addClass(options.className);
    section.toolbar.addClass('jp-BeakerSidebar-sectionToolbar');
    for (const [name, item] of options.toolbar ?? []) {
      section.toolbar.addItem(name, item);
    }
    options.body.addClass('jp-BeakerSidebar-body');
    section.addWidget(options.body);
    this.addWidget(section);
    return section;
  }

  /**
   * Share the height between the sections, in proportions.
   */
  setSectionSizes(sizes: number[]): void {
    (this.content as AccordionPanel).setRelativeSizes(sizes);
  }
}

/**
 * The namespace for {@link BeakerSidebar} statics.
 */
export namespace BeakerSidebar {
  /**
   * The options of a sidebar.
   */
  export interface IOptions<M extends SidebarModel> {
    /**
     * The id of the sidebar in the shell.
     */
    id: string;
    /**
     * The feature's class (`jp-BeakerPreview`); its header's target label
     * gets `<className>-target`.
     */
    className: string;
    /**
     * The title shown in the header and as the tab's caption, translated.
     */
    title: string;
    /**
     * The caption of its tab, translated; the title by default.
     */
    caption?: string;
    /**
     * The icon of its tab.
     */
    icon: LabIcon;
    /**
     * The model shown.
     */
    model: M;
    /**
     * The refresh button of the toolbar.
     */
    refresh: {
      /**
       * The button's own class.
       */
      className: string;
      icon: LabIcon;
      /**
       * The tooltip and accessible name, translated.
       */
      label: string;
      isEnabled?: (model: M) => boolean;
      /**
       * Whether the icon spins (a refresh on its way).
       */
      isSpinning: (model: M) => boolean;
      onClick: () => void;
    };
    /**
     * The application's translator.
     */
    translator?: ITranslator | null;
  }
}
