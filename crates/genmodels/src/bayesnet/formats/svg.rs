//! A drawing of the graph as SVG, laid out without Graphviz (a small Sugiyama-style layered
//! layout).
//!
//! 1. **Layers**: each variable sits one layer below its deepest parent (longest path from
//!    the roots), so every arc points down; a root then moves down to just above its highest
//!    child, which keeps arcs from roots short.
//! 2. **Dummy nodes**: an arc spanning several layers gets a point in each layer it crosses, so
//!    it takes part in the ordering and is drawn as a smooth curve through those points.
//! 3. **Ordering**: alternating down and up sweeps sort each layer by the barycenter (mean
//!    position) of its neighbours in the layer before; the ordering with the fewest crossings is
//!    kept.
//! 4. **Coordinates**: each node is pulled toward the mean x of its neighbours, alternately
//!    above and below, then pushed apart to keep the order and a minimum gap.

use std::fmt::Write as _;

use super::xml_escape;
use crate::bayesnet::network::BayesNet;

const LAYER_GAP: f64 = 96.0;
const NODE_H: f64 = 30.0;
const CHAR_W: f64 = 7.4;
const GAP: f64 = 22.0;
const DUMMY_W: f64 = 6.0;
const MARGIN: f64 = 16.0;
const SWEEPS: usize = 16;

/// The network's graph as a self-contained SVG image: variables as rounded boxes labelled with
/// their names (those in `highlight` filled; out-of-range indices are ignored), arcs as curves
/// with arrowheads, parents above children. Only a generic font family is named, so the file
/// needs nothing else to display.
///
/// ```
/// use genmodels::bayesnet::formats::to_svg;
/// use genmodels::bayesnet::{BayesNet, Cpt, Variable};
/// # fn main() -> genmodels::core::Result<()> {
/// let net = BayesNet::new(
///     vec![Variable::new("rain", &["yes", "no"]), Variable::new("wet", &["yes", "no"])],
///     vec![
///         Cpt { parents: vec![], values: vec![0.2, 0.8] },
///         Cpt { parents: vec![0], values: vec![0.9, 0.1, 0.05, 0.95] },
///     ],
/// )?;
/// let svg = to_svg(&net, &[0]);
/// assert!(svg.starts_with("<svg") && svg.contains(">rain</text>"));
/// # Ok(()) }
/// ```
pub fn to_svg(net: &BayesNet, highlight: &[usize]) -> String {
    let layout = Layout::new(net);
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = layout.write(net, highlight, &mut s);
    s
}

struct Layout {
    /// Nodes `0..n_real` are the variables, the rest dummy points on long arcs.
    n_real: usize,
    layer: Vec<usize>,
    /// The nodes of each layer, left to right.
    order: Vec<Vec<usize>>,
    /// Neighbours in the layer above and below.
    up: Vec<Vec<usize>>,
    down: Vec<Vec<usize>>,
    /// Each arc as the nodes it passes through: parent, dummies..., child.
    chains: Vec<Vec<usize>>,
    width: Vec<f64>,
    x: Vec<f64>,
}

/// The mean of `f` over `nodes`, if there are any.
fn mean(nodes: &[usize], f: impl Fn(usize) -> f64) -> Option<f64> {
    (!nodes.is_empty()).then(|| nodes.iter().map(|&u| f(u)).sum::<f64>() / nodes.len() as f64)
}

impl Layout {
    fn new(net: &BayesNet) -> Self {
        let n = net.n_variables();
        let mut layer = vec![0usize; n];
        for &v in net.topological_order() {
            layer[v] = net
                .parents(v)
                .iter()
                .map(|&p| layer[p] + 1)
                .max()
                .unwrap_or(0);
        }
        for v in (0..n).filter(|&v| net.parents(v).is_empty()) {
            if let Some(l) = net.children(v).iter().map(|&c| layer[c]).min() {
                layer[v] = l.saturating_sub(1);
            }
        }
        let mut width: Vec<f64> = net
            .variables()
            .iter()
            .map(|v| (v.name.chars().count() as f64 * CHAR_W + 24.0).max(48.0))
            .collect();
        let (mut up, mut down) = (vec![Vec::new(); n], vec![Vec::new(); n]);
        let mut chains = Vec::new();
        for (p, c) in net.edges() {
            let mut chain = vec![p];
            for l in layer[p] + 1..layer[c] {
                chain.push(layer.len());
                layer.push(l);
                width.push(DUMMY_W);
                up.push(Vec::new());
                down.push(Vec::new());
            }
            chain.push(c);
            for w in chain.windows(2) {
                down[w[0]].push(w[1]);
                up[w[1]].push(w[0]);
            }
            chains.push(chain);
        }
        let mut order = vec![Vec::new(); layer.iter().max().map_or(1, |&m| m + 1)];
        for (v, &l) in layer.iter().enumerate() {
            order[l].push(v);
        }
        let x = vec![0.0; layer.len()];
        let mut layout = Layout {
            n_real: n,
            layer,
            order,
            up,
            down,
            chains,
            width,
            x,
        };
        layout.reduce_crossings();
        layout.place();
        layout
    }

    /// The layers in the order a sweep visits them (each after the one its neighbours are in).
    fn sweep(&self, downward: bool) -> Vec<usize> {
        let d = self.order.len();
        if downward {
            (1..d).collect()
        } else {
            (0..d.saturating_sub(1)).rev().collect()
        }
    }

    fn positions(&self) -> Vec<f64> {
        let mut pos = vec![0.0; self.layer.len()];
        for row in &self.order {
            for (i, &v) in row.iter().enumerate() {
                pos[v] = i as f64;
            }
        }
        pos
    }

    /// Pairs of crossing segments between consecutive layers.
    fn crossings(&self) -> usize {
        let pos = self.positions();
        let mut total = 0;
        for row in &self.order {
            let segs: Vec<(f64, f64)> = row
                .iter()
                .flat_map(|&u| self.down[u].iter().map(move |&w| (u, w)))
                .map(|(u, w)| (pos[u], pos[w]))
                .collect();
            for (i, a) in segs.iter().enumerate() {
                total += segs[i + 1..]
                    .iter()
                    .filter(|b| (a.0 - b.0) * (a.1 - b.1) < 0.0)
                    .count();
            }
        }
        total
    }

    /// Barycenter sweeps, keeping the ordering with the fewest crossings.
    fn reduce_crossings(&mut self) {
        let mut best = (self.crossings(), self.order.clone());
        for sweep in 0..SWEEPS {
            let downward = sweep % 2 == 0;
            for l in self.sweep(downward) {
                let pos = self.positions();
                let nbrs = if downward { &self.up } else { &self.down };
                let mut keyed: Vec<(f64, usize)> = self.order[l]
                    .iter()
                    .map(|&v| (mean(&nbrs[v], |u| pos[u]).unwrap_or(pos[v]), v))
                    .collect();
                keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
                self.order[l] = keyed.into_iter().map(|(_, v)| v).collect();
            }
            let c = self.crossings();
            if c < best.0 {
                best = (c, self.order.clone());
            }
        }
        self.order = best.1;
    }

    /// The smallest distance between the centres of two neighbours in a layer.
    fn sep(&self, a: usize, b: usize) -> f64 {
        let both_real = a < self.n_real && b < self.n_real;
        (self.width[a] + self.width[b]) / 2.0 + if both_real { GAP } else { GAP / 2.0 }
    }

    /// x coordinates: packed and centred, then pulled toward the mean x of the neighbours
    /// above (or below) and pushed apart again to keep the order and the gaps.
    fn place(&mut self) {
        for l in 0..self.order.len() {
            let row = &self.order[l];
            let mut at = 0.0;
            for i in 0..row.len() {
                if i > 0 {
                    at += self.sep(row[i - 1], row[i]);
                }
                self.x[row[i]] = at;
            }
            for &v in row {
                self.x[v] -= at / 2.0;
            }
        }
        for round in 0..2 * SWEEPS {
            let downward = round % 2 == 0;
            let nbrs = if downward { &self.up } else { &self.down };
            for l in self.sweep(downward) {
                let row = &self.order[l];
                let want: Vec<f64> = row
                    .iter()
                    .map(|&v| mean(&nbrs[v], |u| self.x[u]).unwrap_or(self.x[v]))
                    .collect();
                // Two packings that keep the order and the gaps, one from each side; their
                // mean keeps them too.
                let m = row.len();
                let mut left = want.clone();
                for i in 1..m {
                    left[i] = left[i].max(left[i - 1] + self.sep(row[i - 1], row[i]));
                }
                let mut right = want;
                for i in (0..m.saturating_sub(1)).rev() {
                    right[i] = right[i].min(right[i + 1] - self.sep(row[i], row[i + 1]));
                }
                let new: Vec<(usize, f64)> = (0..m)
                    .map(|i| (row[i], (left[i] + right[i]) / 2.0))
                    .collect();
                for (v, x) in new {
                    self.x[v] = x;
                }
            }
        }
    }

    /// Where each arc leaves its parent and enters its child: spread along the bottom and top
    /// of the boxes in the order of the arcs' other ends, so bundles fan out.
    fn ports(&self) -> Vec<[f64; 2]> {
        let mut ports = vec![[0.0; 2]; self.chains.len()];
        for end in [0, 1] {
            let mut at: Vec<Vec<(f64, usize)>> = vec![Vec::new(); self.n_real];
            for (e, c) in self.chains.iter().enumerate() {
                let (node, other) = if end == 0 {
                    (c[0], c[1])
                } else {
                    (c[c.len() - 1], c[c.len() - 2])
                };
                at[node].push((self.x[other], e));
            }
            for (v, arcs) in at.iter_mut().enumerate() {
                arcs.sort_by(|a, b| a.0.total_cmp(&b.0));
                let span = (self.width[v] - 24.0).min(12.0 * arcs.len() as f64);
                for (i, &(_, e)) in arcs.iter().enumerate() {
                    ports[e][end] = self.x[v] + span * ((i as f64 + 0.5) / arcs.len() as f64 - 0.5);
                }
            }
        }
        ports
    }

    fn y(&self, v: usize) -> f64 {
        MARGIN + self.layer[v] as f64 * LAYER_GAP + NODE_H / 2.0
    }

    fn write(&self, net: &BayesNet, highlight: &[usize], s: &mut String) -> std::fmt::Result {
        let nodes = 0..self.x.len();
        let dx = MARGIN
            - nodes
                .clone()
                .map(|v| self.x[v] - self.width[v] / 2.0)
                .fold(f64::INFINITY, f64::min);
        let width = nodes
            .map(|v| self.x[v] + self.width[v] / 2.0 + dx)
            .fold(0.0, f64::max)
            + MARGIN;
        let height = 2.0 * MARGIN + (self.order.len() - 1) as f64 * LAYER_GAP + NODE_H;
        let name = &net.annotations().name;
        let title = xml_escape(if name.is_empty() {
            "Bayesian network"
        } else {
            name
        });
        writeln!(
            s,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
             viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"sans-serif\" font-size=\"12\">\n\
             <title>{title}</title>\n\
             <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
             markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\">\
             <path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker></defs>\n\
             <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
             <g fill=\"none\" stroke=\"#555\" stroke-width=\"1.2\">"
        )?;
        let ports = self.ports();
        for (chain, port) in self.chains.iter().zip(&ports) {
            let (first, last) = (chain[0], chain[chain.len() - 1]);
            let mut pts = vec![(port[0] + dx, self.y(first) + NODE_H / 2.0)];
            pts.extend(
                chain[1..chain.len() - 1]
                    .iter()
                    .map(|&d| (self.x[d] + dx, self.y(d))),
            );
            pts.push((port[1] + dx, self.y(last) - NODE_H / 2.0));
            write!(s, "<path d=\"M{:.1},{:.1}", pts[0].0, pts[0].1)?;
            // Cubic pieces with vertical tangents at every point: a smooth curve.
            for w in pts.windows(2) {
                let ((ax, ay), (bx, by)) = (w[0], w[1]);
                let mid = (ay + by) / 2.0;
                write!(s, " C{ax:.1},{mid:.1} {bx:.1},{mid:.1} {bx:.1},{by:.1}")?;
            }
            s.push_str("\" marker-end=\"url(#arrow)\"/>\n");
        }
        s.push_str("</g>\n<g text-anchor=\"middle\">\n");
        for (v, var) in net.variables().iter().enumerate() {
            let (cx, cy, w) = (self.x[v] + dx, self.y(v), self.width[v]);
            let (fill, stroke) = if highlight.contains(&v) {
                ("#ffd54f", "#b28704")
            } else {
                ("#e8f0fe", "#3b6fc4")
            };
            let label = xml_escape(&var.name);
            writeln!(
                s,
                "<g><title>{label}</title><rect x=\"{:.1}\" y=\"{:.1}\" width=\"{w:.1}\" \
                 height=\"{NODE_H}\" rx=\"12\" fill=\"{fill}\" stroke=\"{stroke}\"/>\
                 <text x=\"{cx:.1}\" y=\"{:.1}\">{label}</text></g>",
                cx - w / 2.0,
                cy - NODE_H / 2.0,
                cy + 4.2, // the baseline that centres 12px text
            )?;
        }
        s.push_str("</g>\n</svg>\n");
        Ok(())
    }
}
