//! Exact inference for one sequence: scaled forward-backward and Viterbi.
//!
//! Forward-backward works with probabilities rescaled at every step (Rabiner's scaling), with
//! each step's emission log-probabilities shifted by their maximum before exponentiating, so it
//! neither underflows nor overflows however long the sequence is, and needs one `exp` per
//! (step, state) instead of a log-sum-exp per transition. Viterbi works in log space.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

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
    // Each step is scaled by m_t = max_s(ln pred_s + log_b[t, s]), the log-size of its largest
    // term, where pred is the one-step prediction from the past: b[t, s] = exp(log_b[t, s] − m_t)
    // for the states the past can reach (others cannot contribute). The largest term of every
    // step is then exactly 1, so nothing underflows, even when the state that explains an
    // observation best cannot be reached.
    let mut b = Array2::<f64>::zeros((t_len, s));
    let mut alpha = Array2::<f64>::zeros((t_len, s));
    let mut c = Array1::<f64>::zeros(t_len);
    let mut log_likelihood = 0.0;
    for t in 0..t_len {
        let pred: Array1<f64> = if t == 0 {
            start.to_owned()
        } else {
            alpha.row(t - 1).dot(&trans)
        };
        let (bt, mt) = step_scale(pred.view(), log_b.row(t))?;
        let mut cur = &pred * &bt;
        let ct = cur.sum();
        if !(ct > 0.0 && ct.is_finite()) {
            return None;
        }
        cur /= ct;
        alpha.row_mut(t).assign(&cur);
        b.row_mut(t).assign(&bt);
        c[t] = ct;
        log_likelihood += ct.ln() + mt;
    }
    // Backward with the same scaling: beta_t = A (b_{t+1} ∘ beta_{t+1}) / c_{t+1}.
    let mut beta = Array2::<f64>::zeros((t_len, s));
    beta.row_mut(t_len - 1).fill(1.0);
    let mut xi_sum = Array2::<f64>::zeros((s, s));
    for t in (1..t_len).rev() {
        let w = &b.row(t) * &beta.row(t); // b_t ∘ beta_t
                                          // xi_{t−1,t}(i, j) = alpha_{t−1}(i) A(i, j) w(j) / c_t
        let at = alpha.row(t - 1);
        for i in 0..s {
            let ai = at[i] / c[t];
            if ai == 0.0 {
                continue;
            }
            for j in 0..s {
                xi_sum[[i, j]] += ai * trans[[i, j]] * w[j];
            }
        }
        let prev = trans.dot(&w) / c[t];
        beta.row_mut(t - 1).assign(&prev);
    }
    let mut gamma = alpha * &beta;
    for mut row in gamma.outer_iter_mut() {
        let sum = row.sum();
        if sum > 0.0 {
            row /= sum;
        }
    }
    Some(Posteriors {
        log_likelihood,
        gamma,
        xi_sum,
    })
}

/// The log-likelihood alone (the forward pass), for scoring.
pub fn log_likelihood(
    start: ArrayView1<'_, f64>,
    trans: ArrayView2<'_, f64>,
    log_b: ArrayView2<'_, f64>,
) -> f64 {
    let mut alpha = start.to_owned();
    let mut ll = 0.0;
    for (t, row) in log_b.outer_iter().enumerate() {
        let pred = if t == 0 {
            alpha.clone()
        } else {
            alpha.dot(&trans)
        };
        let Some((bt, mt)) = step_scale(pred.view(), row) else {
            return f64::NEG_INFINITY;
        };
        alpha = &pred * &bt;
        let ct = alpha.sum();
        if !(ct > 0.0 && ct.is_finite()) {
            return f64::NEG_INFINITY;
        }
        alpha /= ct;
        ll += ct.ln() + mt;
    }
    ll
}

/// The scaled emission probabilities of one step and their log-scale (see
/// [`forward_backward`]); `None` when no reachable state can emit the observation.
fn step_scale(pred: ArrayView1<'_, f64>, log_b: ArrayView1<'_, f64>) -> Option<(Array1<f64>, f64)> {
    let m = pred
        .iter()
        .zip(log_b.iter())
        .filter(|(p, _)| **p > 0.0)
        .map(|(p, l)| p.ln() + l)
        .fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return None;
    }
    // The cap only matters for a prediction below ~1e-304 (denormal), where exp would overflow.
    let b = pred
        .iter()
        .zip(log_b.iter())
        .map(|(p, l)| {
            if *p > 0.0 {
                (l - m).min(700.0).exp()
            } else {
                0.0
            }
        })
        .collect();
    Some((b, m))
}

/// The most probable state path and its joint log-probability `log p(x, z*)`.
pub fn viterbi(
    log_start: ArrayView1<'_, f64>,
    log_trans: ArrayView2<'_, f64>,
    log_b: ArrayView2<'_, f64>,
) -> (f64, Vec<usize>) {
    let (t_len, s) = log_b.dim();
    let mut delta = &log_start + &log_b.row(0);
    let mut back = Array2::<u32>::zeros((t_len, s));
    let mut next = Array1::<f64>::zeros(s);
    for t in 1..t_len {
        for j in 0..s {
            let mut best = (0usize, f64::NEG_INFINITY);
            for i in 0..s {
                let v = delta[i] + log_trans[[i, j]];
                if v > best.1 {
                    best = (i, v);
                }
            }
            back[[t, j]] = best.0 as u32;
            next[j] = best.1 + log_b[[t, j]];
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
            state = back[[t, state]] as usize;
        }
    }
    (logp, path)
}
