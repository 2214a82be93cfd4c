//! Variable elimination: one query at a time, on the part of the network the query needs.

use super::order::{greedy, Graph};
use super::{check_evidence, check_targets, impossible, too_large};
use crate::bayesnet::factor::Factor;
use crate::bayesnet::network::{BayesNet, MAX_TABLE_ENTRIES};
use crate::core::{NetworkError, Result};

/// How a variable leaves the factors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// Summed out (marginals, probability of evidence).
    Sum,
    /// Maximised out (MPE, MAP), remembering the arg max.
    Max,
}

/// The product of `factors`, with `v` (when given) summed or maximised out, computed without
/// building the product table: one pass over the output, `v` innermost. For [`Op::Max`] the
/// second value is the arg max of `v` at each output entry (empty for [`Op::Sum`]).
pub(crate) fn combine(factors: &[&Factor], v: Option<usize>, op: Op) -> (Factor, Vec<u32>) {
    let mut vars: Vec<usize> = Vec::new();
    let mut cards: Vec<usize> = Vec::new();
    let mut kv = 1;
    for f in factors {
        for (k, &u) in f.vars().iter().enumerate() {
            if Some(u) == v {
                kv = f.cards()[k];
            } else if !vars.contains(&u) {
                vars.push(u);
                cards.push(f.cards()[k]);
            }
        }
    }
    let nf = factors.len();
    let m = vars.len();
    // strides[d * nf + f]: stride of output dimension d in factor f; vs[f]: stride of v.
    let mut strides = vec![0usize; m * nf];
    let mut vs = vec![0usize; nf];
    for (fi, f) in factors.iter().enumerate() {
        let st = f.strides();
        for (k, &u) in f.vars().iter().enumerate() {
            if Some(u) == v {
                vs[fi] = st[k];
            } else {
                let d = vars.iter().position(|&w| w == u).expect("in the union");
                strides[d * nf + fi] = st[k];
            }
        }
    }
    let data: Vec<&[f64]> = factors.iter().map(|f| f.values()).collect();
    let n_out: usize = cards.iter().product();
    let mut values = Vec::with_capacity(n_out);
    let mut arg = Vec::new();
    if op == Op::Max {
        arg.reserve(n_out);
    }
    let mut offs = vec![0usize; nf];
    let mut counter = vec![0usize; m];
    for _ in 0..n_out {
        match op {
            Op::Sum => {
                let mut acc = 0.0;
                for x in 0..kv {
                    let mut p = 1.0;
                    for f in 0..nf {
                        p *= data[f][offs[f] + x * vs[f]];
                    }
                    acc += p;
                }
                values.push(acc);
            }
            Op::Max => {
                let (mut acc, mut best) = (-1.0, 0u32);
                for x in 0..kv {
                    let mut p = 1.0;
                    for f in 0..nf {
                        p *= data[f][offs[f] + x * vs[f]];
                    }
                    if p > acc {
                        acc = p;
                        best = x as u32;
                    }
                }
                values.push(acc);
                arg.push(best);
            }
        }
        for d in (0..m).rev() {
            counter[d] += 1;
            let row = &strides[d * nf..(d + 1) * nf];
            if counter[d] == cards[d] {
                counter[d] = 0;
                for f in 0..nf {
                    offs[f] -= (cards[d] - 1) * row[f];
                }
            } else {
                for f in 0..nf {
                    offs[f] += row[f];
                }
                break;
            }
        }
    }
    (Factor::from_parts(vars, cards, values), arg)
}

/// The arg max table left by maximising out one variable: `arg[index of scope]`.
pub(crate) struct Trace {
    pub var: usize,
    pub scope: Vec<usize>,
    pub cards: Vec<usize>,
    pub arg: Vec<u32>,
}

/// What running an elimination leaves: the product of the remaining factors and the log of the
/// constants divided out along the way (value = exp(log_scale) × factor).
pub(crate) struct Outcome {
    pub factor: Factor,
    pub log_scale: f64,
    pub traces: Vec<Trace>,
}

/// Eliminates the variables of `order` from `factors` (`op(v)` says how), rescaling every new
/// factor (to sum 1 for sums, max 1 for maxima) so that nothing underflows. `None` when a
/// factor became identically zero: the evidence behind the factors is impossible.
pub(crate) fn run(
    mut factors: Vec<Factor>,
    order: &[usize],
    op: impl Fn(usize) -> Op,
) -> Option<Outcome> {
    let mut log_scale = 0.0;
    let mut traces = Vec::new();
    for &v in order {
        let (with, without): (Vec<Factor>, Vec<Factor>) =
            factors.into_iter().partition(|f| f.contains(v));
        factors = without;
        if with.is_empty() {
            continue;
        }
        let refs: Vec<&Factor> = with.iter().collect();
        let o = op(v);
        let (mut f, arg) = combine(&refs, Some(v), o);
        let z = match o {
            Op::Sum => f.total(),
            Op::Max => f.values().iter().copied().fold(0.0, f64::max),
        };
        if z <= 0.0 || !z.is_finite() {
            return None;
        }
        let inv = 1.0 / z;
        f.values_mut().iter_mut().for_each(|x| *x *= inv);
        log_scale += z.ln();
        if o == Op::Max {
            traces.push(Trace {
                var: v,
                scope: f.vars().to_vec(),
                cards: f.cards().to_vec(),
                arg,
            });
        }
        if f.vars().is_empty() {
            // A constant: already folded into the scale.
            continue;
        }
        factors.push(f);
    }
    let refs: Vec<&Factor> = factors.iter().collect();
    let (factor, _) = combine(&refs, None, Op::Sum);
    Some(Outcome {
        factor,
        log_scale,
        traces,
    })
}

/// Fills `assignment` for the traced variables, last eliminated first.
pub(crate) fn traceback(traces: &[Trace], assignment: &mut [usize]) {
    for t in traces.iter().rev() {
        let mut idx = 0;
        for (k, &u) in t.scope.iter().enumerate() {
            idx = idx * t.cards[k] + assignment[u];
        }
        assignment[t.var] = t.arg[idx] as usize;
    }
}

/// Exact inference one query at a time by variable elimination (Zhang & Poole, 1994).
///
/// Each query works only on what it needs: the ancestors of the targets and the evidence
/// (barren nodes are dropped), with the evidence fixed in every table (which cuts the edges
/// out of evidence nodes), and without the connected pieces that are then independent of the
/// targets (d-separated by the evidence) when their tables are strictly positive, so that they
/// cannot make the evidence impossible. The variables are eliminated in a greedy weighted
/// min-fill order (fill edges weighted by the product of the two cardinalities, ties broken by
/// the smaller table), computed per query; every intermediate table is rescaled, so
/// probabilities of evidence far below `f64::MIN_POSITIVE` still come out (in logs).
///
/// ```
/// use genmodels::bayesnet::inference::VariableElimination;
/// use genmodels::bayesnet::{BayesNet, Cpt, Variable};
/// # fn main() -> genmodels::core::Result<()> {
/// let net = BayesNet::new(
///     vec![
///         Variable::new("rain", &["yes", "no"]),
///         Variable::new("sprinkler", &["on", "off"]),
///         Variable::new("wet", &["yes", "no"]),
///     ],
///     vec![
///         Cpt { parents: vec![], values: vec![0.2, 0.8] },
///         Cpt { parents: vec![0], values: vec![0.01, 0.99, 0.4, 0.6] },
///         Cpt { parents: vec![0, 1], values: vec![0.99, 0.01, 0.8, 0.2, 0.9, 0.1, 0.0, 1.0] },
///     ],
/// )?;
/// let ve = VariableElimination::new(&net);
/// // P(rain | wet = yes)
/// let evidence = net.evidence(&[("wet", "yes")])?;
/// let p = ve.marginal(0, &evidence)?;
/// let joint = |r: f64, s_on: f64| r * (s_on * if r == 0.2 { 0.99 } else { 0.9 }
///     + (1.0 - s_on) * if r == 0.2 { 0.8 } else { 0.0 });
/// let (yes, no) = (joint(0.2, 0.01), joint(0.8, 0.4));
/// assert!((p[0] - yes / (yes + no)).abs() < 1e-12);
/// // The joint posterior over (sprinkler, rain), in that order.
/// let f = ve.query(&[1, 0], &evidence)?;
/// assert_eq!(f.vars(), &[1, 0]);
/// assert!((f.total() - 1.0).abs() < 1e-12);
/// assert!((ve.probability_of_evidence(&evidence)? - (yes + no)).abs() < 1e-12);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct VariableElimination<'a> {
    net: &'a BayesNet,
    cpts: Vec<Factor>,
}

impl<'a> VariableElimination<'a> {
    /// Prepares queries on `net` (its CPTs as factors, rows renormalised to sum to 1).
    pub fn new(net: &'a BayesNet) -> Self {
        // `cpt_factor` renormalises the rows.
        let cpts = (0..net.n_variables()).map(|i| net.cpt_factor(i)).collect();
        Self { net, cpts }
    }

    /// ln P(x) of a complete assignment by the chain rule on the renormalised CPTs.
    pub(crate) fn log_prob(&self, x: &[usize]) -> f64 {
        self.cpts
            .iter()
            .map(|f| {
                let mut idx = 0;
                for (k, &u) in f.vars().iter().enumerate() {
                    idx = idx * f.cards()[k] + x[u];
                }
                f.values()[idx].ln()
            })
            .sum()
    }

    /// The network queried.
    pub fn network(&self) -> &'a BayesNet {
        self.net
    }

    /// The normalised joint posterior P(targets | evidence) as a factor over `targets`, in the
    /// given order. A target that is also evidence gets its point mass. Errors: targets or
    /// evidence out of range, a target asked twice, evidence of probability zero
    /// ([`NetworkError::ImpossibleEvidence`]), tables too large ([`NetworkError::TooLarge`]).
    pub fn query(&self, targets: &[usize], evidence: &[(usize, usize)]) -> Result<Factor> {
        check_targets(self.net, targets)?;
        let ev = check_evidence(self.net, evidence)?;
        let size: f64 = targets
            .iter()
            .map(|&t| self.net.cardinality(t) as f64)
            .product();
        if size > MAX_TABLE_ENTRIES as f64 {
            return Err(too_large(
                "the joint posterior of the query variables",
                size,
            ));
        }
        let free: Vec<usize> = targets
            .iter()
            .copied()
            .filter(|t| !ev.iter().any(|(v, _)| v == t))
            .collect();
        let (mut f, _) = self.sum_product(&free, &ev, false)?;
        if f.normalize() <= 0.0 {
            return Err(impossible(self.net, &ev));
        }
        for &t in targets {
            if let Some(&(_, s)) = ev.iter().find(|(v, _)| *v == t) {
                let k = self.net.cardinality(t);
                let mut values = vec![0.0; k];
                values[s] = 1.0;
                f = f.product(&Factor::from_parts(vec![t], vec![k], values));
            }
        }
        Ok(f.reorder(targets))
    }

    /// The posterior marginal P(target | evidence), one probability per state.
    pub fn marginal(&self, target: usize, evidence: &[(usize, usize)]) -> Result<Vec<f64>> {
        Ok(self.query(&[target], evidence)?.into_values())
    }

    /// P(evidence): 1 for no evidence. Underflows to 0 for very unlikely evidence over many
    /// variables; [`log_probability_of_evidence`](Self::log_probability_of_evidence) does not.
    pub fn probability_of_evidence(&self, evidence: &[(usize, usize)]) -> Result<f64> {
        match self.log_probability_of_evidence(evidence) {
            Ok(l) => Ok(l.exp()),
            Err(crate::core::Error::Network(NetworkError::ImpossibleEvidence { .. })) => Ok(0.0),
            Err(e) => Err(e),
        }
    }

    /// ln P(evidence); evidence of probability zero is [`NetworkError::ImpossibleEvidence`].
    pub fn log_probability_of_evidence(&self, evidence: &[(usize, usize)]) -> Result<f64> {
        let ev = check_evidence(self.net, evidence)?;
        if ev.is_empty() {
            return Ok(0.0);
        }
        let (f, log_scale) = self.sum_product(&[], &ev, true)?;
        let t = f.total();
        if t <= 0.0 {
            return Err(impossible(self.net, &ev));
        }
        Ok(log_scale + t.ln())
    }

    /// [`query`](Self::query) in the network after the intervention do(`interventions`): each
    /// intervened variable loses its parents and is fixed to its state (graph surgery), then
    /// `evidence` is conditioned on as usual.
    pub fn query_do(
        &self,
        targets: &[usize],
        evidence: &[(usize, usize)],
        interventions: &[(usize, usize)],
    ) -> Result<Factor> {
        let iv = check_evidence(self.net, interventions)?;
        if iv.is_empty() {
            return self.query(targets, evidence);
        }
        let cut = self.net.intervene(&iv)?;
        VariableElimination::new(&cut).query(targets, evidence)
    }

    /// The unnormalised P(keep, evidence) over `keep` (in some order) and the log of the
    /// constant it was divided by. `need_constant`: keep the pieces of the network that are
    /// independent of `keep` (needed for P(evidence); for a posterior they cancel).
    pub(crate) fn sum_product(
        &self,
        keep: &[usize],
        ev: &[(usize, usize)],
        need_constant: bool,
    ) -> Result<(Factor, f64)> {
        let net = self.net;
        let n = net.n_variables();
        let mut seeds: Vec<usize> = keep.to_vec();
        seeds.extend(ev.iter().map(|&(v, _)| v));
        let relevant = net.ancestral_set(&seeds);
        let mut factors: Vec<Factor> = Vec::new();
        for (v, f) in self.cpts.iter().enumerate() {
            if !relevant[v] {
                continue;
            }
            let f = if ev.iter().any(|&(u, _)| f.contains(u)) {
                f.reduce_evidence(ev)
            } else {
                f.clone()
            };
            if f.vars().is_empty() {
                // A CPT entry fixed entirely by the evidence.
                if f.values()[0] <= 0.0 {
                    return Err(impossible(net, ev));
                }
                if !need_constant {
                    continue;
                }
            }
            factors.push(f);
        }
        if !need_constant {
            factors = drop_independent_pieces(factors, keep, n);
        }
        let mut is_keep = vec![false; n];
        for &k in keep {
            is_keep[k] = true;
        }
        let mut graph = Graph::new(n);
        let mut present = vec![false; n];
        for f in &factors {
            graph.add_clique(f.vars());
            for &u in f.vars() {
                present[u] = true;
            }
        }
        for &k in keep {
            graph.add_node(k);
        }
        let eliminate: Vec<usize> = (0..n).filter(|&u| present[u] && !is_keep[u]).collect();
        let elim = greedy(graph, &eliminate, &net.cardinalities(), None);
        if elim.max_size > MAX_TABLE_ENTRIES as f64 {
            return Err(too_large(
                "variable elimination for this query",
                elim.max_size,
            ));
        }
        let out = run(factors, &elim.order, |_| Op::Sum).ok_or_else(|| impossible(net, ev))?;
        // Every target keeps its own CPT, so it is in scope; this only guards the invariant.
        let mut f = out.factor;
        for &k in keep {
            if !f.contains(k) {
                let c = net.cardinality(k);
                f = f.product(&Factor::ones(vec![k], vec![c]));
            }
        }
        Ok((f, out.log_scale))
    }

    /// The CPT factors (indexed like the variables).
    pub(crate) fn cpt_factors(&self) -> &[Factor] {
        &self.cpts
    }
}

/// Drops the connected pieces (variables joined by shared factors) that hold none of `keep`
/// and whose tables are all strictly positive: they only multiply the result by a positive
/// constant. Pieces with a zero entry stay, since they could make the evidence impossible.
fn drop_independent_pieces(factors: Vec<Factor>, keep: &[usize], n: usize) -> Vec<Factor> {
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    for f in &factors {
        if let Some((&a, rest)) = f.vars().split_first() {
            for &b in rest {
                let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
                if ra != rb {
                    parent[ra] = rb;
                }
            }
        }
    }
    let mut needed = vec![false; n];
    for &k in keep {
        let r = find(&mut parent, k);
        needed[r] = true;
    }
    for f in &factors {
        if f.values().iter().any(|&x| x <= 0.0) {
            if let Some(&a) = f.vars().first() {
                let r = find(&mut parent, a);
                needed[r] = true;
            }
        }
    }
    factors
        .into_iter()
        .filter(|f| match f.vars().first() {
            Some(&a) => needed[find(&mut parent, a)],
            None => false,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bayesnet::{Cpt, Variable};

    fn chain() -> BayesNet {
        BayesNet::new(
            vec![
                Variable::new("a", &["0", "1"]),
                Variable::new("b", &["0", "1", "2"]),
                Variable::new("c", &["0", "1"]),
            ],
            vec![
                Cpt {
                    parents: vec![],
                    values: vec![0.3, 0.7],
                },
                Cpt {
                    parents: vec![0],
                    values: vec![0.2, 0.5, 0.3, 0.6, 0.1, 0.3],
                },
                Cpt {
                    parents: vec![1],
                    values: vec![0.9, 0.1, 0.4, 0.6, 0.0, 1.0],
                },
            ],
        )
        .unwrap()
    }

    #[test]
    fn queries_match_the_joint() {
        let net = chain();
        let joint = net.joint().unwrap();
        let ve = VariableElimination::new(&net);
        let mut cond = joint.reduce(2, 0);
        cond.normalize();
        let expected = cond.sum_out(&[1]);
        let got = ve.marginal(0, &[(2, 0)]).unwrap();
        for (g, e) in got.iter().zip(expected.values()) {
            assert!((g - e).abs() < 1e-14);
        }
        let pe = ve.probability_of_evidence(&[(2, 0)]).unwrap();
        assert!((pe - joint.reduce(2, 0).total()).abs() < 1e-14);
        // A target that is evidence gets a point mass, in the asked order.
        let f = ve.query(&[2, 0], &[(2, 0)]).unwrap();
        assert_eq!(f.vars(), &[2, 0]);
        assert!((f.get(&[0, 1]) - expected.values()[1]).abs() < 1e-14);
        assert_eq!(f.get(&[1, 1]), 0.0);
    }

    #[test]
    fn zero_probability_evidence_is_an_error() {
        let net = chain();
        let ve = VariableElimination::new(&net);
        // c = 0 is impossible when b = 2.
        let e = ve.marginal(0, &[(1, 2), (2, 0)]).unwrap_err();
        assert!(matches!(
            e,
            crate::core::Error::Network(NetworkError::ImpossibleEvidence { .. })
        ));
        assert_eq!(ve.probability_of_evidence(&[(1, 2), (2, 0)]).unwrap(), 0.0);
        assert!(ve.marginal(5, &[]).is_err());
        assert!(ve.marginal(0, &[(1, 3)]).is_err());
        assert!(ve.query(&[0, 0], &[]).is_err());
    }

    #[test]
    fn combine_matches_product_then_sum() {
        let f = Factor::new(vec![0, 1], vec![2, 3], vec![1., 2., 3., 4., 5., 6.]).unwrap();
        let g = Factor::new(vec![1, 2], vec![3, 2], vec![1., 0., 2., 1., 3., 5.]).unwrap();
        let (c, _) = combine(&[&f, &g], Some(1), Op::Sum);
        let expected = f.product(&g).sum_out(&[1]);
        assert_eq!(c.reorder(&[0, 2]), expected);
        let (m, arg) = combine(&[&f, &g], Some(1), Op::Max);
        assert_eq!(m.reorder(&[0, 2]), f.product(&g).max_out(&[1]));
        assert_eq!(arg.len(), 4);
    }
}
