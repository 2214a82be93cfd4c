//! Greedy elimination orders on an interaction graph (weighted min-fill), shared by variable
//! elimination (one order per query) and the junction tree (one triangulation per network).

/// An undirected graph over variable indices, as bitset rows, with the nodes still present.
pub(crate) struct Graph {
    words: usize,
    adj: Vec<u64>,
    present: Vec<bool>,
}

impl Graph {
    /// A graph over `0..n` with no edge and no node present.
    pub(crate) fn new(n: usize) -> Self {
        let words = n.div_ceil(64).max(1);
        Self {
            words,
            adj: vec![0; n * words],
            present: vec![false; n],
        }
    }

    /// Makes `v` present.
    pub(crate) fn add_node(&mut self, v: usize) {
        self.present[v] = true;
    }

    fn has_edge(&self, a: usize, b: usize) -> bool {
        self.adj[a * self.words + b / 64] >> (b % 64) & 1 == 1
    }

    /// Adds the edge `a — b` (both made present).
    pub(crate) fn add_edge(&mut self, a: usize, b: usize) {
        if a == b {
            return;
        }
        self.present[a] = true;
        self.present[b] = true;
        self.adj[a * self.words + b / 64] |= 1 << (b % 64);
        self.adj[b * self.words + a / 64] |= 1 << (a % 64);
    }

    /// Connects every pair of `clique` (a factor's scope, a family).
    pub(crate) fn add_clique(&mut self, clique: &[usize]) {
        for &v in clique {
            self.present[v] = true;
        }
        for (i, &a) in clique.iter().enumerate() {
            for &b in &clique[i + 1..] {
                self.add_edge(a, b);
            }
        }
    }

    /// The present neighbours of `v`, ascending.
    pub(crate) fn neighbours(&self, v: usize) -> Vec<usize> {
        let mut out = Vec::new();
        for w in 0..self.words {
            let mut bits = self.adj[v * self.words + w];
            while bits != 0 {
                let b = bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let u = w * 64 + b;
                if self.present[u] {
                    out.push(u);
                }
            }
        }
        out
    }

    /// Removes `v` and all its edges.
    fn remove(&mut self, v: usize) {
        self.present[v] = false;
        for u in self.neighbours(v) {
            self.adj[u * self.words + v / 64] &= !(1 << (v % 64));
        }
        for w in 0..self.words {
            self.adj[v * self.words + w] = 0;
        }
    }
}

/// The cost of eliminating a node next: weighted fill first (Σ over the missing edges among its
/// neighbours of the product of the two cardinalities), then the size of the table it creates.
#[derive(Clone, Copy, PartialEq, PartialOrd)]
struct Cost {
    fill: f64,
    size: f64,
}

fn cost(g: &Graph, v: usize, cards: &[usize]) -> Cost {
    let nb = g.neighbours(v);
    let mut fill = 0.0;
    let mut size = cards[v] as f64;
    for (i, &a) in nb.iter().enumerate() {
        size *= cards[a] as f64;
        for &b in &nb[i + 1..] {
            if !g.has_edge(a, b) {
                fill += (cards[a] * cards[b]) as f64;
            }
        }
    }
    Cost { fill, size }
}

/// The result of a greedy elimination: the order, the clique each step created (the node and
/// its neighbours at that time, ascending) and the largest clique table.
pub(crate) struct Elimination {
    /// The nodes in elimination order.
    pub order: Vec<usize>,
    /// The clique of each step, in the same order.
    pub cliques: Vec<Vec<usize>>,
    /// The largest clique's table size.
    pub max_size: f64,
}

/// Greedy weighted min-fill over the nodes of `eliminate` (every other present node stays in
/// the graph), ties broken by the smaller created table, then by the smaller index. `phase`
/// (when given) restricts each step to the lowest phase still holding nodes: MAP sums the
/// phase-0 nodes out before maximising over phase 1.
pub(crate) fn greedy(
    mut g: Graph,
    eliminate: &[usize],
    cards: &[usize],
    phase: Option<&[u8]>,
) -> Elimination {
    let n = g.present.len();
    let mut candidate = vec![false; n];
    for &v in eliminate {
        candidate[v] = true;
        g.present[v] = true;
    }
    let mut scores: Vec<Option<Cost>> = vec![None; n];
    for &v in eliminate {
        scores[v] = Some(cost(&g, v, cards));
    }
    let mut remaining = eliminate.len();
    let mut order = Vec::with_capacity(remaining);
    let mut cliques = Vec::with_capacity(remaining);
    let mut max_size: f64 = 0.0;
    let mut current_phase = phase.map_or(0, |p| eliminate.iter().map(|&v| p[v]).min().unwrap_or(0));
    while remaining > 0 {
        let mut best: Option<(Cost, usize)> = None;
        for v in 0..n {
            if !candidate[v] || phase.is_some_and(|p| p[v] != current_phase) {
                continue;
            }
            let c = scores[v].expect("every candidate has a score");
            if best.is_none_or(|(b, _)| c < b) {
                best = Some((c, v));
            }
        }
        let Some((c, v)) = best else {
            // This phase is done: move to the next one that has nodes.
            current_phase = phase
                .map(|p| {
                    (0..n)
                        .filter(|&v| candidate[v])
                        .map(|v| p[v])
                        .min()
                        .unwrap_or(current_phase)
                })
                .unwrap_or(current_phase);
            continue;
        };
        let nb = g.neighbours(v);
        for (i, &a) in nb.iter().enumerate() {
            for &b in &nb[i + 1..] {
                g.add_edge(a, b);
            }
        }
        g.remove(v);
        candidate[v] = false;
        remaining -= 1;
        max_size = max_size.max(c.size);
        let mut clique = nb.clone();
        clique.push(v);
        clique.sort_unstable();
        cliques.push(clique);
        order.push(v);
        // Scores change for the neighbours and their neighbours.
        let mut touched = vec![false; n];
        for &a in &nb {
            touched[a] = true;
            for b in g.neighbours(a) {
                touched[b] = true;
            }
        }
        for u in 0..n {
            if touched[u] && candidate[u] {
                scores[u] = Some(cost(&g, u, cards));
            }
        }
    }
    Elimination {
        order,
        cliques,
        max_size,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chain_is_eliminated_without_fill_and_a_cycle_gets_one_chord() {
        // 0 - 1 - 2 - 3: leaves first, no table larger than 2 × 2.
        let mut g = Graph::new(4);
        g.add_edge(0, 1);
        g.add_edge(1, 2);
        g.add_edge(2, 3);
        let e = greedy(g, &[0, 1, 2, 3], &[2; 4], None);
        assert_eq!(e.max_size, 4.0);
        assert_eq!(e.order.len(), 4);
        // A 4-cycle needs one chord: the largest clique has three nodes.
        let mut g = Graph::new(4);
        for (a, b) in [(0, 1), (1, 2), (2, 3), (3, 0)] {
            g.add_edge(a, b);
        }
        let e = greedy(g, &[0, 1, 2, 3], &[2; 4], None);
        assert_eq!(e.max_size, 8.0);
        assert_eq!(e.cliques[0].len(), 3);
    }

    #[test]
    fn phases_are_respected() {
        let mut g = Graph::new(3);
        g.add_edge(0, 1);
        g.add_edge(1, 2);
        // Node 1 (phase 0) must go before 0 and 2 (phase 1), whatever its cost.
        let e = greedy(g, &[0, 1, 2], &[2; 3], Some(&[1, 0, 1]));
        assert_eq!(e.order[0], 1);
    }
}
