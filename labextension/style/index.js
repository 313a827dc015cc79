// Loaded by JupyterLab through the `styleModule` field of package.json;
// the builder turns this import into the extension's style chunk.
import './base.css';
