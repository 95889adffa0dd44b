// Findings carry UTF-8 byte offsets (Rust's); JavaScript strings index UTF-16 code units.

const encoder = new TextEncoder();

/** The UTF-16 index in `text` of the character that starts at UTF-8 byte `byte`. */
export function byteToIndex(text: string, byte: number): number {
  let bytes = 0;
  let index = 0;
  for (const char of text) {
    if (bytes >= byte) return index;
    bytes += encoder.encode(char).length;
    index += char.length;
  }
  return text.length;
}

/** `text` with the bytes `start..end` replaced by `replacement`. */
export function replaceBytes(text: string, start: number, end: number, replacement: string): string {
  return text.slice(0, byteToIndex(text, start)) + replacement + text.slice(byteToIndex(text, end));
}

/** Splits `text` into plain and flagged pieces for drawing underlines. */
export function pieces(
  text: string,
  spans: { start: number; end: number; severity: string }[],
): { text: string; severity: string | null }[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const out: { text: string; severity: string | null }[] = [];
  let cursor = 0;
  for (const span of sorted) {
    const from = byteToIndex(text, span.start);
    const to = byteToIndex(text, span.end);
    if (from < cursor) continue;
    if (from > cursor) out.push({ text: text.slice(cursor, from), severity: null });
    out.push({ text: text.slice(from, to), severity: span.severity });
    cursor = to;
  }
  if (cursor < text.length) out.push({ text: text.slice(cursor), severity: null });
  return out;
}
