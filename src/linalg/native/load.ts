import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../backend.js';
import { createNativeBackend, NATIVE_ABI_VERSION, type NativeAddon } from './backend.js';

export type NativeLoadResult = { ok: true; backend: Backend } | { ok: false; reason: string };

/**
 * The addon that `npm install` builds (native/build.mjs). This file lives three
 * directories below the package root both as src/linalg/native/load.ts and as
 * dist/linalg/native/load.js, so one relative URL serves both. The benchmark
 * build (tsconfig.bench.json, rootDir ".") puts it one level deeper, at
 * dist-bench/src/linalg/native/load.js; from there the addon is one more level up.
 */
const DEFAULT_ADDON = new URL('../../../native/build/Release/implab_native.node', import.meta.url);
const BENCH_BUILD_ADDON = new URL('../../../../native/build/Release/implab_native.node', import.meta.url);
const DEFAULT_ADDON_DISPLAY = 'native/build/Release/implab_native.node';

const REQUIRED_FUNCTIONS = [
  'dgemm', 'dgemv', 'daxpy', 'ddot', 'dspmm', 'dsampled', 'dsyevd', 'dgesdd', 'dpotrf', 'dpotrs', 'dgesv',
  'setNumThreads', 'getNumThreads', 'getNumProcs', 'getConfig', 'getCorename',
] as const;

const REBUILD_HINT = 'install libopenblas-dev liblapacke-dev, then run npm install again (npm rebuild implab where implab is a dependency)';

/**
 * The native backend, or a one-line reason why it is unavailable. Never throws.
 * IMPLAB_NATIVE_ADDON, when set, names another addon file (a custom build).
 */
export function loadNativeBackend(): { ok: true; backend: Backend } | { ok: false; reason: string } {
  const override = process.env.IMPLAB_NATIVE_ADDON?.trim();
  if (override) return loadNativeBackendFrom(override);
  const benchBuild = import.meta.url.includes('/dist-bench/src/linalg/native/');
  return loadNativeBackendFrom(benchBuild ? BENCH_BUILD_ADDON : DEFAULT_ADDON);
}

/** As loadNativeBackend, from an addon at another path (tests, custom builds). Never throws. */
export function loadNativeBackendFrom(location: string | URL): NativeLoadResult {
  try {
    const path = typeof location === 'string' ? location : fileURLToPath(location);
    const shown = location === DEFAULT_ADDON || location === BENCH_BUILD_ADDON ? DEFAULT_ADDON_DISPLAY : path;
    if (!existsSync(path)) {
      return { ok: false, reason: `addon not built: ${shown} missing; ${REBUILD_HINT}` };
    }
    const require = createRequire(import.meta.url);
    let addon: unknown;
    try {
      addon = require(path);
    } catch (e) {
      return { ok: false, reason: `addon ${shown} failed to load: ${firstLine(e)}` };
    }
    const problem = checkAddon(addon);
    if (problem) return { ok: false, reason: `addon ${shown} ${problem}; ${REBUILD_HINT}` };
    return { ok: true, backend: createNativeBackend(addon as NativeAddon) };
  } catch (e) {
    return { ok: false, reason: firstLine(e) };
  }
}

function checkAddon(addon: unknown): string | undefined {
  if (typeof addon !== 'object' || addon === null) return 'is not an implab addon';
  const exports = addon as Record<string, unknown>;
  if (exports.ABI_VERSION !== NATIVE_ABI_VERSION) {
    return `is out of date (ABI version ${String(exports.ABI_VERSION)}, expected ${NATIVE_ABI_VERSION})`;
  }
  const missing = REQUIRED_FUNCTIONS.filter((f) => typeof exports[f] !== 'function');
  if (missing.length > 0) return `lacks ${missing.join(', ')}`;
  if (typeof exports.NOT_FINITE !== 'number') return 'lacks NOT_FINITE';
  return undefined;
}

function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  const line = text.split('\n', 1)[0].trim();
  return line === '' ? 'unknown error' : line;
}
