//! The most probable explanation (MPE) and maximum a posteriori (MAP) assignments, by
//! max-product variable elimination with traceback.

use super::elimination::{run, traceback, Op, VariableElimination};
use super::order::{greedy, Graph};
use super::{check_evidence, check_targets, impossible, too_large};
use crate::bayesnet::factor::Factor;
use crate::bayesnet::network::{BayesNet, MAX_TABLE_ENTRIES};
use crate::core::Result;

/// The most probable explanation: the complete assignment x* (one state per variable, the
/// evidence included) maximising P(x) among those that agree with `evidence`, and
/// ln P(x*) — the log of the joint probability of that complete assignment, which is
/// ln P(x*_unobserved, evidence). Subtract ln P(evidence) (see
/// [`VariableElimination::log_probability_of_evidence`]) for the posterior
/// ln P(x*_unobserved | evidence). Ties go to the lowest state index found first.
///
/// Max-product variable elimination over all unobserved variables (weighted min-fill order,
/// every table rescaled to max 1) with traceback; the value is recomputed from the CPTs by
/// the chain rule (on the CPTs with rows renormalised to sum to 1, like all inference here).
///
/// ```
/// use genmodels::bayesnet::inference::mpe;
/// use genmodels::bayesnet::{BayesNet, Cpt, Variable};
/// # fn main() -> genmodels::core::Result<()> {
/// let net = BayesNet::new(
///     vec![Variable::new("a", &["0", "1"]), Variable::new("b", &["0", "1"])],
///     vec![
///         Cpt { parents: vec![], values: vec![0.6, 0.4] },
///         Cpt { parents: vec![0], values: vec![0.5, 0.5, 0.1, 0.9] },
///     ],
/// )?;
/// // Unconditionally a=1, b=1 (0.36) beats a=0, b=either (0.30).
/// let (x, logp) = mpe(&net, &[])?;
/// assert_eq!(x, vec![1, 1]);
/// assert!((logp - 0.36f64.ln()).abs() < 1e-12);
/// // Given b = 0: a = 0 (0.30 against 0.04).
/// let (x, logp) = mpe(&net, &[(1, 0)])?;
/// assert_eq!(x, vec![0, 0]);
/// assert!((logp - 0.3f64.ln()).abs() < 1e-12);
/// # Ok(()) }
/// ```
pub fn mpe(net: &BayesNet, evidence: &[(usize, usize)]) -> Result<(Vec<usize>, f64)> {
    VariableElimination::new(net).mpe(evidence)
}

/// The maximum a posteriori assignment of `targets` (in that order): the states x* maximising
/// P(targets = x*, evidence) with every other variable summed out, and ln P(targets = x*,
/// evidence). Sums out first, then maximises (a constrained elimination order, which can be
/// much larger than a plain query's). A target that is evidence takes its evidence state.
///
/// ```
/// use genmodels::bayesnet::inference::{map, mpe};
/// use genmodels::bayesnet::{BayesNet, Cpt, Variable};
/// # fn main() -> genmodels::core::Result<()> {
/// // a → b, a → c: the MAP state of `a` alone can differ from its state in the MPE.
/// let net = BayesNet::new(
///     vec![
///         Variable::new("a", &["0", "1"]),
///         Variable::new("b", &["0", "1"]),
///         Variable::new("c", &["0", "1"]),
///     ],
///     vec![
///         Cpt { parents: vec![], values: vec![0.4, 0.6] },
///         Cpt { parents: vec![0], values: vec![0.9, 0.1, 0.5, 0.5] },
///         Cpt { parents: vec![0], values: vec![0.9, 0.1, 0.5, 0.5] },
///     ],
/// )?;
/// let (x, _) = mpe(&net, &[])?; // 0.4·0.81 = 0.324 beats 0.6·0.25 = 0.15
/// assert_eq!(x, vec![0, 0, 0]);
/// let (a, logp) = map(&net, &[0], &[])?; // but P(a = 1) = 0.6
/// assert_eq!(a, vec![1]);
/// assert!((logp - 0.6f64.ln()).abs() < 1e-12);
/// # Ok(()) }
/// ```
pub fn map(
    net: &BayesNet,
    targets: &[usize],
    evidence: &[(usize, usize)],
) -> Result<(Vec<usize>, f64)> {
    VariableElimination::new(net).map(targets, evidence)
}

impl VariableElimination<'_> {
    /// [`mpe`] with this eliminator's prepared tables.
    pub fn mpe(&self, evidence: &[(usize, usize)]) -> Result<(Vec<usize>, f64)> {
        let net = self.network();
        let ev = check_evidence(net, evidence)?;
        let n = net.n_variables();
        let mut assignment = vec![usize::MAX; n];
        for &(v, s) in &ev {
            assignment[v] = s;
        }
        let factors: Vec<Factor> = self
            .cpt_factors()
            .iter()
            .map(|f| f.reduce_evidence(&ev))
            .collect();
        if factors
            .iter()
            .any(|f| f.vars().is_empty() && f.values()[0] <= 0.0)
        {
            return Err(impossible(net, &ev));
        }
        let mut graph = Graph::new(n);
        for f in &factors {
            graph.add_clique(f.vars());
        }
        let free: Vec<usize> = (0..n).filter(|&v| assignment[v] == usize::MAX).collect();
        let elim = greedy(graph, &free, &net.cardinalities(), None);
        if elim.max_size > MAX_TABLE_ENTRIES as f64 {
            return Err(too_large("max-product elimination", elim.max_size));
        }
        let out = run(factors, &elim.order, |_| Op::Max).ok_or_else(|| impossible(net, &ev))?;
        if out.factor.total() <= 0.0 {
            return Err(impossible(net, &ev));
        }
        traceback(&out.traces, &mut assignment);
        let logp = self.log_prob(&assignment);
        if !logp.is_finite() {
            return Err(impossible(net, &ev));
        }
        Ok((assignment, logp))
    }

    /// [`map`] with this eliminator's prepared tables.
    pub fn map(&self, targets: &[usize], evidence: &[(usize, usize)]) -> Result<(Vec<usize>, f64)> {
        let net = self.network();
        check_targets(net, targets)?;
        let ev = check_evidence(net, evidence)?;
        let n = net.n_variables();
        let mut assignment = vec![usize::MAX; n];
        for &(v, s) in &ev {
            assignment[v] = s;
        }
        let mut seeds: Vec<usize> = targets.to_vec();
        seeds.extend(ev.iter().map(|&(v, _)| v));
        let relevant = net.ancestral_set(&seeds);
        let mut phase = vec![0u8; n];
        for &t in targets {
            phase[t] = 1;
        }
        let mut factors = Vec::new();
        let mut graph = Graph::new(n);
        for v in (0..n).filter(|&v| relevant[v]) {
            let f = self.cpt_factors()[v].reduce_evidence(&ev);
            if f.vars().is_empty() && f.values()[0] <= 0.0 {
                return Err(impossible(net, &ev));
            }
            graph.add_clique(f.vars());
            factors.push(f);
        }
        let free: Vec<usize> = (0..n)
            .filter(|&v| relevant[v] && assignment[v] == usize::MAX)
            .collect();
        let elim = greedy(graph, &free, &net.cardinalities(), Some(&phase));
        if elim.max_size > MAX_TABLE_ENTRIES as f64 {
            return Err(too_large("MAP elimination", elim.max_size));
        }
        let out = run(factors, &elim.order, |v| {
            if phase[v] == 1 {
                Op::Max
            } else {
                Op::Sum
            }
        })
        .ok_or_else(|| impossible(net, &ev))?;
        let t = out.factor.total();
        if t <= 0.0 {
            return Err(impossible(net, &ev));
        }
        traceback(&out.traces, &mut assignment);
        let x: Vec<usize> = targets.iter().map(|&v| assignment[v]).collect();
        Ok((x, out.log_scale + t.ln()))
    }
}
