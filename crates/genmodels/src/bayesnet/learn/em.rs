//! Expectation–maximisation for the CPTs of a network of fixed structure, from data with
//! missing cells.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::bayesnet::data::{observed_cells, DiscreteData, MISSING};
use crate::bayesnet::inference::{normalized_network, JunctionTree};
use crate::bayesnet::network::{BayesNet, Cpt};
use crate::core::{
    check_iterations, DataError, Error, Flow, Monitor, NetworkError, ParamError, Result, Step,
};

/// Settings of parameter EM (Lauritzen, 1995): the structure stays, the CPTs are re-estimated
/// from the rows' observed cells.
///
/// * E-step: for every distinct row (identical rows are grouped and weighted by their count),
///   the junction tree is calibrated on the row's observed cells and the posterior of every
///   family (a variable and its parents) is added to the expected counts; a family whose
///   cells are all observed adds its count directly, and a complete row needs no inference.
///   Distinct rows are processed in parallel.
/// * M-step: θ(x | u) = (N(x, u) + α) / (N(u) + k α), with expected counts N, the variable's
///   k states and the Dirichlet pseudo-count α ≥ 0 added to every cell (α = 0 is maximum
///   likelihood, α > 0 the posterior mode under a symmetric Dirichlet(α + 1) prior, which keeps
///   every entry positive). A parent configuration with N(u) + k α = 0 (never seen, α = 0)
///   gets a uniform row.
///
/// With α = 0 the log-likelihood of the observed cells never decreases from one iteration to
/// the next; with α > 0 the monotone quantity is the log-likelihood plus the log prior, and the
/// log-likelihood itself may dip slightly. EM stops when the mean log-likelihood per row
/// changes by less than `tol`, or after `max_iter` iterations.
///
/// ```
/// use genmodels::bayesnet::learn::em::ParameterEm;
/// use genmodels::bayesnet::{BayesNet, Cpt, DiscreteData, Variable, MISSING};
/// use genmodels::core::Silent;
/// # fn main() -> genmodels::core::Result<()> {
/// let start = BayesNet::new(
///     vec![Variable::new("a", &["0", "1"]), Variable::new("b", &["0", "1"])],
///     vec![
///         Cpt { parents: vec![], values: vec![0.5, 0.5] },
///         Cpt { parents: vec![0], values: vec![0.5, 0.5, 0.5, 0.5] },
///     ],
/// )?;
/// let states = vec![vec!["0".to_string(), "1".to_string()]; 2];
/// let data = DiscreteData::new(
///     vec!["a".into(), "b".into()],
///     states,
///     vec![vec![0, 0, 1, MISSING, 1], vec![0, 1, 1, 1, MISSING]],
/// )?;
/// let fit = ParameterEm::new().tol(1e-10).max_iter(500).fit(&start, &data, &mut Silent)?;
/// let ll = &fit.log_likelihoods;
/// assert!(ll.windows(2).all(|w| w[1] >= w[0] - 1e-12));
/// assert!((fit.network.cpt(0).values.iter().sum::<f64>() - 1.0).abs() < 1e-12);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ParameterEm {
    alpha: f64,
    tol: f64,
    max_iter: usize,
}

impl Default for ParameterEm {
    /// α = 0, tol = 1e-6 (mean log-likelihood per row), at most 100 iterations.
    fn default() -> Self {
        Self {
            alpha: 0.0,
            tol: 1e-6,
            max_iter: 100,
        }
    }
}

/// What [`ParameterEm::fit`] returns.
#[derive(Debug, Clone)]
pub struct EmFit {
    /// The network with the fitted CPTs.
    pub network: BayesNet,
    /// The total log-likelihood of the observed cells: entry 0 under the initial CPTs, entry
    /// i after i M-steps; the last entry is that of `network`.
    pub log_likelihoods: Vec<f64>,
    /// Whether the change fell below `tol` before `max_iter` (or a monitor stop).
    pub converged: bool,
}

impl ParameterEm {
    /// The defaults (see [`Default`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// The Dirichlet pseudo-count added to every CPT cell (≥ 0).
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// Stop when the mean log-likelihood per row changes by less than this.
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    /// At most this many iterations (M-steps).
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// Runs EM from the CPTs of `init` on `data` (columns matched to the variables by name; a
    /// variable without a column is missing everywhere), reporting the mean log-likelihood per
    /// row of every iteration to `monitor` (which may stop early). A row of probability zero
    /// under `init` is an error naming it: give initial CPTs without those zeros.
    pub fn fit(
        &self,
        init: &BayesNet,
        data: &DiscreteData,
        monitor: &mut dyn Monitor,
    ) -> Result<EmFit> {
        check_iterations(self.max_iter, self.tol, 1)?;
        if !(self.alpha.is_finite() && self.alpha >= 0.0) {
            return Err(
                ParamError::invalid("alpha", self.alpha, "a finite pseudo-count >= 0").into(),
            );
        }
        let d = data.align_to(init, false, true)?;
        let n = d.n_rows();
        if n == 0 {
            return Err(DataError::Empty {
                what: "the data".into(),
            }
            .into());
        }
        // Distinct rows with their counts and first row number.
        let mut index: HashMap<Vec<u16>, usize> = HashMap::new();
        let mut rows: Vec<Row> = Vec::new();
        for i in 0..n {
            let r = d.row(i);
            match index.get(&r) {
                Some(&k) => rows[k].count += 1.0,
                None => {
                    index.insert(r.clone(), rows.len());
                    rows.push(Row {
                        cells: r,
                        count: 1.0,
                        first: i,
                    });
                }
            }
        }
        // Rows renormalised to sum to exactly 1, as inference assumes.
        let mut net = normalized_network(init)?.into_owned();
        let (mut counts, mut ll) = e_step(&net, &rows)?;
        let mut lls = vec![ll];
        let mut converged = false;
        for iteration in 1..=self.max_iter {
            net = m_step(&net, &counts, self.alpha)?;
            let (c, l) = e_step(&net, &rows)?;
            lls.push(l);
            let step = Step {
                run: 0,
                iteration,
                max_iterations: self.max_iter,
                objective: l / n as f64,
            };
            let flow = monitor.on_step(step);
            if flow == Flow::Cancel {
                return Err(step.interrupted());
            }
            let change = (l - ll).abs() / n as f64;
            counts = c;
            ll = l;
            if change < self.tol {
                converged = true;
                break;
            }
            if flow == Flow::Stop {
                break;
            }
        }
        Ok(EmFit {
            network: net,
            log_likelihoods: lls,
            converged,
        })
    }
}

struct Row {
    cells: Vec<u16>,
    count: f64,
    first: usize,
}

/// Expected counts per variable (laid out like its CPT) and the total log-likelihood.
fn e_step(net: &BayesNet, rows: &[Row]) -> Result<(Vec<Vec<f64>>, f64)> {
    let jt = JunctionTree::new(net)?;
    let nv = net.n_variables();
    let zero = || -> (Vec<Vec<f64>>, f64) {
        (
            (0..nv)
                .map(|v| vec![0.0; net.cpt(v).values.len()])
                .collect(),
            0.0,
        )
    };
    let parts: Vec<Result<(Vec<Vec<f64>>, f64)>> = rows
        .par_chunks(64)
        .map(|chunk| {
            let (mut counts, mut ll) = zero();
            let mut ev = Vec::with_capacity(nv);
            for row in chunk {
                let cells = &row.cells;
                let complete = cells.iter().all(|&c| c != MISSING);
                if complete {
                    let x: Vec<usize> = cells.iter().map(|&c| c as usize).collect();
                    let l = net.log_prob(&x);
                    if !l.is_finite() {
                        return Err(zero_row(net, row));
                    }
                    ll += row.count * l;
                    for (v, cv) in counts.iter_mut().enumerate() {
                        cv[cell_index(net, v, cells)] += row.count;
                    }
                    continue;
                }
                ev.clear();
                ev.extend(observed_cells(cells));
                let cal = match jt.calibrate(&ev) {
                    Ok(c) => c,
                    Err(Error::Network(NetworkError::ImpossibleEvidence { .. })) => {
                        return Err(zero_row(net, row))
                    }
                    Err(e) => return Err(e),
                };
                ll += row.count * cal.log_evidence();
                for (v, cv) in counts.iter_mut().enumerate() {
                    let observed =
                        cells[v] != MISSING && net.parents(v).iter().all(|&p| cells[p] != MISSING);
                    if observed {
                        cv[cell_index(net, v, cells)] += row.count;
                    } else {
                        cal.add_family_posterior(v, row.count, cv);
                    }
                }
            }
            Ok((counts, ll))
        })
        .collect();
    let (mut counts, mut ll) = zero();
    for p in parts {
        let (c, l) = p?;
        ll += l;
        for (a, b) in counts.iter_mut().zip(c) {
            for (x, y) in a.iter_mut().zip(b) {
                *x += y;
            }
        }
    }
    Ok((counts, ll))
}

/// The CPT cell of `v` selected by a row whose family of `v` is observed.
fn cell_index(net: &BayesNet, v: usize, cells: &[u16]) -> usize {
    let mut idx = 0;
    for &p in net.parents(v) {
        idx = idx * net.cardinality(p) + cells[p] as usize;
    }
    idx * net.cardinality(v) + cells[v] as usize
}

fn zero_row(net: &BayesNet, row: &Row) -> Error {
    let ev: Vec<(usize, usize)> = observed_cells(&row.cells).collect();
    NetworkError::Other(format!(
        "row {} ({}) has probability zero under the current CPTs, so EM cannot use it; start from CPTs without those zeros (or add a pseudo-count)",
        row.first + 1,
        net.describe_evidence(&ev)
    ))
    .into()
}

/// Normalised expected counts (plus α), uniform rows where nothing was counted.
fn m_step(net: &BayesNet, counts: &[Vec<f64>], alpha: f64) -> Result<BayesNet> {
    let cpts: Vec<Cpt> = (0..net.n_variables())
        .map(|v| {
            let k = net.cardinality(v);
            let mut values = counts[v].clone();
            for row in values.chunks_exact_mut(k) {
                let total: f64 = row.iter().sum::<f64>() + k as f64 * alpha;
                if total > 0.0 {
                    row.iter_mut().for_each(|x| *x = (*x + alpha) / total);
                } else {
                    row.fill(1.0 / k as f64);
                }
            }
            Cpt {
                parents: net.parents(v).to_vec(),
                values,
            }
        })
        .collect();
    net.with_cpts(cpts)
}
