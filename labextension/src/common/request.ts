import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/**
 * The URL path, below the server's base URL, at which the `beaker_server`
 * Python extension mounts its REST handlers.
 *
 * #### Notes
 * It must match the prefix used by the server side; a mismatch shows up at
 * run time as a 404 from every call made through {@link requestAPI}.
 */
export const API_NAMESPACE = 'beaker/api';

/**
 * Call one of the `beaker_server` REST endpoints.
 *
 * @param endPoint - The path below `<baseUrl>beaker/api/`, such as
 *   `'message-types'`.
 * @param init - The options of the request (method, body, headers...), as
 *   for `fetch`.
 * @param settings - The connection settings; by default those of the page
 *   the extension runs in.
 *
 * @returns A promise that resolves with the decoded JSON body, or with
 *   `null` when the body is empty.
 *
 * @throws {ServerConnection.NetworkError} When the server cannot be reached.
 * @throws {ServerConnection.ResponseError} When the server answers with a
 *   status outside 200-299, or with a body that is not JSON.
 *
 * #### Notes
 * The request goes through `ServerConnection.makeRequest` rather than a bare
 * `fetch` so that it carries the same credentials as JupyterLab's own calls:
 * the token, the `_xsrf` cookie header that Jupyter Server demands on unsafe
 * methods, and any headers configured through `page_config`.
 */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const requestUrl = URLExt.join(settings.baseUrl, API_NAMESPACE, endPoint);

  // `makeRequest` itself turns a failed fetch into a `NetworkError`.
  const response = await ServerConnection.makeRequest(
    requestUrl,
    init,
    settings
  );

  if (!response.ok) {
    // `create` reads Jupyter Server's JSON error body (`message`,
    // `traceback`) so that the thrown error says what went wrong.
    throw await ServerConnection.ResponseError.create(response);
  }

  const text = await response.text();
  if (text.length === 0) {
    return null as T;
  }
  try {
    return JSON.parse(text) as T;
  } catch (reason) {
    throw new ServerConnection.ResponseError(
      response,
      `Invalid JSON from ${requestUrl}: ${String(reason)}`
    );
  }
}
