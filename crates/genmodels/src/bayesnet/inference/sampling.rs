//! Sampling: forward samples of the network, exact samples given evidence, and approximate
//! posterior marginals (rejection sampling, likelihood weighting, Gibbs sampling).

use rand::RngCore;
use rayon::prelude::*;

use super::elimination::VariableElimination;
use super::junction_tree::JunctionTree;
use super::{check_evidence, check_targets, uniform, FastRng};
use crate::bayesnet::data::DiscreteData;
use crate::bayesnet::network::BayesNet;
use crate::core::{Error, NetworkError, Result, Sample, SampleGiven};

/// Rows per independently seeded block of forward samples.
const BLOCK: usize = 8192;

/// The CPTs prepared for drawing: normalised rows, and cumulative thresholds on 63-bit
/// integers so that one random word picks a state with no float conversion.
struct Tables {
    order: Vec<usize>,
    cards: Vec<usize>,
    /// Per variable: `(parent, multiplier)` for the row index.
    parents: Vec<Vec<(usize, usize)>>,
    /// Per variable: normalised CPT rows.
    probs: Vec<Vec<f64>>,
    /// Per variable: per row, the thresholds; state s is drawn when u < t[s] and u >= t[s-1].
    thresholds: Vec<Vec<u64>>,
}

impl Tables {
    fn new(net: &BayesNet) -> Self {
        let n = net.n_variables();
        let cards = net.cardinalities();
        let mut parents = Vec::with_capacity(n);
        let mut probs = Vec::with_capacity(n);
        let mut thresholds = Vec::with_capacity(n);
        for v in 0..n {
            let ps = net.parents(v);
            let mut mult = vec![0; ps.len()];
            let mut acc = 1;
            for k in (0..ps.len()).rev() {
                mult[k] = acc;
                acc *= cards[ps[k]];
            }
            parents.push(ps.iter().copied().zip(mult).collect());
            let k = cards[v];
            let mut p = net.cpt(v).values.clone();
            let mut t = vec![u64::MAX; p.len()];
            for (row, trow) in p.chunks_exact_mut(k).zip(t.chunks_exact_mut(k)) {
                let z: f64 = row.iter().sum();
                row.iter_mut().for_each(|x| *x /= z);
                let last = row.iter().rposition(|&x| x > 0.0).unwrap_or(k - 1);
                let mut cum = 0.0;
                for s in 0..last {
                    cum += row[s];
                    trow[s] = (cum * 9_223_372_036_854_775_808.0).min(u64::MAX as f64) as u64;
                }
            }
            probs.push(p);
            thresholds.push(t);
        }
        Self {
            order: net.topological_order().to_vec(),
            cards,
            parents,
            probs,
            thresholds,
        }
    }

    #[inline]
    fn row(&self, v: usize, x: &[usize]) -> usize {
        self.parents[v].iter().map(|&(p, m)| x[p] * m).sum()
    }

    /// Draws a state from row `row` of `v` with the 63-bit uniform `u`.
    #[inline]
    fn draw(&self, v: usize, row: usize, u: u64) -> usize {
        let k = self.cards[v];
        pick(&self.thresholds[v][row * k..(row + 1) * k], u)
    }

    /// One likelihood-weighted sample into `x`: evidence clamped (`fixed[v]`), the rest drawn;
    /// returns ln w = Σ ln P(e_v | parents).
    fn weighted(
        &self,
        x: &mut [usize],
        fixed: &[Option<usize>],
        rng: &mut (impl RngCore + ?Sized),
    ) -> f64 {
        let mut logw = 0.0;
        for &v in &self.order {
            let row = self.row(v, x);
            match fixed[v] {
                Some(s) => {
                    x[v] = s;
                    logw += self.probs[v][row * self.cards[v] + s].ln();
                }
                None => x[v] = self.draw(v, row, rng.next_u64() >> 1),
            }
        }
        logw
    }

    /// A block of forward samples, column by column (parents' columns are complete before
    /// their children's): the CPT row indices are accumulated parent by parent, then each cell
    /// takes one random word.
    fn block(&self, len: usize, rng: &mut FastRng) -> Vec<Vec<u16>> {
        let n = self.cards.len();
        let mut cols: Vec<Vec<u16>> = vec![Vec::new(); n];
        let mut rows = vec![0u32; len];
        for &v in &self.order {
            let k = self.cards[v];
            let th = &self.thresholds[v];
            let ps = &self.parents[v];
            let col: Vec<u16> = if ps.is_empty() {
                let t = &th[..k];
                (0..len).map(|_| pick(t, rng.next() >> 1) as u16).collect()
            } else {
                rows.iter_mut().for_each(|r| *r = 0);
                for &(p, m) in ps {
                    let m = (m * k) as u32;
                    for (r, &c) in rows.iter_mut().zip(&cols[p]) {
                        *r += c as u32 * m;
                    }
                }
                rows.iter()
                    .map(|&r| {
                        let r = r as usize;
                        pick(&th[r..r + k], rng.next() >> 1) as u16
                    })
                    .collect()
            };
            cols[v] = col;
        }
        cols
    }
}

/// The state whose interval holds the 63-bit uniform `u`: the number of thresholds at or below
/// it (thresholds never decrease, and the last is above every `u`). Branch-free for the usual
/// few states, binary search for many.
#[inline(always)]
fn pick(t: &[u64], u: u64) -> usize {
    if t.len() <= 8 {
        t.iter().map(|&x| (x <= u) as usize).sum()
    } else {
        t.partition_point(|&x| x <= u)
    }
}

fn check_codable(net: &BayesNet) -> Result<()> {
    if let Some(v) = (0..net.n_variables()).find(|&v| net.cpt(v).values.len() > u32::MAX as usize) {
        return Err(NetworkError::Other(format!(
            "the table of `{}` has more than 2^32 entries, too many to sample from",
            net.variable(v).name
        ))
        .into());
    }
    DiscreteData::check_codable(net)
}

/// Forward (ancestral) sampling: each row draws every variable in topological order from its
/// CPT row given the parents already drawn, with one random word per cell. Blocks of 8192 rows
/// are drawn in parallel, each from its own xoshiro256++ stream seeded from one word of `rng`,
/// so the result depends only on `rng` (not on the number of threads).
///
/// ```
/// use genmodels::bayesnet::{BayesNet, Cpt, Variable};
/// use genmodels::core::{rng_from_seed, Sample};
/// # fn main() -> genmodels::core::Result<()> {
/// let net = BayesNet::new(
///     vec![Variable::new("a", &["x", "y"]), Variable::new("b", &["u", "v"])],
///     vec![
///         Cpt { parents: vec![], values: vec![0.3, 0.7] },
///         Cpt { parents: vec![0], values: vec![1.0, 0.0, 0.2, 0.8] },
///     ],
/// )?;
/// let data = net.sample(10_000, &mut rng_from_seed(1))?;
/// assert_eq!(data.n_rows(), 10_000);
/// let share_x = data.columns[0].iter().filter(|&&c| c == 0).count() as f64 / 1e4;
/// assert!((share_x - 0.3).abs() < 0.02);
/// // b = v never follows a = x.
/// assert!((0..10_000).all(|i| !(data.columns[0][i] == 0 && data.columns[1][i] == 1)));
/// # Ok(()) }
/// ```
impl Sample for BayesNet {
    type Output = DiscreteData;

    fn sample(&self, n: usize, rng: &mut dyn RngCore) -> Result<DiscreteData> {
        check_codable(self)?;
        // u16 codes, drawn in blocks and then gathered: twice the final table.
        crate::core::memory::check_rows("samples", n, self.n_variables(), 2 * 2)?;
        let tables = Tables::new(self);
        let seed = rng.next_u64();
        let n_blocks = n.div_ceil(BLOCK);
        let blocks: Vec<Vec<Vec<u16>>> = (0..n_blocks)
            .into_par_iter()
            .map(|b| {
                let mut r = FastRng::new(seed, b as u64);
                let len = BLOCK.min(n - b * BLOCK);
                tables.block(len, &mut r)
            })
            .collect();
        let nv = self.n_variables();
        let mut columns: Vec<Vec<u16>> = (0..nv).map(|_| Vec::with_capacity(n)).collect();
        for block in blocks {
            for (col, part) in columns.iter_mut().zip(block) {
                col.extend_from_slice(&part);
            }
        }
        Ok(DiscreteData::of_network(self, columns))
    }
}

/// Exact, independent samples from P(X | evidence), evidence as `(variable, state)` pairs: the
/// junction tree is calibrated on the evidence and each row is drawn clique by clique from the
/// root (see [`Calibrated::sample`](super::Calibrated::sample)). Every row holds the evidence.
/// Without evidence this is forward sampling. Evidence of probability zero is
/// [`NetworkError::ImpossibleEvidence`].
///
/// ```
/// use genmodels::bayesnet::{BayesNet, Cpt, Variable};
/// use genmodels::core::{rng_from_seed, SampleGiven};
/// # fn main() -> genmodels::core::Result<()> {
/// let net = BayesNet::new(
///     vec![Variable::new("a", &["0", "1"]), Variable::new("b", &["0", "1"])],
///     vec![
///         Cpt { parents: vec![], values: vec![0.5, 0.5] },
///         Cpt { parents: vec![0], values: vec![0.9, 0.1, 0.2, 0.8] },
///     ],
/// )?;
/// // Given b = 0, a = 0 with probability 0.45 / 0.55.
/// let rows = net.sample_given(&[(1, 0)][..], 20_000, &mut rng_from_seed(4))?;
/// assert!(rows.columns[1].iter().all(|&b| b == 0));
/// let share = rows.columns[0].iter().filter(|&&a| a == 0).count() as f64 / 20_000.0;
/// assert!((share - 0.45 / 0.55).abs() < 0.02);
/// # Ok(()) }
/// ```
impl SampleGiven<[(usize, usize)]> for BayesNet {
    type Output = DiscreteData;

    fn sample_given(
        &self,
        evidence: &[(usize, usize)],
        n: usize,
        rng: &mut dyn RngCore,
    ) -> Result<DiscreteData> {
        let ev = check_evidence(self, evidence)?;
        if ev.is_empty() {
            return self.sample(n, rng);
        }
        check_codable(self)?;
        let jt = JunctionTree::new(self)?;
        let cal = jt.calibrate(&ev)?;
        cal.sample(n, rng)
    }
}

/// Approximate posterior marginals from sampling.
#[derive(Debug, Clone, PartialEq)]
pub struct ApproximateMarginals {
    /// One distribution per target, in the order asked; an evidence target is its point mass.
    pub marginals: Vec<Vec<f64>>,
    /// The effective sample size (see each method for its definition).
    pub effective_sample_size: f64,
    /// Samples drawn (for Gibbs: sweeps run, burn-in and thinning included).
    pub n_drawn: usize,
    /// Samples the estimate uses (accepted, weighted, or retained).
    pub n_used: usize,
}

/// The error when no sample is consistent with the evidence: impossible evidence when exact
/// inference says so, otherwise a request for more samples.
fn no_consistent_sample(
    net: &BayesNet,
    ev: &[(usize, usize)],
    drawn: usize,
    method: &str,
) -> Error {
    match VariableElimination::new(net).log_probability_of_evidence(ev) {
        Err(e @ Error::Network(NetworkError::ImpossibleEvidence { .. })) => e,
        Ok(lp) => NetworkError::Other(format!(
            "{method}: none of {drawn} samples agreed with the evidence {} (its probability is {:e}); draw more samples or use likelihood weighting",
            net.describe_evidence(ev),
            lp.exp()
        ))
        .into(),
        Err(_) => NetworkError::Other(format!(
            "{method}: none of {drawn} samples agreed with the evidence {}, which may be impossible; draw more samples",
            net.describe_evidence(ev)
        ))
        .into(),
    }
}

/// Checked evidence, and the state fixed for each variable (`None` when unobserved).
type CheckedEvidence = (Vec<(usize, usize)>, Vec<Option<usize>>);

fn check_query(
    net: &BayesNet,
    targets: &[usize],
    evidence: &[(usize, usize)],
    n: usize,
) -> Result<CheckedEvidence> {
    check_targets(net, targets)?;
    let ev = check_evidence(net, evidence)?;
    if n == 0 {
        return Err(crate::core::ParamError::invalid("n_samples", "0", "at least 1 sample").into());
    }
    let mut fixed = vec![None; net.n_variables()];
    for &(v, s) in &ev {
        fixed[v] = Some(s);
    }
    Ok((ev, fixed))
}

fn empty_marginals(net: &BayesNet, targets: &[usize]) -> Vec<Vec<f64>> {
    targets
        .iter()
        .map(|&t| vec![0.0; net.cardinality(t)])
        .collect()
}

fn normalise(m: &mut [Vec<f64>]) {
    for row in m {
        let z: f64 = row.iter().sum();
        if z > 0.0 {
            row.iter_mut().for_each(|x| *x /= z);
        }
    }
}

/// Rejection (logic) sampling: `n` forward samples, the ones that disagree with the evidence
/// thrown away (each sample stops at its first disagreeing evidence variable). The effective
/// sample size is the number accepted. No sample accepted is
/// [`NetworkError::ImpossibleEvidence`] when the evidence has probability zero (checked
/// exactly), otherwise an error asking for more samples.
///
/// ```
/// use genmodels::bayesnet::inference::rejection_sampling;
/// use genmodels::bayesnet::{BayesNet, Cpt, Variable};
/// use genmodels::core::rng_from_seed;
/// # fn main() -> genmodels::core::Result<()> {
/// let net = BayesNet::new(
///     vec![Variable::new("a", &["0", "1"]), Variable::new("b", &["0", "1"])],
///     vec![
///         Cpt { parents: vec![], values: vec![0.5, 0.5] },
///         Cpt { parents: vec![0], values: vec![0.9, 0.1, 0.2, 0.8] },
///     ],
/// )?;
/// let r = rejection_sampling(&net, &[0], &[(1, 0)], 20_000, &mut rng_from_seed(3))?;
/// assert!((r.marginals[0][0] - 0.45 / 0.55).abs() < 0.02);
/// assert_eq!(r.effective_sample_size, r.n_used as f64); // about 55% of 20,000 accepted
/// # Ok(()) }
/// ```
pub fn rejection_sampling(
    net: &BayesNet,
    targets: &[usize],
    evidence: &[(usize, usize)],
    n: usize,
    rng: &mut dyn RngCore,
) -> Result<ApproximateMarginals> {
    let (ev, fixed) = check_query(net, targets, evidence, n)?;
    let tables = Tables::new(net);
    let mut x = vec![0usize; net.n_variables()];
    let mut counts = empty_marginals(net, targets);
    let mut accepted = 0usize;
    'sample: for _ in 0..n {
        for &v in &tables.order {
            let row = tables.row(v, &x);
            x[v] = tables.draw(v, row, rng.next_u64() >> 1);
            if fixed[v].is_some_and(|s| s != x[v]) {
                continue 'sample;
            }
        }
        accepted += 1;
        for (k, &t) in targets.iter().enumerate() {
            counts[k][x[t]] += 1.0;
        }
    }
    if accepted == 0 {
        return Err(no_consistent_sample(net, &ev, n, "rejection sampling"));
    }
    normalise(&mut counts);
    Ok(ApproximateMarginals {
        marginals: counts,
        effective_sample_size: accepted as f64,
        n_drawn: n,
        n_used: accepted,
    })
}

/// Likelihood weighting (Fung & Chang, 1990): `n` forward samples with the evidence clamped,
/// each weighted by w = Π P(e_v | parents). The effective sample size is Kish's
/// (Σw)² / Σw². Weights are kept in logs, so many evidence variables do not underflow. A zero
/// total weight is [`NetworkError::ImpossibleEvidence`] when the evidence has probability zero
/// (checked exactly), otherwise an error asking for more samples.
///
/// ```
/// use genmodels::bayesnet::inference::likelihood_weighting;
/// use genmodels::bayesnet::{BayesNet, Cpt, Variable};
/// use genmodels::core::rng_from_seed;
/// # fn main() -> genmodels::core::Result<()> {
/// let net = BayesNet::new(
///     vec![Variable::new("a", &["0", "1"]), Variable::new("b", &["0", "1"])],
///     vec![
///         Cpt { parents: vec![], values: vec![0.5, 0.5] },
///         Cpt { parents: vec![0], values: vec![0.9, 0.1, 0.2, 0.8] },
///     ],
/// )?;
/// // P(a = 0 | b = 0) = 0.45 / 0.55
/// let r = likelihood_weighting(&net, &[0], &[(1, 0)], 20_000, &mut rng_from_seed(3))?;
/// assert!((r.marginals[0][0] - 0.45 / 0.55).abs() < 0.02);
/// assert!(r.effective_sample_size > 10_000.0);
/// # Ok(()) }
/// ```
pub fn likelihood_weighting(
    net: &BayesNet,
    targets: &[usize],
    evidence: &[(usize, usize)],
    n: usize,
    rng: &mut dyn RngCore,
) -> Result<ApproximateMarginals> {
    let (ev, fixed) = check_query(net, targets, evidence, n)?;
    let tables = Tables::new(net);
    let mut x = vec![0usize; net.n_variables()];
    let mut logw = Vec::with_capacity(n);
    let mut states: Vec<u32> = Vec::with_capacity(n * targets.len());
    for _ in 0..n {
        logw.push(tables.weighted(&mut x, &fixed, rng));
        states.extend(targets.iter().map(|&t| x[t] as u32));
    }
    let max = logw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return Err(no_consistent_sample(net, &ev, n, "likelihood weighting"));
    }
    let mut counts = empty_marginals(net, targets);
    let (mut sw, mut sw2) = (0.0, 0.0);
    let mut used = 0;
    for (i, &l) in logw.iter().enumerate() {
        let w = (l - max).exp();
        if w == 0.0 {
            continue;
        }
        used += 1;
        sw += w;
        sw2 += w * w;
        for k in 0..targets.len() {
            counts[k][states[i * targets.len() + k] as usize] += w;
        }
    }
    normalise(&mut counts);
    Ok(ApproximateMarginals {
        marginals: counts,
        effective_sample_size: sw * sw / sw2,
        n_drawn: n,
        n_used: used,
    })
}

/// Settings of [`gibbs_sampling`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gibbs {
    /// Samples to retain.
    pub n_samples: usize,
    /// Sweeps discarded before the first retained sample.
    pub burn_in: usize,
    /// Keep one sweep in `thin` (1 keeps every sweep).
    pub thin: usize,
}

impl Default for Gibbs {
    /// 10,000 samples after 1,000 burn-in sweeps, no thinning.
    fn default() -> Self {
        Self {
            n_samples: 10_000,
            burn_in: 1_000,
            thin: 1,
        }
    }
}

/// Gibbs sampling: starting from a likelihood-weighting sample of positive weight, each sweep
/// redraws every unobserved variable (in topological order) from its distribution given its
/// Markov blanket, P(x_v | parents) Π_children P(x_c | parents of c). After `burn_in` sweeps,
/// one sweep in `thin` is retained; the marginals are the retained states' frequencies.
///
/// Effective sample size: for every (target, state) indicator chain the integrated
/// autocorrelation time τ is estimated by non-overlapping batch means (⌊√n⌋ batches of
/// ⌊√n⌋ retained samples: τ = batch size × variance of the batch means / variance of the
/// chain), and the reported ESS is the smallest n / τ (capped at n; constant indicators are
/// skipped). `n_used` is the number retained. Networks with zero CPT entries can make the chain
/// reducible (stuck in one region); then the answer is biased whatever n.
///
/// ```
/// use genmodels::bayesnet::inference::{gibbs_sampling, Gibbs};
/// use genmodels::bayesnet::{BayesNet, Cpt, Variable};
/// use genmodels::core::rng_from_seed;
/// # fn main() -> genmodels::core::Result<()> {
/// let net = BayesNet::new(
///     vec![Variable::new("a", &["0", "1"]), Variable::new("b", &["0", "1"])],
///     vec![
///         Cpt { parents: vec![], values: vec![0.5, 0.5] },
///         Cpt { parents: vec![0], values: vec![0.9, 0.1, 0.2, 0.8] },
///     ],
/// )?;
/// let settings = Gibbs { n_samples: 20_000, burn_in: 500, thin: 1 };
/// let r = gibbs_sampling(&net, &[0], &[(1, 0)], &settings, &mut rng_from_seed(3))?;
/// assert!((r.marginals[0][0] - 0.45 / 0.55).abs() < 0.02);
/// assert!(r.effective_sample_size <= 20_000.0);
/// # Ok(()) }
/// ```
pub fn gibbs_sampling(
    net: &BayesNet,
    targets: &[usize],
    evidence: &[(usize, usize)],
    settings: &Gibbs,
    rng: &mut dyn RngCore,
) -> Result<ApproximateMarginals> {
    let (ev, fixed) = check_query(net, targets, evidence, settings.n_samples)?;
    if settings.thin == 0 {
        return Err(crate::core::ParamError::invalid(
            "thin",
            "0",
            "at least 1 (keep one sweep in `thin`)",
        )
        .into());
    }
    let tables = Tables::new(net);
    let nv = net.n_variables();
    let mut x = vec![0usize; nv];
    // A starting point of positive probability.
    const TRIES: usize = 10_000;
    let mut found = false;
    for _ in 0..TRIES {
        if tables.weighted(&mut x, &fixed, rng) > f64::NEG_INFINITY {
            found = true;
            break;
        }
    }
    if !found {
        return Err(no_consistent_sample(net, &ev, TRIES, "Gibbs sampling"));
    }
    // Per free variable, its children with the multiplier of the variable in their rows.
    let free: Vec<usize> = tables
        .order
        .iter()
        .copied()
        .filter(|&v| fixed[v].is_none())
        .collect();
    let kids: Vec<Vec<(usize, usize)>> = (0..nv)
        .map(|v| {
            net.children(v)
                .iter()
                .map(|&c| {
                    let m = tables.parents[c]
                        .iter()
                        .find(|(p, _)| *p == v)
                        .map(|&(_, m)| m)
                        .expect("a child lists its parent");
                    (c, m)
                })
                .collect()
        })
        .collect();
    let kmax = tables.cards.iter().copied().max().unwrap_or(1);
    let mut p = vec![0.0; kmax];
    let n = settings.n_samples;
    let sweeps = settings.burn_in + n * settings.thin;
    let mut chain: Vec<u32> = Vec::with_capacity(n * targets.len());
    for sweep in 0..sweeps {
        for &v in &free {
            let k = tables.cards[v];
            let xv = x[v];
            let row = tables.row(v, &x);
            let own = &tables.probs[v][row * k..(row + 1) * k];
            p[..k].copy_from_slice(own);
            for &(c, m) in &kids[v] {
                let kc = tables.cards[c];
                let base = tables.row(c, &x) - xv * m;
                let pc = &tables.probs[c];
                for (s, ps) in p[..k].iter_mut().enumerate() {
                    *ps *= pc[(base + s * m) * kc + x[c]];
                }
            }
            let z: f64 = p[..k].iter().sum();
            if z > 0.0 {
                let u = uniform(rng) * z;
                let mut acc = 0.0;
                let mut s_new = k - 1;
                for (s, &ps) in p[..k].iter().enumerate() {
                    acc += ps;
                    if u < acc {
                        s_new = s;
                        break;
                    }
                }
                while p[s_new] == 0.0 && s_new > 0 {
                    s_new -= 1;
                }
                x[v] = s_new;
            }
        }
        if sweep >= settings.burn_in && (sweep - settings.burn_in) % settings.thin == 0 {
            chain.extend(targets.iter().map(|&t| x[t] as u32));
        }
    }
    let nt = targets.len();
    let mut counts = empty_marginals(net, targets);
    for i in 0..n {
        for k in 0..nt {
            counts[k][chain[i * nt + k] as usize] += 1.0;
        }
    }
    normalise(&mut counts);
    // ESS by batch means over each (target, state) indicator.
    let b = (n as f64).sqrt().floor() as usize;
    let mut ess = n as f64;
    if b >= 2 {
        let nb = n / b;
        for (k, marg) in counts.iter().enumerate() {
            for (s, &pbar) in marg.iter().enumerate() {
                let var = pbar * (1.0 - pbar);
                if var <= 0.0 {
                    continue;
                }
                let mut vb = 0.0;
                for j in 0..nb {
                    let hits = (j * b..(j + 1) * b)
                        .filter(|&i| chain[i * nt + k] as usize == s)
                        .count();
                    let d = hits as f64 / b as f64 - pbar;
                    vb += d * d;
                }
                vb /= (nb - 1).max(1) as f64;
                let tau = (b as f64 * vb / var).max(1e-12);
                ess = ess.min(n as f64 / tau);
            }
        }
    }
    Ok(ApproximateMarginals {
        marginals: counts,
        effective_sample_size: ess.min(n as f64),
        n_drawn: sweeps,
        n_used: n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bayesnet::{Cpt, Variable};
    use crate::core::rng_from_seed;

    #[test]
    fn thresholds_never_draw_zero_probability_states() {
        let net = BayesNet::new(
            vec![Variable::new("a", &["0", "1", "2", "3"])],
            vec![Cpt {
                parents: vec![],
                values: vec![0.0, 0.5, 0.5, 0.0],
            }],
        )
        .unwrap();
        let t = Tables::new(&net);
        assert_eq!(t.draw(0, 0, 0), 1);
        assert_eq!(t.draw(0, 0, (1u64 << 63) - 1), 2);
        let d = net.sample(5000, &mut rng_from_seed(0)).unwrap();
        assert!(d.columns[0].iter().all(|&c| c == 1 || c == 2));
    }
}
