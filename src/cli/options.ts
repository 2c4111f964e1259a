import { InvalidArgumentError } from 'commander';

/*
 * Option parsers for commander: each returns the parsed value or throws one line
 * that names the option and what was expected, which commander prints as
 * `error: option '--m <m>' argument '...' is invalid. --m: expected ...`.
 */

function fail(option: string, expected: string, got: string): never {
  throw new InvalidArgumentError(`${option}: expected ${expected}, got "${got}"`);
}

function toNumber(text: string): number {
  return text.trim() === '' ? NaN : Number(text);
}

export function positiveInt(option: string) {
  return (text: string): number => {
    const v = toNumber(text);
    if (!Number.isSafeInteger(v) || v < 1) fail(option, 'a positive integer', text);
    return v;
  };
}

export function nonNegativeInt(option: string) {
  return (text: string): number => {
    const v = toNumber(text);
    if (!Number.isSafeInteger(v) || v < 0) fail(option, 'a non-negative integer', text);
    return v;
  };
}

export function positiveNumber(option: string) {
  return (text: string): number => {
    const v = toNumber(text);
    if (!Number.isFinite(v) || v <= 0) fail(option, 'a positive finite number', text);
    return v;
  };
}

export function nonNegativeNumber(option: string) {
  return (text: string): number => {
    const v = toNumber(text);
    if (!Number.isFinite(v) || v < 0) fail(option, 'a non-negative finite number', text);
    return v;
  };
}

export function finiteNumber(option: string) {
  return (text: string): number => {
    const v = toNumber(text);
    if (!Number.isFinite(v)) fail(option, 'a finite number', text);
    return v;
  };
}

/** A number in the open interval (0, 1), e.g. a decay rate. */
export function unitInterval(option: string) {
  return (text: string): number => {
    const v = toNumber(text);
    if (!Number.isFinite(v) || v <= 0 || v >= 1) fail(option, 'a number strictly between 0 and 1', text);
    return v;
  };
}

export function choice<T extends string>(option: string, values: readonly T[]) {
  return (text: string): T => {
    if (!(values as readonly string[]).includes(text)) fail(option, `one of ${values.join(', ')}`, text);
    return text as T;
  };
}

/** A comma-separated list of positive integers, e.g. --widths 100,50,100. */
export function positiveIntList(option: string) {
  return (text: string): number[] => {
    const parts = text.split(',').map((p) => p.trim());
    const values = parts.map(toNumber);
    if (parts.length === 0 || values.some((v) => !Number.isSafeInteger(v) || v < 1)) {
      fail(option, 'a comma-separated list of positive integers', text);
    }
    return values;
  };
}

/**
 * With `--resume`, the run's saved configuration is used: a flag given on the command line
 * (defaults aside) other than `allowed` is an error, never ignored silently.
 *
 * @throws Error `--resume: continues with the run's saved configuration; only --max-iters may change (got --lr)`.
 * @example
 * refuseOnResume(o, cmd, ['maxIters'], '--max-iters');
 */
export function refuseOnResume(options: object, command: { getOptionValueSource(key: string): string | undefined }, allowed: readonly string[], allowedText: string): void {
  const given = Object.keys(options).filter((k) => !['resume', 'quiet', ...allowed].includes(k) && command.getOptionValueSource(k) !== 'default');
  if (given.length > 0) {
    throw new Error(`--resume: continues with the run's saved configuration; only ${allowedText} may change (got --${given[0].replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())})`);
  }
}
