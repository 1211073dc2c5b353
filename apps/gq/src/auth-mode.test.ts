import { describe, expect, it } from 'vitest';
import { resolveAuthMode } from './auth-mode.js';

describe('resolveAuthMode', () => {
  it('protects a server listening beyond loopback when --auth is not given', () => {
    expect(resolveAuthMode(undefined, undefined)).toBe('protected');
    expect(resolveAuthMode(undefined, '0.0.0.0')).toBe('protected');
    expect(resolveAuthMode(undefined, '10.1.2.3')).toBe('protected');
  });

  it('runs open on loopback when --auth is not given', () => {
    expect(resolveAuthMode(undefined, '127.0.0.1')).toBe('off');
    expect(resolveAuthMode(undefined, 'localhost')).toBe('off');
  });

  it('requires a key with --auth and none with --auth=false, wherever it listens', () => {
    expect(resolveAuthMode(true, '127.0.0.1')).toBe('required');
    expect(resolveAuthMode(true, undefined)).toBe('required');
    expect(resolveAuthMode(false, undefined)).toBe('off');
  });
});
