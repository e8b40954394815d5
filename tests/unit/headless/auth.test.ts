// The headless bridge's checks on who is asking, as pure functions.

import { describe, expect, it } from 'vitest';
import { checkHost, checkOrigin, cookieValues, hasSession, isJsonContentType, queryToken, sameSecret, sessionCookie } from '../../../src/main/headless/auth.js';

describe('checkHost', () => {
  it('accepts exactly 127.0.0.1:PORT and localhost:PORT', () => {
    expect(checkHost('127.0.0.1:8384', 8384)).toBe('127.0.0.1:8384');
    expect(checkHost('LocalHost:8384', 8384)).toBe('localhost:8384');
    for (const host of [undefined, '', '127.0.0.1', 'localhost', '127.0.0.1:8385', '127.0.0.1:08384', 'evil.example:8384', 'localhost.:8384', '127.1:8384', '[::1]:8384', '127.0.0.1:8384 ', 'x127.0.0.1:8384']) {
      expect(checkHost(host, 8384), String(host)).toBeNull();
    }
  });
});

describe('checkOrigin', () => {
  it('is same only for http:// plus the checked host', () => {
    expect(checkOrigin('http://127.0.0.1:1', '127.0.0.1:1')).toBe('same');
    expect(checkOrigin(undefined, '127.0.0.1:1')).toBe('missing');
    expect(checkOrigin('', '127.0.0.1:1')).toBe('missing');
    for (const origin of ['null', 'http://localhost:1', 'https://127.0.0.1:1', 'http://127.0.0.1:2', 'http://127.0.0.1:1/', 'http://127.0.0.1:1, http://evil']) {
      expect(checkOrigin(origin, '127.0.0.1:1'), origin).toBe('foreign');
    }
  });
});

describe('cookies and secrets', () => {
  it('compares secrets exactly', () => {
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(sameSecret('abc', 'abd')).toBe(false);
    expect(sameSecret('ab', 'abc')).toBe(false);
    expect(sameSecret(undefined, 'abc')).toBe(false);
  });

  it('finds the session among other cookies, planted duplicates included', () => {
    expect(cookieValues('a=1; s=2; b=3; s=4', 's')).toEqual(['2', '4']);
    expect(hasSession('a=1; s=wrong; s=right', 's', 'right')).toBe(true);
    expect(hasSession('a=1; s=wrong', 's', 'right')).toBe(false);
    expect(hasSession('xs=right', 's', 'right')).toBe(false);
    expect(hasSession(undefined, 's', 'right')).toBe(false);
  });

  it('writes a session cookie: HttpOnly, SameSite=Strict, Path=/, no expiry', () => {
    expect(sessionCookie('n', 'v')).toBe('n=v; Path=/; HttpOnly; SameSite=Strict');
  });

  it('reads the token and the JSON content type', () => {
    expect(queryToken('token=abc&x=1')).toBe('abc');
    expect(queryToken('x=1')).toBeUndefined();
    expect(isJsonContentType('application/json; charset=utf-8')).toBe(true);
    expect(isJsonContentType('Application/JSON')).toBe(true);
    expect(isJsonContentType('text/plain')).toBe(false);
    expect(isJsonContentType('application/jsonx')).toBe(false);
    expect(isJsonContentType(undefined)).toBe(false);
  });
});
