import type { Backend } from '../../src/linalg/backend.js';
import { getBackend, nativeStatus } from '../../src/linalg/select.js';

/**
 * The backends a numeric suite runs against: the one IMPLAB_BACKEND names, else
 * every backend that loads here (js always, native when the addon is built).
 */
export function testBackends(): Backend[] {
  const forced = process.env.IMPLAB_BACKEND?.trim();
  if (forced) return [getBackend(forced as 'js' | 'native')];
  const list: Backend[] = [getBackend('js')];
  if (nativeStatus().available) list.push(getBackend('native'));
  return list;
}

/** Both backends, or null when the native one is not available (cross-checks then skip). */
export function bothBackends(): { js: Backend; native: Backend } | null {
  if (!nativeStatus().available) return null;
  return { js: getBackend('js'), native: getBackend('native') };
}
