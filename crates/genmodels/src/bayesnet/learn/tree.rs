//! Tree-shaped structures: Chow–Liu trees, naive Bayes and tree-augmented naive Bayes (TAN).
//!
//! * Chow & Liu (1968): the maximum spanning tree of the pairwise mutual information
//!   `I(X; Y) = Σ p(x, y) ln(p(x, y) / (p(x) p(y)))` (empirical, in nats — the weights of pgmpy's
//!   `TreeSearch`, scikit-learn's `mutual_info_score`), its edges directed away from a root.
//!   It maximises the log-likelihood among trees.
//! * Naive Bayes: the class is the only parent of every feature.
//! * TAN (Friedman, Geiger & Goldszmidt 1997): the Chow–Liu tree of the features under the
//!   conditional mutual information `I(Xi; Xj | C)`, rooted at one feature, plus the class as a
//!   parent of every feature. (pgmpy's `TreeSearch(estimator_type="tan")` weighs the feature
//!   tree with the unconditional `I(Xi; Xj)` instead.)
//!
//! The spanning tree is Prim's algorithm on the dense weight matrix; among equal weights the
//! lower-numbered edge wins, so the result is deterministic.
//!
//! ```
//! use genmodels::bayesnet::DiscreteData;
//! use genmodels::bayesnet::learn::{chow_liu, naive_bayes, tan};
//! # fn main() -> genmodels::core::Result<()> {
//! let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
//! // a chain: c copies b most of the time, b copies a.
//! let a: Vec<u16> = (0..200).map(|i| (i % 2) as u16).collect();
//! let b: Vec<u16> = a.iter().enumerate().map(|(i, &x)| if i % 7 == 0 { 1 - x } else { x }).collect();
//! let c: Vec<u16> = b.iter().enumerate().map(|(i, &x)| if i % 5 == 0 { 1 - x } else { x }).collect();
//! let data = DiscreteData::new(s(&["a", "b", "c"]), vec![s(&["0", "1"]); 3], vec![a, b, c])?;
//! let tree = chow_liu(&data, Some(0))?;
//! assert_eq!(tree.edges(), vec![(0, 1), (1, 2)]);
//! let nb = naive_bayes(&data, 2)?;
//! assert_eq!(nb.parents(0), &[2]);
//! let t = tan(&data, 2, None)?;
//! assert!(t.parents(1).contains(&2) && t.parents(1).len() <= 2);
//! # Ok(()) }
//! ```

use rayon::prelude::*;

use super::counts::check_complete;
use super::dag::Dag;
use crate::bayesnet::data::DiscreteData;
use crate::core::{NetworkError, Result};

fn check_index(data: &DiscreteData, v: usize, what: &str) -> Result<()> {
    if v >= data.n_columns() {
        return Err(NetworkError::Other(format!(
            "the {what} index {v} is out of range: the data has {} columns",
            data.n_columns()
        ))
        .into());
    }
    Ok(())
}

/// `Σ c ln c` over a slice of counts.
fn sum_xlnx(counts: &[u32]) -> f64 {
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| c as f64 * (c as f64).ln())
        .sum()
}

/// I(a; b) in nats from the columns (checked data).
fn mi_unchecked(data: &DiscreteData, a: usize, b: usize) -> f64 {
    let (ra, rb) = (data.states[a].len(), data.states[b].len());
    let n = data.n_rows() as f64;
    let mut joint = vec![0u32; ra * rb];
    for (&x, &y) in data.columns[a].iter().zip(&data.columns[b]) {
        joint[x as usize * rb + y as usize] += 1;
    }
    let mut pa = vec![0u32; ra];
    let mut pb = vec![0u32; rb];
    for i in 0..ra {
        for j in 0..rb {
            pa[i] += joint[i * rb + j];
            pb[j] += joint[i * rb + j];
        }
    }
    // I = (1/N) [Σ N_xy ln N_xy − Σ N_x ln N_x − Σ N_y ln N_y] + ln N
    let i = (sum_xlnx(&joint) - sum_xlnx(&pa) - sum_xlnx(&pb)) / n + n.ln();
    i.max(0.0)
}

/// I(a; b | c) in nats from the columns (checked data).
fn cmi_unchecked(data: &DiscreteData, a: usize, b: usize, c: usize) -> f64 {
    let (ra, rb, rc) = (
        data.states[a].len(),
        data.states[b].len(),
        data.states[c].len(),
    );
    let n = data.n_rows() as f64;
    let mut abc = vec![0u32; rc * ra * rb];
    for ((&x, &y), &z) in data.columns[a]
        .iter()
        .zip(&data.columns[b])
        .zip(&data.columns[c])
    {
        abc[(z as usize * ra + x as usize) * rb + y as usize] += 1;
    }
    let mut ac = vec![0u32; rc * ra];
    let mut bc = vec![0u32; rc * rb];
    let mut cc = vec![0u32; rc];
    for z in 0..rc {
        for x in 0..ra {
            for y in 0..rb {
                let v = abc[(z * ra + x) * rb + y];
                ac[z * ra + x] += v;
                bc[z * rb + y] += v;
                cc[z] += v;
            }
        }
    }
    // I = (1/N) Σ N_xyz ln(N_xyz N_z / (N_xz N_yz))
    let i = (sum_xlnx(&abc) + sum_xlnx(&cc) - sum_xlnx(&ac) - sum_xlnx(&bc)) / n;
    i.max(0.0)
}

/// The empirical mutual information `I(a; b)` of two columns, in nats. An error on bad
/// indices, empty data or missing cells.
pub fn mutual_information(data: &DiscreteData, a: usize, b: usize) -> Result<f64> {
    check_complete(data, "mutual information")?;
    check_index(data, a, "variable")?;
    check_index(data, b, "variable")?;
    Ok(mi_unchecked(data, a, b))
}

/// The empirical conditional mutual information `I(a; b | c)`, in nats.
pub fn conditional_mutual_information(
    data: &DiscreteData,
    a: usize,
    b: usize,
    c: usize,
) -> Result<f64> {
    check_complete(data, "conditional mutual information")?;
    for v in [a, b, c] {
        check_index(data, v, "variable")?;
    }
    Ok(cmi_unchecked(data, a, b, c))
}

/// Prim's maximum spanning tree over `nodes` (weights `w[i * n + j]` over all `n` columns),
/// directed away from `root`; returns `(parent, child)` edges.
fn max_spanning_tree(n: usize, nodes: &[usize], w: &[f64], root: usize) -> Vec<(usize, usize)> {
    let mut in_tree = vec![false; n];
    let mut best = vec![f64::NEG_INFINITY; n];
    let mut from = vec![usize::MAX; n];
    in_tree[root] = true;
    for &v in nodes {
        if v != root {
            best[v] = w[root * n + v];
            from[v] = root;
        }
    }
    let mut edges = Vec::with_capacity(nodes.len().saturating_sub(1));
    for _ in 1..nodes.len() {
        let mut pick: Option<usize> = None;
        for &v in nodes {
            if !in_tree[v] && pick.is_none_or(|p| best[v] > best[p]) {
                pick = Some(v);
            }
        }
        let Some(v) = pick else { break };
        in_tree[v] = true;
        edges.push((from[v], v));
        for &u in nodes {
            if !in_tree[u] && w[v * n + u] > best[u] {
                best[u] = w[v * n + u];
                from[u] = v;
            }
        }
    }
    edges
}

/// The Chow–Liu tree of all columns, rooted at `root` (default: column 0). An error on bad
/// indices, empty data or missing cells.
pub fn chow_liu(data: &DiscreteData, root: Option<usize>) -> Result<Dag> {
    check_complete(data, "the Chow-Liu tree")?;
    let n = data.n_columns();
    let root = root.unwrap_or(0);
    check_index(data, root, "root")?;
    let pairs: Vec<(usize, usize)> = (0..n)
        .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
        .collect();
    let values: Vec<f64> = pairs
        .par_iter()
        .map(|&(a, b)| mi_unchecked(data, a, b))
        .collect();
    let mut w = vec![0.0; n * n];
    for (&(a, b), &v) in pairs.iter().zip(&values) {
        w[a * n + b] = v;
        w[b * n + a] = v;
    }
    let nodes: Vec<usize> = (0..n).collect();
    Dag::from_edges(n, &max_spanning_tree(n, &nodes, &w, root))
}

/// Naive Bayes: `class` is the only parent of every other column.
pub fn naive_bayes(data: &DiscreteData, class: usize) -> Result<Dag> {
    check_index(data, class, "class")?;
    let n = data.n_columns();
    let edges: Vec<(usize, usize)> = (0..n).filter(|&v| v != class).map(|v| (class, v)).collect();
    Dag::from_edges(n, &edges)
}

/// Tree-augmented naive Bayes: the maximum spanning tree of the features under
/// `I(Xi; Xj | class)`, rooted at `root` (default: the first feature), plus `class -> feature`
/// for every feature. Every feature has the class and at most one other feature as parents.
pub fn tan(data: &DiscreteData, class: usize, root: Option<usize>) -> Result<Dag> {
    check_complete(data, "TAN")?;
    check_index(data, class, "class")?;
    let n = data.n_columns();
    let features: Vec<usize> = (0..n).filter(|&v| v != class).collect();
    let root = match root {
        Some(r) => {
            check_index(data, r, "root")?;
            if r == class {
                return Err(NetworkError::Other(
                    "the root of the feature tree must be a feature, not the class".into(),
                )
                .into());
            }
            r
        }
        None => match features.first() {
            Some(&f) => f,
            None => return Dag::from_edges(n, &[]),
        },
    };
    let pairs: Vec<(usize, usize)> = features
        .iter()
        .enumerate()
        .flat_map(|(i, &a)| features[i + 1..].iter().map(move |&b| (a, b)))
        .collect();
    let values: Vec<f64> = pairs
        .par_iter()
        .map(|&(a, b)| cmi_unchecked(data, a, b, class))
        .collect();
    let mut w = vec![0.0; n * n];
    for (&(a, b), &v) in pairs.iter().zip(&values) {
        w[a * n + b] = v;
        w[b * n + a] = v;
    }
    let mut edges = max_spanning_tree(n, &features, &w, root);
    edges.extend(features.iter().map(|&f| (class, f)));
    Dag::from_edges(n, &edges)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn mutual_information_by_hand() {
        // a = b on half the rows: joint (0,0)=2 (1,1)=2 (0,1)=1 (1,0)=1 of 6.
        let d = DiscreteData::new(
            s(&["a", "b", "c"]),
            vec![s(&["0", "1"]); 3],
            vec![
                vec![0, 0, 1, 1, 0, 1],
                vec![0, 0, 1, 1, 1, 0],
                vec![0, 1, 0, 1, 0, 1],
            ],
        )
        .unwrap();
        let expect =
            4.0 / 6.0 * ((2.0 / 6.0) / 0.25f64).ln() + 2.0 / 6.0 * ((1.0 / 6.0) / 0.25f64).ln();
        assert!((mutual_information(&d, 0, 1).unwrap() - expect).abs() < 1e-12);
        assert!(mutual_information(&d, 0, 0).unwrap() > 0.6);
        // I(a; b | c) by hand: c=0 rows (0,0),(1,1),(0,1); c=1 rows (0,0),(1,1),(1,0).
        let mut cmi = 0.0f64;
        let rows: [(f64, f64, f64); 6] = [
            (1.0, 2.0, 1.0), // c=0: (a,b)=(0,0): N(a=0,c=0)=2, N(b=0,c=0)=1
            (1.0, 1.0, 2.0), // (1,1)
            (1.0, 2.0, 2.0), // (0,1)
            (1.0, 1.0, 2.0), // c=1: (0,0): N(a=0,c=1)=1, N(b=0,c=1)=2
            (1.0, 2.0, 1.0), // (1,1)
            (1.0, 2.0, 2.0), // (1,0)
        ];
        for (nxyz, nxz, nyz) in rows {
            cmi += nxyz / 6.0 * (nxyz * 3.0 / (nxz * nyz)).ln();
        }
        assert!((conditional_mutual_information(&d, 0, 1, 2).unwrap() - cmi).abs() < 1e-12);
    }
}
