import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import {
  ITranslator,
  TranslationBundle,
  nullTranslator
} from '@jupyterlab/translation';
import {
  LabIcon,
  refreshIcon,
  VDomModel,
  VDomRenderer
} from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import * as React from 'react';

/**
 * The base of a sidebar panel rendered from a model with React.
 *
 * #### Notes
 * While the panel is hidden (its sidebar collapsed or another panel shown),
 * model changes do not re-render it; it catches up when shown.
 */
export abstract class SidebarPanel<
  M extends VDomModel
> extends VDomRenderer<M> {
  /**
   * Create the panel of `options.model`.
   */
  constructor(options: SidebarPanel.IOptions<M>) {
    super(options.model);
    this.rendermime = options.rendermime;
    this.trans = (options.translator ?? nullTranslator).load('beaker_server');
  }

  /**
   * The registry that renders MIME bundles (untrusted).
   */
  protected readonly rendermime: IRenderMimeRegistry;

  /**
   * The panel's translation bundle.
   */
  protected readonly trans: TranslationBundle;

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
 * The namespace for {@link SidebarPanel} statics.
 */
export namespace SidebarPanel {
  /**
   * The options of a panel.
   */
  export interface IOptions<M extends VDomModel> {
    /**
     * The model to show.
     */
    model: M;
    /**
     * The registry that renders MIME bundles (untrusted).
     */
    rendermime: IRenderMimeRegistry;
    /**
     * The application's translator.
     */
    translator?: ITranslator | null;
  }
}

/**
 * A minimal toolbar button showing an icon, labelled by its tooltip.
 */
export function IconButton(props: {
  /**
   * The button's own class, added to `jp-Button jp-mod-minimal`.
   */
  className: string;
  /**
   * The tooltip and accessible name.
   */
  label: string;
  icon: LabIcon;
  /**
   * The class of the icon.
   */
  iconClassName?: string;
  disabled?: boolean;
  onClick: (event: React.MouseEvent<HTMLButtonElement>) => void;
  onKeyDown?: (event: React.KeyboardEvent<HTMLButtonElement>) => void;
}): React.ReactElement {
  const { className, label, icon, iconClassName, disabled, onClick } = props;
  return (
    <button
      type="button"
      className={`jp-Button jp-mod-minimal ${className}`}
      title={label}
      aria-label={label}
      disabled={disabled}
      onClick={onClick}
      onKeyDown={props.onKeyDown}
    >
      <icon.react tag="span" className={iconClassName} />
    </button>
  );
}

/**
 * The header of a sidebar panel: its title, the label of the notebook or
 * console followed, and a refresh button that spins while `refreshing`.
 */
export function SidebarHeader(props: {
  title: string;
  target: string | null;
  /**
   * The tooltip and accessible name of the refresh button.
   */
  refreshLabel: string;
  /**
   * A class added to the refresh button's own.
   */
  refreshClassName?: string;
  refreshing: boolean;
  disabled?: boolean;
  onRefresh: () => void;
}): React.ReactElement {
  const { title, target, refreshClassName } = props;
  return (
    <div className="jp-BeakerPreview-header">
      <h2 className="jp-BeakerPreview-title">{title}</h2>
      <span className="jp-BeakerPreview-target" title={target ?? undefined}>
        {target ?? ''}
      </span>
      <IconButton
        className={
          refreshClassName
            ? `jp-BeakerPreview-refresh ${refreshClassName}`
            : 'jp-BeakerPreview-refresh'
        }
        label={props.refreshLabel}
        icon={refreshIcon}
        iconClassName={props.refreshing ? 'jp-BeakerPreview-spin' : undefined}
        disabled={props.disabled}
        onClick={props.onRefresh}
      />
    </div>
  );
}
