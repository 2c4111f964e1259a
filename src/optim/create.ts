import { adam, type AdamOptions } from './adam.js';
import { gd, type GdOptions } from './gd.js';
import { groupRmsprop, type GroupRmspropOptions } from './grouprmsprop.js';
import { momentum, type MomentumOptions } from './momentum.js';
import type { Optimizer } from './optimizer.js';
import { describeValue } from './validate.js';

/**
 * The optimizer names, as `--optimizer` takes them.
 *
 * @example
 * program.option('--optimizer <name>', `one of ${OPTIMIZER_NAMES.join(', ')}`, 'gd');
 */
export const OPTIMIZER_NAMES = ['gd', 'grouprmsprop', 'momentum', 'adam'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

/** Which optimizer, with its options (defaults as in each factory). */
export type OptimizerSpec =
  | ({ name: 'gd' } & GdOptions)
  | ({ name: 'grouprmsprop' } & GroupRmspropOptions)
  | ({ name: 'momentum' } & MomentumOptions)
  | ({ name: 'adam' } & AdamOptions);

/** An OptimizerSpec with every default filled in (what a summary records). */
export type ResolvedOptimizerSpec =
  | ({ name: 'gd' } & Required<GdOptions>)
  | ({ name: 'grouprmsprop' } & Required<GroupRmspropOptions>)
  | ({ name: 'momentum' } & Required<MomentumOptions>)
  | ({ name: 'adam' } & Required<AdamOptions>);

const FIELDS: Record<OptimizerName, readonly string[]> = {
  gd: ['lr'],
  grouprmsprop: ['lr', 'alpha', 'eps'],
  momentum: ['lr', 'momentum', 'nesterov'],
  adam: ['lr', 'beta1', 'beta2', 'eps'],
};

/**
 * Builds an optimizer from a spec, validating it first: an unknown name, an unknown
 * option or an out-of-range value throws ONE line naming the field, e.g.
 * `lr: expected a positive finite number, got -0.1`,
 * `optimizer: expected one of gd, grouprmsprop, momentum, adam, got "sgd"`,
 * `beta3: unknown option of adam (expected lr, beta1, beta2, eps)`.
 * The spec may come straight from a config file (it is checked at run time).
 *
 * @example
 * const opt = createOptimizer({ name: 'grouprmsprop', lr: 1e-3 });
 * const state = opt.init(params);
 * opt.update(params, grads, state);
 */
export function createOptimizer(spec: OptimizerSpec): Optimizer {
  const s = checkSpec(spec);
  switch (s.name) {
    case 'gd':
      return gd(s);
    case 'grouprmsprop':
      return groupRmsprop(s);
    case 'momentum':
      return momentum(s);
    case 'adam':
      return adam(s);
  }
}

/**
 * The spec with every default filled in, validated as createOptimizer does; for
 * recording the full resolved configuration.
 *
 * @example
 * resolveOptimizerSpec({ name: 'adam', lr: 0.01 });
 * // { name: 'adam', lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 }
 */
export function resolveOptimizerSpec(spec: OptimizerSpec): ResolvedOptimizerSpec {
  const opt = createOptimizer(spec) as Optimizer & { options: object };
  return { name: spec.name, ...opt.options } as ResolvedOptimizerSpec;
}

function checkSpec(spec: OptimizerSpec): OptimizerSpec {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new TypeError(`optimizer: expected an object with a name, got ${describeValue(spec)}`);
  }
  const name = (spec as { name?: unknown }).name;
  if (typeof name !== 'string' || !(OPTIMIZER_NAMES as readonly string[]).includes(name)) {
    throw new RangeError(`optimizer: expected one of ${OPTIMIZER_NAMES.join(', ')}, got ${describeValue(name)}`);
  }
  const allowed = FIELDS[name as OptimizerName];
  for (const key of Object.keys(spec)) {
    if (key === 'name') continue;
    if (!allowed.includes(key)) throw new RangeError(`${key}: unknown option of ${name} (expected ${allowed.join(', ')})`);
  }
  if (!('lr' in spec) || spec.lr === undefined) throw new RangeError(`lr: required for ${name} (a positive finite number)`);
  return spec;
}
