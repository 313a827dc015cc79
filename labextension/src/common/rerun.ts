/**
 * Runs a task one at a time: asked for while a run is on its way, it runs
 * the task once more after it, however often it was asked meanwhile.
 *
 * #### Notes
 * For requests whose newest answer is all that matters (a preview, the
 * list of saved variables): a burst of asks costs two requests at most.
 */
export class Rerun {
  /**
   * Create a runner; `again` is called for the run asked for meanwhile
   * (it usually asks again through the same public method).
   */
  constructor(again: () => void) {
    this._again = again;
  }

  /**
   * Start `task`, or ask for one more run once the current one is done.
   *
   * @returns The promise of the run on its way.
   */
  run(task: () => Promise<void>): Promise<void> {
    if (this._current) {
      this._pending = true;
      return this._current;
    }
    const done = task().finally(() => {
      if (this._current === done) {
        this._current = null;
      }
      if (this._pending) {
        this._pending = false;
        this._again();
      }
    });
    this._current = done;
    return done;
  }

  /**
   * Forget the run asked for meanwhile; with `all`, also the one on its
   * way (a new kernel: its answer no longer matters).
   */
  reset(all = false): void {
    this._pending = false;
    if (all) {
      this._current = null;
    }
  }

  private _again: () => void;
  private _current: Promise<void> | null = null;
  private _pending = false;
}
