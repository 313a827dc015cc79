import type { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { dataExplorerPlugin } from './dataexplorer';
import { corePlugin } from './evaluate';
import { explorerPlugin } from './explorer';
import { previewPlugin } from './preview';
import { storePlugin } from './store';

export * from './tokens';

/**
 * The plugins of beaker-server: the link to the server and the evaluate
 * command, the variable store, the Variables panel and the message
 * explorer, and the Data Explorer of kernel tables.
 */
const plugins: JupyterFrontEndPlugin<any>[] = [
  corePlugin,
  storePlugin,
  previewPlugin,
  explorerPlugin,
  dataExplorerPlugin
];

export default plugins;
