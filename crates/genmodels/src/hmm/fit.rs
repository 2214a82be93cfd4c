//! Baum-Welch: EM for HMMs over many sequences, parallel over sequences, with mergeable
//! statistics, typed choices of what to learn, Dirichlet priors, and topology kept.

use crate::core::ParamGuard;
use ndarray::{s, Array1, Array2, ArrayView2};
use rayon::prelude::*;

use super::model::Hmm;
use crate::core::data::Sequences;
use crate::core::{
    check_iterations, restart_rng, DataError, Flow, Monitor, NumericalError, ParamError, Result,
    SeededRng, Step, SufficientStats,
};
use crate::mixture::{Components, FitReport};

/// How the emissions of a fresh fit are initialised, per family.
pub trait EmissionInit: Clone + Send + Sync {
    /// The emission family this initialises.
    type Emission: Components;
    /// Rejects unusable settings.
    fn check(&self) -> std::result::Result<(), ParamError>;
    /// Initial emissions for `n_states` states from the observations (all sequences' rows).
    fn initial(
        &self,
        x: ArrayView2<'_, f64>,
        n_states: usize,
        rng: &mut SeededRng,
    ) -> Result<Self::Emission>;
    /// Checks that the data suit this family before anything is fitted.
    fn check_data(&self, x: ArrayView2<'_, f64>) -> Result<()>;
}

/// Which parameters Baum-Welch re-estimates (hmmlearn's `params`, typed). The others keep
/// their initial values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Learn {
    /// The start probabilities.
    pub start: bool,
    /// The transition matrix.
    pub transitions: bool,
    /// The emission parameters.
    pub emissions: bool,
}

impl Default for Learn {
    fn default() -> Self {
        Learn {
            start: true,
            transitions: true,
            emissions: true,
        }
    }
}

/// The shape of the hidden chain at initialisation; zero entries stay zero through EM.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Topology {
    /// Every state can follow every state (uniform start, random transitions).
    #[default]
    Ergodic,
    /// Left to right: start in state 0; from state i move only to i or i + 1.
    LeftRight,
    /// Given start probabilities and transition matrix (zeros are kept).
    Given(Array1<f64>, Array2<f64>),
}

/// Checked hyper-parameters of an HMM fit. Build with [`HmmParams::new`].
#[derive(Debug, Clone)]
pub struct HmmParams<I: EmissionInit> {
    n_states: usize,
    init: I,
    emission: Option<I::Emission>,
    topology: Topology,
    learn: Learn,
    start_prior: f64,
    trans_prior: f64,
    max_iter: usize,
    tol: f64,
    n_init: usize,
    seed: u64,
}

impl<I: EmissionInit> ParamGuard for HmmParams<I> {
    /// Rejects unusable hyper-parameters before any work is done.
    fn check(&self) -> std::result::Result<(), ParamError> {
        let bad =
            |name, value: String, expected: &str| Err(ParamError::invalid(name, value, expected));
        if self.n_states == 0 {
            return bad("n_states", "0".into(), "at least 1 state is needed");
        }
        check_iterations(self.max_iter, self.tol, self.n_init)?;
        for (name, a) in [
            ("start_prior", self.start_prior),
            ("trans_prior", self.trans_prior),
        ] {
            if !(a.is_finite() && a >= 1.0) {
                return bad(
                    name,
                    a.to_string(),
                    "a Dirichlet concentration >= 1 (1 means no prior)",
                );
            }
        }
        if let Topology::Given(p, a) = &self.topology {
            let s = self.n_states;
            if p.len() != s || a.dim() != (s, s) {
                return Err(ParamError::InitShape {
                    name: "topology",
                    found: format!("start [{}], transitions {:?}", p.len(), a.dim()),
                    expected: format!("start [{s}], transitions ({s}, {s})"),
                });
            }
            let probs = |v: ndarray::ArrayView1<'_, f64>| {
                crate::core::data::check_distribution(v, "").is_ok()
            };
            if !probs(p.view()) || !a.outer_iter().all(probs) {
                return bad(
                    "topology",
                    "given".into(),
                    "start and transition rows must be probabilities summing to 1",
                );
            }
        }
        if let Some(e) = &self.emission {
            if e.n_components() != self.n_states {
                return Err(ParamError::InitShape {
                    name: "emission",
                    found: format!("{} states", e.n_components()),
                    expected: format!("{} states", self.n_states),
                });
            }
        }
        self.init.check()
    }
}

impl<I: EmissionInit> HmmParams<I> {
    /// An HMM with `n_states` states whose emissions start from `init` (e.g. k-means for
    /// Gaussian emissions). Defaults as hmmlearn: 10 iterations, `tol` 1e-2 on the total
    /// log-likelihood, no priors, learn everything, one run, seed 0.
    pub fn new(n_states: usize, init: I) -> Self {
        HmmParams {
            n_states,
            init,
            emission: None,
            topology: Topology::Ergodic,
            learn: Learn::default(),
            start_prior: 1.0,
            trans_prior: 1.0,
            max_iter: 10,
            tol: 1e-2,
            n_init: 1,
            seed: 0,
        }
    }
    /// Start from these emission parameters instead of initialising them from the data.
    pub fn emission(mut self, e: I::Emission) -> Self {
        self.emission = Some(e);
        self
    }
    /// The chain's initial shape (default ergodic).
    pub fn topology(mut self, t: Topology) -> Self {
        self.topology = t;
        self
    }
    /// What to re-estimate (default everything).
    pub fn learn(mut self, l: Learn) -> Self {
        self.learn = l;
        self
    }
    /// Dirichlet concentration of the prior on the start probabilities (1 = none).
    pub fn start_prior(mut self, a: f64) -> Self {
        self.start_prior = a;
        self
    }
    /// Dirichlet concentration of the prior on each transition row (1 = none).
    pub fn trans_prior(mut self, a: f64) -> Self {
        self.trans_prior = a;
        self
    }
    /// Maximum Baum-Welch iterations (default 10).
    pub fn max_iter(mut self, n: usize) -> Self {
        self.max_iter = n;
        self
    }
    /// Stop when the total log-likelihood gains less than this (default 1e-2).
    pub fn tol(mut self, t: f64) -> Self {
        self.tol = t;
        self
    }
    /// Restarts from new random starts; the best final log-likelihood wins.
    pub fn n_init(mut self, n: usize) -> Self {
        self.n_init = n;
        self
    }
    /// Seed of every random step.
    pub fn seed(mut self, s: u64) -> Self {
        self.seed = s;
        self
    }

    fn initial(&self, data: &Sequences, run: usize) -> Result<Hmm<I::Emission>> {
        let s = self.n_states;
        let mut rng = restart_rng(self.seed, run);
        let (startprob, transmat) = match &self.topology {
            Topology::Given(p, a) => (p.clone(), a.clone()),
            Topology::Ergodic => {
                // Uniform start; transitions favour staying (a common, stable start) with a
                // random perturbation so restarts differ.
                let mut a = Array2::from_shape_fn((s, s), |(i, j)| {
                    let u: f64 = rand::Rng::random(&mut rng);
                    if i == j {
                        0.5 * s as f64
                    } else {
                        0.5 + u
                    }
                });
                for mut row in a.outer_iter_mut() {
                    let sum = row.sum();
                    row /= sum;
                }
                (Array1::from_elem(s, 1.0 / s as f64), a)
            }
            Topology::LeftRight => {
                let mut p = Array1::zeros(s);
                p[0] = 1.0;
                let a = Array2::from_shape_fn((s, s), |(i, j)| {
                    if i == s - 1 {
                        if j == i {
                            1.0
                        } else {
                            0.0
                        }
                    } else if j == i || j == i + 1 {
                        0.5
                    } else {
                        0.0
                    }
                });
                (p, a)
            }
        };
        let emission = match &self.emission {
            Some(e) => e.clone(),
            None => self.init.initial(data.x.view(), s, &mut rng)?,
        };
        Ok(Hmm {
            startprob,
            transmat,
            emission,
            report: None,
            feature_names: None,
            symbols: None,
        })
    }

    /// Fits by Baum-Welch, reporting each iteration (the objective is the total log-likelihood
    /// of all sequences) to `monitor`.
    pub fn fit_with(
        &self,
        data: &Sequences,
        monitor: &mut dyn Monitor,
    ) -> Result<Hmm<I::Emission>> {
        self.check()?;
        self.init.check_data(data.x.view())?;
        if let Some(e) = &self.emission {
            crate::core::data::check_columns(data.x.view(), e.n_features())?;
        }
        let (steps, s) = (data.x.nrows(), self.n_states);
        // Emissions started from the data need a row per state; checked before the S × S
        // transitions and the T × S posteriors are allocated.
        if self.emission.is_none() && steps < s {
            return Err(crate::core::DataError::TooFewRows {
                found: steps,
                needed: s,
                why: format!("an HMM of {s} states started from the data"),
            }
            .into());
        }
        // Forward, backward, posteriors and emission log-probabilities (T × S each), the
        // transitions and their expected counts (S × S, twice per thread of work).
        let threads = rayon::current_num_threads().max(1);
        crate::core::memory::check_memory(
            &format!("an HMM of {s} states over {steps} steps"),
            crate::core::memory::bytes_for(&[steps, s], 4 * 8)
                .saturating_add(crate::core::memory::bytes_for(&[s, s, threads + 2], 2 * 8)),
        )?;
        let deterministic = self.emission.is_some() && !matches!(self.topology, Topology::Ergodic);
        let n_init = if deterministic { 1 } else { self.n_init };
        let mut best: Option<(Hmm<I::Emission>, RunOutcome)> = None;
        let mut finals = Vec::new();
        for run in 0..n_init {
            let init = self.initial(data, run)?;
            let (model, outcome) = self.run(init, data, run, monitor)?;
            let last = *outcome.history.last().unwrap_or(&f64::NEG_INFINITY);
            finals.push(last);
            if best
                .as_ref()
                .is_none_or(|(_, b)| last > *b.history.last().unwrap_or(&f64::NEG_INFINITY))
            {
                best = Some((model, outcome));
            }
        }
        let (mut model, o) = best.expect("n_init >= 1");
        let best_run = finals
            .iter()
            .position(|v| *v == *o.history.last().unwrap_or(&f64::NAN))
            .unwrap_or(0);
        let mut warnings = o.warnings;
        if !o.converged {
            warnings.insert(
                0,
                format!(
                    "Baum-Welch did not converge in {} iterations; increase max_iter or tol",
                    o.history.len()
                ),
            );
        }
        model.report = Some(FitReport {
            n_iter: o.history.len(),
            converged: o.converged,
            lower_bound: *o.history.last().unwrap_or(&f64::NAN),
            lower_bounds: o.history,
            n_init,
            best_run,
            run_lower_bounds: finals,
            n_samples: data.x.nrows() as f64,
            warnings,
            selection: None,
        });
        Ok(model)
    }

    /// Fits silently.
    pub fn fit(&self, data: &Sequences) -> Result<Hmm<I::Emission>> {
        self.fit_with(data, &mut crate::core::Silent)
    }

    fn run(
        &self,
        mut model: Hmm<I::Emission>,
        data: &Sequences,
        run: usize,
        monitor: &mut dyn Monitor,
    ) -> Result<(Hmm<I::Emission>, RunOutcome)> {
        let mut history = Vec::new();
        let mut warnings: Vec<String> = Vec::new();
        let mut converged = false;
        for iteration in 1..=self.max_iter {
            let st = e_step(&model, data)?;
            if !st.log_likelihood.is_finite() {
                return Err(NumericalError::NonFiniteObjective {
                    iteration,
                    value: st.log_likelihood,
                }
                .into());
            }
            history.push(st.log_likelihood);
            model = self.m_step(&model, st, &mut warnings)?;
            let step = Step {
                run,
                iteration,
                max_iterations: self.max_iter,
                objective: history[history.len() - 1],
            };
            let flow = monitor.on_step(step);
            if flow == Flow::Cancel {
                return Err(step.interrupted());
            }
            let n = history.len();
            if n >= 2 && history[n - 1] - history[n - 2] < self.tol {
                converged = true;
                break;
            }
            if flow == Flow::Stop {
                warnings.push(format!(
                    "stopped by the caller after {iteration} iterations"
                ));
                break;
            }
        }
        Ok((
            model,
            RunOutcome {
                history,
                converged,
                warnings,
            },
        ))
    }

    fn m_step(
        &self,
        model: &Hmm<I::Emission>,
        st: HmmStats<<I::Emission as Components>::Stats>,
        warnings: &mut Vec<String>,
    ) -> Result<Hmm<I::Emission>> {
        let s = model.n_states();
        let mut next = model.clone();
        // Dirichlet MAP: counts + (α − 1) on the entries the model allows (zeros stay zero).
        let dirichlet = |counts: ndarray::ArrayView1<'_, f64>,
                         prev: ndarray::ArrayView1<'_, f64>,
                         alpha: f64|
         -> Option<Array1<f64>> {
            let v: Array1<f64> = counts
                .iter()
                .zip(prev.iter())
                .map(|(c, p)| {
                    if *p > 0.0 {
                        (c + alpha - 1.0).max(0.0)
                    } else {
                        0.0
                    }
                })
                .collect();
            let sum = v.sum();
            (sum > 0.0).then(|| v / sum)
        };
        if self.learn.start {
            if let Some(p) = dirichlet(st.start.view(), model.startprob.view(), self.start_prior) {
                next.startprob = p;
            }
        }
        if self.learn.transitions {
            for i in 0..s {
                match dirichlet(st.trans.row(i), model.transmat.row(i), self.trans_prior) {
                    Some(row) => next.transmat.row_mut(i).assign(&row),
                    // An absorbing state (a_ii = 1) has nothing to estimate.
                    None if model.transmat[[i, i]] >= 1.0 => {}
                    None => push_once(
                        warnings,
                        format!("state {i} was never left in some iteration; its transition row was kept"),
                    ),
                }
            }
        }
        if self.learn.emissions {
            let nk = st.occupancy.mapv(|v| v + 10.0 * f64::EPSILON);
            let (e, empty) = model.emission.m_step(&nk, &st.emission)?;
            for k in empty {
                push_once(
                    warnings,
                    format!("state {k} was never visited in some iteration; its emission parameters were kept"),
                );
            }
            next.emission = e;
        }
        Ok(next)
    }
}

fn push_once(warnings: &mut Vec<String>, w: String) {
    if !warnings.contains(&w) {
        warnings.push(w);
    }
}

struct RunOutcome {
    history: Vec<f64>,
    converged: bool,
    warnings: Vec<String>,
}

/// Expected counts from one E-step over some sequences; merges across sequences.
#[derive(Debug, Clone)]
pub(crate) struct HmmStats<S> {
    pub log_likelihood: f64,
    pub start: Array1<f64>,
    pub trans: Array2<f64>,
    pub occupancy: Array1<f64>,
    pub emission: S,
}

impl<S: SufficientStats> SufficientStats for HmmStats<S> {
    fn merge(&mut self, other: Self) {
        self.log_likelihood += other.log_likelihood;
        self.start += &other.start;
        self.trans += &other.trans;
        self.occupancy += &other.occupancy;
        self.emission.merge(other.emission);
    }
}

/// The E-step over every sequence, in parallel; statistics merge in sequence order so the
/// result does not depend on thread scheduling.
pub(crate) fn e_step<E: Components>(
    model: &Hmm<E>,
    data: &Sequences,
) -> Result<HmmStats<E::Stats>> {
    let ranges = data.ranges();
    let parts: Vec<Result<HmmStats<E::Stats>>> = ranges
        .into_par_iter()
        .enumerate()
        .map(|(i, r)| {
            let first = r.start;
            let x = data.x.slice(s![r, ..]);
            let (p, scratch) = model.posteriors_unchecked(x, i, first)?;
            let mut emission = model.emission.empty_stats();
            model
                .emission
                .accumulate(x, p.gamma.view(), Some(scratch), &mut emission);
            Ok(HmmStats {
                log_likelihood: p.log_likelihood,
                start: p.gamma.row(0).to_owned(),
                trans: p.xi_sum,
                occupancy: crate::core::numerics::column_sums(p.gamma.view()),
                emission,
            })
        })
        .collect();
    let mut it = parts.into_iter();
    let mut acc = it
        .next()
        .ok_or_else(|| DataError::Other("no sequences".into()))??;
    for p in it {
        acc.merge(p?);
    }
    Ok(acc)
}

impl<I: EmissionInit> crate::core::Fit<Sequences> for HmmParams<I> {
    type Model = Hmm<I::Emission>;
    fn fit_with(&self, data: &Sequences, monitor: &mut dyn Monitor) -> Result<Hmm<I::Emission>> {
        HmmParams::fit_with(self, data, monitor)
    }
}
