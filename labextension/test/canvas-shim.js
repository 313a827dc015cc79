/* global HTMLCanvasElement */
// jsdom has no canvas: its getContext logs "Not implemented" and returns
// null. @lumino/datagrid asks for a context once when it is imported (to
// measure text); answer null without the noise. No test paints.
HTMLCanvasElement.prototype.getContext = () => null;
