import { ExplorerModel } from '../src/explorer/model';
import { defaultPayloadText, parsePayload } from '../src/explorer/payload';
import { eachFresh } from './utils';

const types = [
  { name: 'evaluate', default: { expression: '1 + 1' } },
  { name: 'preview' }
];

describe('parsePayload', () => {
  it('accepts a JSON object only', () => {
    expect(parsePayload('{"a": 1}')).toEqual({ payload: { a: 1 } });
    expect(parsePayload('[1]')).toEqual({
      error: { kind: 'not-object', message: 'array' }
    });
    expect(parsePayload('3')).toEqual({
      error: { kind: 'not-object', message: 'number' }
    });
    expect(parsePayload('null')).toEqual({
      error: { kind: 'not-object', message: 'object' }
    });
    const bad = parsePayload('{"a": ');
    expect('error' in bad && bad.error.kind).toBe('syntax');
  });

  it('starts from the default payload, or an empty object', () => {
    expect(defaultPayloadText(types[0])).toBe('{\n  "expression": "1 + 1"\n}');
    expect(defaultPayloadText(types[1])).toBe('{}');
    expect(defaultPayloadText(null)).toBe('{}');
  });
});

describe('ExplorerModel', () => {
  let model: ExplorerModel;
  eachFresh(() => (model = new ExplorerModel()));
  const start = (name: string) =>
    model.startRun({ name, msgId: `${name}-msg`, payload: {}, target: null });

  it('chooses the first type and keeps the choice while it exists', () => {
    expect(model.catalogueState).toBe('loading');
    model.setTypes(types);
    expect(model.selected).toBe('evaluate');
    model.selected = 'preview';
    model.selected = 'unknown';
    expect(model.selected).toBe('preview');
    model.setTypes(types);
    expect(model.selected).toBe('preview');
    model.setTypes([types[0]]);
    expect(model.selected).toBe('evaluate');
  });

  it('keeps a draft per type, resets to the default', () => {
    model.setTypes(types);
    expect(model.payloadEdited).toBe(false);
    model.payloadText = '{"expression": "2"}';
    expect(model.payloadEdited).toBe(true);
    model.selected = 'preview';
    expect(model.payloadText).toBe('{}');
    model.selected = 'evaluate';
    expect(model.parsedPayload).toEqual({ payload: { expression: '2' } });
    const generation = model.payloadGeneration;
    model.resetPayload();
    expect(model.payloadEdited).toBe(false);
    expect(model.payloadGeneration).toBe(generation + 1);
    model.setPayload({ expression: '3' });
    expect(model.payloadText).toBe('{\n  "expression": "3"\n}');
  });

  it('sends only a valid payload to a live kernel', () => {
    model.setTypes(types);
    expect(model.canSend).toBe(false);
    model.kernelStatus = 'idle';
    expect(model.canSend).toBe(true);
    model.payloadText = '[';
    expect(model.canSend).toBe(false);
    model.resetPayload();
    model.kernelStatus = 'restarting';
    expect(model.canSend).toBe(false);
  });

  it('records the flow of a run and how it ended', () => {
    const run = model.startRun({
      name: 'evaluate',
      msgId: 'm0',
      payload: {},
      target: 'a.ipynb'
    });
    expect(run.status).toBe('running');
    const msg = (msg_type: string, content: unknown) => ({
      header: { msg_type, msg_id: msg_type },
      content
    });
    model.addEvent(run, 'iopub', msg('status', { execution_state: 'busy' }));
    model.addEvent(run, 'shell', msg('evaluate_reply', { status: 'ok' }));
    model.addEvent(run, 'iopub', msg('odd', 5));
    model.finishRun(run);
    expect(run.status).toBe('ok');
    expect(run.events.map(e => e.index)).toEqual([1, 2, 3]);
    expect(run.events[2].content).toEqual({ value: 5 });
    expect(run.replyElapsed).not.toBeNull();
    expect(run.elapsed).not.toBeNull();
  });

  it('fails a run without a reply, and an odd reply is an error', () => {
    const lost = start('a');
    model.finishRun(lost, 'gone');
    expect(lost.status).toBe('failed');
    expect(lost.error).toBe('gone');
    const odd = start('b');
    model.addEvent(odd, 'shell', {
      header: { msg_type: 'b_reply', msg_id: 'r' },
      content: { status: 'weird' }
    });
    expect(odd.status).toBe('error');
  });

  it('keeps the newest runs, and clearing keeps the running ones', () => {
    for (let i = 0; i < ExplorerModel.maxRuns + 5; i++) {
      const run = start(`r${i}`);
      if (i % 2 === 0) {
        model.finishRun(run, 'done');
      }
    }
    expect(model.runs).toHaveLength(ExplorerModel.maxRuns);
    expect(model.runs[0].name).toBe(`r${ExplorerModel.maxRuns + 4}`);
    model.clearRuns();
    expect(model.runs.every(run => run.status === 'running')).toBe(true);
  });
});
