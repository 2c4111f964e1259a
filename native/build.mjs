// Builds the OpenBLAS/LAPACKE addon when the system libraries are present.
// A failed build must not fail `npm install`: implab then runs on the js backend.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
if (process.env.IMPLAB_SKIP_NATIVE === '1') {
  console.log('implab: IMPLAB_SKIP_NATIVE=1, native backend not built');
  process.exit(0);
}
const headers = ['/usr/include/cblas.h', '/usr/include/lapacke.h',
  '/usr/include/x86_64-linux-gnu/cblas.h', '/usr/include/openblas/cblas.h'];
if (!headers.some((h) => existsSync(h))) {
  console.log('implab: cblas.h/lapacke.h not found; install libopenblas-dev liblapacke-dev for the native backend. Using the js backend.');
  process.exit(0);
}
// npm passes its `nodedir` setting to node-gyp; run by hand, node-gyp would try to
// download headers, so point it at the local ones when they match this Node.
const gypArgs = ['rebuild', '--directory', here];
if (!process.env.npm_config_nodedir && localHeadersMatch('/usr/include/node/node_version.h')) gypArgs.push('--nodedir=/usr');
const localGyp = join(here, '..', 'node_modules', '.bin', 'node-gyp');
const result = spawnSync(existsSync(localGyp) ? localGyp : 'node-gyp', gypArgs, { stdio: 'inherit', shell: process.platform === 'win32' });
if (result.status !== 0) {
  console.log(`implab: native addon build failed (${result.error?.message ?? 'exit ' + result.status}); the js backend will be used.`);
} else if (!existsSync(join(here, 'build', 'Release', 'implab_native.node'))) {
  console.log('implab: native addon build produced no binary; the js backend will be used.');
}

function localHeadersMatch(file) {
  if (!existsSync(file)) return false;
  const text = readFileSync(file, 'utf8');
  const part = (name) => text.match(new RegExp(`#define ${name} (\\d+)`))?.[1];
  return `v${part('NODE_MAJOR_VERSION')}.${part('NODE_MINOR_VERSION')}.${part('NODE_PATCH_VERSION')}` === process.version;
}
