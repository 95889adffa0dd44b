import { describe, expect, it } from 'vitest';
import { byteToIndex, pieces, replaceBytes } from './spans';

describe('byte spans', () => {
  const text = '家人们，今天全网最低价！';
  // 全网最低价 starts after 6 CJK characters (3 bytes each) = byte 18 and is 15 bytes long.
  it('maps UTF-8 bytes to string indexes', () => {
    expect(byteToIndex(text, 18)).toBe(6);
    expect(text.slice(byteToIndex(text, 18), byteToIndex(text, 33))).toBe('全网最低价');
    expect(byteToIndex('a😀b', 5)).toBe(3);
  });
  it('replaces a flagged span with a rewrite', () => {
    expect(replaceBytes(text, 18, 33, '直播间专享价')).toBe('家人们，今天直播间专享价！');
  });
  it('splits text into underlined pieces', () => {
    expect(pieces(text, [{ start: 18, end: 33, severity: 'error' }])).toEqual([
      { text: '家人们，今天', severity: null },
      { text: '全网最低价', severity: 'error' },
      { text: '！', severity: null },
    ]);
  });
});
