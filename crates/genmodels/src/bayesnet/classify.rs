//! A network as a classifier: P(class | the other cells of a row) for a naive-Bayes or TAN
//! network (or any network), and the network property that names its class variable.

use ndarray::{Array2, ArrayView1};

use super::data::observed_cells;
use super::inference::JunctionTree;
use super::{BayesNet, DiscreteData, MISSING};
use crate::core::Result;

/// The network property naming the class variable of a network fitted as a classifier
/// (`genmodels_class = NAME` among the network's properties).
pub const CLASS_PROPERTY: &str = "genmodels_class";

/// The class variable named by the network's [`CLASS_PROPERTY`], if it has one that names one
/// of its variables.
pub fn class_of(net: &BayesNet) -> Option<usize> {
    net.annotations().network_properties.iter().find_map(|p| {
        let (k, v) = p.split_once('=')?;
        if k.trim() == CLASS_PROPERTY {
            net.index_of(v.trim()).ok()
        } else {
            None
        }
    })
}

/// Marks variable `class` as the network's class variable (adds the [`CLASS_PROPERTY`]).
pub fn mark_class(net: &mut BayesNet, class: usize) {
    let mut ann = net.annotations().clone();
    ann.network_properties
        .push(format!("{CLASS_PROPERTY} = {}", net.variable(class).name));
    net.set_annotations(ann);
}

/// P(class | the rest of a row), exactly, by a junction tree built once for the network.
pub struct ClassPosterior<'a> {
    jt: JunctionTree<'a>,
    class: usize,
}

impl<'a> ClassPosterior<'a> {
    /// The posterior of variable `class` of `net`.
    pub fn new(net: &'a BayesNet, class: usize) -> Result<Self> {
        Ok(Self {
            jt: JunctionTree::new(net)?,
            class,
        })
    }

    /// P(class = c | the row's observed cells other than the class), for every class `c`:
    /// `cells` holds one code per network variable ([`MISSING`] for an unobserved cell).
    /// Errors when the observed cells have probability zero under the network.
    pub fn row(&self, cells: &[u16]) -> Result<Vec<f64>> {
        let evidence: Vec<(usize, usize)> = observed_cells(cells)
            .filter(|&(v, _)| v != self.class)
            .collect();
        Ok(self.jt.calibrate(&evidence)?.marginal(self.class))
    }
}

/// Class probabilities of every row of a table, with the rows' own classes.
#[derive(Debug, Clone)]
pub struct ClassProba {
    /// P(class | the rest of the row), one row per data row, one column per class state.
    pub proba: Array2<f64>,
    /// The row's class code where its class cell is filled.
    pub truth: Vec<Option<usize>>,
}

/// P(class | the rest of each row) for every row of `aligned` (data aligned to `net`, one
/// column per network variable), and the rows' classes where known. Errors at the first row
/// whose observed cells have probability zero; [`ClassPosterior::row`] answers one row.
pub fn class_proba(net: &BayesNet, aligned: &DiscreteData, class: usize) -> Result<ClassProba> {
    let post = ClassPosterior::new(net, class)?;
    let n = aligned.n_rows();
    let mut proba = Array2::zeros((n, net.cardinality(class)));
    let mut truth = Vec::with_capacity(n);
    for i in 0..n {
        let m = post.row(&aligned.row(i))?;
        proba.row_mut(i).assign(&ArrayView1::from(&m[..]));
        truth.push(class_code(aligned, class, i));
    }
    Ok(ClassProba { proba, truth })
}

/// Row `i`'s class code, when its class cell is filled.
pub fn class_code(aligned: &DiscreteData, class: usize, i: usize) -> Option<usize> {
    let c = aligned.columns[class][i];
    (c != MISSING).then_some(c as usize)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::bayesnet::formats::read_network;

    fn asia() -> BayesNet {
        let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/bayesnets/asia.bif");
        read_network(&p).expect("asia.bif")
    }

    /// P(class | observed) by summing the network's joint over every full assignment.
    fn brute_force(net: &BayesNet, cells: &[u16], class: usize) -> Vec<f64> {
        let cards = net.cardinalities();
        let total: usize = cards.iter().product();
        let mut p = vec![0.0; cards[class]];
        let mut a = vec![0usize; cards.len()];
        for mut idx in 0..total {
            for (v, &k) in cards.iter().enumerate().rev() {
                a[v] = idx % k;
                idx /= k;
            }
            let consistent = cells
                .iter()
                .enumerate()
                .all(|(v, &c)| v == class || c == MISSING || a[v] == c as usize);
            if consistent {
                p[a[class]] += net.log_prob(&a).exp();
            }
        }
        let z: f64 = p.iter().sum();
        p.iter().map(|x| x / z).collect()
    }

    #[test]
    fn class_proba_matches_enumeration_of_the_joint() {
        let net = asia();
        let n = net.n_variables();
        let class = net.index_of("lung").unwrap();
        let m = MISSING;
        // Rows of codes, one per variable in the network's order; some cells missing, the
        // class cell filled in some rows (it is never evidence).
        let mut rows: Vec<Vec<u16>> = vec![vec![m; n], vec![0; n], vec![1; n]];
        let mut mixed = vec![m; n];
        mixed[net.index_of("smoke").unwrap()] = 0;
        mixed[net.index_of("xray").unwrap()] = 0;
        mixed[net.index_of("dysp").unwrap()] = 1;
        rows.push(mixed);
        let mut other = vec![m; n];
        other[net.index_of("asia").unwrap()] = 0;
        other[net.index_of("bronc").unwrap()] = 1;
        other[class] = 1;
        rows.push(other);
        let data = DiscreteData {
            names: net.variables().iter().map(|v| v.name.clone()).collect(),
            states: net.variables().iter().map(|v| v.states.clone()).collect(),
            columns: (0..n)
                .map(|v| rows.iter().map(|r| r[v]).collect())
                .collect(),
        };
        let r = class_proba(&net, &data, class).unwrap();
        assert_eq!(r.proba.dim(), (rows.len(), 2));
        for (i, row) in rows.iter().enumerate() {
            let p = r.proba.row(i);
            assert!((p.sum() - 1.0).abs() < 1e-12, "row {i}: {p}");
            let want = brute_force(&net, row, class);
            for (got, want) in p.iter().zip(&want) {
                assert!((got - want).abs() < 1e-10, "row {i}: {p} against {want:?}");
            }
            assert_eq!(r.truth[i], (row[class] != m).then_some(row[class] as usize));
        }
        // The observed cells move the posterior: a row of all-first states differs from the
        // prior (no evidence).
        assert!((r.proba[[0, 0]] - r.proba[[1, 0]]).abs() > 1e-3);
    }

    #[test]
    fn the_class_property_names_the_class_variable() {
        let mut net = asia();
        assert_eq!(class_of(&net), None);
        let lung = net.index_of("lung").unwrap();
        mark_class(&mut net, lung);
        assert_eq!(class_of(&net), Some(lung));
        assert!(net
            .annotations()
            .network_properties
            .iter()
            .any(|p| p == "genmodels_class = lung"));
    }
}
