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
                *bj = (l - mt).exp();
            }
        }
    }
    let mut alpha = Array2::<f64>::zeros((t_len, s));
    let mut c = vec![0.0; t_len];
    let mut pred = vec![0.0; s];
    let mut log_likelihood = 0.0;
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
            log_likelihood += ct.ln() + m[t];
        }
    }
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

/// The most probable state path and its joint log-probability `log p(x, z*)`.
pub fn viterbi(
    log_start: ArrayView1<'_, f64>,
    log_trans: ArrayView2<'_, f64>,
    log_b: ArrayView2<'_, f64>,
) -> (f64, Vec<usize>) {
    let (t_len, s) = log_b.dim();
    let lt: Vec<f64> = log_trans.iter().copied().collect();
    let lb = log_b.as_standard_layout();
    let lb = lb.as_slice().expect("standard layout");
    let mut delta: Vec<f64> = (0..s).map(|j| log_start[j] + lb[j]).collect();
    let mut next = vec![0.0; s];
    let mut back = vec![0u32; t_len * s];
    for t in 1..t_len {
        for j in 0..s {
            let mut best = (0usize, f64::NEG_INFINITY);
            for (i, d) in delta.iter().enumerate() {
                let v = d + lt[i * s + j];
                if v > best.1 {
                    best = (i, v);
                }
            }
            back[t * s + j] = best.0 as u32;
            next[j] = best.1 + lb[t * s + j];
        }
        std::mem::swap(&mut delta, &mut next);
    }
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
