import { IRenderMimeRegistry, MimeModel } from '@jupyterlab/rendermime';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

/**
 * A MIME bundle (the rich preview of a variable, or display data), rendered
 * untrusted by the rendermime registry into a Lumino widget hosted in this
 * component's node.
 *
 * #### Notes
 * `trusted: false`: HTML is sanitized (no script, no event handler), and
 * only MIME types whose renderer is safe for untrusted data are chosen.
 */
export function RichPreview(props: {
  bundle: ReadonlyPartialJSONObject;
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
  /**
   * The class of the host node (`jp-BeakerPreview-detail`).
   */
  className?: string;
}): React.ReactElement {
  const { bundle, rendermime, trans } = props;
  const host = React.useRef<HTMLDivElement>(null);
  // A new preview carries new objects for the same data: render again only
  // when the data itself changed.
  const key = React.useMemo(() => JSON.stringify(bundle), [bundle]);
  // A layout effect: its cleanup runs before React removes the host node,
  // while the renderer can still be detached the Lumino way.
  React.useLayoutEffect(() => {
    const node = host.current;
    if (!node) {
      return;
    }
    const mimeType = rendermime.preferredMimeType(bundle, 'ensure');
    if (!mimeType) {
      node.textContent = trans.__('No preview to show.');
      return () => {
        node.textContent = '';
      };
    }
    const renderer = rendermime.createRenderer(mimeType);
    renderer.addClass('jp-BeakerPreview-rendered');
    const model = new MimeModel({ data: bundle, trusted: false });
    renderer.renderModel(model).catch(reason => {
      console.error('beaker-server: cannot render the preview', reason);
      renderer.node.textContent = trans.__(
        'Cannot render the preview: %1',
        String(reason)
      );
    });
    if (node.isConnected) {
      Widget.attach(renderer, node);
    } else {
      node.appendChild(renderer.node);
    }
    node.dataset.mimeType = mimeType;
    return () => {
      if (renderer.isAttached) {
        if (renderer.node.isConnected) {
          Widget.detach(renderer);
        } else {
          // The host left the document first: finish the detach by hand,
          // since `Widget.detach` (and `dispose`) would throw.
          MessageLoop.sendMessage(renderer, Widget.Msg.BeforeDetach);
          renderer.node.remove();
          MessageLoop.sendMessage(renderer, Widget.Msg.AfterDetach);
        }
      }
      renderer.dispose();
      node.textContent = '';
      delete node.dataset.mimeType;
    };
    // `key` stands for `bundle`: same data, same rendering.
  }, [key, rendermime]);
  return (
    <div
      className={`jp-BeakerRendered ${props.className ?? 'jp-BeakerPreview-detail'}`}
      ref={host}
    />
  );
}
