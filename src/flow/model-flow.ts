/**
 * The gradient flow of a factorized model, dθ/dt = -∇L(θ), as an ODE on one flat vector
 * (the factors in factorNames order, each row-major), for the integrators of src/flow.
 * Unconstrained models only: a projected model (udu) has no flow of this form.
 */

import { type Mat, zeros } from '../linalg/mat.js';
import type { Model } from '../models/model.js';
import type { OdeRhs } from './dopri5.js';

export interface ModelFlow {
  /** Length of the flat state. */
  size: number;
  /** The flat state of a list of factors. */
  pack(params: readonly Mat[], out?: Float64Array): Float64Array;
  /** The factors of a flat state (fresh matrices). */
  unpack(y: Float64Array): Mat[];
  /** dy <- -∇L(y). Allocates nothing: y is copied into factors owned here. */
  rhs: OdeRhs;
  /** L(y). */
  loss(y: Float64Array): number;
}

/**
 * @throws RangeError for the udu model (projected: not a gradient flow).
 * @example
 * const flow = modelFlow(model);
 * const r = dopri5(flow.rhs, 0, flow.pack(params), 1e4, { rtol: 1e-8 });
 * const factors = flow.unpack(r.y);
 */
export function modelFlow(model: Model): ModelFlow {
  if (model.kind === 'udu') throw new RangeError('model: udu is projected (||U||_F <= r, D >= 0); its gradient flow is not defined here');
  const params = model.factorShapes.map(([r, c]) => zeros(r, c));
  const grads = model.factorShapes.map(([r, c]) => zeros(r, c));
  const size = params.reduce((s, p) => s + p.data.length, 0);
  const load = (y: Float64Array): void => {
    if (y.length !== size) throw new RangeError(`y: expected ${size} entries (${model.factorNames.join(', ')}), got ${y.length}`);
    let off = 0;
    for (const p of params) {
      p.data.set(y.subarray(off, off + p.data.length));
      off += p.data.length;
    }
  };
  return {
    size,
    pack(list, out = new Float64Array(size)) {
      let off = 0;
      list.forEach((p, i) => {
        const [r, c] = model.factorShapes[i];
        if (p.rows !== r || p.cols !== c) throw new RangeError(`params: factor ${model.factorNames[i]}: expected shape ${r}x${c}, got ${p.rows}x${p.cols}`);
        out.set(p.data, off);
        off += p.data.length;
      });
      return out;
    },
    unpack(y) {
      load(y);
      return params.map((p) => ({ rows: p.rows, cols: p.cols, data: p.data.slice() }));
    },
    rhs(_t, y, dy) {
      load(y);
      model.lossAndGradient(params, grads);
      let off = 0;
      for (const g of grads) {
        const d = g.data;
        for (let i = 0; i < d.length; i++) dy[off + i] = -d[i];
        off += d.length;
      }
    },
    loss(y) {
      load(y);
      return model.lossAt(params);
    },
  };
}
