/** Every reproduced result `implab reproduce` knows, by name. */

import { arora2019Dynamics, arora2019Sweep, arora2019Table1 } from './arora2019.js';
import type { Experiment } from './experiment.js';
import { gunasekar2017Commuting } from './gunasekar2017-commuting.js';
import { gunasekar2017Fig3 } from './gunasekar2017-completion.js';
import { gunasekar2017Fig4 } from './gunasekar2017-fig4.js';
import { gunasekar2017Fig1, gunasekar2017Fig2 } from './gunasekar2017-sensing.js';
import { hou2025Udu } from './hou2025.js';
import { razin2020 } from './razin2020.js';

export const EXPERIMENTS: readonly Experiment[] = [arora2019Table1, arora2019Dynamics, arora2019Sweep, razin2020, hou2025Udu, gunasekar2017Commuting, gunasekar2017Fig1, gunasekar2017Fig2, gunasekar2017Fig3, gunasekar2017Fig4];
