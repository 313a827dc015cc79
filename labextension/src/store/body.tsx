import { Dialog, InputDialog, showDialog } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import {
  LabIcon,
  ToolbarButtonComponent,
  closeIcon,
  deleteIcon,
  downloadIcon,
  editIcon,
  refreshIcon
} from '@jupyterlab/ui-components';
import * as React from 'react';

import { bytesTitle, formatBytes, formatDate } from '../common/format';
import { STORE_MESSAGES } from '../common/messagetypes';
import { BeakerSidebar, LazyRenderer, ModelButton } from '../common/sidebar';
import type { ISavedVariable, IVariableStore } from '../tokens';
import type { SavedVariablesModel } from './model';

/**
 * The "Saved variables" section of the Variables panel: the outcome of the
 * last store action, and the saved variables with Load and Delete actions.
 */
export class SavedVariablesBody extends LazyRenderer<SavedVariablesModel> {
  /**
   * Create the body of `store`'s model.
   */
  constructor(store: IVariableStore, trans: TranslationBundle) {
    super(store.model as SavedVariablesModel);
    this._store = store;
    this._trans = trans;
  }

  protected render(): React.ReactElement {
    const store = this._store;
    const trans = this._trans;
    const model = this.model;
    const items = model.items;
    const notice = model.notice;
    const stateText = SavedVariablesBody.stateText(model, trans);
    return (
      <section
        className="jp-BeakerStore"
        data-state={model.state}
        aria-label={trans.__('Saved variables')}
      >
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
            <ToolbarButtonComponent
              className="jp-BeakerStore-dismiss"
              tooltip={trans.__('Dismiss')}
              icon={closeIcon}
              onClick={() => (model.notice = null)}
            />
          </div>
        )}
        {stateText && (
          <div className="jp-BeakerStore-state" data-state={model.state}>
            {stateText}
          </div>
        )}
        {items.length > 0 && (
          <ul className="jp-BeakerStore-list">
            {items.map(item => (
              <SavedVariableItem
                key={item.id}
                item={item}
                store={store}
                trans={trans}
              />
            ))}
          </ul>
        )}
      </section>
    );
  }

  private _store: IVariableStore;
  private _trans: TranslationBundle;
}

/**
 * The namespace for {@link SavedVariablesBody} statics.
 */
export namespace SavedVariablesBody {
  /**
   * What the section says about the store, or an empty string.
   */
  export function stateText(
    model: SavedVariablesModel,
    trans: TranslationBundle
  ): string {
    switch (model.state) {
      case 'no-kernel':
        return trans.__(
          'Open a notebook or a console with a kernel to see the saved variables.'
        );
      case 'loading':
        return trans.__('Loading the saved variables…');
      case 'error':
        return trans.__('Cannot list the saved variables: %1', model.error);
      default:
        return model.listed && model.items.length === 0
          ? trans.__(
              'No saved variables yet: use the save button of a variable.'
            )
          : '';
    }
  }

  /**
   * Add the section to `sidebar` once the server is known to have a store
   * (it never shows on a server without one).
   */
  export function addSection(
    sidebar: BeakerSidebar<any>,
    store: IVariableStore,
    trans: TranslationBundle
  ): void {
    const model = store.model as SavedVariablesModel;
    const add = () => {
      if (!model.available || sidebar.isDisposed) {
        return;
      }
      model.stateChanged.disconnect(add);
      sidebar.addSection({
        title: trans.__('Saved variables'),
        className: 'jp-BeakerStore-section',
        body: new SavedVariablesBody(store, trans),
        toolbar: [
          ['count', new CountBadge(model)],
          [
            'refresh',
            new ModelButton(model, m => ({
              className: 'jp-BeakerStore-refresh',
              icon: refreshIcon,
              tooltip: trans.__('Refresh the saved variables'),
              enabled: m.kernelReady && store.kernel !== null,
              onClick: () => void store.list()
            }))
          ]
        ]
      });
      sidebar.setSectionSizes([3, 2]);
    };
    model.stateChanged.connect(add);
    add();
  }
}

/**
 * How many variables are saved, in the section's title.
 */
class CountBadge extends LazyRenderer<SavedVariablesModel> {
  protected render(): React.ReactElement | null {
    return this.model.listed ? (
      <span className="jp-BeakerStore-count">{this.model.items.length}</span>
    ) : null;
  }
}

/**
 * One saved variable and its actions.
 */
function SavedVariableItem(props: {
  item: ISavedVariable;
  store: IVariableStore;
  trans: TranslationBundle;
}): React.ReactElement {
  const { item, store, trans } = props;
  const model = store.model as SavedVariablesModel;
  const ready = model.kernelReady;
  const loading = model.isPending('load', item.id);
  const deleting = model.isPending('delete', item.id);
  const canLoad = ready && store.canSend(STORE_MESSAGES.load);
  const canDelete = ready && store.canSend(STORE_MESSAGES.delete);
  const createdText = formatDate(item.created);
  const into = model.target ?? trans.__('the kernel');
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
  const actions: [string, string, LabIcon, boolean, () => void][] = [
    [
      'jp-BeakerStore-load',
      trans.__('Load %1 into %2', item.name, into),
      downloadIcon,
      canLoad && !loading,
      () => void store.load(item.id)
    ],
    [
      'jp-BeakerStore-loadAs',
      trans.__('Load %1 under another name…', item.name),
      editIcon,
      canLoad && !loading,
      () => void loadAs()
    ],
    [
      'jp-BeakerStore-delete',
      trans.__('Delete %1 from the store', item.name),
      deleteIcon,
      canDelete && !deleting,
      () => void remove()
    ]
  ];
  return (
    <li className={classes.join(' ')} data-id={item.id} data-name={item.name}>
      <div className="jp-BeakerStore-itemText">
        <div className="jp-BeakerStore-itemLine">
          <span className="jp-BeakerStore-name">{item.name}</span>
          <span className="jp-BeakerStore-type">{item.type}</span>
          <span
            className="jp-BeakerStore-size"
            title={bytesTitle(item.bytes, trans)}
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
        {actions.map(([className, tooltip, icon, enabled, onClick]) => (
          <ToolbarButtonComponent
            key={className}
            className={className}
            tooltip={tooltip}
            icon={icon}
            enabled={enabled}
            onClick={onClick}
          />
        ))}
      </div>
    </li>
  );
}
