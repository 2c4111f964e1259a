/** Every reproduced result `implab reproduce` knows, by name. */

import { arora2019Dynamics, arora2019Sweep, arora2019Table1 } from './arora2019.js';
import type { Experiment } from './experiment.js';

export const EXPERIMENTS: readonly Experiment[] = [arora2019Table1, arora2019Dynamics, arora2019Sweep];
