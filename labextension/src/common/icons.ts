import { LabIcon } from '@jupyterlab/ui-components';

/**
 * The `{x}` icon of the variable preview, themed like JupyterLab's own
 * icons (the `jp-icon3` class takes the theme's icon colour).
 */
const variablesSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M7.5 3C5.6 3 4.5 4.1 4.5 6v3.2c0 1-.6 1.6-1.5 1.6v2.4c.9 0 1.5.6 1.5 1.6V18c0 1.9 1.1 3 3 3h.8v-2h-.6c-.7 0-1.1-.4-1.1-1.2v-3.4c0-1.2-.6-2-1.6-2.4 1-.4 1.6-1.2 1.6-2.4V6.2C6.6 5.4 7 5 7.7 5h.6V3h-.8zM16.5 3h-.8v2h.6c.7 0 1.1.4 1.1 1.2v3.4c0 1.2.6 2 1.6 2.4-1 .4-1.6 1.2-1.6 2.4v3.4c0 .8-.4 1.2-1.1 1.2h-.6v2h.8c1.9 0 3-1.1 3-3v-3.2c0-1 .6-1.6 1.5-1.6v-2.4c-.9 0-1.5-.6-1.5-1.6V6c0-1.9-1.1-3-3-3z"/>
    <path d="M9.2 8h2.1l1.1 2.1L13.6 8h2.1l-2.2 3.8 2.3 4.2h-2.1l-1.3-2.5-1.3 2.5H9l2.3-4.2z"/>
  </g>
</svg>`;

/**
 * The icon of the variable preview panel and its commands.
 */
export const variablesIcon = new LabIcon({
  name: 'beaker-server:variables',
  svgstr: variablesSvg
});

/**
 * Two arrows, a request going out and a reply coming back, in a frame.
 */
const messagesSvg = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M4 3h16c1.1 0 2 .9 2 2v11c0 1.1-.9 2-2 2h-6l-4 3.5V18H4c-1.1 0-2-.9-2-2V5c0-1.1.9-2 2-2zm0 2v11h8v1.1L13.3 16H20V5H4z"/>
    <path d="M6 8.5h8.2L12.6 7l1.1-1.1 3.4 3.3-3.4 3.3-1.1-1.1 1.6-1.4H6z"/>
    <path d="M18 12.3H9.8l1.6 1.5-1.1 1.1-3.4-3.3 3.4-3.3 1.1 1.1-1.6 1.4H18z" opacity=".7"/>
  </g>
</svg>`;

/**
 * The icon of the message explorer and its commands.
 */
export const messagesIcon = new LabIcon({
  name: 'beaker-server:messages',
  svgstr: messagesSvg
});
