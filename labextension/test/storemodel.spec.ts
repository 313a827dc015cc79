import {
  SavedVariablesModel,
  readSavedVariable,
  readSavedVariables,
  readStoredInfo
} from '../src/store/model';
import { eachFresh } from './utils';

const entry = (id: string, name = id) => ({
  id,
  name,
  type: 'dict',
  bytes: 10,
  kernel_id: 'k',
  created: '2026-01-01T00:00:00Z',
  user: 'me'
});

describe('readSavedVariable', () => {
  it('reads an entry, turning odd fields into text', () => {
    expect(readSavedVariable({ id: 7, name: 'x', bytes: '3' })).toEqual({
      id: '7',
      name: 'x',
      type: '',
      bytes: null,
      kernel_id: '',
      created: '',
      user: ''
    });
  });

  it('refuses an entry without an id', () => {
    expect(readSavedVariable({ name: 'x' })).toBeNull();
    expect(readSavedVariable('x')).toBeNull();
    expect(readSavedVariable(null)).toBeNull();
  });

  it('reads a list_vars return value', () => {
    expect(
      readSavedVariables({ vars: [entry('a'), { name: 'no id' }] }).map(
        item => item.id
      )
    ).toEqual(['a']);
    expect(readSavedVariables(null)).toEqual([]);
    expect(readSavedVariables({ vars: 'x' })).toEqual([]);
  });
});

describe('SavedVariablesModel', () => {
  let model: SavedVariablesModel;
  eachFresh(() => (model = new SavedVariablesModel()));

  it('is unavailable until the server is known to have a store', () => {
    expect(model.state).toBe('unknown');
    expect(model.available).toBe(false);
    model.setState('unavailable');
    expect(model.available).toBe(false);
    model.setState('no-kernel');
    expect(model.available).toBe(true);
  });

  it('keeps the error only in the error state', () => {
    model.setState('error', 'boom');
    expect(model.error).toBe('boom');
    model.setState('loading', 'ignored');
    expect(model.error).toBe('');
  });

  it('lists items and drops a highlight that is gone', () => {
    model.setItems([entry('a'), entry('b')]);
    model.highlighted = 'b';
    expect(model.listed).toBe(true);
    expect(model.state).toBe('ok');
    expect(model.nameOf('a')).toBe('a');
    model.setItems([entry('a')]);
    expect(model.highlighted).toBeNull();
    model.removeItem('a');
    expect(model.items).toEqual([]);
  });

  it('tracks pending actions per action and key', () => {
    let count = 0;
    model.stateChanged.connect(() => (count += 1));
    model.setPending('save', 'x', true);
    model.setPending('save', 'x', true);
    expect(model.isPending('save', 'x')).toBe(true);
    expect(model.isPending('load', 'x')).toBe(false);
    model.setPending('save', 'x', false);
    expect(model.isPending('save', 'x')).toBe(false);
    expect(count).toBe(2);
  });
});

describe('readStoredInfo', () => {
  it('reads a save_var or load_var return value, with fallbacks', () => {
    expect(
      readStoredInfo({ id: 'v1', name: 'x', type: 'dict', bytes: 3 }, 'y')
    ).toEqual({ id: 'v1', name: 'x', type: 'dict', bytes: 3 });
    expect(readStoredInfo({ id: 7 }, 'y')).toEqual({
      id: '7',
      name: 'y',
      type: '',
      bytes: null
    });
    expect(readStoredInfo(null, 'y').id).toBe('');
  });
});
