import { describe, expect, it } from 'vitest';
import { resolveAuthMode } from './auth-mode.js';

describe('resolveAuthMode', () => {
  it('runs in protected mode when --auth is not given, on loopback as beyond it', () => {
    expect(resolveAuthMode(undefined)).toBe('protected');
  });

  it('requires a key with --auth and none with --auth=false', () => {
    expect(resolveAuthMode(true)).toBe('required');
    expect(resolveAuthMode(false)).toBe('off');
  });
});
