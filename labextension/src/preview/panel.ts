import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { refreshIcon } from '@jupyterlab/ui-components';

import { variablesIcon } from '../common/icons';
import { BeakerSidebar, translateBundle } from '../common/sidebar';
import { SavedVariablesBody } from '../store/body';
import type { IVariableStore } from '../tokens';
import { PreviewBody, canRefresh } from './body';
import type { PreviewModel } from './model';

/**
 * The id of the panel in the right sidebar.
 */
export const PREVIEW_PANEL_ID = 'beaker-preview-panel';

/**
 * The Variables sidebar: a header naming the notebook or console followed,
 * a refresh button, the Variables section and, when the server has a
 * variable store, the Saved variables section.
 */
export class PreviewPanel extends BeakerSidebar<PreviewModel> {
  /**
   * Create the panel of `options.model`.
   */
  constructor(options: PreviewPanel.IOptions) {
    const { model, translator, store } = options;
    const trans = translateBundle(translator);
    super({
      id: PREVIEW_PANEL_ID,
      className: 'jp-BeakerPreview',
      title: trans.__('Variables'),
      icon: variablesIcon,
      model,
      translator,
      refresh: {
        className: 'jp-BeakerPreview-refresh',
        icon: refreshIcon,
        label: trans.__('Refresh the variables'),
        isEnabled: canRefresh,
        isSpinning: m => m.refreshing,
        onClick: options.onRefresh
      }
    });
    this.addSection({
      title: trans.__('Variables'),
      className: 'jp-BeakerPreview-section',
      body: new PreviewBody({
        model,
        rendermime: options.rendermime,
        trans,
        store: store ?? null,
        onExplore: options.onExplore ?? null
      })
    });
    if (store) {
      SavedVariablesBody.addSection(this, store, trans);
    }
  }
}

/**
 * The namespace for {@link PreviewPanel} statics.
 */
export namespace PreviewPanel {
  /**
   * The options of a panel.
   */
  export interface IOptions {
    model: PreviewModel;
    /**
     * The registry that renders the rich previews (untrusted).
     */
    rendermime: IRenderMimeRegistry;
    translator?: BeakerSidebar.IOptions<PreviewModel>['translator'];
    /**
     * What the refresh button does.
     */
    onRefresh: () => void;
    /**
     * The server's variable store: when given (and the server has one),
     * rows get a "Save to store" action and the panel shows the saved
     * variables.
     */
    store?: IVariableStore | null;
    /**
     * Open a variable in the Data Explorer; none: not offered.
     */
    onExplore?: ((name: string) => void) | null;
  }
}
