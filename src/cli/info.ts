import { backend, nativeStatus } from '../linalg/select.js';
import { VERSION } from '../version.js';

export interface InfoReport {
  implab: string;
  node: string;
  backend: 'js' | 'native';
  nativeUnavailableReason: string | null;
  blas: string;
  threads: number | 'auto';
  maxThreads: number;
}

export function collectInfo(): InfoReport {
  const be = backend();
  const info = be.info();
  const status = nativeStatus();
  return {
    implab: VERSION,
    node: process.version,
    backend: be.name,
    nativeUnavailableReason: status.available ? null : status.reason,
    blas: info.blas,
    threads: info.threads,
    maxThreads: info.maxThreads,
  };
}

export function formatInfo(r: InfoReport): string {
  const backendLine = r.backend === 'native'
    ? 'backend: native'
    : r.nativeUnavailableReason
      ? `backend: js (native unavailable: ${r.nativeUnavailableReason})`
      : 'backend: js (chosen by IMPLAB_BACKEND)';
  return [
    backendLine,
    `blas: ${r.blas}`,
    `blas threads: ${r.threads}${r.threads === 'auto' ? ` (up to ${r.maxThreads})` : ''}`,
    `node: ${r.node}`,
    `implab: ${r.implab}`,
  ].join('\n');
}
