/**
 * Text for a shape column: `1000 × 2` for a shape, `len 3` for a length,
 * an empty string otherwise.
 */
export function formatShape(
  shape: readonly number[] | number | null | undefined
): string {
  if (Array.isArray(shape)) {
    return shape.length === 0 ? '()' : shape.join(' × ');
  }
  if (typeof shape === 'number') {
    return `len ${shape}`;
  }
  return '';
}

/**
 * Text for a size column, in binary units: `28 B`, `15.8 KiB`, `512 KiB`,
 * `1.2 GiB`; an empty string for an unknown size.
 */
export function formatBytes(bytes: number | null): string {
  if (bytes === null || !Number.isFinite(bytes) || bytes < 0) {
    return '';
  }
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  if (unit === 0) {
    return `${value} B`;
  }
  return `${value < 100 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/**
 * The tooltip of a size: the exact count of bytes, or none.
 */
export function bytesTitle(
  bytes: number | null,
  trans: { _n: (singular: string, plural: string, n: number) => string }
): string | undefined {
  return bytes === null ? undefined : trans._n('%1 byte', '%1 bytes', bytes);
}

/**
 * Milliseconds as text: `0.8 ms`, `42 ms`, `1.25 s`.
 */
export function formatElapsed(ms: number): string {
  if (ms < 10) {
    return `${ms.toFixed(1)} ms`;
  }
  if (ms < 1000) {
    return `${Math.round(ms)} ms`;
  }
  return `${(ms / 1000).toFixed(2)} s`;
}

/**
 * The local date and time of an ISO 8601 text, or the text itself when it
 * is no date.
 */
export function formatDate(iso: string): string {
  const date = iso ? new Date(iso) : null;
  return date && !Number.isNaN(date.getTime()) ? date.toLocaleString() : iso;
}

/**
 * The paragraphs of a docstring, with the line breaks of its source
 * joined: docstrings are wrapped for the editor, not for a sidebar. A line
 * that starts a list item keeps its break.
 */
export function reflow(docs: string): string[] {
  return docs
    .trim()
    .split(/\n\s*\n/)
    .map(paragraph => {
      let text = '';
      for (const line of paragraph.split('\n')) {
        const trimmed = line.trim();
        if (!text) {
          text = trimmed;
        } else if (/^([-*\u2022]|\d+[.)])\s/.test(trimmed)) {
          text += `\n${trimmed}`;
        } else if (trimmed) {
          text += ` ${trimmed}`;
        }
      }
      return text;
    })
    .filter(paragraph => paragraph.length > 0);
}

/**
 * The first line of a docstring, trimmed.
 */
export function firstLine(docs: unknown): string {
  return (typeof docs === 'string' ? docs.trim() : '').split('\n', 1)[0];
}

/**
 * Text without ANSI escape sequences.
 */
export function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
}

/**
 * A JSON value as indented text; `String(value)` for what JSON cannot hold.
 */
export function formatJSON(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}
