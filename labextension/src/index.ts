import type { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { corePlugin } from './evaluate';
import { explorerPlugin } from './explorer';
import { previewPlugin } from './preview';
import { storePlugin } from './store';

export * from './tokens';

/**
 * The plugins of beaker-server: the link to the server and the evaluate
 * command, the variable store, the Variables panel and the message
 * explorer.
 */
const plugins: JupyterFrontEndPlugin<any>[] = [
  corePlugin,
  storePlugin,
  previewPlugin,
  explorerPlugin
];

export default plugins;
