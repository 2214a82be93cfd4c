//! Exact inference for one sequence: scaled forward-backward and Viterbi.
//!
//! Forward-backward works with probabilities rescaled at every step (Rabiner's scaling), with
//! each step's emission log-probabilities shifted by their maximum before exponentiating, so it
//! neither underflows nor overflows however long the sequence is, and needs one `exp` per
//! (step, state) instead of a log-sum-exp per transition. Viterbi works in log space.

use ndarray::{Array2, ArrayView1, ArrayView2};

/// What forward-backward gives for one sequence.
#[derive(Debug, Clone)]
pub struct Posteriors {
    /// `log p(x_1..T)`.
    pub log_likelihood: f64,
    /// `P(z_t = s | x)` per step (T × S).
    pub gamma: Array2<f64>,
    /// `Σ_t P(z_{t−1} = i, z_t = j | x)` (S × S).
    pub xi_sum: Array2<f64>,
}

/// Scaled forward-backward. `log_b` holds `log p(x_t | z_t = s)` (T × S). Returns `None` when
/// the sequence is impossible under the model (its likelihood is exactly zero, e.g. a
/// left-right model that cannot reach a state some observation requires).
pub fn forward_backward(
    start: ArrayView1<'_, f64>,
    trans: ArrayView2<'_, f64>,
    log_b: ArrayView2<'_, f64>,
) -> Option<Posteriors> {
    // With AVX2 where the CPU has it (checked at run time), else the baseline instructions; the
    // arithmetic is the same either way (no fused multiply-adds are introduced).
    struct Op<'a>(
        ArrayView1<'a, f64>,
        ArrayView2<'a, f64>,
        ArrayView2<'a, f64>,
    );
    impl pulp::WithSimd for Op<'_> {
        type Output = Option<Posteriors>;
        // Inlined all the way into pulp's function compiled for the detected instruction set (a
        // closure would be compiled, and called, as baseline code).
        #[inline(always)]
        fn with_simd<S: pulp::Simd>(self, _: S) -> Self::Output {
            forward_backward_impl(self.0, self.1, self.2)
        }
    }
    pulp::Arch::new().dispatch(Op(start, trans, log_b))
}

#[inline(always)]
fn forward_backward_impl(
    start: ArrayView1<'_, f64>,
    trans: ArrayView2<'_, f64>,
    log_b: ArrayView2<'_, f64>,
) -> Option<Posteriors> {
    let (t_len, s) = log_b.dim();
    let a: Vec<f64> = trans.iter().copied().collect(); // row-major S×S
    let lb = log_b.as_standard_layout();
    let lb = lb.as_slice().expect("standard layout");
    // One pass of exponentials for the whole sequence, each step shifted by its largest
    // log-density (a tight loop, no dependence between steps).
    let mut b = vec![0.0; t_len * s];
    let mut m = vec![0.0; t_len];
    for t in 0..t_len {
        let row = &lb[t * s..(t + 1) * s];
        let mt = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        m[t] = mt;
        if mt.is_finite() {
            for (bj, l) in b[t * s..(t + 1) * s].iter_mut().zip(row) {
                *bj = exp_nonpositive(l - mt);
            }
        }
    }
    let mut alpha = Array2::<f64>::zeros((t_len, s));
    let mut c = vec![0.0; t_len];
    let mut pred = vec![0.0; s];
    // log p = Σ_t (ln c_t + m_t). The c_t are multiplied together and the product's logarithm
    // taken only when it leaves [1e−20, 1e20] (a factor in [1e−200, 1e200] then cannot underflow
    // or overflow it; one outside that range is taken on its own): one `ln` per many steps
    // instead of one per step.
    let mut log_likelihood = 0.0;
    let mut c_prod = 1.0f64;
    {
        let al = alpha.as_slice_mut().expect("new array");
        for t in 0..t_len {
            if t == 0 {
                pred.iter_mut().zip(start.iter()).for_each(|(p, v)| *p = *v);
            } else {
                pred.fill(0.0);
                let prev = &al[(t - 1) * s..t * s];
                for (i, &ai) in prev.iter().enumerate() {
                    if ai != 0.0 {
                        for (p, aij) in pred.iter_mut().zip(&a[i * s..(i + 1) * s]) {
                            *p += ai * aij;
                        }
                    }
                }
            }
            let bt = &mut b[t * s..(t + 1) * s];
            let mut ct: f64 = pred.iter().zip(bt.iter()).map(|(p, v)| p * v).sum();
            if !(ct > 1e-280 && ct.is_finite()) {
                // The best-emitting state is (nearly) unreachable: rescale this step by the
                // largest reachable term instead, so nothing underflows.
                m[t] = scale_step(&pred, &lb[t * s..(t + 1) * s], bt)?;
                ct = pred.iter().zip(bt.iter()).map(|(p, v)| p * v).sum();
                if !(ct > 0.0 && ct.is_finite()) {
                    return None;
                }
            }
            let inv = 1.0 / ct;
            for ((o, p), v) in al[t * s..(t + 1) * s].iter_mut().zip(&pred).zip(bt.iter()) {
                *o = p * v * inv;
            }
            c[t] = ct;
            if (1e-200..=1e200).contains(&ct) {
                c_prod *= ct;
                if !(1e-20..=1e20).contains(&c_prod) {
                    log_likelihood += c_prod.ln();
                    c_prod = 1.0;
                }
            } else {
                log_likelihood += ct.ln();
            }
            log_likelihood += m[t];
        }
    }
    log_likelihood += c_prod.ln();
    // Backward with the same scaling: w_t = b_t ∘ beta_t / c_t, beta_{t−1} = A w_t; the expected
    // transitions are then one product, Σ_t alpha_{t−1}ᵀ w_t, times A elementwise.
    let mut beta = vec![0.0; t_len * s];
    beta[(t_len - 1) * s..].fill(1.0);
    let mut w = Array2::<f64>::zeros((t_len, s));
    {
        let ws = w.as_slice_mut().expect("new array");
        for t in (1..t_len).rev() {
            let inv = 1.0 / c[t];
            for j in 0..s {
                ws[t * s + j] = b[t * s + j] * beta[t * s + j] * inv;
            }
            let wt = &ws[t * s..(t + 1) * s];
            for i in 0..s {
                beta[(t - 1) * s + i] = a[i * s..(i + 1) * s]
                    .iter()
                    .zip(wt)
                    .map(|(x, y)| x * y)
                    .sum();
            }
        }
    }
    let mut xi = Array2::<f64>::zeros((s, s));
    if t_len > 1 {
        // A small product (S×T by T×S): ndarray's kernel has less set-up cost than faer's here.
        ndarray::linalg::general_mat_mul(
            1.0,
            &alpha.slice(ndarray::s![..t_len - 1, ..]).t(),
            &w.slice(ndarray::s![1.., ..]),
            0.0,
            &mut xi,
        );
        xi.iter_mut().zip(&a).for_each(|(x, aij)| *x *= aij);
    }
    let mut gamma = alpha;
    for (t, mut row) in gamma.outer_iter_mut().enumerate() {
        let r = row.as_slice_mut().expect("contiguous");
        let mut sum = 0.0;
        for (g, bb) in r.iter_mut().zip(&beta[t * s..(t + 1) * s]) {
            *g *= bb;
            sum += *g;
        }
        if sum > 0.0 {
            let inv = 1.0 / sum;
            r.iter_mut().for_each(|g| *g *= inv);
        }
    }
    Some(Posteriors {
        log_likelihood,
        gamma,
        xi_sum: xi,
    })
}

/// `eˣ` for `x ≤ 0` (−∞ included) within one unit in the last place, as straight-line
/// arithmetic that vectorises (glibc's `exp` is a call per value): `x = n ln 2 + r` with
/// `|r| ≤ ln 2 / 2` (Cody-Waite, `ln 2` in two parts), `eʳ` by its Taylor polynomial to degree
/// 13 (truncation error below 5e-18), and `2ⁿ` put into the exponent bits. Results below
/// `e^−708` (≈ 3e−308, where doubles turn subnormal) are 0; NaN stays NaN.
#[inline(always)]
fn exp_nonpositive(x: f64) -> f64 {
    // fdlibm's split of ln 2: the high part's low 32 bits are zero, so n·LN2_HI is exact.
    const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000); // 6.93147180369123816490e-01
    const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76); // 1.90821492927058770002e-10
    const SHIFT: f64 = 6_755_399_441_055_744.0; // 1.5·2^52: adding it rounds to an integer
    const FLOOR: f64 = -708.0;
    let xc = if x < FLOOR { FLOOR } else { x };
    let t = xc * std::f64::consts::LOG2_E + SHIFT;
    let n = t - SHIFT;
    let r = (xc - n * LN2_HI) - n * LN2_LO;
    // 1/k! for k = 13 down to 2, then the two leading ones.
    const C: [f64; 12] = [
        1.0 / 6_227_020_800.0,
        1.0 / 479_001_600.0,
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
    ];
    let mut p = C[0];
    for c in &C[1..] {
        p = p * r + c;
    }
    p = p * r + 1.0;
    p = p * r + 1.0;
    // n sits in the low bits of t's mantissa; 2ⁿ has exponent field n + 1023 (n ≥ −1022).
    let k = (t.to_bits() as i64).wrapping_sub(SHIFT.to_bits() as i64);
    let scale = f64::from_bits(((k + 1023) << 52) as u64);
    if x < FLOOR {
        0.0
    } else {
        p * scale
    }
}

/// Scales one step's emission probabilities into `b` and returns the log-scale `m`:
/// first by the largest emission log-density of a reachable state (cheap), and if the
/// prediction-weighted sum would underflow, by `max_s(ln pred_s + log_b_s)`, which makes the
/// largest term exactly 1. `None` when no reachable state can emit the observation.
fn scale_step(pred: &[f64], log_b: &[f64], b: &mut [f64]) -> Option<f64> {
    let m = pred
        .iter()
        .zip(log_b)
        .filter(|(p, _)| **p > 0.0)
        .map(|(_, l)| *l)
        .fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return None;
    }
    let mut sum = 0.0;
    for ((bj, p), l) in b.iter_mut().zip(pred).zip(log_b) {
        *bj = if *p > 0.0 { (l - m).exp() } else { 0.0 };
        sum += p * *bj;
    }
    if sum > 1e-280 {
        return Some(m);
    }
    let m = pred
        .iter()
        .zip(log_b)
        .filter(|(p, _)| **p > 0.0)
        .map(|(p, l)| p.ln() + l)
        .fold(f64::NEG_INFINITY, f64::max);
    for ((bj, p), l) in b.iter_mut().zip(pred).zip(log_b) {
        // The cap only matters for a prediction below ~1e-304, where exp would overflow.
        *bj = if *p > 0.0 {
            (l - m).min(700.0).exp()
        } else {
            0.0
        };
    }
    Some(m)
}

/// The log-likelihood alone (the forward pass), for scoring.
pub fn log_likelihood(
    start: ArrayView1<'_, f64>,
    trans: ArrayView2<'_, f64>,
    log_b: ArrayView2<'_, f64>,
) -> f64 {
    let s = log_b.ncols();
    let a: Vec<f64> = trans.iter().copied().collect();
    let mut alpha: Vec<f64> = start.to_vec();
    let mut pred = vec![0.0; s];
    let mut b = vec![0.0; s];
    let mut ll = 0.0;
    for (t, row) in log_b.outer_iter().enumerate() {
        if t == 0 {
            pred.copy_from_slice(&alpha);
        } else {
            for (j, p) in pred.iter_mut().enumerate() {
                *p = (0..s).map(|i| alpha[i] * a[i * s + j]).sum();
            }
        }
        let row = row.to_vec();
        let Some(mt) = scale_step(&pred, &row, &mut b) else {
            return f64::NEG_INFINITY;
        };
        let mut ct = 0.0;
        for j in 0..s {
            alpha[j] = pred[j] * b[j];
            ct += alpha[j];
        }
        if !(ct > 0.0 && ct.is_finite()) {
            return f64::NEG_INFINITY;
        }
        alpha.iter_mut().for_each(|v| *v /= ct);
        ll += ct.ln() + mt;
    }
    ll
}

/// Target states handled together by the Viterbi kernel (one AVX2 vector, two SSE2 ones).
const LANES: usize = 4;

/// The most probable state path and its joint log-probability `log p(x, z*)`.
///
/// Ties go to the lowest-numbered previous state, and at the end to the lowest-numbered state.
pub fn viterbi(
    log_start: ArrayView1<'_, f64>,
    log_trans: ArrayView2<'_, f64>,
    log_b: ArrayView2<'_, f64>,
) -> (f64, Vec<usize>) {
    let (t_len, s) = log_b.dim();
    if t_len == 0 {
        return (0.0, Vec::new());
    }
    // ln A row by row, each row padded with −∞ to a whole number of lanes, so the maximum for
    // LANES target states at once runs over contiguous, fixed-size blocks that stay in registers.
    let sp = s.div_ceil(LANES) * LANES;
    let mut lt = vec![f64::NEG_INFINITY; s * sp];
    for (i, row) in log_trans.outer_iter().enumerate() {
        lt[i * sp..i * sp + s]
            .iter_mut()
            .zip(row.iter())
            .for_each(|(o, v)| *o = *v);
    }
    let lb = log_b.as_standard_layout();
    let lb = lb.as_slice().expect("standard layout");
    let mut back = vec![0u32; t_len * s];
    // With AVX2 where the CPU has it (checked at run time), else the baseline instructions.
    struct Op<'a> {
        log_start: ArrayView1<'a, f64>,
        lt: &'a [f64],
        lb: &'a [f64],
        s: usize,
        back: &'a mut [u32],
    }
    impl pulp::WithSimd for Op<'_> {
        type Output = Vec<f64>;
        #[inline(always)]
        fn with_simd<S: pulp::Simd>(self, _: S) -> Vec<f64> {
            viterbi_forward(self.log_start, self.lt, self.lb, self.s, self.back)
        }
    }
    let delta = pulp::Arch::new().dispatch(Op {
        log_start,
        lt: &lt,
        lb,
        s,
        back: &mut back,
    });
    let (mut state, logp) =
        delta.iter().enumerate().fold(
            (0, f64::NEG_INFINITY),
            |b, (i, v)| if *v > b.1 { (i, *v) } else { b },
        );
    let mut path = vec![0usize; t_len];
    for t in (0..t_len).rev() {
        path[t] = state;
        if t > 0 {
            state = back[t * s + state] as usize;
        }
    }
    (logp, path)
}

/// The Viterbi recursion `δ_t(j) = max_i (δ_{t−1}(i) + ln A_ij) + ln b_t(j)`, filling the
/// back-pointers; returns the last step's `δ`. `lt` is `ln A` with rows padded to `sp` columns.
#[inline(always)]
fn viterbi_forward(
    log_start: ArrayView1<'_, f64>,
    lt: &[f64],
    lb: &[f64],
    s: usize,
    back: &mut [u32],
) -> Vec<f64> {
    let t_len = lb.len() / s;
    let sp = lt.len() / s;
    let mut delta: Vec<f64> = (0..s).map(|j| log_start[j] + lb[j]).collect();
    let mut next = vec![0.0; s];
    let mut arg = vec![0.0f64; sp];
    let mut best = vec![0.0f64; sp];
    for t in 1..t_len {
        for c in (0..sp).step_by(LANES) {
            let mut b = [f64::NEG_INFINITY; LANES];
            // The index as a float, so value and index are selected by the same mask.
            let mut a = [0.0f64; LANES];
            for (i, &d) in delta.iter().enumerate() {
                let row: &[f64; LANES] = lt[i * sp + c..i * sp + c + LANES]
                    .try_into()
                    .expect("LANES entries");
                let fi = i as f64;
                for l in 0..LANES {
                    let v = d + row[l];
                    let better = v > b[l];
                    b[l] = if better { v } else { b[l] };
                    a[l] = if better { fi } else { a[l] };
                }
            }
            best[c..c + LANES].copy_from_slice(&b);
            arg[c..c + LANES].copy_from_slice(&a);
        }
        let lbt = &lb[t * s..(t + 1) * s];
        for (j, ((n, bp), l)) in next
            .iter_mut()
            .zip(&mut back[t * s..(t + 1) * s])
            .zip(lbt)
            .enumerate()
        {
            *n = best[j] + l;
            *bp = arg[j] as u32;
        }
        std::mem::swap(&mut delta, &mut next);
    }
    delta
}

#[cfg(test)]
mod tests {
    use super::exp_nonpositive;

    #[test]
    fn exp_nonpositive_is_within_one_ulp_of_exp() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut uniform = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut xs: Vec<f64> = (0..200_000)
            .map(|i| -uniform() * if i % 2 == 0 { 708.0 } else { 2.0 })
            .collect();
        xs.extend([
            0.0,
            -0.0,
            -1e-300,
            -1e-17,
            -0.5 * std::f64::consts::LN_2,
            -1.0,
            -708.0,
        ]);
        for x in xs {
            let (ours, std) = (exp_nonpositive(x), x.exp());
            assert!(
                (ours - std).abs() <= std * f64::EPSILON,
                "exp({x}): {ours} vs {std}"
            );
        }
        assert_eq!(exp_nonpositive(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp_nonpositive(-745.0), 0.0);
        assert_eq!(exp_nonpositive(0.0), 1.0);
        assert!(exp_nonpositive(f64::NAN).is_nan());
    }
}
