import type { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import type { ITranslator } from '@jupyterlab/translation';
import { clearIcon, refreshIcon } from '@jupyterlab/ui-components';

import { messagesIcon } from '../common/icons';
import { BeakerSidebar, ModelButton, translateBundle } from '../common/sidebar';
import { CatalogueBody, EXPLORER_PANEL_ID } from './catalogue';
import { FlowBody } from './flow';
import type { ExplorerModel } from './model';

export { EXPLORER_PANEL_ID };

/**
 * The message explorer: the server's custom message types with their docs,
 * a payload editor, and the flow of the requests sent, message by message.
 */
export class ExplorerPanel extends BeakerSidebar<ExplorerModel> {
  /**
   * Create the panel of `options.model`.
   */
  constructor(options: ExplorerPanel.IOptions) {
    const { model, translator } = options;
    const trans = translateBundle(translator);
    super({
      id: EXPLORER_PANEL_ID,
      className: 'jp-BeakerExplorer',
      title: trans.__('Messages'),
      caption: trans.__('Message Explorer'),
      icon: messagesIcon,
      model,
      translator,
      refresh: {
        className: 'jp-BeakerExplorer-reload',
        icon: refreshIcon,
        label: trans.__('List the message types again'),
        isSpinning: m => m.catalogueState === 'loading',
        onClick: options.onReload
      }
    });
    this.addSection({
      title: trans.__('Message types'),
      className: 'jp-BeakerExplorer-catalogueSection',
      body: new CatalogueBody({ model, trans, onSend: options.onSend })
    });
    this.addSection({
      title: trans.__('Flow'),
      className: 'jp-BeakerExplorer-flowSection',
      body: new FlowBody({ model, rendermime: options.rendermime, trans }),
      toolbar: [
        [
          'clear',
          new ModelButton(model, m => ({
            className: 'jp-BeakerExplorer-clear',
            icon: clearIcon,
            tooltip: trans.__('Clear the finished requests'),
            enabled: !m.runs.every(run => run.status === 'running'),
            onClick: () => m.clearRuns()
          }))
        ]
      ]
    });
    this.setSectionSizes([3, 2]);
  }
}

/**
 * The namespace for {@link ExplorerPanel} statics.
 */
export namespace ExplorerPanel {
  /**
   * The options of a panel.
   */
  export interface IOptions {
    model: ExplorerModel;
    /**
     * The registry that renders display data (untrusted).
     */
    rendermime: IRenderMimeRegistry;
    translator?: ITranslator | null;
    /**
     * What the Send button does.
     */
    onSend: () => void;
    /**
     * What the reload button does (list the message types again).
     */
    onReload: () => void;
  }
}
