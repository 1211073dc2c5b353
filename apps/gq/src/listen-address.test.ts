import { describe, expect, it } from 'vitest';
import { isLoopbackHost, localUrl, parseListenAddress } from './listen-address.js';

describe('parseListenAddress', () => {
  it('reads the forms the original --http flag takes', () => {
    expect(parseListenAddress(':8080')).toEqual({ host: undefined, port: 8080 });
    expect(parseListenAddress('8080')).toEqual({ host: undefined, port: 8080 });
    expect(parseListenAddress('0')).toEqual({ host: undefined, port: 0 });
    expect(parseListenAddress('127.0.0.1:9000')).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(parseListenAddress('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseListenAddress('localhost:80')).toEqual({ host: 'localhost', port: 80 });
    expect(parseListenAddress('[::1]:8080')).toEqual({ host: '::1', port: 8080 });
    expect(parseListenAddress('0.0.0.0:8080')).toEqual({ host: '0.0.0.0', port: 8080 });
  });

  it('rejects what is not an address, naming the value', () => {
    for (const bad of ['', 'abc', ':', ':http', '127.0.0.1:70000', '::1:8080', 'a b:80']) {
      expect(() => parseListenAddress(bad)).toThrow(RangeError);
    }
    expect(() => parseListenAddress('nope')).toThrow('--http must be like ":8080"');
  });
});

describe('isLoopbackHost', () => {
  it('is true only for addresses that reach this machine alone', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('127.1.2.3')).toBe(true);
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost(undefined)).toBe(false);
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
    expect(isLoopbackHost('::')).toBe(false);
    expect(isLoopbackHost('10.0.0.5')).toBe(false);
  });
});

describe('localUrl', () => {
  it('gives a URL a client on this machine can use', () => {
    expect(localUrl(undefined, 8080)).toBe('http://127.0.0.1:8080');
    expect(localUrl('0.0.0.0', 81)).toBe('http://127.0.0.1:81');
    expect(localUrl('::1', 82)).toBe('http://[::1]:82');
    expect(localUrl('localhost', 83)).toBe('http://localhost:83');
  });
});
