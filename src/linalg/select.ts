import type { Backend } from './backend.js';
import { jsBackend } from './js/index.js';
import { loadNativeBackend } from './native/load.js';

export type BackendName = 'js' | 'native';

/** Whether the native addon loaded, and why not when it did not. */
export type NativeStatus = { available: true } | { available: false; reason: string };

let nativeResult: ReturnType<typeof loadNativeBackend> | undefined;
let current: Backend | undefined;

function native(): ReturnType<typeof loadNativeBackend> {
  nativeResult ??= loadNativeBackend();
  return nativeResult;
}

export function nativeStatus(): NativeStatus {
  const r = native();
  return r.ok ? { available: true } : { available: false, reason: r.reason };
}

/** A backend by name; asking for "native" where it cannot load throws one clear line. */
export function getBackend(name: BackendName): Backend {
  if (name === 'js') return jsBackend;
  if (name === 'native') {
    const r = native();
    if (!r.ok) throw new Error(`IMPLAB_BACKEND=native: the native backend cannot load (${r.reason})`);
    return r.backend;
  }
  throw new Error(`IMPLAB_BACKEND: expected "js" or "native", got "${String(name)}"`);
}

function requestedName(): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const v = env?.IMPLAB_BACKEND?.trim();
  return v === '' ? undefined : v;
}

/**
 * The backend in use: IMPLAB_BACKEND if set, else native when it loads, else js.
 *
 * @example
 * const b = backend();
 * b.gemm(false, false, 1, a, x, 0, out);
 */
export function backend(): Backend {
  if (current) return current;
  const requested = requestedName();
  const chosen = requested !== undefined ? getBackend(requested as BackendName) : autoBackend();
  current = chosen;
  return chosen;
}

function autoBackend(): Backend {
  const r = native();
  return r.ok ? r.backend : jsBackend;
}

/** Replaces the backend in use (for tests, benchmarks and the --backend option). */
export function setBackend(b: Backend | BackendName): void {
  current = typeof b === 'string' ? getBackend(b) : b;
}
