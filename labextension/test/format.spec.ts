import {
  firstLine,
  formatBytes,
  formatDate,
  formatElapsed,
  formatJSON,
  formatShape,
  reflow,
  stripAnsi
} from '../src/common/format';

describe('formatShape', () => {
  it('joins a shape, names a length, leaves the rest empty', () => {
    expect(formatShape([1000, 2])).toBe('1000 × 2');
    expect(formatShape([])).toBe('()');
    expect(formatShape(3)).toBe('len 3');
    expect(formatShape(null)).toBe('');
  });
});

describe('formatBytes', () => {
  it('uses binary units with one decimal below 100', () => {
    expect(formatBytes(28)).toBe('28 B');
    expect(formatBytes(16128)).toBe('15.8 KiB');
    expect(formatBytes(512 * 1024)).toBe('512 KiB');
    expect(formatBytes(1.2 * 1024 ** 3)).toBe('1.2 GiB');
  });

  it('says nothing of an unknown or impossible size', () => {
    expect(formatBytes(null)).toBe('');
    expect(formatBytes(-1)).toBe('');
    expect(formatBytes(Number.NaN)).toBe('');
  });
});

describe('formatElapsed', () => {
  it('picks the precision by magnitude', () => {
    expect(formatElapsed(0.84)).toBe('0.8 ms');
    expect(formatElapsed(42.4)).toBe('42 ms');
    expect(formatElapsed(1250)).toBe('1.25 s');
  });
});

describe('formatDate', () => {
  it('keeps a text that is no date', () => {
    expect(formatDate('')).toBe('');
    expect(formatDate('soon')).toBe('soon');
    expect(formatDate('2026-11-23T22:30:00+00:00')).toBe(
      new Date('2026-11-23T22:30:00+00:00').toLocaleString()
    );
  });
});

describe('reflow', () => {
  it('joins wrapped lines, keeps paragraphs and list items', () => {
    const docs = `
      Evaluate an expression
      in the kernel.

      - one item
      - another

    `;
    expect(reflow(docs)).toEqual([
      'Evaluate an expression in the kernel.',
      '- one item\n- another'
    ]);
    expect(firstLine(docs)).toBe('Evaluate an expression');
    expect(firstLine(undefined)).toBe('');
  });
});

describe('stripAnsi and formatJSON', () => {
  it('drops terminal colours', () => {
    expect(stripAnsi('\u001b[31mValueError\u001b[0m: x')).toBe('ValueError: x');
  });

  it('indents JSON and survives what JSON cannot hold', () => {
    expect(formatJSON({ a: 1 })).toBe('{\n  "a": 1\n}');
    expect(formatJSON(undefined)).toBe('undefined');
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    expect(formatJSON(cyclic)).toBe('[object Object]');
  });
});
