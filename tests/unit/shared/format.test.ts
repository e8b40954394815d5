import { describe, expect, it } from 'vitest';
import { formatBytes, shortBlobId } from '../../../src/shared/format.js';

describe('formatBytes', () => {
  it('uses SI units with one decimal below ten units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(980)).toBe('980 B');
    expect(formatBytes(3_200_000_000)).toBe('3.2 GB');
    expect(formatBytes(12_000_000)).toBe('12 MB');
  });

  it('decides the decimals after rounding (9.97 GB reads "10 GB")', () => {
    expect(formatBytes(9_968_000_000)).toBe('10 GB');
    expect(formatBytes(9_940_000_000)).toBe('9.9 GB');
  });

  it('shortens blob IDs to 12 characters', () => {
    expect(shortBlobId('a'.repeat(64))).toBe('a'.repeat(12));
  });
});
