//! The PC algorithm (Spirtes, Glymour & Scheines 2000), in its order-independent "stable" form
//! (Colombo & Maathuis 2014): remove the edge `X - Y` as soon as `X ⊥ Y | S` for some set `S` of
//! at most `max_cond` current neighbours of `X` or of `Y` (neighbour sets frozen at the start of
//! each set size, so the skeleton does not depend on the column order and the edges of one
//! level are tested in parallel); orient `X -> Z <- Y` for every non-adjacent `X`, `Y` with a
//! common neighbour `Z` outside their separating set; close under Meek's rules; extend the
//! resulting CPDAG to a DAG.
//!
//! The tests are Pearson's χ² or the likelihood-ratio G² on the stratified contingency tables
//! (one table of `X` by `Y` for each configuration of `S` that occurs). As in pgmpy's
//! `chi_square` / `g_sq`, the degrees of freedom add `(rows − 1)(columns − 1)` over the strata,
//! counting only the rows and columns that occur in each stratum; a test with zero degrees of
//! freedom has p-value 1 (independence accepted). Defaults follow pgmpy's `PC`: significance
//! level 0.01, at most 5 conditioning variables.
//!
//! ```
//! use genmodels::bayesnet::DiscreteData;
//! use genmodels::bayesnet::learn::{CiTest, Pc};
//! # fn main() -> genmodels::core::Result<()> {
//! use rand::Rng;
//! // a -> c <- b: a and b independent coins, c = a or b, flipped 10% of the time.
//! let mut rng = genmodels::core::rng_from_seed(3);
//! let mut cols = vec![Vec::new(), Vec::new(), Vec::new()];
//! for _ in 0..2000 {
//!     let (a, b): (u16, u16) = (rng.random_range(0..2), rng.random_range(0..2));
//!     let noise = rng.random_bool(0.1) as u16;
//!     cols[0].push(a);
//!     cols[1].push(b);
//!     cols[2].push((a | b) ^ noise);
//! }
//! let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
//! let data = DiscreteData::new(s(&["a", "b", "c"]), vec![s(&["0", "1"]); 3], cols)?;
//! let found = Pc::new().test(CiTest::GSquare).fit(&data)?;
//! assert_eq!(found.cpdag.directed_edges(), vec![(0, 2), (1, 2)]);
//! # Ok(()) }
//! ```

use crate::core::ParamGuard;
use rayon::prelude::*;

use super::counts::{check_complete, Configs};
use super::dag::{Dag, Pdag};
use crate::bayesnet::data::DiscreteData;
use crate::core::{ParamError, Result};

/// A conditional independence test for discrete data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CiTest {
    /// Pearson's χ² statistic `Σ (O − E)² / E`.
    ChiSquare,
    /// The likelihood-ratio statistic `G² = 2 Σ O ln(O / E)` (= 2 N · conditional mutual
    /// information).
    GSquare,
}

/// PC settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Pc {
    test: CiTest,
    alpha: f64,
    max_cond: usize,
}

impl Default for Pc {
    fn default() -> Self {
        Self::new()
    }
}

/// What the PC algorithm found.
#[derive(Debug, Clone, PartialEq)]
pub struct PcResult {
    /// The learned equivalence class (directed and undirected edges).
    pub cpdag: Pdag,
    /// A DAG in that class (see [`Pdag::to_dag`]).
    pub dag: Dag,
    /// For every removed edge `(a, b)` (`a < b`), the set that separated them.
    pub sepsets: Vec<((usize, usize), Vec<usize>)>,
    /// How many independence tests were run.
    pub n_tests: usize,
}

impl ParamGuard for Pc {
    /// Rejects a significance level outside (0, 1).
    fn check(&self) -> std::result::Result<(), ParamError> {
        if !(self.alpha > 0.0 && self.alpha < 1.0) {
            return Err(ParamError::invalid(
                "significance",
                self.alpha,
                "a level strictly between 0 and 1 (pgmpy's default is 0.01)",
            ));
        }
        Ok(())
    }
}

impl Pc {
    /// χ² tests, significance level 0.01, at most 5 conditioning variables (pgmpy's defaults).
    pub fn new() -> Self {
        Self {
            test: CiTest::ChiSquare,
            alpha: 0.01,
            max_cond: 5,
        }
    }

    /// The independence test.
    pub fn test(mut self, test: CiTest) -> Self {
        self.test = test;
        self
    }

    /// The significance level: an edge goes when a test's p-value is above it.
    pub fn significance(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// The largest conditioning set tried.
    pub fn max_cond(mut self, k: usize) -> Self {
        self.max_cond = k;
        self
    }

    /// Runs the algorithm on complete data (an error on empty data or missing cells).
    pub fn fit(&self, data: &DiscreteData) -> Result<PcResult> {
        self.check()?;
        check_complete(data, "the PC algorithm")?;
        let n = data.n_columns();
        let cols: Vec<&[u16]> = data.columns.iter().map(Vec::as_slice).collect();
        let cards: Vec<usize> = data.states.iter().map(Vec::len).collect();
        let mut adj = vec![true; n * n];
        for v in 0..n {
            adj[v * n + v] = false;
        }
        let mut sepsets: Vec<((usize, usize), Vec<usize>)> = Vec::new();
        let mut n_tests = 0usize;
        for level in 0..=self.max_cond {
            let neighbours: Vec<Vec<usize>> = (0..n)
                .map(|v| (0..n).filter(|&u| adj[v * n + u]).collect())
                .collect();
            let edges: Vec<(usize, usize)> = (0..n)
                .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
                .filter(|&(a, b)| adj[a * n + b])
                .collect();
            if !edges
                .iter()
                .any(|&(a, b)| neighbours[a].len() > level || neighbours[b].len() > level)
            {
                break;
            }
            let outcomes: Vec<(Option<Vec<usize>>, usize)> = edges
                .par_iter()
                .map(|&(a, b)| {
                    let mut tests = 0;
                    for (x, y) in [(a, b), (b, a)] {
                        let others: Vec<usize> =
                            neighbours[x].iter().copied().filter(|&u| u != y).collect();
                        if others.len() < level {
                            continue;
                        }
                        let mut found = None;
                        for_each_subset(&others, level, |s| {
                            tests += 1;
                            let p = p_value(self.test, &cols, &cards, x, y, s);
                            if p > self.alpha {
                                found = Some(s.to_vec());
                                true
                            } else {
                                false
                            }
                        });
                        if found.is_some() {
                            return (found, tests);
                        }
                    }
                    (None, tests)
                })
                .collect();
            for (&(a, b), (sep, t)) in edges.iter().zip(outcomes) {
                n_tests += t;
                if let Some(s) = sep {
                    adj[a * n + b] = false;
                    adj[b * n + a] = false;
                    sepsets.push(((a, b), s));
                }
            }
        }
        sepsets.sort();
        let mut cpdag = Pdag::empty(n);
        for a in 0..n {
            for b in a + 1..n {
                if adj[a * n + b] {
                    cpdag.set_undirected(a, b);
                }
            }
        }
        // v-structures a -> c <- b
        for ((a, b), s) in &sepsets {
            for c in 0..n {
                if adj[*a * n + c] && adj[*b * n + c] && !s.contains(&c) {
                    cpdag.set_directed(*a, c);
                    cpdag.set_directed(*b, c);
                }
            }
        }
        cpdag.apply_meek_rules();
        let dag = cpdag.to_dag();
        Ok(PcResult {
            cpdag,
            dag,
            sepsets,
            n_tests,
        })
    }
}

/// Calls `f` with every subset of `items` of size `k` (in lexicographic order of positions)
/// until it returns true.
fn for_each_subset(items: &[usize], k: usize, mut f: impl FnMut(&[usize]) -> bool) {
    let m = items.len();
    if k > m {
        return;
    }
    let mut idx: Vec<usize> = (0..k).collect();
    let mut buf: Vec<usize> = vec![0; k];
    loop {
        for (b, &i) in buf.iter_mut().zip(&idx) {
            *b = items[i];
        }
        if f(&buf) {
            return;
        }
        // the rightmost position that can still move
        let mut i = k;
        while i > 0 && idx[i - 1] == i - 1 + m - k {
            i -= 1;
        }
        if i == 0 {
            return;
        }
        idx[i - 1] += 1;
        for j in i..k {
            idx[j] = idx[j - 1] + 1;
        }
    }
}

/// The p-value of `x ⊥ y | s`.
fn p_value(test: CiTest, cols: &[&[u16]], cards: &[usize], x: usize, y: usize, s: &[usize]) -> f64 {
    let (stat, dof) = statistic(test, cols, cards, x, y, s);
    if dof == 0 {
        return 1.0;
    }
    chi2_sf(stat, dof as f64)
}

/// The test statistic and its degrees of freedom.
fn statistic(
    test: CiTest,
    cols: &[&[u16]],
    cards: &[usize],
    x: usize,
    y: usize,
    s: &[usize],
) -> (f64, usize) {
    let n = cols[x].len();
    let mut cfg = Configs::of(cols, cards, s, n);
    let (rx, ry) = (cards[x].max(1), cards[y].max(1));
    if cfg.bound.saturating_mul(rx * ry) > 1 << 22 {
        cfg.compact();
    }
    let mut t = vec![0u32; cfg.bound * rx * ry];
    for ((&z, &a), &b) in cfg.ids.iter().zip(cols[x]).zip(cols[y]) {
        t[(z as usize * rx + a as usize) * ry + b as usize] += 1;
    }
    let mut stat = 0.0;
    let mut dof = 0usize;
    let mut row = vec![0u64; rx];
    let mut col = vec![0u64; ry];
    for table in t.chunks_exact(rx * ry) {
        row.iter_mut().for_each(|v| *v = 0);
        col.iter_mut().for_each(|v| *v = 0);
        let mut nz = 0u64;
        for a in 0..rx {
            for b in 0..ry {
                let c = table[a * ry + b] as u64;
                row[a] += c;
                col[b] += c;
                nz += c;
            }
        }
        if nz == 0 {
            continue;
        }
        let rows = row.iter().filter(|&&v| v > 0).count();
        let cols_ = col.iter().filter(|&&v| v > 0).count();
        dof += (rows.saturating_sub(1)) * (cols_.saturating_sub(1));
        let nzf = nz as f64;
        for a in 0..rx {
            if row[a] == 0 {
                continue;
            }
            for b in 0..ry {
                if col[b] == 0 {
                    continue;
                }
                let o = table[a * ry + b] as f64;
                let e = row[a] as f64 * col[b] as f64 / nzf;
                match test {
                    CiTest::ChiSquare => stat += (o - e) * (o - e) / e,
                    CiTest::GSquare => {
                        if o > 0.0 {
                            stat += 2.0 * o * (o / e).ln()
                        }
                    }
                }
            }
        }
    }
    (stat.max(0.0), dof)
}

/// The χ² survival function `P(χ²_k > x)`, the regularised upper incomplete gamma function
/// `Q(k/2, x/2)` (series below `a + 1`, Lentz's continued fraction above; Numerical Recipes
/// §6.2).
pub(crate) fn chi2_sf(x: f64, k: f64) -> f64 {
    if !x.is_finite() {
        return if x > 0.0 { 0.0 } else { 1.0 };
    }
    if x <= 0.0 {
        return 1.0;
    }
    let a = k / 2.0;
    let z = x / 2.0;
    let lg = libm::lgamma(a);
    if z < a + 1.0 {
        // P(a, z) by its series, Q = 1 − P
        let mut sum = 1.0 / a;
        let mut term = sum;
        let mut ap = a;
        for _ in 0..10_000 {
            ap += 1.0;
            term *= z / ap;
            sum += term;
            if term.abs() < sum.abs() * 1e-16 {
                break;
            }
        }
        let p = sum * (-z + a * z.ln() - lg).exp();
        (1.0 - p).clamp(0.0, 1.0)
    } else {
        let tiny = 1e-300;
        let mut b = z + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-16 {
                break;
            }
        }
        (h * (-z + a * z.ln() - lg).exp()).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chi2_survival_matches_known_values() {
        // scipy.stats.chi2.sf
        assert!((chi2_sf(3.841458820694124, 1.0) - 0.05).abs() < 1e-9);
        assert!((chi2_sf(5.991464547107979, 2.0) - 0.05).abs() < 1e-9);
        assert!((chi2_sf(2.0, 2.0) - (-1.0f64).exp()).abs() < 1e-12);
        assert!((chi2_sf(30.0, 10.0) - 0.0008566412107753004).abs() < 1e-12);
        assert!((chi2_sf(0.5, 4.0) - 0.973500981).abs() < 1e-8);
        assert_eq!(chi2_sf(0.0, 3.0), 1.0);
    }

    #[test]
    fn subsets_in_order() {
        let mut got = Vec::new();
        for_each_subset(&[4, 5, 6, 7], 2, |s| {
            got.push(s.to_vec());
            false
        });
        assert_eq!(
            got,
            vec![
                vec![4, 5],
                vec![4, 6],
                vec![4, 7],
                vec![5, 6],
                vec![5, 7],
                vec![6, 7]
            ]
        );
        let mut empty = 0;
        for_each_subset(&[1, 2], 0, |s| {
            assert!(s.is_empty());
            empty += 1;
            false
        });
        assert_eq!(empty, 1);
        let mut none = 0;
        for_each_subset(&[1], 2, |_| {
            none += 1;
            false
        });
        assert_eq!(none, 0);
    }
}
