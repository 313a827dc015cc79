import type { Kernel } from '@jupyterlab/services';

import { TableRequestError, tableRequest } from './client';
import type { IProfile, IStaleAnswer, ITableColumn } from './protocol';
import { TABLE_MESSAGES, isStale } from './protocol';

/**
 * How far the column summary is.
 */
export type ProfileState =
  'none' | 'loading' | 'approximate' | 'exact' | 'error' | 'unsupported';

/**
 * What every profile asks for.
 */
const PROFILE_KINDS = ['nulls', 'stats', 'quantiles', 'histogram', 'top'];

/**
 * The profile of the summary's column: `table_profile`'s sampled answer
 * (a `table_profile_response`) first, then the exact one (the reply).
 *
 * #### Notes
 * Only the newest request counts: an answer to an older one, or for another
 * generation of the view than the grid's, is dropped.
 */
export class ProfileLoader {
  /**
   * Make a loader; `changed` is called at each change of its state.
   */
  constructor(changed: () => void) {
    this._changed = changed;
  }

  /**
   * The profile shown, or `null`.
   */
  get profile(): IProfile | null {
    return this._profile;
  }

  /**
   * How far it is.
   */
  get state(): ProfileState {
    return this._state;
  }

  /**
   * The error of the `error` state.
   */
  get error(): string {
    return this._error;
  }

  /**
   * Drop the answers of the requests on their way.
   */
  cancel(): void {
    this._token++;
  }

  /**
   * Ask for the profile of `column` of `view`.
   */
  load(options: ProfileLoader.ILoadOptions): void {
    const { kernel, view, column } = options;
    const token = ++this._token;
    if (!options.supported) {
      this._set('unsupported', null);
      return;
    }
    if (!column) {
      this._set('none', null);
      return;
    }
    const generation = options.generation();
    this._set('loading', null);
    const accept = (answer: IProfile | IStaleAnswer | null): boolean =>
      !!answer &&
      !isStale(answer) &&
      token === this._token &&
      answer.generation === options.generation();
    tableRequest<IProfile | IStaleAnswer>(
      kernel,
      TABLE_MESSAGES.profile,
      {
        view,
        generation,
        columns: [column.index],
        kinds: PROFILE_KINDS,
        bins: 20,
        top: 10
      },
      {
        onResponse: content => {
          const answer = content as IProfile;
          if (accept(answer) && answer.approximate && this._state !== 'exact') {
            this._set('approximate', answer);
          }
        }
      }
    ).then(
      answer => {
        // A stale answer: the view moved on, and its reset asks again.
        if (!isStale(answer) && accept(answer)) {
          this._set(answer.approximate ? 'approximate' : 'exact', answer);
        }
      },
      reason => {
        if (token !== this._token) {
          return;
        }
        if (
          reason instanceof TableRequestError &&
          reason.ename === 'Cancelled'
        ) {
          return; // a newer profile of the view took over
        }
        this._error = reason instanceof Error ? reason.message : String(reason);
        this._set('error', this._profile);
      }
    );
  }

  private _set(state: ProfileState, profile: IProfile | null): void {
    this._state = state;
    this._profile = profile;
    this._changed();
  }

  private _changed: () => void;
  private _profile: IProfile | null = null;
  private _state: ProfileState = 'none';
  private _error = '';
  private _token = 0;
}

/**
 * The namespace for {@link ProfileLoader} statics.
 */
export namespace ProfileLoader {
  /**
   * What a profile request is about.
   */
  export interface ILoadOptions {
    kernel: Kernel.IKernelConnection;
    view: string;
    /**
     * The column, or `undefined` when there is none.
     */
    column: ITableColumn | undefined;
    /**
     * Whether the server answers `table_profile`.
     */
    supported: boolean;
    /**
     * The grid's generation now (answers for another are dropped).
     */
    generation: () => number;
  }
}
