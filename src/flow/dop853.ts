/**
 * DOP853: the Dormand–Prince 8(5,3) embedded Runge–Kutta pair (Dormand and Prince 1980, in
 * the form of Hairer and Wanner's DOP853; Hairer, Nørsett and Wanner, "Solving Ordinary
 * Differential Equations I", II.5 and II.6), run by the shared adaptive driver of
 * ./adaptive.ts.
 *
 * Twelve stages give the 8th-order solution; f at the new point (stage 13) is the first
 * stage of the next step (first same as last), so a step costs 11 evaluations of f plus one
 * when accepted. The error estimate combines the 5th-order (err5) and 3rd-order (err3)
 * embedded estimators as |h| err5^2 / sqrt(err5^2 + 0.01 err3^2), which behaves like
 * O(h^8) and stays reliable where err5 alone is accidentally small. The 7th-order dense
 * output needs 3 more stages, evaluated only for the steps where an output time or an event
 * needs it.
 */

import { type OdeOptions, type OdeResult, type OdeRhs, type RkMethod, type RkStepper, runAdaptive } from './adaptive.js';

// Nodes (c12 = c13 = 1).
const C2 = 0.526001519587677318785587544488e-1, C3 = 0.789002279381515978178381316732e-1;
const C4 = 0.118350341907227396726757197510, C5 = 0.281649658092772603273242802490;
const C6 = 1 / 3, C7 = 0.25, C8 = 4 / 13, C9 = 127 / 195, C10 = 0.6, C11 = 6 / 7;
const C14 = 0.1, C15 = 0.2, C16 = 7 / 9;

// Stage coefficients a_ij (zeros omitted).
const A21 = 5.26001519587677318785587544488e-2;
const A31 = 1.97250569845378994544595329183e-2, A32 = 5.91751709536136983633785987549e-2;
const A41 = 2.95875854768068491816892993775e-2, A43 = 8.87627564304205475450678981324e-2;
const A51 = 2.41365134159266685502369798665e-1, A53 = -8.84549479328286085344864962717e-1, A54 = 9.24834003261792003115737966543e-1;
const A61 = 3.7037037037037037037037037037e-2, A64 = 1.70828608729473871279604482173e-1, A65 = 1.25467687566822425016691814123e-1;
const A71 = 3.7109375e-2, A74 = 1.70252211019544039314978060272e-1, A75 = 6.02165389804559606850219397283e-2, A76 = -1.7578125e-2;
const A81 = 3.70920001185047927108779319836e-2, A84 = 1.70383925712239993810214054705e-1, A85 = 1.07262030446373284651809199168e-1;
const A86 = -1.53194377486244017527936158236e-2, A87 = 8.27378916381402288758473766002e-3;
const A91 = 6.24110958716075717114429577812e-1, A94 = -3.36089262944694129406857109825, A95 = -8.68219346841726006818189891453e-1;
const A96 = 2.75920996994467083049415600797e1, A97 = 2.01540675504778934086186788979e1, A98 = -4.34898841810699588477366255144e1;
const A101 = 4.77662536438264365890433908527e-1, A104 = -2.48811461997166764192642586468, A105 = -5.90290826836842996371446475743e-1;
const A106 = 2.12300514481811942347288949897e1, A107 = 1.52792336328824235832596922938e1, A108 = -3.32882109689848629194453265587e1;
const A109 = -2.03312017085086261358222928593e-2;
const A111 = -9.3714243008598732571704021658e-1, A114 = 5.18637242884406370830023853209, A115 = 1.09143734899672957818500254654;
const A116 = -8.14978701074692612513997267357, A117 = -1.85200656599969598641566180701e1, A118 = 2.27394870993505042818970056734e1;
const A119 = 2.49360555267965238987089396762, A1110 = -3.0467644718982195003823669022;
const A121 = 2.27331014751653820792359768449, A124 = -1.05344954667372501984066689879e1, A125 = -2.00087205822486249909675718444;
const A126 = -1.79589318631187989172765950534e1, A127 = 2.79488845294199600508499808837e1, A128 = -2.85899827713502369474065508674;
const A129 = -8.87285693353062954433549289258, A1210 = 1.23605671757943030647266201528e1, A1211 = 6.43392746015763530355970484046e-1;

// 8th-order weights (b2..b5 = 0).
const B1 = 5.42937341165687622380535766363e-2, B6 = 4.45031289275240888144113950566, B7 = 1.89151789931450038304281599044;
const B8 = -5.8012039600105847814672114227, B9 = 3.1116436695781989440891606237e-1, B10 = -1.52160949662516078556178806805e-1;
const B11 = 2.01365400804030348374776537501e-1, B12 = 4.47106157277725905176885569043e-2;
// 3rd-order estimator: the 8th-order increment minus this combination of k1, k9, k12.
const BHH1 = 0.244094488188976377952755905512, BHH2 = 0.733846688281611857341361741547, BHH3 = 0.220588235294117647058823529412e-1;
// 5th-order estimator (8th-order weights minus the embedded 5th-order ones).
const ER1 = 0.1312004499419488073250102996e-1, ER6 = -0.1225156446376204440720569753e1, ER7 = -0.4957589496572501915214079952;
const ER8 = 0.1664377182454986536961530415e1, ER9 = -0.3503288487499736816886487290, ER10 = 0.3341791187130174790297318841;
const ER11 = 0.8192320648511571246570742613e-1, ER12 = -0.2235530786388629525884427845e-1;

// The three extra stages of the dense output.
const A141 = 5.61675022830479523392909219681e-2, A147 = 2.53500210216624811088794765333e-1, A148 = -2.46239037470802489917441475441e-1;
const A149 = -1.24191423263816360469010140626e-1, A1410 = 1.5329179827876569731206322685e-1, A1411 = 8.20105229563468988491666602057e-3;
const A1412 = 7.56789766054569976138603589584e-3, A1413 = -8.298e-3;
const A151 = 3.18346481635021405060768473261e-2, A156 = 2.83009096723667755288322961402e-2, A157 = 5.35419883074385676223797384372e-2;
const A158 = -5.49237485713909884646569340306e-2, A1511 = -1.08347328697249322858509316994e-4, A1512 = 3.82571090835658412954920192323e-4;
const A1513 = -3.40465008687404560802977114492e-4, A1514 = 1.41312443674632500278074618366e-1;
const A161 = -4.28896301583791923408573538692e-1, A166 = -4.69762141536116384314449447206, A167 = 7.68342119606259904184240953878;
const A168 = 4.06898981839711007970213554331, A169 = 3.56727187455281109270669543021e-1, A1613 = -1.39902416515901462129418009734e-3;
const A1614 = 2.9475147891527723389556272149, A1615 = -9.15095847217987001081870187138;

// Dense output coefficients (rows 4..7 of Hairer's contd8).
const D41 = -0.84289382761090128651353491142e1, D46 = 0.56671495351937776962531783590, D47 = -0.30689499459498916912797304727e1;
const D48 = 0.23846676565120698287728149680e1, D49 = 0.21170345824450282767155149946e1, D410 = -0.87139158377797299206789907490;
const D411 = 0.22404374302607882758541771650e1, D412 = 0.63157877876946881815570249290, D413 = -0.88990336451333310820698117400e-1;
const D414 = 0.18148505520854727256656404962e2, D415 = -0.91946323924783554000451984436e1, D416 = -0.44360363875948939664310572000e1;
const D51 = 0.10427508642579134603413151009e2, D56 = 0.24228349177525818288430175319e3, D57 = 0.16520045171727028198505394887e3;
const D58 = -0.37454675472269020279518312152e3, D59 = -0.22113666853125306036270938578e2, D510 = 0.77334326684722638389603898808e1;
const D511 = -0.30674084731089398182061213626e2, D512 = -0.93321305264302278729567221706e1, D513 = 0.15697238121770843886131091075e2;
const D514 = -0.31139403219565177677282850411e2, D515 = -0.93529243588444783865713862664e1, D516 = 0.35816841486394083752465898540e2;
const D61 = 0.19985053242002433820987653617e2, D66 = -0.38703730874935176555105901742e3, D67 = -0.18917813819516756882830838328e3;
const D68 = 0.52780815920542364900561016686e3, D69 = -0.11573902539959630126141871134e2, D610 = 0.68812326946963000169666922661e1;
const D611 = -0.10006050966910838403183860980e1, D612 = 0.77771377980534432092869265740, D613 = -0.27782057523535084065932004339e1;
const D614 = -0.60196695231264120758267380846e2, D615 = 0.84320405506677161018159903784e2, D616 = 0.11992291136182789328035130030e2;
const D71 = -0.25693933462703749003312586129e2, D76 = -0.15418974869023643374053993627e3, D77 = -0.23152937917604549567536039109e3;
const D78 = 0.35763911791061412378285349910e3, D79 = 0.93405324183624310003907691704e2, D710 = -0.37458323136451633156875139351e2;
const D711 = 0.10409964950896230045147246184e3, D712 = 0.29840293426660503123344363579e2, D713 = -0.43533456590011143754432175058e2;
const D714 = 0.96324553959188282948394950600e2, D715 = -0.39177261675615439165231486172e2, D716 = -0.14972683625798562581422125276e3;

/** The tableau as data, for tests of the order conditions: rows of a (stages 2..16), b, c. */
export const DOP853_TABLEAU = {
  c: [0, C2, C3, C4, C5, C6, C7, C8, C9, C10, C11, 1, 1, C14, C15, C16],
  a: [
    [],
    [A21],
    [A31, A32],
    [A41, 0, A43],
    [A51, 0, A53, A54],
    [A61, 0, 0, A64, A65],
    [A71, 0, 0, A74, A75, A76],
    [A81, 0, 0, A84, A85, A86, A87],
    [A91, 0, 0, A94, A95, A96, A97, A98],
    [A101, 0, 0, A104, A105, A106, A107, A108, A109],
    [A111, 0, 0, A114, A115, A116, A117, A118, A119, A1110],
    [A121, 0, 0, A124, A125, A126, A127, A128, A129, A1210, A1211],
    [B1, 0, 0, 0, 0, B6, B7, B8, B9, B10, B11, B12],
    [A141, 0, 0, 0, 0, 0, A147, A148, A149, A1410, A1411, A1412, A1413],
    [A151, 0, 0, 0, 0, A156, A157, A158, 0, 0, A1511, A1512, A1513, A1514],
    [A161, 0, 0, 0, 0, A166, A167, A168, A169, 0, 0, 0, A1613, A1614, A1615],
  ],
  b: [B1, 0, 0, 0, 0, B6, B7, B8, B9, B10, B11, B12],
  er: [ER1, 0, 0, 0, 0, ER6, ER7, ER8, ER9, ER10, ER11, ER12],
  bhh: [BHH1, 0, 0, 0, 0, 0, 0, 0, BHH2, 0, 0, BHH3],
} as const;

function createDop853(n: number, rhs: OdeRhs): RkStepper {
  const k1 = new Float64Array(n), k2 = new Float64Array(n), k3 = new Float64Array(n), k4 = new Float64Array(n);
  const k5 = new Float64Array(n), k6 = new Float64Array(n), k7 = new Float64Array(n), k8 = new Float64Array(n);
  const k9 = new Float64Array(n), k10 = new Float64Array(n), k11 = new Float64Array(n), k12 = new Float64Array(n);
  const k13 = new Float64Array(n), k14 = new Float64Array(n), k15 = new Float64Array(n), k16 = new Float64Array(n);
  const w = new Float64Array(n);
  // The 8th-order increment (y1 - y) / h, for the 3rd-order estimator.
  const inc = new Float64Array(n);
  // Dense output: r0 + s (r1 + s1 (r2 + s (r3 + s1 (r4 + s (r5 + s1 (r6 + s r7)))))), s1 = 1 - s.
  const r0 = new Float64Array(n), r1 = new Float64Array(n), r2 = new Float64Array(n), r3 = new Float64Array(n);
  const r4 = new Float64Array(n), r5 = new Float64Array(n), r6 = new Float64Array(n), r7 = new Float64Array(n);
  return {
    f0: k1,
    stages(t, y, h, tNew, y1) {
      for (let i = 0; i < n; i++) w[i] = y[i] + h * A21 * k1[i];
      rhs(t + C2 * h, w, k2);
      for (let i = 0; i < n; i++) w[i] = y[i] + h * (A31 * k1[i] + A32 * k2[i]);
      rhs(t + C3 * h, w, k3);
      for (let i = 0; i < n; i++) w[i] = y[i] + h * (A41 * k1[i] + A43 * k3[i]);
      rhs(t + C4 * h, w, k4);
      for (let i = 0; i < n; i++) w[i] = y[i] + h * (A51 * k1[i] + A53 * k3[i] + A54 * k4[i]);
      rhs(t + C5 * h, w, k5);
      for (let i = 0; i < n; i++) w[i] = y[i] + h * (A61 * k1[i] + A64 * k4[i] + A65 * k5[i]);
      rhs(t + C6 * h, w, k6);
      for (let i = 0; i < n; i++) w[i] = y[i] + h * (A71 * k1[i] + A74 * k4[i] + A75 * k5[i] + A76 * k6[i]);
      rhs(t + C7 * h, w, k7);
      for (let i = 0; i < n; i++) w[i] = y[i] + h * (A81 * k1[i] + A84 * k4[i] + A85 * k5[i] + A86 * k6[i] + A87 * k7[i]);
      rhs(t + C8 * h, w, k8);
      for (let i = 0; i < n; i++) w[i] = y[i] + h * (A91 * k1[i] + A94 * k4[i] + A95 * k5[i] + A96 * k6[i] + A97 * k7[i] + A98 * k8[i]);
      rhs(t + C9 * h, w, k9);
      for (let i = 0; i < n; i++) {
        w[i] = y[i] + h * (A101 * k1[i] + A104 * k4[i] + A105 * k5[i] + A106 * k6[i] + A107 * k7[i] + A108 * k8[i] + A109 * k9[i]);
      }
      rhs(t + C10 * h, w, k10);
      for (let i = 0; i < n; i++) {
        w[i] = y[i] + h * (A111 * k1[i] + A114 * k4[i] + A115 * k5[i] + A116 * k6[i] + A117 * k7[i] + A118 * k8[i] + A119 * k9[i]
          + A1110 * k10[i]);
      }
      rhs(t + C11 * h, w, k11);
      for (let i = 0; i < n; i++) {
        w[i] = y[i] + h * (A121 * k1[i] + A124 * k4[i] + A125 * k5[i] + A126 * k6[i] + A127 * k7[i] + A128 * k8[i] + A129 * k9[i]
          + A1210 * k10[i] + A1211 * k11[i]);
      }
      rhs(tNew, w, k12);
      for (let i = 0; i < n; i++) {
        inc[i] = B1 * k1[i] + B6 * k6[i] + B7 * k7[i] + B8 * k8[i] + B9 * k9[i] + B10 * k10[i] + B11 * k11[i] + B12 * k12[i];
        y1[i] = y[i] + h * inc[i];
      }
    },
    error(h, sc) {
      let err5 = 0, err3 = 0;
      for (let i = 0; i < n; i++) {
        const s = sc[i];
        const q3 = (inc[i] - BHH1 * k1[i] - BHH2 * k9[i] - BHH3 * k12[i]) / s;
        const q5 = (ER1 * k1[i] + ER6 * k6[i] + ER7 * k7[i] + ER8 * k8[i] + ER9 * k9[i] + ER10 * k10[i] + ER11 * k11[i] + ER12 * k12[i]) / s;
        err3 += q3 * q3;
        err5 += q5 * q5;
      }
      // err5^2 / sqrt(err5^2 + 0.01 err3^2): err5 where err3 is small, err5^2 / (0.1 err3) otherwise.
      let deno = err5 + 0.01 * err3;
      if (deno <= 0) deno = 1;
      return n === 0 ? 0 : Math.abs(h) * err5 * Math.sqrt(1 / (n * deno));
    },
    accept(tNew, y1) {
      rhs(tNew, y1, k13);
    },
    prepareDense(t, y, h, y1) {
      for (let i = 0; i < n; i++) {
        w[i] = y[i] + h * (A141 * k1[i] + A147 * k7[i] + A148 * k8[i] + A149 * k9[i] + A1410 * k10[i] + A1411 * k11[i] + A1412 * k12[i]
          + A1413 * k13[i]);
      }
      rhs(t + C14 * h, w, k14);
      for (let i = 0; i < n; i++) {
        w[i] = y[i] + h * (A151 * k1[i] + A156 * k6[i] + A157 * k7[i] + A158 * k8[i] + A1511 * k11[i] + A1512 * k12[i] + A1513 * k13[i]
          + A1514 * k14[i]);
      }
      rhs(t + C15 * h, w, k15);
      for (let i = 0; i < n; i++) {
        w[i] = y[i] + h * (A161 * k1[i] + A166 * k6[i] + A167 * k7[i] + A168 * k8[i] + A169 * k9[i] + A1613 * k13[i] + A1614 * k14[i]
          + A1615 * k15[i]);
      }
      rhs(t + C16 * h, w, k16);
      for (let i = 0; i < n; i++) {
        const diff = y1[i] - y[i];
        const bspl = h * k1[i] - diff;
        r0[i] = y[i];
        r1[i] = diff;
        r2[i] = bspl;
        r3[i] = diff - h * k13[i] - bspl;
        const a = k1[i], f6 = k6[i], f7 = k7[i], f8 = k8[i], f9 = k9[i], f10 = k10[i], f11 = k11[i], f12 = k12[i];
        const f13 = k13[i], f14 = k14[i], f15 = k15[i], f16 = k16[i];
        r4[i] = h * (D41 * a + D46 * f6 + D47 * f7 + D48 * f8 + D49 * f9 + D410 * f10 + D411 * f11 + D412 * f12
          + D413 * f13 + D414 * f14 + D415 * f15 + D416 * f16);
        r5[i] = h * (D51 * a + D56 * f6 + D57 * f7 + D58 * f8 + D59 * f9 + D510 * f10 + D511 * f11 + D512 * f12
          + D513 * f13 + D514 * f14 + D515 * f15 + D516 * f16);
        r6[i] = h * (D61 * a + D66 * f6 + D67 * f7 + D68 * f8 + D69 * f9 + D610 * f10 + D611 * f11 + D612 * f12
          + D613 * f13 + D614 * f14 + D615 * f15 + D616 * f16);
        r7[i] = h * (D71 * a + D76 * f6 + D77 * f7 + D78 * f8 + D79 * f9 + D710 * f10 + D711 * f11 + D712 * f12
          + D713 * f13 + D714 * f14 + D715 * f15 + D716 * f16);
      }
    },
    dense(s, out) {
      const s1 = 1 - s;
      for (let i = 0; i < n; i++) {
        const par = r4[i] + s * (r5[i] + s1 * (r6[i] + s * r7[i]));
        out[i] = r0[i] + s * (r1[i] + s1 * (r2[i] + s * (r3[i] + s1 * par)));
      }
    },
    advance() {
      k1.set(k13);
    },
  };
}

/** DOP853 for the adaptive driver: error estimate O(h^8), 7th-order dense output. */
export const DOP853: RkMethod = { name: 'dop853', order: 8, create: createDop853 };

/**
 * Integrates y' = f(t, y) from (t0, y0) to tEnd (tEnd > t0) with the Dormand–Prince
 * 8(5,3) pair (DOP853): the method of choice at tight tolerances (rtol 1e-8 and below).
 *
 * @throws RangeError naming a bad option or a non-finite y0.
 * @example
 * const r = dop853((t, y, dy) => { dy[0] = y[1]; dy[1] = -y[0]; }, 0, Float64Array.of(1, 0), Math.PI, { rtol: 1e-12, atol: 1e-14 });
 * r.y[0]; // -1 to about 1e-14
 */
export function dop853(f: OdeRhs, t0: number, y0: Float64Array, tEnd: number, options: OdeOptions = {}): OdeResult {
  return runAdaptive(DOP853, f, t0, y0, tEnd, options);
}
