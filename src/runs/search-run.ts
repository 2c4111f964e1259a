/**
 * One shard of the exhaustive 3 x 3 PSD completion search of Gunasekar et al. (2017,
 * Figure 4) as a run (method = search3x3 in sweeps): every instance of the shard with its
 * exact minimum-trace baseline and its flows, one JSON line each in RUN_DIR/instances.jsonl,
 * and summary.json with the shard's statistics per alpha. A shard is seconds to a minute of
 * work, so an interrupted one is simply computed again (deterministic: same rows).
 */

import path from 'node:path';
import type { Backend } from '../linalg/backend.js';
import { backend as defaultBackend } from '../linalg/select.js';
import { atomicWriteFile } from '../io/files.js';
import { openRunDir, toJsonText } from '../io/run-dir.js';
import { instanceCount, searchInstance, shardIndices, summarizeSearch, type SearchOptions, type SearchRow } from '../experiments/gunasekar2017-search.js';

/** The rows of a shard, one JSON object per line. */
export const INSTANCES_FILE = 'instances.jsonl';

export interface SearchRunConfig {
  gridSize: number;
  alphas: number[];
  shard: number;
  shards: number;
  rtol: number;
  /** The integrator's absolute tolerance per unit alpha. */
  atolPerAlpha: number;
  tMax: number;
  lossTol: number;
  maxSteps: number;
}

export interface SearchRunOptions {
  force?: boolean;
  backend?: Backend;
  /** Seeds the initial directions (with each instance's index). Default 0. */
  seed?: number;
  /** Polled between instances; true stops the shard (status `stopped`, computed again next time). */
  shouldStop?: () => boolean;
  /** What summary.json records as the run's config. Default: `config`. */
  savedConfig?: unknown;
}

/**
 * Computes one shard and writes RUN_DIR/instances.jsonl and summary.json.
 *
 * @example
 * runSearch3x3({ gridSize: 3, alphas: [1e-1, 1e-3], shard: 0, shards: 4, rtol: 1e-10, atolPerAlpha: 1e-8, tMax: 1e6, lossTol: 1e-9, maxSteps: 10000 }, 'runs/s0');
 */
export function runSearch3x3(config: SearchRunConfig, runDir: string, options: SearchRunOptions = {}): { status: string; rows: SearchRow[] } {
  const t0 = performance.now();
  const be = options.backend ?? defaultBackend();
  const search: SearchOptions = {
    gridSize: config.gridSize, alphas: config.alphas, shard: config.shard, shards: config.shards, seed: options.seed ?? 0,
    rtol: config.rtol, atol: config.atolPerAlpha, tMax: config.tMax, lossTol: config.lossTol, maxSteps: config.maxSteps,
  };
  const indices = shardIndices(instanceCount(config.gridSize), config.shard, config.shards);
  const rows: SearchRow[] = [];
  let status = 'done';
  for (const index of indices) {
    if (options.shouldStop?.()) {
      status = 'stopped';
      break;
    }
    rows.push(searchInstance(index, search, be));
  }
  const seconds = (performance.now() - t0) / 1000;
  const summary = summarizeSearch(rows, config.alphas);
  const rd = openRunDir(runDir, { force: options.force });
  try {
    atomicWriteFile(path.join(runDir, INSTANCES_FILE), Buffer.from(rows.map((r) => toJsonText(r)).join('\n') + (rows.length ? '\n' : ''), 'utf8'));
    rd.writeSummary({
      status,
      step: rows.length,
      final: {},
      instances: indices.length,
      counts: summary.counts,
      per_alpha: summary.alphas,
      backend: be.name,
      train_seconds: seconds,
      total_seconds: (performance.now() - t0) / 1000,
      config: options.savedConfig ?? config,
    });
  } finally {
    rd.close();
  }
  return { status, rows };
}
