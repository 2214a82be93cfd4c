//! The EM driver shared by every mixture family: chunked parallel E-step, mergeable statistics,
//! convergence, restarts.

use ndarray::{s, Array1, Array2, ArrayView1, ArrayView2};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::model::{Components, Mixture};
use super::selection::SelectionRow;
use crate::core::{
    check_iterations, restart_rng, DataError, Flow, Monitor, NumericalError, ParamError, Result,
    SeededRng, Step, SufficientStats,
};

/// Rows per chunk of the parallel E-step. Large enough that matrix products run at full
/// speed, small enough that responsibilities of a chunk stay in cache.
pub(crate) const CHUNK_ROWS: usize = 2048;

/// The settings every mixture fit shares, checked in one place.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EmSettings {
    pub n_components: usize,
    pub max_iter: usize,
    pub tol: f64,
    pub n_init: usize,
    pub seed: u64,
}

impl EmSettings {
    /// scikit-learn's defaults: 100 iterations, tol 1e-3, one run, seed 0.
    pub(crate) fn new(n_components: usize) -> Self {
        EmSettings {
            n_components,
            max_iter: 100,
            tol: 1e-3,
            n_init: 1,
            seed: 0,
        }
    }

    /// Rejects unusable settings before any work is done.
    pub(crate) fn check(&self) -> std::result::Result<(), ParamError> {
        let invalid =
            |name, value: String, expected: &str| Err(ParamError::invalid(name, value, expected));
        if self.n_components == 0 {
            return invalid("n_components", "0".into(), "at least 1 component is needed");
        }
        check_iterations(self.max_iter, self.tol, self.n_init)
    }

    /// A mixture needs at least one row per component.
    pub(crate) fn check_rows(&self, n: usize) -> std::result::Result<(), DataError> {
        if n < self.n_components {
            return Err(DataError::TooFewRows {
                found: n,
                needed: self.n_components,
                why: format!("a mixture of {} components", self.n_components),
            });
        }
        Ok(())
    }

    /// The random stream of restart `run`: independent per restart, so restarts really
    /// re-initialise, and fixed by the seed.
    pub(crate) fn rng(&self, run: usize) -> SeededRng {
        restart_rng(self.seed, run)
    }
}

/// The builder methods of [`EmSettings`], for a hyper-parameter struct with an `em` field.
macro_rules! em_builder_methods {
    () => {
        /// Maximum EM iterations per run (default 100).
        pub fn max_iter(mut self, n: usize) -> Self {
            self.em.max_iter = n;
            self
        }
        /// Convergence threshold on the change of the mean log-likelihood per row (default 1e-3).
        pub fn tol(mut self, tol: f64) -> Self {
            self.em.tol = tol;
            self
        }
        /// Number of restarts, each from a new initialisation; the best final objective wins
        /// (default 1).
        pub fn n_init(mut self, n: usize) -> Self {
            self.em.n_init = n;
            self
        }
        /// Seed of every random step (default 0): the same seed gives the same model.
        pub fn seed(mut self, seed: u64) -> Self {
            self.em.seed = seed;
            self
        }
    };
}
pub(crate) use em_builder_methods;

/// How a fit went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    /// Iterations of the best run.
    pub n_iter: usize,
    /// Whether the best run met the tolerance.
    pub converged: bool,
    /// The objective of the best run's last iteration (mean log-likelihood, scikit-learn's
    /// `lower_bound_`).
    #[serde(with = "crate::core::serde_nan")]
    pub lower_bound: f64,
    /// The objective at every iteration of the best run.
    #[serde(with = "crate::core::serde_nan::vec")]
    pub lower_bounds: Vec<f64>,
    /// Restarts made.
    pub n_init: usize,
    /// Which restart gave the model (0-based).
    pub best_run: usize,
    /// The final objective of every restart (NaN for a restart that failed).
    #[serde(with = "crate::core::serde_nan::vec")]
    pub run_lower_bounds: Vec<f64>,
    /// Rows seen (sum of sample weights when weights were given).
    pub n_samples: f64,
    /// Things the user should know: non-convergence, components that lost all their data.
    pub warnings: Vec<String>,
    /// When the number of components was chosen by a criterion: the whole table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selection: Option<Vec<SelectionRow>>,
}

/// What one E-step pass produces.
#[derive(Debug, Clone)]
pub(crate) struct EmStats<S> {
    pub nk: Array1<f64>,
    pub ll_sum: f64,
    pub w_sum: f64,
    pub inner: S,
}

impl<S: SufficientStats> SufficientStats for EmStats<S> {
    fn merge(&mut self, other: Self) {
        self.nk += &other.nk;
        self.ll_sum += other.ll_sum;
        self.w_sum += other.w_sum;
        self.inner.merge(other.inner);
    }
}

/// A source of data that EM passes over once per iteration.
pub(crate) trait Passes {
    /// One E-step over all the data with the given model.
    fn pass<C: Components>(&mut self, model: &Mixture<C>) -> Result<EmStats<C::Stats>>;
}

/// Data held in memory, with optional sample weights.
pub(crate) struct InMemory<'a> {
    pub x: ArrayView2<'a, f64>,
    pub w: Option<ArrayView1<'a, f64>>,
}

/// The parallel E-step over row chunks; statistics are merged in chunk order so the result is
/// the same bit for bit whatever the thread scheduling.
pub(crate) fn e_step<C: Components>(
    model: &Mixture<C>,
    x: ArrayView2<'_, f64>,
    w: Option<ArrayView1<'_, f64>>,
) -> EmStats<C::Stats> {
    let n = x.nrows();
    let n_chunks = n.div_ceil(CHUNK_ROWS).max(1);
    let parts: Vec<EmStats<C::Stats>> = (0..n_chunks)
        .into_par_iter()
        .map(|c| {
            let a = c * CHUNK_ROWS;
            let b = ((c + 1) * CHUNK_ROWS).min(n);
            model.e_step_chunk(x.slice(s![a..b, ..]), w.map(|w| w.slice_move(s![a..b])))
        })
        .collect();
    let mut it = parts.into_iter();
    let mut acc = it.next().expect("at least one chunk");
    for p in it {
        acc.merge(p);
    }
    acc
}

impl Passes for InMemory<'_> {
    fn pass<C: Components>(&mut self, model: &Mixture<C>) -> Result<EmStats<C::Stats>> {
        Ok(e_step(model, self.x, self.w))
    }
}

/// Data streamed in chunks: `make` starts a new pass over the data each time it is called.
pub(crate) struct Streamed<F> {
    pub make: F,
}

impl<F, I> Passes for Streamed<F>
where
    F: FnMut() -> I,
    I: Iterator<Item = Result<Array2<f64>>>,
{
    fn pass<C: Components>(&mut self, model: &Mixture<C>) -> Result<EmStats<C::Stats>> {
        let mut acc: Option<EmStats<C::Stats>> = None;
        for chunk in (self.make)() {
            let chunk = chunk?;
            if chunk.nrows() == 0 {
                continue;
            }
            model.check_input(chunk.view())?;
            let st = e_step(model, chunk.view(), None);
            match acc.as_mut() {
                Some(a) => a.merge(st),
                None => acc = Some(st),
            }
        }
        acc.ok_or_else(|| {
            crate::core::DataError::Empty {
                what: "the chunk stream".into(),
            }
            .into()
        })
    }
}

/// The outcome of one EM run.
pub(crate) struct RunOutcome<C> {
    pub model: Mixture<C>,
    pub lower_bounds: Vec<f64>,
    pub converged: bool,
    pub n_samples: f64,
    pub warnings: Vec<String>,
}

/// Runs EM from `init` until `|Δ objective| < tol` or `max_iter` iterations.
pub(crate) fn run_em<C: Components, P: Passes>(
    init: Mixture<C>,
    data: &mut P,
    max_iter: usize,
    tol: f64,
    run: usize,
    monitor: &mut dyn Monitor,
) -> Result<RunOutcome<C>> {
    let mut model = init;
    let mut prev = f64::NEG_INFINITY;
    let mut lower_bounds = Vec::new();
    let mut converged = false;
    let mut warnings = Vec::new();
    let mut n_samples = 0.0;
    for iteration in 1..=max_iter {
        let st = data.pass(&model)?;
        n_samples = st.w_sum;
        let lb = st.ll_sum / st.w_sum;
        if !lb.is_finite() {
            return Err(NumericalError::NonFiniteObjective {
                iteration,
                value: lb,
            }
            .into());
        }
        // scikit-learn adds 10·eps to every soft count so that an empty component divides by a
        // tiny number, not zero; we do the same (and the M-step keeps such a component's
        // previous parameters instead of dividing at all).
        let nk = st.nk.mapv(|v| v + 10.0 * f64::EPSILON);
        let (components, empty) = model.components.m_step(&nk, &st.inner)?;
        for k in empty {
            warnings.push(format!(
                "component {k} received no data at iteration {iteration}; its previous parameters were kept"
            ));
        }
        let weights = &nk / nk.sum();
        model = Mixture {
            weights,
            components,
            report: None,
            feature_names: None,
        };
        lower_bounds.push(lb);
        let step = Step {
            run,
            iteration,
            max_iterations: max_iter,
            objective: lb,
        };
        let flow = monitor.on_step(step);
        if flow == Flow::Cancel {
            return Err(step.interrupted());
        }
        if (lb - prev).abs() < tol {
            converged = true;
            break;
        }
        prev = lb;
        if flow == Flow::Stop {
            warnings.push(format!(
                "stopped by the caller after {iteration} iterations"
            ));
            break;
        }
    }
    Ok(RunOutcome {
        model,
        lower_bounds,
        converged,
        n_samples,
        warnings,
    })
}

/// Runs `n_init` EM runs from the initialisations `init(run)` and keeps the one with the best
/// final objective, attaching a [`FitReport`].
pub(crate) fn best_of_runs<C: Components, P: Passes>(
    n_init: usize,
    mut init: impl FnMut(usize) -> Result<Mixture<C>>,
    data: &mut P,
    max_iter: usize,
    tol: f64,
    monitor: &mut dyn Monitor,
) -> Result<Mixture<C>> {
    let mut best: Option<(usize, RunOutcome<C>)> = None;
    let mut finals = Vec::with_capacity(n_init);
    let mut last_err = None;
    for run in 0..n_init {
        let outcome = init(run).and_then(|m| run_em(m, data, max_iter, tol, run, monitor));
        let outcome = match outcome {
            Ok(o) => o,
            // A restart that fails numerically is skipped if another one succeeds.
            Err(e @ crate::core::Error::Numerical(_)) if n_init > 1 => {
                finals.push(f64::NAN);
                last_err = Some(e);
                continue;
            }
            Err(e) => return Err(e),
        };
        let lb = *outcome.lower_bounds.last().unwrap_or(&f64::NEG_INFINITY);
        finals.push(lb);
        let better = match &best {
            None => true,
            Some((_, b)) => lb > *b.lower_bounds.last().unwrap_or(&f64::NEG_INFINITY),
        };
        if better {
            best = Some((run, outcome));
        }
    }
    let Some((best_run, o)) = best else {
        return Err(last_err.expect("n_init >= 1, so a run either succeeded or failed"));
    };
    let mut warnings = o.warnings;
    if !o.converged {
        warnings.insert(
            0,
            format!(
                "EM did not converge in {} iterations (last change in the objective above tol); increase max_iter or tol",
                o.lower_bounds.len()
            ),
        );
    }
    let failed = finals.iter().filter(|v| v.is_nan()).count();
    if failed > 0 {
        warnings.push(format!(
            "{failed} of {n_init} restarts failed numerically and were skipped"
        ));
    }
    let mut model = o.model;
    model.report = Some(FitReport {
        n_iter: o.lower_bounds.len(),
        converged: o.converged,
        lower_bound: *o.lower_bounds.last().unwrap_or(&f64::NAN),
        lower_bounds: o.lower_bounds,
        n_init,
        best_run,
        run_lower_bounds: finals,
        n_samples: o.n_samples,
        warnings,
        selection: None,
    });
    Ok(model)
}
