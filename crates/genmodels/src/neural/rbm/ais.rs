//! The partition function of an RBM: exactly by enumerating the smaller layer (small models,
//! also the test oracle), or estimated by annealed importance sampling (Salakhutdinov & Murray
//! 2008) from a base-rate model through a schedule of inverse temperatures.
//!
//! AIS anneals `p_β(v, h) ∝ exp(−(1−β) E_A(v) − β E_B(v, h))` from the base-rate model `A`
//! (independent visible units whose biases match the data's marginals, no weights) at β = 0 to
//! the RBM `B` at β = 1. Each of `runs` chains accumulates the log importance weight
//! `Σₖ log p*_{βₖ}(vₖ) − log p*_{βₖ₋₁}(vₖ)` and moves by one Gibbs transition that leaves
//! `p_{βₖ}` invariant; `log Z_B = log Z_A + log mean(w)`. The reported standard error of
//! log Z is the delta-method one, `sd(w) / (mean(w) √runs)`.

use burn::tensor::activation::{sigmoid, softplus};
use burn::tensor::Tensor;
use ndarray::{Array1, Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use super::{base_rate_biases, bernoulli, row_tensor, to_vec, Net, Rbm};
use crate::core::{rng_from_seed, SeededRng};
use crate::core::{NetworkError, ParamError, Result};
use crate::neural::tensor::normal_tensor;

/// The largest smaller layer that [`Rbm::exact_log_z`] enumerates (2²⁰ states).
pub const MAX_EXACT_UNITS: usize = 20;

/// Settings of annealed importance sampling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AisParams {
    /// Independent annealing runs (chains).
    pub runs: usize,
    /// Inverse temperatures, including β = 0 and β = 1; spaced like Salakhutdinov & Murray's
    /// 14,500 (1/29 of them uniformly on [0, 0.5), 8/29 on [0.5, 0.9), 20/29 on [0.9, 1]).
    pub betas: usize,
    /// Seed of the chains.
    pub seed: u64,
}

impl Default for AisParams {
    /// 100 runs of 14,500 temperatures, as in Salakhutdinov & Murray (2008).
    fn default() -> Self {
        AisParams {
            runs: 100,
            betas: 14_500,
            seed: 0,
        }
    }
}

impl AisParams {
    /// An error unless there are at least 2 runs and 2 temperatures.
    pub fn check(&self) -> Result<(), ParamError> {
        if self.runs < 2 {
            return Err(ParamError::Invalid {
                name: "ais_runs",
                value: self.runs.to_string(),
                expected: "at least 2 runs (one gives no standard error)".into(),
            });
        }
        if self.betas < 2 {
            return Err(ParamError::Invalid {
                name: "ais_betas",
                value: self.betas.to_string(),
                expected: "at least 2 temperatures (0 and 1)".into(),
            });
        }
        Ok(())
    }

    /// The inverse temperatures, increasing from 0 to 1.
    pub fn schedule(&self) -> Vec<f64> {
        let n = self.betas.max(2);
        let n1 = ((n as f64 * 500.0 / 14500.0).round() as usize).max(1);
        let n2 = (n as f64 * 4000.0 / 14500.0).round() as usize;
        let n3 = n.saturating_sub(n1 + n2).max(1);
        let mut b = Vec::with_capacity(n1 + n2 + n3);
        let seg = |b: &mut Vec<f64>, lo: f64, hi: f64, m: usize, inclusive: bool| {
            let d = if inclusive { m.max(2) - 1 } else { m } as f64;
            for i in 0..m {
                b.push(lo + (hi - lo) * i as f64 / d);
            }
        };
        if n1 + n2 + n3 <= 3 || n < 8 {
            return (0..n).map(|i| i as f64 / (n - 1) as f64).collect();
        }
        seg(&mut b, 0.0, 0.5, n1, false);
        seg(&mut b, 0.5, 0.9, n2, false);
        seg(&mut b, 0.9, 1.0, n3, true);
        if let Some(l) = b.last_mut() {
            *l = 1.0;
        }
        b
    }
}

/// How a log Z was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LogZMethod {
    /// Enumeration of every state of the smaller layer.
    Exact,
    /// Annealed importance sampling.
    Ais {
        /// Runs.
        runs: usize,
        /// Inverse temperatures.
        betas: usize,
    },
}

/// A log partition function, exact or estimated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogZ {
    /// log Z (nats).
    pub log_z: f64,
    /// Standard error of `log_z` (0 when exact).
    pub stderr: f64,
    /// How it was obtained.
    pub method: LogZMethod,
    /// log Z of the base-rate model (AIS).
    pub log_z_base: Option<f64>,
    /// The log importance weights of the runs (AIS).
    pub log_weights: Vec<f64>,
}

impl LogZ {
    /// Whether `log_z` is exact.
    pub fn is_exact(&self) -> bool {
        self.method == LogZMethod::Exact
    }
}

fn softplus64(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
}

fn logsumexp(v: &[f64]) -> f64 {
    let m = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return m;
    }
    m + v.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
}

impl Rbm {
    /// The exact log partition function, by enumerating every state of the smaller layer (of
    /// the hidden layer for Gaussian visible units) in double precision; an error when that
    /// layer has more than [`MAX_EXACT_UNITS`] units.
    pub fn exact_log_z(&self) -> Result<LogZ> {
        let (w, b, c, var) = self.parameters();
        let w = w.mapv(f64::from);
        let b = b.mapv(f64::from);
        let c = c.mapv(f64::from);
        let (nv, nh) = w.dim();
        let gaussian = var.is_some();
        let enum_units = if gaussian { nh } else { nv.min(nh) };
        if enum_units > MAX_EXACT_UNITS {
            return Err(NetworkError::TooLarge {
                what: "the exact partition function of this RBM".into(),
                size: 2f64.powi(enum_units as i32),
                limit: 1 << MAX_EXACT_UNITS,
                hint: "; use annealed importance sampling (AIS) instead".into(),
            }
            .into());
        }
        let log_z = if let Some(var) = var {
            let var = var.mapv(f64::from);
            // Σₕ e^{cᵀh} Πᵢ √(2πσᵢ²) exp(((bᵢ + (Wh)ᵢ)² − bᵢ²)/(2σᵢ²))
            let konst: f64 = var
                .iter()
                .map(|s| 0.5 * (2.0 * std::f64::consts::PI * s).ln())
                .sum();
            let terms = gray_enumerate(&w.view(), &c, &b, |act, lin| {
                lin + act
                    .iter()
                    .zip(b.iter())
                    .zip(var.iter())
                    .map(|((m, bi), s)| (m * m - bi * bi) / (2.0 * s))
                    .sum::<f64>()
            });
            konst + logsumexp(&terms)
        } else if nh <= nv {
            // Σₕ e^{cᵀh} Πᵢ (1 + e^{bᵢ + (Wh)ᵢ})
            let terms = gray_enumerate(&w.view(), &c, &b, |act, lin| {
                lin + act.iter().map(|a| softplus64(*a)).sum::<f64>()
            });
            logsumexp(&terms)
        } else {
            // Σᵥ e^{bᵀv} Πⱼ (1 + e^{cⱼ + (vᵀW)ⱼ})
            let terms = gray_enumerate(&w.t(), &b, &c, |act, lin| {
                lin + act.iter().map(|a| softplus64(*a)).sum::<f64>()
            });
            logsumexp(&terms)
        };
        Ok(LogZ {
            log_z,
            stderr: 0.0,
            method: LogZMethod::Exact,
            log_z_base: None,
            log_weights: Vec::new(),
        })
    }

    /// Estimates log Z by annealed importance sampling from the base-rate model of `base_data`
    /// (the training data, usually). Without data, the base-rate model of the training data
    /// kept in the fit report is used, or, for a model built from given weights, a base model
    /// with zero visible biases (Gaussian units: the model's own visible biases).
    pub fn ais_log_z(
        &self,
        base_data: Option<ArrayView2<'_, f32>>,
        params: &AisParams,
    ) -> Result<LogZ> {
        params.check()?;
        let base = match base_data {
            Some(x) => {
                self.check_data(x)?;
                Some(base_rate_biases(x, self.is_gaussian()))
            }
            None => self
                .report
                .as_ref()
                .map(|r| r.base_rate_biases.clone())
                .filter(|b| b.len() == self.n_visible()),
        };
        let base = base.or_else(|| self.is_gaussian().then(|| self.parameters().1.to_vec()));
        ais_net(&self.net(), self.n_hidden(), base, params)
    }

    /// log Z exactly when the model is small enough (≤ [`MAX_EXACT_UNITS`] units to
    /// enumerate), else by AIS.
    pub fn log_z(
        &self,
        base_data: Option<ArrayView2<'_, f32>>,
        params: &AisParams,
    ) -> Result<LogZ> {
        let enum_units = if self.is_gaussian() {
            self.n_hidden()
        } else {
            self.n_visible().min(self.n_hidden())
        };
        if enum_units <= MAX_EXACT_UNITS.min(16) {
            self.exact_log_z()
        } else {
            self.ais_log_z(base_data, params)
        }
    }
}

/// Enumerates the states `s` of a layer in Gray-code order, keeping the other layer's input
/// `act = bias_other + M s` and `lin = bias_s · s` up to date; `term(act, lin)` per state.
/// `m` is `other × s`.
fn gray_enumerate(
    m: &ndarray::ArrayView2<'_, f64>,
    bias_s: &Array1<f64>,
    bias_other: &Array1<f64>,
    term: impl Fn(&Array1<f64>, f64) -> f64,
) -> Vec<f64> {
    let ns = bias_s.len();
    let total = 1usize << ns;
    let mut act = bias_other.clone();
    let mut lin = 0.0;
    let mut state = vec![false; ns];
    let mut out = Vec::with_capacity(total);
    out.push(term(&act, lin));
    for g in 1..total {
        let j = g.trailing_zeros() as usize;
        state[j] = !state[j];
        let sign = if state[j] { 1.0 } else { -1.0 };
        act.scaled_add(sign, &m.column(j));
        lin += sign * bias_s[j];
        // Refresh now and then so rounding does not drift over a million updates.
        if g % 4096 == 0 {
            act = bias_other.clone();
            lin = 0.0;
            for (k, &on) in state.iter().enumerate() {
                if on {
                    act.scaled_add(1.0, &m.column(k));
                    lin += bias_s[k];
                }
            }
        }
        out.push(term(&act, lin));
    }
    out
}

/// AIS on the tensors of an RBM.
pub(crate) fn ais_net(
    net: &Net,
    nh: usize,
    base: Option<Vec<f32>>,
    params: &AisParams,
) -> Result<LogZ> {
    params.check()?;
    let dev = net.w.device();
    let nv = net.w.dims()[0];
    let r = params.runs;
    let mut rng: SeededRng = rng_from_seed(params.seed);
    let ba: Vec<f32> = base.unwrap_or_else(|| vec![0.0; nv]);
    let ba_t = row_tensor(&ba, &dev);
    // log Z of the base model (the hidden units contribute 2^H).
    let hidden = nh as f64 * std::f64::consts::LN_2;
    let log_z_a = match &net.var {
        Some(var) => {
            let v = to_vec(var.clone());
            v.iter()
                .map(|s| 0.5 * (2.0 * std::f64::consts::PI * *s as f64).ln())
                .sum::<f64>()
                + hidden
        }
        None => ba.iter().map(|&a| softplus64(a as f64)).sum::<f64>() + hidden,
    };
    let sample_v = |mean_in: Tensor<2>, rng: &mut SeededRng| -> Tensor<2> {
        match &net.var {
            Some(var) => mean_in + normal_tensor(rng, [r, nv], &dev) * var.clone().sqrt(),
            None => bernoulli(sigmoid(mean_in), rng),
        }
    };
    // v ~ the base model.
    let mut v = sample_v(ba_t.clone().repeat_dim(0, r), &mut rng);
    let betas = params.schedule();
    let mut log_w = vec![0f64; r];
    let mut acc = Tensor::<2>::zeros([r, 1], &dev);
    let flush = |acc: Tensor<2>, log_w: &mut Vec<f64>| {
        for (lw, a) in log_w.iter_mut().zip(to_vec(acc)) {
            *lw += a as f64;
        }
    };
    for k in 1..betas.len() {
        let (bp, bk) = (betas[k - 1] as f32, betas[k] as f32);
        let hin = net.hidden_input(v.clone());
        // log p*_{βk}(v) − log p*_{βp}(v): the visible terms change by (βk−βp)(target − base).
        let vis = match &net.var {
            Some(var) => {
                let da = v.clone() - ba_t.clone();
                let db = v.clone() - net.b.clone();
                ((da.clone() * da - db.clone() * db) / (var.clone() * 2.0)).sum_dim(1)
            }
            None => (v.clone() * (net.b.clone() - ba_t.clone())).sum_dim(1),
        };
        let hid = (softplus(hin.clone() * bk, 1.0) - softplus(hin.clone() * bp, 1.0)).sum_dim(1);
        acc = acc + vis * (bk - bp) + hid;
        if k % 256 == 0 {
            flush(acc, &mut log_w);
            acc = Tensor::zeros([r, 1], &dev);
        }
        if k + 1 < betas.len() {
            // One Gibbs transition that leaves p_{βk} invariant.
            let h = bernoulli(sigmoid(hin * bk), &mut rng);
            let top = h.matmul(net.w.clone().transpose()) + net.b.clone();
            let mean_in = ba_t.clone() * (1.0 - bk) + top * bk;
            v = sample_v(mean_in, &mut rng);
        }
    }
    flush(acc, &mut log_w);
    let lse = logsumexp(&log_w);
    let log_mean = lse - (r as f64).ln();
    let m = log_w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = log_w.iter().map(|l| (l - m).exp()).collect();
    let mean = w.iter().sum::<f64>() / r as f64;
    let var = w.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (r as f64 - 1.0);
    let stderr = var.sqrt() / (mean * (r as f64).sqrt());
    if !log_mean.is_finite() {
        return Err(crate::core::NumericalError::NonFiniteObjective {
            iteration: betas.len(),
            value: log_mean,
        }
        .into());
    }
    Ok(LogZ {
        log_z: log_z_a + log_mean,
        stderr,
        method: LogZMethod::Ais {
            runs: r,
            betas: betas.len(),
        },
        log_z_base: Some(log_z_a),
        log_weights: log_w,
    })
}

/// Every visible configuration of a small Bernoulli RBM with its exact probability, in binary
/// counting order (unit 0 is the least significant bit): for tests and small demonstrations.
pub fn exact_visible_distribution(rbm: &Rbm) -> Result<(Array2<f32>, Array1<f64>)> {
    let nv = rbm.n_visible();
    if rbm.is_gaussian() || nv > MAX_EXACT_UNITS {
        return Err(NetworkError::TooLarge {
            what: "the visible distribution of this RBM".into(),
            size: 2f64.powi(nv as i32),
            limit: 1 << MAX_EXACT_UNITS,
            hint: "; only small Bernoulli RBMs can be enumerated".into(),
        }
        .into());
    }
    let states = Array2::from_shape_fn((1 << nv, nv), |(s, i)| ((s >> i) & 1) as f32);
    let fe = rbm.free_energy(states.view())?;
    let lz = rbm.exact_log_z()?.log_z;
    Ok((states, fe.mapv(|f| (-f - lz).exp())))
}
