import { expect } from 'vitest';
import { ConfigError } from '../../src/sweep/config.js';

/** The message of the error `f` throws, checked to be one ConfigError line. */
export function configErrorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    const message = (e as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error('expected an error');
}
