//! The junction tree: built once per network, calibrated once per evidence set (Hugin).

use rand::RngCore;

use super::elimination::VariableElimination;
use super::order::{greedy, Graph};
use super::{check_evidence, check_targets, impossible, too_large, uniform, FastRng};
use crate::bayesnet::data::DiscreteData;
use crate::bayesnet::factor::{walk1, Factor};
use crate::bayesnet::network::{BayesNet, MAX_TABLE_ENTRIES};
use crate::core::{NetworkError, Result};

/// The link from a clique to its parent in the rooted tree.
#[derive(Debug, Clone)]
struct Link {
    /// The parent clique.
    parent: usize,
    /// The separator's variables (ascending) and cardinalities.
    vars: Vec<usize>,
    cards: Vec<usize>,
    /// The separator's offset in the flat message buffer, and its size.
    offset: usize,
    size: usize,
    /// The separator stride of each dimension of the child clique (0 when not in it).
    sub_child: Vec<usize>,
    /// The same for the parent clique.
    sub_parent: Vec<usize>,
}

/// A junction tree (clique tree) of a network, for exact inference with many queries per
/// evidence set.
///
/// Construction: the moral graph (every node married to its parents, parents to each other)
/// is triangulated by greedy weighted min-fill elimination (fill edges weighted by the product
/// of the cardinalities, ties by the smaller clique table); the maximal elimination cliques are
/// joined by a maximum spanning tree on separator size (Kruskal; separators may be empty, which
/// joins the pieces of a disconnected network). Each CPT goes to the smallest clique holding
/// its family. [`calibrate`](Self::calibrate) runs Hugin propagation (collect to the largest
/// clique, then distribute), rescaling every message so that the log-probability of evidence
/// does not underflow.
///
/// ```
/// use genmodels::bayesnet::inference::JunctionTree;
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
/// let jt = JunctionTree::new(&net)?;
/// let cal = jt.calibrate(&net.evidence(&[("wet", "yes")])?)?;
/// let all = cal.all_marginals();
/// assert_eq!(all[2], vec![1.0, 0.0]); // the evidence itself
/// let rain = cal.marginal(0);
/// assert!((rain[0] + rain[1] - 1.0).abs() < 1e-12);
/// // P(wet = yes) = 0.2 (0.01·0.99 + 0.99·0.8) + 0.8 (0.4·0.9 + 0.6·0)
/// let p: f64 = 0.2 * (0.01 * 0.99 + 0.99 * 0.8) + 0.8 * 0.4 * 0.9;
/// assert!((cal.log_evidence() - p.ln()).abs() < 1e-12);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct JunctionTree<'a> {
    net: &'a BayesNet,
    /// Each clique's variables (ascending) and cardinalities.
    cliques: Vec<Vec<usize>>,
    clique_cards: Vec<Vec<usize>>,
    /// Offsets of the cliques in the flat potential buffers (one more than cliques).
    offsets: Vec<usize>,
    /// The product of the CPTs assigned to each clique, flat.
    initial: Vec<f64>,
    /// The cliques root first, every parent before its children.
    order: Vec<usize>,
    /// The link to the parent, per clique (`None` for the root).
    links: Vec<Option<Link>>,
    /// Total size of all separators.
    message_size: usize,
    /// Per variable: the smallest clique holding it, and its position there.
    home: Vec<(usize, usize)>,
    /// Per variable: the clique holding its family, and the stride of each of the clique's
    /// dimensions in the CPT layout `(parents..., child)` (0 for the others).
    family: Vec<(usize, Vec<usize>)>,
}

impl<'a> JunctionTree<'a> {
    /// Builds the tree. [`NetworkError::TooLarge`] when the clique tables together would hold
    /// more than [`MAX_TABLE_ENTRIES`] entries.
    pub fn new(net: &'a BayesNet) -> Result<Self> {
        let n = net.n_variables();
        let cards = net.cardinalities();
        let mut moral = Graph::new(n);
        for v in 0..n {
            let mut fam = net.parents(v).to_vec();
            fam.push(v);
            moral.add_clique(&fam);
        }
        let all: Vec<usize> = (0..n).collect();
        let elim = greedy(moral, &all, &cards, None);
        // Maximal cliques: an elimination clique is not maximal iff an earlier one holds it.
        let words = n.div_ceil(64).max(1);
        let bits = |c: &[usize]| {
            let mut b = vec![0u64; words];
            for &v in c {
                b[v / 64] |= 1 << (v % 64);
            }
            b
        };
        let subset = |a: &[u64], b: &[u64]| a.iter().zip(b).all(|(x, y)| x & !y == 0);
        let mut cliques: Vec<Vec<usize>> = Vec::new();
        let mut clique_bits: Vec<Vec<u64>> = Vec::new();
        for c in elim.cliques {
            let b = bits(&c);
            if clique_bits.iter().any(|e| subset(&b, e)) {
                continue;
            }
            cliques.push(c);
            clique_bits.push(b);
        }
        let sizes: Vec<f64> = cliques
            .iter()
            .map(|c| c.iter().map(|&v| cards[v] as f64).product())
            .collect();
        let total: f64 = sizes.iter().sum();
        if total > MAX_TABLE_ENTRIES as f64 {
            return Err(too_large(
                format!(
                    "the junction tree ({} cliques, the largest of {} entries)",
                    cliques.len(),
                    sizes.iter().copied().fold(0.0, f64::max)
                ),
                total,
            ));
        }
        let nc = cliques.len();
        // Maximum spanning tree on separator size (Kruskal).
        let mut pairs: Vec<(usize, usize, usize)> = Vec::new();
        for i in 0..nc {
            for j in i + 1..nc {
                let common: usize = clique_bits[i]
                    .iter()
                    .zip(&clique_bits[j])
                    .map(|(a, b)| (a & b).count_ones() as usize)
                    .sum();
                pairs.push((common, i, j));
            }
        }
        pairs.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let mut uf: Vec<usize> = (0..nc).collect();
        fn find(p: &mut [usize], mut x: usize) -> usize {
            while p[x] != x {
                p[x] = p[p[x]];
                x = p[x];
            }
            x
        }
        let mut adj: Vec<Vec<usize>> = vec![Vec::new(); nc];
        let mut joined = 0;
        for &(_, i, j) in &pairs {
            if joined + 1 == nc {
                break;
            }
            let (ri, rj) = (find(&mut uf, i), find(&mut uf, j));
            if ri != rj {
                uf[ri] = rj;
                adj[i].push(j);
                adj[j].push(i);
                joined += 1;
            }
        }
        // Root at the largest clique; breadth-first order.
        let root = (0..nc)
            .max_by(|&a, &b| sizes[a].total_cmp(&sizes[b]).then(b.cmp(&a)))
            .expect("a network has at least one variable");
        let mut order = vec![root];
        let mut parent = vec![usize::MAX; nc];
        let mut seen = vec![false; nc];
        seen[root] = true;
        let mut head = 0;
        while head < order.len() {
            let c = order[head];
            head += 1;
            for &d in &adj[c] {
                if !seen[d] {
                    seen[d] = true;
                    parent[d] = c;
                    order.push(d);
                }
            }
        }
        let clique_cards: Vec<Vec<usize>> = cliques
            .iter()
            .map(|c| c.iter().map(|&v| cards[v]).collect())
            .collect();
        let mut links: Vec<Option<Link>> = vec![None; nc];
        let mut message_size = 0;
        for c in 0..nc {
            if parent[c] == usize::MAX {
                continue;
            }
            let p = parent[c];
            let vars: Vec<usize> = cliques[c]
                .iter()
                .copied()
                .filter(|v| cliques[p].contains(v))
                .collect();
            let sep_cards: Vec<usize> = vars.iter().map(|&v| cards[v]).collect();
            let strides = row_strides(&sep_cards);
            let sub = |clique: &[usize]| -> Vec<usize> {
                clique
                    .iter()
                    .map(|v| vars.iter().position(|u| u == v).map_or(0, |k| strides[k]))
                    .collect()
            };
            let size: usize = sep_cards.iter().product();
            links[c] = Some(Link {
                parent: p,
                sub_child: sub(&cliques[c]),
                sub_parent: sub(&cliques[p]),
                vars,
                cards: sep_cards,
                offset: message_size,
                size,
            });
            message_size += size;
        }
        let mut offsets = vec![0usize; nc + 1];
        for c in 0..nc {
            offsets[c + 1] = offsets[c] + sizes[c] as usize;
        }
        // Homes: the smallest clique holding each variable / each family.
        let smallest_holding = |set: &[usize]| -> usize {
            let b = bits(set);
            (0..nc)
                .filter(|&c| subset(&b, &clique_bits[c]))
                .min_by(|&a, &b| sizes[a].total_cmp(&sizes[b]).then(a.cmp(&b)))
                .expect("every family lies in a clique of the triangulated moral graph")
        };
        let home: Vec<(usize, usize)> = (0..n)
            .map(|v| {
                let c = smallest_holding(&[v]);
                let pos = cliques[c].iter().position(|&u| u == v).expect("held");
                (c, pos)
            })
            .collect();
        let mut initial = vec![1.0; offsets[nc]];
        let mut family = Vec::with_capacity(n);
        for v in 0..n {
            let mut fam = net.parents(v).to_vec();
            fam.push(v);
            let c = smallest_holding(&fam);
            let fam_cards: Vec<usize> = fam.iter().map(|&u| cards[u]).collect();
            let fs = row_strides(&fam_cards);
            let sub: Vec<usize> = cliques[c]
                .iter()
                .map(|u| fam.iter().position(|w| w == u).map_or(0, |k| fs[k]))
                .collect();
            let table = &mut initial[offsets[c]..offsets[c + 1]];
            let cpt = net.normalized_cpt(v);
            walk1(&clique_cards[c], &sub, |i, o| table[i] *= cpt[o]);
            family.push((c, sub));
        }
        Ok(Self {
            net,
            cliques,
            clique_cards,
            offsets,
            initial,
            order,
            links,
            message_size,
            home,
            family,
        })
    }

    /// The network.
    pub fn network(&self) -> &'a BayesNet {
        self.net
    }

    /// The number of cliques.
    pub fn n_cliques(&self) -> usize {
        self.cliques.len()
    }

    /// The variables of clique `c` (ascending).
    pub fn clique(&self, c: usize) -> &[usize] {
        &self.cliques[c]
    }

    /// The edges of the tree as `(parent, child)` clique pairs.
    pub fn edges(&self) -> Vec<(usize, usize)> {
        self.order
            .iter()
            .filter_map(|&c| self.links[c].as_ref().map(|l| (l.parent, c)))
            .collect()
    }

    /// The largest clique table (entries).
    pub fn max_clique_size(&self) -> usize {
        (0..self.cliques.len())
            .map(|c| self.offsets[c + 1] - self.offsets[c])
            .max()
            .unwrap_or(0)
    }

    /// The treewidth of the triangulation: the largest clique's variable count minus one.
    pub fn width(&self) -> usize {
        self.cliques.iter().map(Vec::len).max().unwrap_or(1) - 1
    }

    /// Calibrates on `evidence` (Hugin propagation): afterwards every clique holds the
    /// normalised joint posterior of its variables. [`NetworkError::ImpossibleEvidence`] when
    /// the evidence has probability zero.
    pub fn calibrate(&self, evidence: &[(usize, usize)]) -> Result<Calibrated<'_>> {
        let ev = check_evidence(self.net, evidence)?;
        let mut pot = self.initial.clone();
        for &(v, s) in &ev {
            let (c, k) = self.home[v];
            let cards = &self.clique_cards[c];
            let inner: usize = cards[k + 1..].iter().product();
            let card = cards[k];
            let table = &mut pot[self.offsets[c]..self.offsets[c + 1]];
            for (b, block) in table.chunks_exact_mut(inner).enumerate() {
                if b % card != s {
                    block.fill(0.0);
                }
            }
        }
        let mut msg = vec![0.0; self.message_size];
        let mut log_z = 0.0;
        // Collect: children before parents.
        for &c in self.order.iter().rev() {
            let Some(l) = &self.links[c] else { continue };
            let m = &mut msg[l.offset..l.offset + l.size];
            m.iter_mut().for_each(|x| *x = 0.0);
            let table = &pot[self.offsets[c]..self.offsets[c + 1]];
            walk1(&self.clique_cards[c], &l.sub_child, |i, o| m[o] += table[i]);
            let z: f64 = m.iter().sum();
            if z <= 0.0 || !z.is_finite() {
                return Err(impossible(self.net, &ev));
            }
            log_z += z.ln();
            let inv = 1.0 / z;
            let p = l.parent;
            let ptable = &mut pot[self.offsets[p]..self.offsets[p + 1]];
            walk1(&self.clique_cards[p], &l.sub_parent, |i, o| {
                ptable[i] *= m[o] * inv
            });
            // Keep the unnormalised message: distribute divides by it.
        }
        let root = self.order[0];
        let rt = &mut pot[self.offsets[root]..self.offsets[root + 1]];
        let z: f64 = rt.iter().sum();
        if z <= 0.0 || !z.is_finite() {
            return Err(impossible(self.net, &ev));
        }
        log_z += z.ln();
        let inv = 1.0 / z;
        rt.iter_mut().for_each(|x| *x *= inv);
        // Distribute: parents before children; child *= new separator / collected one.
        let mut fresh = vec![
            0.0;
            self.links
                .iter()
                .flatten()
                .map(|l| l.size)
                .max()
                .unwrap_or(0)
        ];
        for &c in &self.order[1..] {
            let l = self.links[c]
                .as_ref()
                .expect("non-root cliques have a parent");
            let p = l.parent;
            let new = &mut fresh[..l.size];
            new.iter_mut().for_each(|x| *x = 0.0);
            {
                let ptable = &pot[self.offsets[p]..self.offsets[p + 1]];
                walk1(&self.clique_cards[p], &l.sub_parent, |i, o| {
                    new[o] += ptable[i]
                });
            }
            let old = &msg[l.offset..l.offset + l.size];
            for (x, &o) in new.iter_mut().zip(old) {
                *x = if o > 0.0 { *x / o } else { 0.0 };
            }
            let table = &mut pot[self.offsets[c]..self.offsets[c + 1]];
            walk1(&self.clique_cards[c], &l.sub_child, |i, o| {
                table[i] *= new[o]
            });
        }
        Ok(Calibrated {
            jt: self,
            beliefs: pot,
            log_evidence: log_z,
            evidence: ev,
        })
    }
}

/// Row-major strides of `cards`.
fn row_strides(cards: &[usize]) -> Vec<usize> {
    let mut s = vec![0; cards.len()];
    let mut acc = 1;
    for i in (0..cards.len()).rev() {
        s[i] = acc;
        acc *= cards[i];
    }
    s
}

/// A junction tree calibrated on one evidence set: posterior marginals, joints within a clique,
/// the probability of the evidence, exact samples.
#[derive(Debug, Clone)]
pub struct Calibrated<'t> {
    jt: &'t JunctionTree<'t>,
    beliefs: Vec<f64>,
    log_evidence: f64,
    evidence: Vec<(usize, usize)>,
}

impl<'t> Calibrated<'t> {
    /// The evidence calibrated on (without duplicates).
    pub fn evidence(&self) -> &[(usize, usize)] {
        &self.evidence
    }

    /// ln P(evidence) (0 for no evidence).
    pub fn log_evidence(&self) -> f64 {
        self.log_evidence
    }

    fn belief(&self, c: usize) -> &[f64] {
        &self.beliefs[self.jt.offsets[c]..self.jt.offsets[c + 1]]
    }

    /// The posterior marginal P(v | evidence), one probability per state; an evidence
    /// variable gives its point mass.
    ///
    /// # Panics
    /// When `v` is not a variable index of the network.
    pub fn marginal(&self, v: usize) -> Vec<f64> {
        let (c, k) = self.jt.home[v];
        let cards = &self.jt.clique_cards[c];
        let inner: usize = cards[k + 1..].iter().product();
        let card = cards[k];
        let mut out = vec![0.0; card];
        for (chunk, block) in self.belief(c).chunks_exact(inner).enumerate() {
            out[chunk % card] += block.iter().sum::<f64>();
        }
        let z: f64 = out.iter().sum();
        if z > 0.0 {
            out.iter_mut().for_each(|x| *x /= z);
        }
        out
    }

    /// Every variable's posterior marginal, indexed like the variables.
    pub fn all_marginals(&self) -> Vec<Vec<f64>> {
        (0..self.jt.net.n_variables())
            .map(|v| self.marginal(v))
            .collect()
    }

    /// The joint posterior over `targets` (in that order): read from a clique when one holds
    /// them all, otherwise computed by variable elimination with the same evidence.
    pub fn joint(&self, targets: &[usize]) -> Result<Factor> {
        check_targets(self.jt.net, targets)?;
        let holding = (0..self.jt.cliques.len())
            .filter(|&c| targets.iter().all(|t| self.jt.cliques[c].contains(t)))
            .min_by_key(|&c| self.jt.offsets[c + 1] - self.jt.offsets[c]);
        let Some(c) = holding else {
            return VariableElimination::new(self.jt.net).query(targets, &self.evidence);
        };
        let f = Factor::from_parts(
            self.jt.cliques[c].clone(),
            self.jt.clique_cards[c].clone(),
            self.belief(c).to_vec(),
        );
        let others: Vec<usize> = self.jt.cliques[c]
            .iter()
            .copied()
            .filter(|v| !targets.contains(v))
            .collect();
        let mut f = f.sum_out(&others).reorder(targets);
        f.normalize();
        Ok(f)
    }

    /// Adds `weight` × P(family of `v` | evidence) into `out`, laid out like `v`'s CPT
    /// (`(parents..., v)` row-major): the expected counts of the E-step.
    pub(crate) fn add_family_posterior(&self, v: usize, weight: f64, out: &mut [f64]) {
        let (c, sub) = &self.jt.family[v];
        let b = self.belief(*c);
        walk1(&self.jt.clique_cards[*c], sub, |i, o| {
            out[o] += weight * b[i]
        });
    }

    /// Draws `n` exact, independent samples from P(X | evidence) (the evidence included in
    /// every row): the root clique from its belief, then each clique's remaining variables
    /// from its belief given the separator already drawn. The draws come from a xoshiro256++
    /// stream seeded by one word of `rng`.
    pub fn sample(&self, n: usize, rng: &mut dyn RngCore) -> Result<DiscreteData> {
        let jt = self.jt;
        let net = jt.net;
        DiscreteData::check_codable(net)?;
        crate::core::memory::check_rows("samples", n, net.n_variables(), 2 * 2)?;
        struct Step {
            sep: Vec<usize>,
            sep_strides: Vec<usize>,
            res: Vec<usize>,
            res_cards: Vec<usize>,
            width: usize,
            cum: Vec<f64>,
        }
        let mut steps = Vec::with_capacity(jt.cliques.len());
        for &c in &jt.order {
            let sep: Vec<usize> = jt.links[c].as_ref().map_or(Vec::new(), |l| l.vars.clone());
            let sep_cards: Vec<usize> =
                jt.links[c].as_ref().map_or(Vec::new(), |l| l.cards.clone());
            let res: Vec<usize> = jt.cliques[c]
                .iter()
                .copied()
                .filter(|v| !sep.contains(v))
                .collect();
            let res_cards: Vec<usize> = res.iter().map(|&v| net.cardinality(v)).collect();
            let mut order = sep.clone();
            order.extend(&res);
            let f = Factor::from_parts(
                jt.cliques[c].clone(),
                jt.clique_cards[c].clone(),
                self.belief(c).to_vec(),
            )
            .reorder(&order);
            let width: usize = res_cards.iter().product();
            let mut cum = f.into_values();
            for row in cum.chunks_exact_mut(width.max(1)) {
                let mut acc = 0.0;
                for x in row.iter_mut() {
                    acc += *x;
                    *x = acc;
                }
            }
            steps.push(Step {
                sep_strides: row_strides(&sep_cards),
                sep,
                res,
                res_cards,
                width,
                cum,
            });
        }
        let nv = net.n_variables();
        let mut columns = vec![Vec::with_capacity(n); nv];
        let mut x = vec![0usize; nv];
        let mut fast = FastRng::from_rng(rng);
        for _ in 0..n {
            for st in &steps {
                if st.res.is_empty() {
                    continue;
                }
                let mut row = 0;
                for (k, &v) in st.sep.iter().enumerate() {
                    row += x[v] * st.sep_strides[k];
                }
                let cum = &st.cum[row * st.width..(row + 1) * st.width];
                let total = cum[st.width - 1];
                if total <= 0.0 {
                    return Err(NetworkError::Other(
                        "exact sampling reached a separator state of probability zero (numerical failure)".into(),
                    )
                    .into());
                }
                let u = uniform(&mut fast) * total;
                let mut idx = cum.partition_point(|&c| c <= u);
                if idx >= st.width {
                    // Rounding at the top: the last state with mass.
                    idx = st.width - 1;
                    while idx > 0 && cum[idx] == cum[idx - 1] {
                        idx -= 1;
                    }
                }
                for k in (0..st.res.len()).rev() {
                    x[st.res[k]] = idx % st.res_cards[k];
                    idx /= st.res_cards[k];
                }
            }
            for (v, col) in columns.iter_mut().enumerate() {
                col.push(x[v] as u16);
            }
        }
        Ok(DiscreteData::of_network(net, columns))
    }
}
