import { describe, expect, it } from 'vitest';
import {
  LruCache,
  backupPhase,
  pageRange,
  phaseLabel,
  replicaBadge,
  replicasEnough,
  safeThumbnail,
} from '../../../../src/renderer/views/backups-model.js';

describe('backup tiles', () => {
  it('words each outbox state for the grid', () => {
    expect(['sealed', 'placing', 'placed', 'delivered', 'lost', 'odd'].map((s) => phaseLabel(backupPhase(s)))).toEqual([
      'Waiting for holders',
      'Copying to holders',
      'On holders',
      'Delivered',
      'Lost',
      'Unknown',
    ]);
  });

  it('shows replicas over wanted holders', () => {
    expect(replicaBadge({ replicas: 2, wanted: 2 })).toBe('2/2 holders');
    expect(replicaBadge({ replicas: 0, wanted: 1 })).toBe('0/1 holder');
    expect(replicasEnough({ replicas: 1, wanted: 2 })).toBe(false);
    expect(replicasEnough({ replicas: 3, wanted: 2 })).toBe(true);
  });

  it('says which items a page shows', () => {
    expect(pageRange(0, 48, 240)).toBe('1–48 of 240');
    expect(pageRange(192, 48, 240)).toBe('193–240 of 240');
    expect(pageRange(0, 0, 0)).toBe('0 of 0');
  });

  it('shows only inline raster thumbnails, never a link or an SVG', () => {
    expect(safeThumbnail('data:image/jpeg;base64,/9j/4AAQSkZJRg==')).toBe('data:image/jpeg;base64,/9j/4AAQSkZJRg==');
    expect(safeThumbnail('data:image/png;base64,iVBORw0KGgo=')).not.toBeNull();
    expect(safeThumbnail('https://evil.example/pixel.png')).toBeNull();
    expect(safeThumbnail('data:image/svg+xml;base64,PHN2Zz4=')).toBeNull();
    expect(safeThumbnail('data:image/jpeg;base64,abc"onerror=alert(1)')).toBeNull();
    expect(safeThumbnail(null)).toBeNull();
    expect(safeThumbnail(42)).toBeNull();
  });
});

describe('LruCache', () => {
  it('keeps at most its size, dropping the least recently used', () => {
    const c = new LruCache<number>(3);
    c.set('a', 1);
    c.set('b', 2);
    c.set('c', 3);
    expect(c.get('a')).toBe(1); // a is now the most recent
    c.set('d', 4);
    expect(c.size).toBe(3);
    expect(c.has('b')).toBe(false);
    expect(c.has('a')).toBe(true);
    expect(c.has('d')).toBe(true);
  });

  it('stores null as a known "no thumbnail"', () => {
    const c = new LruCache<string | null>(2);
    c.set('x', null);
    expect(c.has('x')).toBe(true);
    expect(c.get('x')).toBeNull();
  });
});
