// Jest, as JupyterLab runs it: the configuration of @jupyterlab/testing
// (jsdom, ts-jest with tsconfig.test.json, CSS and SVG stubs), with the
// ES-module packages this extension imports transformed too.
const jupyterLabConfig = require('@jupyterlab/testing/lib/jest-config');

const esModules = [
  '@codemirror',
  '@jupyter',
  '@jupyterlab',
  '@lumino',
  '@marijn',
  '@microsoft',
  'color',
  'exenv-es6',
  'lib0',
  'marked',
  'nanoid',
  'vscode-ws-jsonrpc',
  'y-protocols',
  'y-websocket',
  'yjs'
].join('|');

const base = jupyterLabConfig(__dirname);

module.exports = {
  ...base,
  // No JUnit file or GitHub annotations: `npm test` prints its results.
  reporters: ['default'],
  testRegex: '/test/.*\\.spec\\.tsx?$',
  setupFiles: [...(base.setupFiles ?? []), '<rootDir>/test/canvas-shim.js'],
  transformIgnorePatterns: [`/node_modules/(?!(${esModules})/).+`]
};
