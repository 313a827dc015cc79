import type { IDisposable } from '@lumino/disposable';

/**
 * Make a fresh object before each test of the block, with `create`, and
 * dispose of it after the test.
 */
export function eachFresh(create: () => IDisposable): void {
  let current: IDisposable | null = null;
  beforeEach(() => {
    current = create();
  });
  afterEach(() => {
    current?.dispose();
    current = null;
  });
}
