import { Dialog, InputDialog, showDialog } from '@jupyterlab/apputils';
import { IRenderMimeRegistry, MimeModel } from '@jupyterlab/rendermime';
import type { TranslationBundle } from '@jupyterlab/translation';
import {
  caretDownIcon,
  caretRightIcon,
  deleteIcon,
  downloadIcon,
  editIcon,
  refreshIcon,
  saveIcon
} from '@jupyterlab/ui-components';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import { variablesIcon } from './icons';
import {
  IPreviewRow,
  PreviewModel,
  formatBytes,
  formatShape
} from './previewmodel';
import type { ColumnId, SortKey } from './previewtokens';
import { IconButton, SidebarHeader, SidebarPanel } from './sidebarpanel';
import { STORE_MESSAGES, VariableStore } from './store';
import type { ISavedVariable } from './storemodel';

/**
 * The id of the panel in the right sidebar.
 */
export const PREVIEW_PANEL_ID = 'beaker-preview-panel';

/**
 * The sidebar panel of the variable preview: a filter, a state line and a
 * sortable table whose rows expand to the variable's rich preview.
 *
 * #### Notes
 * The rich preview is rendered by the application's rendermime registry
 * with `trusted: false`: HTML is sanitized (no script, no event handler),
 * and only MIME types whose renderer is safe for untrusted data are chosen.
 *
 * While the panel is hidden (its sidebar collapsed or another panel
 * shown), model changes do not re-render it; it catches up when shown.
 */
export class PreviewPanel extends SidebarPanel<PreviewModel> {
  /**
   * Create the panel of `options.model`.
   */
  constructor(options: PreviewPanel.IOptions) {
    super(options);
    this._onRefresh = options.onRefresh;
    this._store = options.store ?? null;
    // The store's part of the panel has its own model.
    this._store?.model.stateChanged.connect(this._onStoreChanged, this);
    this.id = PREVIEW_PANEL_ID;
    this.addClass('jp-BeakerPreview');
    this.title.icon = variablesIcon;
    this.title.caption = this.trans.__('Variables');
  }

  protected render(): React.ReactElement {
    return (
      <PreviewView
        model={this.model}
        rendermime={this.rendermime}
        trans={this.trans}
        onRefresh={this._onRefresh}
        store={this._store}
      />
    );
  }

  /**
   * Dispose of the panel.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._store?.model.stateChanged.disconnect(this._onStoreChanged, this);
    super.dispose();
  }

  private _onStoreChanged(): void {
    this.update();
  }

  private _onRefresh: () => void;
  private _store: VariableStore | null;
}

/**
 * The namespace for {@link PreviewPanel} statics.
 */
export namespace PreviewPanel {
  /**
   * The options of a panel.
   */
  export interface IOptions extends SidebarPanel.IOptions<PreviewModel> {
    /**
     * What the refresh button does.
     */
    onRefresh: () => void;
    /**
     * The server's variable store: when given (and the server has one),
     * rows get a "Save to store" action and the panel lists the saved
     * variables.
     */
    store?: VariableStore | null;
  }
}

interface IViewProps {
  model: PreviewModel;
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
  onRefresh: () => void;
  store: VariableStore | null;
}

/**
 * The whole panel.
 */
function PreviewView(props: IViewProps): React.ReactElement {
  const { model, trans, onRefresh } = props;
  const canRefresh = !['no-kernel', 'restarting', 'dead'].includes(model.state);
  return (
    <>
      <SidebarHeader
        title={trans.__('Variables')}
        target={model.target}
        refreshLabel={trans.__('Refresh the variables')}
        refreshing={model.refreshing}
        disabled={!canRefresh}
        onRefresh={onRefresh}
      />
      <div className="jp-BeakerPreview-toolbar">
        <FilterBox model={model} trans={trans} />
      </div>
      <StateLine model={model} trans={trans} />
      <Notices model={model} trans={trans} />
      <div className="jp-BeakerPreview-body">
        <PreviewTable {...props} />
      </div>
      {props.store?.model.available && (
        <SavedVariables
          store={props.store}
          hasKernel={canRefresh}
          target={model.target}
          trans={trans}
        />
      )}
    </>
  );
}

/**
 * The filter input.
 *
 * #### Notes
 * The input keeps its own state: the panel re-renders asynchronously after
 * the model changes, and an input controlled by the model would lose
 * keystrokes and its caret position in between.
 */
function FilterBox(props: {
  model: PreviewModel;
  trans: TranslationBundle;
}): React.ReactElement {
  const { model, trans } = props;
  const [value, setValue] = React.useState(model.filter);
  return (
    <input
      type="search"
      className="jp-mod-styled jp-BeakerPreview-filter"
      placeholder={trans.__('Filter by name or type')}
      aria-label={trans.__('Filter variables by name or type')}
      spellCheck={false}
      value={value}
      onChange={event => {
        setValue(event.target.value);
        model.filter = event.target.value;
      }}
    />
  );
}

/**
 * The state of the preview in one line.
 */
function StateLine(props: {
  model: PreviewModel;
  trans: TranslationBundle;
}): React.ReactElement {
  const { model, trans } = props;
  const count = model.rows.length;
  const total =
    typeof model.meta?.total === 'number' ? model.meta.total : count;
  const updated = model.lastUpdated;
  const time = updated ? updated.toLocaleTimeString() : '';
  let state: string = model.state;
  let text: string;
  switch (model.state) {
    case 'no-kernel':
      text = model.target
        ? trans.__(
            'No kernel: start one for %1 to see its variables.',
            model.target
          )
        : trans.__(
            'No kernel: open a notebook or a console to see its variables.'
          );
      break;
    case 'loading':
      text = model.busy
        ? trans.__(
            'Kernel busy: the variables are shown after the cell finishes.'
          )
        : trans.__('Loading the variables…');
      break;
    case 'restarting':
      text = trans.__(
        'Kernel restarting: the variables are shown when it is ready.'
      );
      break;
    case 'dead':
      text = trans.__('The kernel is dead: restart it to see its variables.');
      break;
    case 'error':
    case 'unavailable':
      text = model.error;
      break;
    case 'empty':
    case 'ok':
    default:
      if (model.busy) {
        state = 'busy';
        text = trans.__('Kernel busy: updating after the cell finishes.');
      } else if (model.stale) {
        state = 'stale';
        text = trans.__(
          'The variables changed. Auto-update is off: refresh to see them.'
        );
      } else if (model.state === 'empty') {
        text = trans.__('No variables yet: define some in a cell.');
      } else {
        text =
          total > count
            ? trans.__('%1 of %2 variables', count, total)
            : trans._n('%1 variable', '%1 variables', count);
        if (time) {
          text = trans.__('%1 · updated %2', text, time);
        }
      }
  }
  return (
    <div
      className="jp-BeakerPreview-state"
      data-state={state}
      role="status"
      aria-live="polite"
      title={
        updated
          ? trans.__('Last updated %1', updated.toLocaleString())
          : undefined
      }
    >
      {text}
    </div>
  );
}

/**
 * What the preview left out: the "N more" marker, a partial or truncated
 * preview; and that it will not update by itself when the server's live
 * updates are off.
 */
function Notices(props: {
  model: PreviewModel;
  trans: TranslationBundle;
}): React.ReactElement | null {
  const { model, trans } = props;
  const meta = model.meta;
  if (!meta || !['ok', 'empty'].includes(model.state)) {
    return null;
  }
  const notices: string[] = [];
  const omitted = typeof meta.omitted === 'number' ? meta.omitted : 0;
  if (omitted > 0) {
    notices.push(trans.__('%1 more not shown', omitted));
  }
  if (meta.partial) {
    notices.push(
      trans.__('Partial preview: the kernel ran out of its time budget.')
    );
  }
  if (meta.truncated) {
    notices.push(trans.__('Truncated preview: the size limit was reached.'));
  }
  if (meta.live === false) {
    notices.push(
      trans.__(
        'Live updates are off on this server: refresh to see new values.'
      )
    );
  }
  if (notices.length === 0) {
    return null;
  }
  return (
    <div className="jp-BeakerPreview-notice" role="note">
      {notices.map(notice => (
        <div key={notice}>{notice}</div>
      ))}
    </div>
  );
}

/**
 * The table of variables.
 */
function PreviewTable(props: IViewProps): React.ReactElement | null {
  const { model, rendermime, trans, store } = props;
  const canSave =
    !!store &&
    store.model.available &&
    store.supported.has(STORE_MESSAGES.save) &&
    store.kernel !== null;
  const rows = model.visibleRows;
  const columns = model.columns;
  if (model.rows.length === 0) {
    return null;
  }
  const labels: { [key in SortKey]: string } = {
    name: trans.__('Name'),
    type: trans.__('Type'),
    shape: trans.__('Shape'),
    size: trans.__('Size'),
    value: trans.__('Value')
  };
  const header = (key: SortKey) => {
    const sorted = model.sort.key === key;
    return (
      <th
        key={key}
        className={`jp-BeakerPreview-col-${key}`}
        aria-sort={sorted ? model.sort.direction : 'none'}
        data-column={key}
      >
        <button
          type="button"
          className="jp-BeakerPreview-sort"
          title={trans.__('Sort by %1', labels[key])}
          onClick={() => model.toggleSort(key)}
        >
          {labels[key]}
          <span className="jp-BeakerPreview-sortIndicator" aria-hidden="true">
            {sorted ? (model.sort.direction === 'ascending' ? '▲' : '▼') : ''}
          </span>
        </button>
      </th>
    );
  };
  return (
    <table className="jp-BeakerPreview-table">
      <thead>
        <tr>
          {header('name')}
          {columns.map(header)}
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 ? (
          <tr className="jp-BeakerPreview-noMatch">
            <td colSpan={columns.length + 1}>
              {trans.__('No variable matches “%1”.', model.filter.trim())}
            </td>
          </tr>
        ) : (
          rows.map(row => (
            <PreviewRow
              key={`${row.itemType}:${row.name}`}
              row={row}
              columns={columns}
              expanded={model.isExpanded(row.name)}
              onToggle={() => model.toggleExpanded(row.name)}
              onSave={canSave ? () => void store!.save(row.name) : null}
              saving={!!store?.model.isPending('save', row.name)}
              rendermime={rendermime}
              trans={trans}
            />
          ))
        )}
      </tbody>
    </table>
  );
}

/**
 * One variable, and its rich preview when expanded.
 */
function PreviewRow(props: {
  row: IPreviewRow;
  columns: readonly ColumnId[];
  expanded: boolean;
  onToggle: () => void;
  onSave: (() => void) | null;
  saving: boolean;
  rendermime: IRenderMimeRegistry;
  trans: TranslationBundle;
}): React.ReactElement {
  const {
    row,
    columns,
    expanded,
    onToggle,
    onSave,
    saving,
    rendermime,
    trans
  } = props;
  const classes = ['jp-BeakerPreview-row'];
  if (row.changed) {
    classes.push('jp-BeakerPreview-row-changed');
  }
  if (expanded) {
    classes.push('jp-mod-expanded');
  }
  const qualified = row.module ? `${row.module}.${row.type}` : row.type;
  const cells: { [key in ColumnId]: () => React.ReactElement } = {
    type: () => (
      <td key="type" className="jp-BeakerPreview-col-type" title={qualified}>
        {row.type}
      </td>
    ),
    shape: () => (
      <td
        key="shape"
        className="jp-BeakerPreview-col-shape"
        title={row.dtype ?? undefined}
      >
        {formatShape(row.shape)}
      </td>
    ),
    size: () => (
      <td
        key="size"
        className="jp-BeakerPreview-col-size"
        title={
          row.bytes === null
            ? undefined
            : trans._n('%1 byte', '%1 bytes', row.bytes)
        }
      >
        {formatBytes(row.bytes)}
      </td>
    ),
    value: () => (
      <td
        key="value"
        className="jp-BeakerPreview-col-value"
        title={row.summary}
      >
        {row.summary}
      </td>
    )
  };
  const Caret = expanded ? caretDownIcon : caretRightIcon;
  return (
    <>
      <tr
        className={classes.join(' ')}
        data-name={row.name}
        data-item-type={row.itemType}
        aria-expanded={expanded}
        tabIndex={0}
        title={
          expanded
            ? trans.__('Hide the preview of %1', row.name)
            : trans.__('Show the preview of %1', row.name)
        }
        onClick={onToggle}
        onKeyDown={event => {
          if (event.key === 'Enter' || event.key === ' ') {
            event.preventDefault();
            onToggle();
          }
        }}
      >
        <td className="jp-BeakerPreview-col-name">
          <Caret.react tag="span" className="jp-BeakerPreview-caret" />
          {row.name}
          {onSave && (
            <span
              className={`jp-BeakerPreview-rowActions${saving ? ' jp-mod-pending' : ''}`}
            >
              <IconButton
                className="jp-BeakerPreview-save"
                label={trans.__('Save %1 to the store', row.name)}
                icon={saveIcon}
                disabled={saving}
                onClick={event => {
                  // The row itself expands on click.
                  event.stopPropagation();
                  onSave();
                }}
                onKeyDown={event => event.stopPropagation()}
              />
            </span>
          )}
        </td>
        {columns.map(column => cells[column]())}
      </tr>
      {expanded && (
        <tr className="jp-BeakerPreview-detailRow" data-name={row.name}>
          <td colSpan={columns.length + 1}>
            <RichPreview
              bundle={row.bundle}
              rendermime={rendermime}
              trans={trans}
            />
          </td>
        </tr>
      )}
    </>
  );
}

/**
 * A MIME bundle (the rich preview of a variable, or display data), rendered
 * untrusted by the rendermime registry into a Lumino widget hosted in this
 * component's node.
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
    <div className={props.className ?? 'jp-BeakerPreview-detail'} ref={host} />
  );
}

/**
 * The "Saved variables" part of the panel: the outcome of the last store
 * action, and the user's saved variables with Load and Delete actions.
 */
function SavedVariables(props: {
  store: VariableStore;
  hasKernel: boolean;
  target: string | null;
  trans: TranslationBundle;
}): React.ReactElement {
  const { store, hasKernel, target, trans } = props;
  const model = store.model;
  const items = model.items;
  const Caret = model.expanded ? caretDownIcon : caretRightIcon;
  const canAct = hasKernel && store.kernel !== null;
  let stateText = '';
  switch (model.state) {
    case 'no-kernel':
      stateText = trans.__(
        'Open a notebook or a console with a kernel to see the saved variables.'
      );
      break;
    case 'loading':
      stateText = trans.__('Loading the saved variables…');
      break;
    case 'error':
      stateText = trans.__('Cannot list the saved variables: %1', model.error);
      break;
    default:
      if (model.listed && items.length === 0) {
        stateText = trans.__(
          'No saved variables yet: use the save button of a variable.'
        );
      }
  }
  const notice = model.notice;
  return (
    <section
      className="jp-BeakerStore"
      data-state={model.state}
      aria-label={trans.__('Saved variables')}
    >
      <div className="jp-BeakerStore-header">
        <button
          type="button"
          className="jp-BeakerStore-toggle"
          aria-expanded={model.expanded}
          onClick={() => (model.expanded = !model.expanded)}
        >
          <Caret.react tag="span" className="jp-BeakerPreview-caret" />
          <span className="jp-BeakerStore-title">
            {trans.__('Saved variables')}
          </span>
          {model.listed && (
            <span className="jp-BeakerStore-count">{items.length}</span>
          )}
        </button>
        <IconButton
          className="jp-BeakerStore-refresh"
          label={trans.__('Refresh the saved variables')}
          icon={refreshIcon}
          disabled={!canAct}
          onClick={() => void store.list()}
        />
      </div>
      {notice && (
        <div
          className="jp-BeakerStore-notice"
          data-kind={notice.kind}
          data-action={notice.action}
          data-id={notice.id}
          data-name={notice.name}
          role={notice.kind === 'error' ? 'alert' : 'status'}
        >
          <span className="jp-BeakerStore-noticeText">{notice.text}</span>
          <button
            type="button"
            className="jp-Button jp-mod-minimal jp-BeakerStore-dismiss"
            title={trans.__('Dismiss')}
            aria-label={trans.__('Dismiss')}
            onClick={() => (model.notice = null)}
          >
            ×
          </button>
        </div>
      )}
      {model.expanded && stateText && (
        <div className="jp-BeakerStore-state" data-state={model.state}>
          {stateText}
        </div>
      )}
      {model.expanded && items.length > 0 && (
        <ul className="jp-BeakerStore-list">
          {items.map(item => (
            <SavedVariableItem
              key={item.id}
              item={item}
              store={store}
              canAct={canAct}
              target={target}
              trans={trans}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

/**
 * One saved variable and its actions.
 */
function SavedVariableItem(props: {
  item: ISavedVariable;
  store: VariableStore;
  canAct: boolean;
  target: string | null;
  trans: TranslationBundle;
}): React.ReactElement {
  const { item, store, canAct, target, trans } = props;
  const model = store.model;
  const loading = model.isPending('load', item.id);
  const deleting = model.isPending('delete', item.id);
  const canLoad = canAct && store.supported.has(STORE_MESSAGES.load);
  const canDelete = canAct && store.supported.has(STORE_MESSAGES.delete);
  const created = item.created ? new Date(item.created) : null;
  const createdText =
    created && !Number.isNaN(created.getTime())
      ? created.toLocaleString()
      : item.created;
  const into = target ?? trans.__('the kernel');
  const classes = ['jp-BeakerStore-item'];
  if (model.highlighted === item.id) {
    classes.push('jp-mod-highlighted');
  }
  const loadAs = async () => {
    const result = await InputDialog.getText({
      title: trans.__('Load %1 into %2', item.name, into),
      label: trans.__('Variable name in the kernel'),
      text: item.name,
      okLabel: trans.__('Load')
    });
    const name = result.value?.trim();
    if (result.button.accept && name) {
      await store.load(item.id, name);
    }
  };
  const remove = async () => {
    const result = await showDialog({
      title: trans.__('Delete Saved Variable'),
      body: trans.__(
        'Delete %1 (%2) from the store? This cannot be undone.',
        item.name,
        item.id
      ),
      buttons: [
        Dialog.cancelButton(),
        Dialog.warnButton({ label: trans.__('Delete') })
      ]
    });
    if (result.button.accept) {
      await store.delete(item.id);
    }
  };
  return (
    <li className={classes.join(' ')} data-id={item.id} data-name={item.name}>
      <div className="jp-BeakerStore-itemText">
        <div className="jp-BeakerStore-itemLine">
          <span className="jp-BeakerStore-name">{item.name}</span>
          <span className="jp-BeakerStore-type">{item.type}</span>
          <span
            className="jp-BeakerStore-size"
            title={
              item.bytes === null
                ? undefined
                : trans._n('%1 byte', '%1 bytes', item.bytes)
            }
          >
            {formatBytes(item.bytes)}
          </span>
        </div>
        <div className="jp-BeakerStore-itemLine jp-BeakerStore-meta">
          <code className="jp-BeakerStore-id" title={item.id}>
            {item.id}
          </code>
          {createdText && (
            <span className="jp-BeakerStore-created" title={item.created}>
              {createdText}
            </span>
          )}
        </div>
      </div>
      <div className="jp-BeakerStore-actions">
        <IconButton
          className="jp-BeakerStore-load"
          label={trans.__('Load %1 into %2', item.name, into)}
          icon={downloadIcon}
          disabled={!canLoad || loading}
          onClick={() => void store.load(item.id)}
        />
        <IconButton
          className="jp-BeakerStore-loadAs"
          label={trans.__('Load %1 under another name…', item.name)}
          icon={editIcon}
          disabled={!canLoad || loading}
          onClick={() => void loadAs()}
        />
        <IconButton
          className="jp-BeakerStore-delete"
          label={trans.__('Delete %1 from the store', item.name)}
          icon={deleteIcon}
          disabled={!canDelete || deleting}
          onClick={() => void remove()}
        />
      </div>
    </li>
  );
}
