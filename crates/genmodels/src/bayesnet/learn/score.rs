//! Decomposable structure scores (natural log, higher is better), defined as pgmpy defines them.
//!
//! For a child with `r` states and parents with `q` joint configurations (`q = 1` without
//! parents), `N_jk` the number of rows with parent configuration `j` and child state `k`,
//! `N_j = Σ_k N_jk` and `N` the number of rows:
//!
//! | kind | local score |
//! |---|---|
//! | [`LogLikelihood`](ScoreKind::LogLikelihood) | `LL = Σ_jk N_jk ln(N_jk / N_j)` |
//! | [`Bic`](ScoreKind::Bic) | `LL − (ln N / 2) · q (r − 1)` |
//! | [`Aic`](ScoreKind::Aic) | `LL − q (r − 1)` |
//! | [`BDeuTextbook`](ScoreKind::BDeuTextbook) | `Σ_j [lnΓ(α) − lnΓ(N_j + α)] + Σ_jk [lnΓ(N_jk + β) − lnΓ(β)]`, `α = ess/q`, `β = ess/(q r)` |
//! | [`K2Textbook`](ScoreKind::K2Textbook) | `Σ_j [lnΓ(r) − lnΓ(N_j + r)] + Σ_jk lnΓ(N_jk + 1)` |
//! | [`BDeu`](ScoreKind::BDeu) | pgmpy's BDeu: `BDeuTextbook − q_obs (r − r_obs) lnΓ(β)` when the child has parents |
//! | [`K2`](ScoreKind::K2) | pgmpy's K2: `K2Textbook + (q − q_obs) lnΓ(r)` |
//!
//! The textbook BDeu and K2 are the log marginal likelihoods of Heckerman, Geiger & Chickering
//! (1995) (K2: Cooper & Herskovits 1992), summed over *all* `q` configurations and `r` states.
//! pgmpy (`pgmpy/structure_score/bdeu.py`, `k2.py`, pgmpy 1.1) counts with
//! `state_counts(variable, parents, reindex=False)`, which keeps only the `q_obs` parent
//! configurations and, when there are parents, the `r_obs` child states that occur in the data;
//! BDeu adds back the dropped configurations (`gamma_counts_adj`, `gamma_conds_adj`) but not the
//! dropped child states, and K2 adds `q · lnΓ(r)` while subtracting `lnΓ(N_j + r)` only for the
//! occurring configurations. [`BDeu`](ScoreKind::BDeu) and [`K2`](ScoreKind::K2) reproduce those
//! numbers exactly; the `Textbook` kinds are the proper marginal likelihoods. BDeu differs only
//! when a child state never occurs (never with states read from the data by
//! [`DiscreteData::from_csv`]); K2 differs whenever a parent configuration never occurs and
//! `r ≥ 3`, and then rewards extra parents, so prefer [`K2Textbook`](ScoreKind::K2Textbook) for
//! search.
//!
//! The number of states `r` of a variable is `data.states[j].len()`. For data read with
//! [`DiscreteData::from_csv`] these are the states that occur (pgmpy's default); for data
//! aligned to a network ([`DiscreteData::align_to`]) they are the network's states, including
//! states that never occur, which raises `q` and `r` and so the BIC/AIC penalty and the
//! BDeu/K2 priors (pgmpy's `state_names=` argument behaves the same way).
//!
//! ```
//! use genmodels::bayesnet::DiscreteData;
//! use genmodels::bayesnet::learn::{local_score, score, Dag, ScoreKind};
//! # fn main() -> genmodels::core::Result<()> {
//! let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
//! let data = DiscreteData::new(
//!     s(&["a", "b"]),
//!     vec![s(&["0", "1"]), s(&["0", "1"])],
//!     vec![vec![0, 0, 1, 1], vec![0, 0, 1, 0]],
//! )?;
//! // LL(b | a) = 2 ln 1 + 1 ln(1/2) + 1 ln(1/2)
//! let ll = local_score(&data, 1, &[0], ScoreKind::LogLikelihood)?;
//! assert!((ll - 2.0 * 0.5f64.ln()).abs() < 1e-12);
//! // A score is the sum of its local scores.
//! let dag = Dag::from_edges(2, &[(0, 1)])?;
//! let total = score(&data, &dag, ScoreKind::Bic)?;
//! let parts = local_score(&data, 0, &[], ScoreKind::Bic)? + local_score(&data, 1, &[0], ScoreKind::Bic)?;
//! assert!((total - parts).abs() < 1e-12);
//! # Ok(()) }
//! ```

use crate::core::ParamGuard;
use std::collections::HashMap;

use super::counts::{check_complete, Configs, Table};
use super::dag::Dag;
use crate::bayesnet::data::DiscreteData;
use crate::core::{NetworkError, ParamError, Result};

/// Which decomposable score to compute (see the [module documentation](self) for the
/// formulas).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScoreKind {
    /// The maximised log-likelihood (pgmpy `LogLikelihood`, `"ll-d"`).
    LogLikelihood,
    /// BIC: log-likelihood minus `(ln N / 2)` per free parameter (pgmpy `BIC`, `"bic-d"`).
    Bic,
    /// AIC: log-likelihood minus one per free parameter (pgmpy `AIC`, `"aic-d"`).
    Aic,
    /// BDeu with an equivalent sample size, exactly as pgmpy computes it (`BDeu`, `"bdeu"`;
    /// pgmpy's default `ess` is 10).
    BDeu {
        /// The equivalent sample size (> 0).
        ess: f64,
    },
    /// K2 exactly as pgmpy computes it (`K2`, `"k2"`).
    K2,
    /// BDeu as the log marginal likelihood over all configurations and states.
    BDeuTextbook {
        /// The equivalent sample size (> 0).
        ess: f64,
    },
    /// K2 as the log marginal likelihood over all configurations and states.
    K2Textbook,
}

impl ParamGuard for ScoreKind {
    /// Rejects an equivalent sample size that is not a finite positive number.
    fn check(&self) -> std::result::Result<(), ParamError> {
        if let ScoreKind::BDeu { ess } | ScoreKind::BDeuTextbook { ess } = *self {
            if !(ess.is_finite() && ess > 0.0) {
                return Err(ParamError::invalid(
                    "ess",
                    ess,
                    "a finite equivalent sample size > 0 (pgmpy's default is 10)",
                ));
            }
        }
        Ok(())
    }
}

impl ScoreKind {
    /// Whether the score only counts the log-likelihood and a parameter penalty.
    fn is_likelihood(&self) -> bool {
        matches!(
            self,
            ScoreKind::LogLikelihood | ScoreKind::Bic | ScoreKind::Aic
        )
    }
}

/// The data prepared for scoring: checked once, with tables of `k ln k` and `ln k!`.
#[derive(Debug)]
pub(crate) struct Scorer<'a> {
    pub cols: Vec<&'a [u16]>,
    pub cards: Vec<usize>,
    /// States of each variable that occur in the data.
    r_obs: Vec<usize>,
    pub n: usize,
    kind: ScoreKind,
    xlnx: Vec<f64>,
    lnfact: Vec<f64>,
}

impl<'a> Scorer<'a> {
    /// Checks `data` (complete, non-empty, codes in range) and the score's settings.
    pub fn new(data: &'a DiscreteData, kind: ScoreKind, what: &str) -> Result<Self> {
        kind.check()?;
        check_complete(data, what)?;
        let n = data.n_rows();
        let cols: Vec<&[u16]> = data.columns.iter().map(Vec::as_slice).collect();
        let cards: Vec<usize> = data.states.iter().map(Vec::len).collect();
        let r_obs = cols
            .iter()
            .zip(&cards)
            .map(|(col, &r)| {
                let mut seen = vec![false; r];
                for &c in *col {
                    seen[c as usize] = true;
                }
                seen.iter().filter(|&&s| s).count()
            })
            .collect();
        let xlnx = if kind.is_likelihood() {
            (0..=n)
                .map(|k| {
                    if k == 0 {
                        0.0
                    } else {
                        k as f64 * (k as f64).ln()
                    }
                })
                .collect()
        } else {
            Vec::new()
        };
        let lnfact = if matches!(kind, ScoreKind::K2 | ScoreKind::K2Textbook) {
            let max_r = cards.iter().copied().max().unwrap_or(1);
            let mut t = Vec::with_capacity(n + max_r + 1);
            t.push(0.0);
            let mut acc = 0.0f64;
            for k in 1..=(n + max_r) {
                acc += (k as f64).ln();
                t.push(acc);
            }
            t
        } else {
            Vec::new()
        };
        Ok(Self {
            cols,
            cards,
            r_obs,
            n,
            kind,
            xlnx,
            lnfact,
        })
    }

    /// The number of variables.
    pub fn n_vars(&self) -> usize {
        self.cols.len()
    }

    /// The number of joint configurations of `parents` (as a float: it may be huge).
    pub fn q_of(&self, parents: &[usize]) -> f64 {
        parents.iter().map(|&p| self.cards[p] as f64).product()
    }

    /// The local score of `child` from its counts by parent configuration; `q` is the number
    /// of configurations of its `n_parents` parents.
    pub fn score_table(&self, child: usize, n_parents: usize, q: f64, table: &Table) -> f64 {
        let r = self.cards[child];
        let rf = r as f64;
        match self.kind {
            ScoreKind::LogLikelihood | ScoreKind::Bic | ScoreKind::Aic => {
                let mut ll = 0.0;
                table.for_each_row(|row| {
                    let mut nj = 0usize;
                    for &c in row {
                        nj += c as usize;
                        ll += self.xlnx[c as usize];
                    }
                    ll -= self.xlnx[nj];
                });
                match self.kind {
                    ScoreKind::Bic => ll - 0.5 * (self.n as f64).ln() * q * (rf - 1.0),
                    ScoreKind::Aic => ll - q * (rf - 1.0),
                    _ => ll,
                }
            }
            ScoreKind::BDeu { ess } | ScoreKind::BDeuTextbook { ess } => {
                let alpha = ess / q;
                let beta = ess / (q * rf);
                let lg_alpha = libm::lgamma(alpha);
                let lg_beta = libm::lgamma(beta);
                let mut s = 0.0;
                let mut q_obs = 0usize;
                table.for_each_row(|row| {
                    let mut nj = 0u64;
                    for &c in row {
                        if c > 0 {
                            nj += c as u64;
                            s += libm::lgamma(c as f64 + beta) - lg_beta;
                        }
                    }
                    if nj > 0 {
                        q_obs += 1;
                        s += lg_alpha - libm::lgamma(nj as f64 + alpha);
                    }
                });
                if matches!(self.kind, ScoreKind::BDeu { .. }) && n_parents > 0 {
                    s -= q_obs as f64 * (r - self.r_obs[child]) as f64 * lg_beta;
                }
                s
            }
            ScoreKind::K2 | ScoreKind::K2Textbook => {
                let lg_r = self.lnfact[r - 1];
                let mut s = 0.0;
                let mut q_obs = 0usize;
                table.for_each_row(|row| {
                    let mut nj = 0usize;
                    for &c in row {
                        nj += c as usize;
                        s += self.lnfact[c as usize];
                    }
                    if nj > 0 {
                        q_obs += 1;
                        s += lg_r - self.lnfact[nj + r - 1];
                    }
                });
                if matches!(self.kind, ScoreKind::K2) {
                    s += (q - q_obs as f64) * lg_r;
                }
                s
            }
        }
    }

    /// The local score of `child` given `parents` (any order; counted in the given order).
    pub fn local(&self, child: usize, parents: &[usize]) -> f64 {
        let cfg = Configs::of(&self.cols, &self.cards, parents, self.n);
        let table = Table::count(&cfg, self.cols[child], self.cards[child]);
        self.score_table(child, parents.len(), self.q_of(parents), &table)
    }

    /// The local score of `child` given the parents of `base` (`n_base` of them, `q_base`
    /// configurations) plus `x`.
    pub fn local_extended(
        &self,
        child: usize,
        base: &Configs,
        n_base: usize,
        q_base: f64,
        x: usize,
    ) -> f64 {
        let table = Table::count_extended(
            base,
            self.cols[x],
            self.cards[x],
            self.cols[child],
            self.cards[child],
        );
        self.score_table(child, n_base + 1, q_base * self.cards[x] as f64, &table)
    }

    /// Both `score(b | a)` and `score(a | b)` from one joint count of the pair.
    pub fn pair(&self, a: usize, b: usize) -> (f64, f64) {
        let (ra, rb) = (self.cards[a], self.cards[b]);
        let mut joint = vec![0u32; ra * rb];
        for (&x, &y) in self.cols[a].iter().zip(self.cols[b]) {
            joint[x as usize * rb + y as usize] += 1;
        }
        let mut transposed = vec![0u32; ra * rb];
        for i in 0..ra {
            for j in 0..rb {
                transposed[j * ra + i] = joint[i * rb + j];
            }
        }
        let b_given_a = self.score_table(
            b,
            1,
            ra as f64,
            &Table::Dense {
                counts: joint,
                r: rb,
            },
        );
        let a_given_b = self.score_table(
            a,
            1,
            rb as f64,
            &Table::Dense {
                counts: transposed,
                r: ra,
            },
        );
        (b_given_a, a_given_b)
    }
}

/// Checks a family: indices in range, no repeated parent, the child not among its parents.
pub(crate) fn check_family(n: usize, child: usize, parents: &[usize]) -> Result<()> {
    if child >= n {
        return Err(NetworkError::Other(format!(
            "variable index {child} is out of range: the data has {n} columns"
        ))
        .into());
    }
    for (k, &p) in parents.iter().enumerate() {
        if p >= n {
            return Err(NetworkError::Other(format!(
                "parent index {p} is out of range: the data has {n} columns"
            ))
            .into());
        }
        if p == child {
            return Err(
                NetworkError::Other(format!("variable {child} cannot be its own parent")).into(),
            );
        }
        if parents[..k].contains(&p) {
            return Err(NetworkError::Duplicate {
                what: format!("parent of variable {child}"),
                name: p.to_string(),
            }
            .into());
        }
    }
    Ok(())
}

/// Checks that a graph is over the data's columns.
pub(crate) fn check_dag_size(dag: &Dag, data: &DiscreteData) -> Result<()> {
    if dag.n_nodes() != data.n_columns() {
        return Err(NetworkError::Other(format!(
            "the graph has {} nodes but the data has {} columns: they must match",
            dag.n_nodes(),
            data.n_columns()
        ))
        .into());
    }
    Ok(())
}

/// The local score of `child` (a column of `data`) given the columns `parents` (their order
/// does not matter). An error on empty data, missing cells, codes outside their column's
/// states, bad indices or an invalid `ess`.
pub fn local_score(
    data: &DiscreteData,
    child: usize,
    parents: &[usize],
    kind: ScoreKind,
) -> Result<f64> {
    let scorer = Scorer::new(data, kind, "scoring")?;
    check_family(scorer.n_vars(), child, parents)?;
    let mut sorted = parents.to_vec();
    sorted.sort_unstable();
    Ok(scorer.local(child, &sorted))
}

/// The score of a whole graph over the data's columns: the sum of its local scores.
pub fn score(data: &DiscreteData, dag: &Dag, kind: ScoreKind) -> Result<f64> {
    check_dag_size(dag, data)?;
    let scorer = Scorer::new(data, kind, "scoring")?;
    Ok(total(&scorer, dag))
}

/// Σ of the local scores of `dag`, families counted in parallel.
pub(crate) fn total(scorer: &Scorer<'_>, dag: &Dag) -> f64 {
    use rayon::prelude::*;
    let locals: Vec<f64> = (0..dag.n_nodes())
        .into_par_iter()
        .map(|v| {
            let mut ps = dag.parents(v).to_vec();
            ps.sort_unstable();
            scorer.local(v, &ps)
        })
        .collect();
    locals.iter().sum()
}

/// Local scores remembered by `(child, sorted parent set)`, for scoring many graphs over the
/// same data (as a search does).
///
/// ```
/// use genmodels::bayesnet::DiscreteData;
/// use genmodels::bayesnet::learn::{Dag, ScoreCache, ScoreKind};
/// # fn main() -> genmodels::core::Result<()> {
/// let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
/// let data = DiscreteData::new(
///     s(&["a", "b", "c"]),
///     vec![s(&["0", "1"]); 3],
///     vec![vec![0, 1, 1, 0, 1], vec![0, 1, 1, 0, 0], vec![1, 1, 0, 0, 1]],
/// )?;
/// let mut cache = ScoreCache::new(&data, ScoreKind::BDeu { ess: 10.0 })?;
/// let x = cache.local_score(2, &[0, 1])?;
/// assert_eq!(cache.local_score(2, &[1, 0])?, x); // the same family, from the cache
/// assert_eq!(cache.len(), 1);
/// let chain = Dag::from_edges(3, &[(0, 1), (1, 2)])?;
/// assert!(cache.score(&chain)?.is_finite());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct ScoreCache<'a> {
    scorer: Scorer<'a>,
    cache: Vec<HashMap<Vec<usize>, f64>>,
}

impl<'a> ScoreCache<'a> {
    /// Checks the data and the score once (the same errors as [`local_score`]).
    pub fn new(data: &'a DiscreteData, kind: ScoreKind) -> Result<Self> {
        let scorer = Scorer::new(data, kind, "scoring")?;
        let cache = vec![HashMap::new(); scorer.n_vars()];
        Ok(Self { scorer, cache })
    }

    /// The score this cache computes.
    pub fn kind(&self) -> ScoreKind {
        self.scorer.kind
    }

    /// The local score of `child` given `parents`, computed once per parent set.
    pub fn local_score(&mut self, child: usize, parents: &[usize]) -> Result<f64> {
        check_family(self.scorer.n_vars(), child, parents)?;
        let mut key = parents.to_vec();
        key.sort_unstable();
        if let Some(&v) = self.cache[child].get(key.as_slice()) {
            return Ok(v);
        }
        let v = self.scorer.local(child, &key);
        self.cache[child].insert(key, v);
        Ok(v)
    }

    /// The score of a graph over the data's columns.
    pub fn score(&mut self, dag: &Dag) -> Result<f64> {
        if dag.n_nodes() != self.scorer.n_vars() {
            return Err(NetworkError::Other(format!(
                "the graph has {} nodes but the data has {} columns: they must match",
                dag.n_nodes(),
                self.scorer.n_vars()
            ))
            .into());
        }
        let mut s = 0.0;
        for v in 0..dag.n_nodes() {
            s += self.local_score(v, dag.parents(v))?;
        }
        Ok(s)
    }

    /// The number of families remembered.
    pub fn len(&self) -> usize {
        self.cache.iter().map(HashMap::len).sum()
    }

    /// Whether nothing is remembered yet.
    pub fn is_empty(&self) -> bool {
        self.cache.iter().all(HashMap::is_empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    /// a (2 states), b (3 states, one never seen), y (3 states, one never seen).
    fn tiny() -> DiscreteData {
        DiscreteData::new(
            strings(&["a", "b", "y"]),
            vec![
                strings(&["0", "1"]),
                strings(&["0", "1", "2"]),
                strings(&["0", "1", "2"]),
            ],
            vec![
                vec![0, 0, 0, 1, 1, 1, 0],
                vec![0, 1, 1, 0, 0, 1, 0],
                vec![0, 1, 1, 0, 1, 1, 0],
            ],
        )
        .unwrap()
    }

    fn lg(x: f64) -> f64 {
        libm::lgamma(x)
    }

    #[test]
    fn textbook_and_pgmpy_scores_by_hand() {
        let d = tiny();
        // y | a: a=0 rows y = 0,1,1,0 ; a=1 rows y = 0,1,1. r=3 (state 2 unseen), q=2.
        let (n0, n1) = ([2.0, 2.0, 0.0], [1.0, 2.0, 0.0]);
        let ll: f64 = 2.0 * (0.5f64).ln()
            + 2.0 * (0.5f64).ln()
            + 1.0 * (1.0f64 / 3.0).ln()
            + 2.0 * (2.0f64 / 3.0).ln();
        let got = local_score(&d, 2, &[0], ScoreKind::LogLikelihood).unwrap();
        assert!((got - ll).abs() < 1e-12);
        let bic = ll - 0.5 * 7f64.ln() * 2.0 * 2.0;
        assert!((local_score(&d, 2, &[0], ScoreKind::Bic).unwrap() - bic).abs() < 1e-12);
        let aic = ll - 4.0;
        assert!((local_score(&d, 2, &[0], ScoreKind::Aic).unwrap() - aic).abs() < 1e-12);
        // BDeu(ess = 4): alpha = 2, beta = 2/3.
        let (a, b) = (2.0, 2.0 / 3.0);
        let mut bd = 0.0;
        for row in [n0, n1] {
            let nj: f64 = row.iter().sum();
            bd += lg(a) - lg(nj + a);
            for c in row {
                bd += lg(c + b) - lg(b);
            }
        }
        let kind = ScoreKind::BDeuTextbook { ess: 4.0 };
        assert!((local_score(&d, 2, &[0], kind).unwrap() - bd).abs() < 1e-12);
        // pgmpy drops the unseen child state (one per seen configuration).
        let pg = bd - 2.0 * 1.0 * lg(b);
        let kind = ScoreKind::BDeu { ess: 4.0 };
        assert!((local_score(&d, 2, &[0], kind).unwrap() - pg).abs() < 1e-12);
        // K2: r = 3.
        let mut k2 = 0.0;
        for row in [n0, n1] {
            let nj: f64 = row.iter().sum();
            k2 += lg(3.0) - lg(nj + 3.0);
            for c in row {
                k2 += lg(c + 1.0);
            }
        }
        assert!((local_score(&d, 2, &[0], ScoreKind::K2Textbook).unwrap() - k2).abs() < 1e-12);
        // Every configuration of a is seen: pgmpy's K2 agrees.
        assert!((local_score(&d, 2, &[0], ScoreKind::K2).unwrap() - k2).abs() < 1e-12);
        // y | b: b=2 never seen, so pgmpy's K2 adds lnΓ(3) once.
        let t = local_score(&d, 2, &[1], ScoreKind::K2Textbook).unwrap();
        let p = local_score(&d, 2, &[1], ScoreKind::K2).unwrap();
        assert!((p - t - lg(3.0)).abs() < 1e-12);
        // Without parents pgmpy keeps every child state.
        let t = local_score(&d, 2, &[], ScoreKind::BDeuTextbook { ess: 1.0 }).unwrap();
        let p = local_score(&d, 2, &[], ScoreKind::BDeu { ess: 1.0 }).unwrap();
        assert_eq!(t, p);
    }

    #[test]
    fn parent_order_does_not_matter_and_cache_agrees() {
        let d = tiny();
        for kind in [
            ScoreKind::Bic,
            ScoreKind::BDeu { ess: 10.0 },
            ScoreKind::K2,
            ScoreKind::K2Textbook,
        ] {
            let x = local_score(&d, 2, &[0, 1], kind).unwrap();
            let y = local_score(&d, 2, &[1, 0], kind).unwrap();
            assert_eq!(x, y);
            let s = Scorer::new(&d, kind, "t").unwrap();
            let base = Configs::of(&s.cols, &s.cards, &[1], s.n);
            let z = s.local_extended(2, &base, 1, 3.0, 0);
            assert!((x - z).abs() < 1e-12);
            let (y_a, a_y) = s.pair(0, 2);
            assert!((y_a - s.local(2, &[0])).abs() < 1e-12);
            assert!((a_y - s.local(0, &[2])).abs() < 1e-12);
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        let d = tiny();
        assert!(local_score(&d, 3, &[], ScoreKind::Bic).is_err());
        assert!(local_score(&d, 0, &[0], ScoreKind::Bic).is_err());
        assert!(local_score(&d, 0, &[1, 1], ScoreKind::Bic).is_err());
        assert!(local_score(&d, 0, &[], ScoreKind::BDeu { ess: 0.0 }).is_err());
        let mut m = d.clone();
        m.columns[1][2] = crate::bayesnet::MISSING;
        assert!(local_score(&m, 0, &[], ScoreKind::Bic).is_err());
        let mut bad = d.clone();
        bad.columns[0][0] = 7;
        assert!(local_score(&bad, 0, &[], ScoreKind::Bic).is_err());
        let empty = DiscreteData {
            names: d.names.clone(),
            states: d.states.clone(),
            columns: vec![vec![]; 3],
        };
        assert!(local_score(&empty, 0, &[], ScoreKind::Bic).is_err());
    }
}
