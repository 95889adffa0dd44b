import { describe, expect, it } from 'vitest';
import { fenToYuanText, formatFen, formatMinutes, moveItem } from './format';

describe('money', () => {
  it('turns fen into yuan text without floating-point drift', () => {
    expect(fenToYuanText(5990)).toBe('59.90');
    expect(fenToYuanText(5)).toBe('0.05');
    expect(fenToYuanText(100000001)).toBe('1000000.01');
  });
  it('formats currency per locale', () => {
    expect(formatFen(5990, 'zh-CN')).toContain('59.90');
    expect(formatFen(5990, 'en')).toContain('59.90');
  });
});

describe('durations', () => {
  it('writes hours and minutes in each language', () => {
    expect(formatMinutes(85, 'zh-CN')).toBe('1 小时 25 分钟');
    expect(formatMinutes(45, 'en')).toBe('45 min');
  });
});

describe('moveItem', () => {
  it('moves and leaves the input alone', () => {
    const items = ['a', 'b', 'c'];
    expect(moveItem(items, 2, 0)).toEqual(['c', 'a', 'b']);
    expect(moveItem(items, 0, 1)).toEqual(['b', 'a', 'c']);
    expect(items).toEqual(['a', 'b', 'c']);
    expect(moveItem(items, 0, 5)).toEqual(['a', 'b', 'c']);
  });
});
