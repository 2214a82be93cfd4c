//! Network structures without parameters: a [`Dag`] over numbered variables, its equivalence
//! class (a [`Pdag`], the CPDAG), and structural Hamming distances between graphs.

use std::collections::BTreeSet;

use crate::bayesnet::data::DiscreteData;
use crate::bayesnet::network::{BayesNet, Cpt, Variable};
use crate::core::{NetworkError, Result};

/// A directed acyclic graph over variables `0..n` (the columns of the data, or the variables of
/// a network). Every variable keeps its parents in the order they were given (the order its
/// table will use when parameters are fitted).
///
/// ```
/// use genmodels::bayesnet::learn::Dag;
/// # fn main() -> genmodels::core::Result<()> {
/// let truth = Dag::from_edges(3, &[(0, 1), (1, 2)])?;
/// let learned = Dag::from_edges(3, &[(1, 0), (0, 2)])?;
/// // 0-1 is reversed, 1-2 is missing, 0-2 is extra.
/// assert_eq!(learned.structural_hamming_distance(&truth)?, 3);
/// assert_eq!(learned.skeleton_distance(&truth)?, 2);
/// assert!(Dag::from_edges(2, &[(0, 1), (1, 0)]).is_err()); // a cycle
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Dag {
    parents: Vec<Vec<usize>>,
    children: Vec<Vec<usize>>,
}

/// Two graphs are equal when every node has the same parents in the same order (the order
/// fixes a table's layout; see [`structural_hamming_distance`](Dag::structural_hamming_distance)
/// to compare edges only).
impl PartialEq for Dag {
    fn eq(&self, other: &Self) -> bool {
        self.parents == other.parents
    }
}

impl Eq for Dag {}

/// How two graphs differ, pair by pair (see [`Dag::compare`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ShdDetails {
    /// Pairs adjacent in `other` but not in `self` (edges `self` would need to insert).
    pub missing: usize,
    /// Pairs adjacent in `self` but not in `other` (edges `self` would need to delete).
    pub extra: usize,
    /// Pairs adjacent in both whose orientation differs (edges to reverse; for PDAGs also a
    /// directed edge against an undirected one).
    pub reversed: usize,
}

impl ShdDetails {
    /// The structural Hamming distance: `missing + extra + reversed`.
    pub fn shd(&self) -> usize {
        self.missing + self.extra + self.reversed
    }

    /// The skeleton distance: `missing + extra`.
    pub fn skeleton(&self) -> usize {
        self.missing + self.extra
    }
}

fn check_node(n: usize, v: usize) -> Result<()> {
    if v >= n {
        return Err(NetworkError::Other(format!(
            "node index {v} is out of range: the graph has {n} nodes"
        ))
        .into());
    }
    Ok(())
}

fn check_same_size(a: usize, b: usize) -> Result<()> {
    if a != b {
        return Err(NetworkError::Other(format!(
            "the graphs have {a} and {b} nodes: they can only be compared over the same variables"
        ))
        .into());
    }
    Ok(())
}

impl Dag {
    /// The graph with `n` nodes and no edges.
    pub fn empty(n: usize) -> Self {
        Self {
            parents: vec![Vec::new(); n],
            children: vec![Vec::new(); n],
        }
    }

    /// A graph from the parents of every node; an error on an index out of range, a repeated
    /// parent, a self-loop or a directed cycle.
    pub fn from_parents(parents: Vec<Vec<usize>>) -> Result<Self> {
        let n = parents.len();
        let mut children = vec![Vec::new(); n];
        for (v, ps) in parents.iter().enumerate() {
            for (k, &p) in ps.iter().enumerate() {
                check_node(n, p)?;
                if p == v {
                    return Err(NetworkError::Cycle {
                        path: vec![v.to_string(), v.to_string()],
                    }
                    .into());
                }
                if ps[..k].contains(&p) {
                    return Err(NetworkError::Duplicate {
                        what: format!("parent of node {v}"),
                        name: p.to_string(),
                    }
                    .into());
                }
                children[p].push(v);
            }
        }
        let dag = Self { parents, children };
        if let Some(cycle) = dag.find_cycle() {
            return Err(NetworkError::Cycle {
                path: cycle.iter().map(|v| v.to_string()).collect(),
            }
            .into());
        }
        Ok(dag)
    }

    /// A graph with `n` nodes and the edges `(parent, child)`; the same errors as
    /// [`from_parents`](Self::from_parents).
    pub fn from_edges(n: usize, edges: &[(usize, usize)]) -> Result<Self> {
        let mut parents = vec![Vec::new(); n];
        for &(a, b) in edges {
            check_node(n, a)?;
            check_node(n, b)?;
            parents[b].push(a);
        }
        Self::from_parents(parents)
    }

    /// The structure of a network (parents in table order).
    pub fn from_network(net: &BayesNet) -> Self {
        let parents: Vec<Vec<usize>> = (0..net.n_variables())
            .map(|i| net.parents(i).to_vec())
            .collect();
        let mut children = vec![Vec::new(); parents.len()];
        for (v, ps) in parents.iter().enumerate() {
            for &p in ps {
                children[p].push(v);
            }
        }
        Self { parents, children }
    }

    /// A network with this structure over `variables` (node `i` is `variables[i]`) and uniform
    /// tables, to be filled by [`fit_parameters`](super::fit_parameters) or EM. An error when
    /// the sizes differ or the variables are invalid (see [`BayesNet::new`]) or a table would be
    /// too large.
    pub fn to_network(&self, variables: &[Variable]) -> Result<BayesNet> {
        if variables.len() != self.n_nodes() {
            return Err(NetworkError::Other(format!(
                "the graph has {} nodes but {} variables were given: they must match",
                self.n_nodes(),
                variables.len()
            ))
            .into());
        }
        let mut cpts = Vec::with_capacity(variables.len());
        for (v, var) in variables.iter().enumerate() {
            let r = var.cardinality();
            let size: f64 = self.parents[v]
                .iter()
                .map(|&p| variables[p].cardinality() as f64)
                .product::<f64>()
                * r as f64;
            if size > crate::bayesnet::network::MAX_TABLE_ENTRIES as f64 {
                return Err(NetworkError::TooLarge {
                    what: format!("the table of `{}`", var.name),
                    size,
                    limit: crate::bayesnet::network::MAX_TABLE_ENTRIES,
                    hint: "; allow fewer parents".into(),
                }
                .into());
            }
            cpts.push(Cpt {
                parents: self.parents[v].clone(),
                values: vec![1.0 / r.max(1) as f64; size as usize],
            });
        }
        BayesNet::new(variables.to_vec(), cpts)
    }

    /// The number of nodes.
    pub fn n_nodes(&self) -> usize {
        self.parents.len()
    }

    /// The parents of `v`, in table order.
    pub fn parents(&self, v: usize) -> &[usize] {
        &self.parents[v]
    }

    /// The children of `v`.
    pub fn children(&self, v: usize) -> &[usize] {
        &self.children[v]
    }

    /// Every edge `(parent, child)`, grouped by child.
    pub fn edges(&self) -> Vec<(usize, usize)> {
        let mut e = Vec::new();
        for (v, ps) in self.parents.iter().enumerate() {
            e.extend(ps.iter().map(|&p| (p, v)));
        }
        e
    }

    /// The number of edges.
    pub fn n_edges(&self) -> usize {
        self.parents.iter().map(Vec::len).sum()
    }

    /// Whether the edge `a -> b` is present.
    pub fn has_edge(&self, a: usize, b: usize) -> bool {
        b < self.n_nodes() && self.parents[b].contains(&a)
    }

    /// Whether `a` and `b` are joined by an edge in either direction.
    pub fn adjacent(&self, a: usize, b: usize) -> bool {
        self.has_edge(a, b) || self.has_edge(b, a)
    }

    /// Whether a directed path leads from `from` to `to` (a node reaches itself).
    pub fn has_path(&self, from: usize, to: usize) -> bool {
        let n = self.n_nodes();
        if from >= n || to >= n {
            return false;
        }
        let mut seen = vec![false; n];
        let mut stack = vec![from];
        while let Some(v) = stack.pop() {
            if v == to {
                return true;
            }
            if !std::mem::replace(&mut seen[v], true) {
                stack.extend(self.children[v].iter().copied());
            }
        }
        false
    }

    /// Whether adding `a -> b` would close a directed cycle.
    pub fn would_create_cycle(&self, a: usize, b: usize) -> bool {
        self.has_path(b, a)
    }

    /// Adds `a -> b` (appended to `b`'s parents); an error when it is already present, is a
    /// self-loop, joins nodes out of range or would close a cycle. The graph is unchanged on
    /// error.
    pub fn add_edge(&mut self, a: usize, b: usize) -> Result<()> {
        let n = self.n_nodes();
        check_node(n, a)?;
        check_node(n, b)?;
        if self.has_edge(a, b) {
            return Err(NetworkError::Duplicate {
                what: "edge".into(),
                name: format!("{a} -> {b}"),
            }
            .into());
        }
        if self.would_create_cycle(a, b) {
            return Err(NetworkError::Cycle {
                path: vec![a.to_string(), b.to_string(), "...".into(), a.to_string()],
            }
            .into());
        }
        self.parents[b].push(a);
        self.children[a].push(b);
        Ok(())
    }

    /// Removes `a -> b`; whether it was present.
    pub fn remove_edge(&mut self, a: usize, b: usize) -> bool {
        if !self.has_edge(a, b) {
            return false;
        }
        self.parents[b].retain(|&p| p != a);
        self.children[a].retain(|&c| c != b);
        true
    }

    /// Replaces `a -> b` by `b -> a`; an error when the edge is absent or the reversal would
    /// close a cycle (the graph is then unchanged).
    pub fn reverse_edge(&mut self, a: usize, b: usize) -> Result<()> {
        if !self.has_edge(a, b) {
            return Err(
                NetworkError::Other(format!("there is no edge {a} -> {b} to reverse")).into(),
            );
        }
        self.remove_edge(a, b);
        if let Err(e) = self.add_edge(b, a) {
            self.parents[b].push(a);
            self.children[a].push(b);
            return Err(e);
        }
        Ok(())
    }

    /// A topological order (parents before children; ties by index).
    pub fn topological_order(&self) -> Vec<usize> {
        let n = self.n_nodes();
        let mut indeg: Vec<usize> = self.parents.iter().map(Vec::len).collect();
        let mut ready: BTreeSet<usize> = (0..n).filter(|&v| indeg[v] == 0).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(v) = ready.pop_first() {
            order.push(v);
            for &c in &self.children[v] {
                indeg[c] -= 1;
                if indeg[c] == 0 {
                    ready.insert(c);
                }
            }
        }
        order
    }

    /// A directed cycle `v0 -> v1 -> ... -> v0`, when there is one.
    fn find_cycle(&self) -> Option<Vec<usize>> {
        let n = self.n_nodes();
        // 0 = unvisited, 1 = on the stack, 2 = done
        let mut state = vec![0u8; n];
        let mut path: Vec<usize> = Vec::new();
        for s in 0..n {
            if state[s] != 0 {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(s, 0)];
            state[s] = 1;
            path.push(s);
            while let Some(top) = stack.last_mut() {
                let v = top.0;
                if top.1 < self.children[v].len() {
                    let c = self.children[v][top.1];
                    top.1 += 1;
                    match state[c] {
                        0 => {
                            state[c] = 1;
                            path.push(c);
                            stack.push((c, 0));
                        }
                        1 => {
                            let at = path.iter().position(|&u| u == c).unwrap_or(0);
                            let mut cyc = path[at..].to_vec();
                            cyc.push(c);
                            return Some(cyc);
                        }
                        _ => {}
                    }
                } else {
                    state[v] = 2;
                    path.pop();
                    stack.pop();
                }
            }
        }
        None
    }

    /// How `self` differs from `other`, pair by pair: a pair of nodes is missing, extra,
    /// reversed or the same. An error when the node counts differ.
    pub fn compare(&self, other: &Dag) -> Result<ShdDetails> {
        self.cpdag_view().compare(&other.cpdag_view())
    }

    /// The structural Hamming distance: the number of edge insertions, deletions and reversals
    /// that turn `self` into `other` (each unordered pair whose status — absent, `a -> b`,
    /// `b -> a` — differs counts once). Symmetric. An error when the node counts differ.
    pub fn structural_hamming_distance(&self, other: &Dag) -> Result<usize> {
        Ok(self.compare(other)?.shd())
    }

    /// The skeleton distance: pairs adjacent in one graph but not the other (orientation
    /// ignored), i.e. insertions plus deletions.
    pub fn skeleton_distance(&self, other: &Dag) -> Result<usize> {
        Ok(self.compare(other)?.skeleton())
    }

    /// The graph as a PDAG with every edge directed (not its equivalence class: see
    /// [`cpdag`](Self::cpdag)).
    fn cpdag_view(&self) -> Pdag {
        let n = self.n_nodes();
        let mut p = Pdag::empty(n);
        for (a, b) in self.edges() {
            p.set_directed(a, b);
        }
        p
    }

    /// The completed partially directed graph (CPDAG) of the DAG's Markov equivalence class:
    /// the skeleton with the v-structures oriented, closed under Meek's rules R1–R3 (Meek 1995;
    /// for the pattern of a DAG these give the CPDAG, Chickering 2002). Edges left undirected
    /// can point either way in an equivalent DAG.
    pub fn cpdag(&self) -> Pdag {
        let n = self.n_nodes();
        let mut p = Pdag::empty(n);
        for (a, b) in self.edges() {
            p.set_undirected(a, b);
        }
        for c in 0..n {
            let ps = &self.parents[c];
            for (i, &a) in ps.iter().enumerate() {
                for &b in &ps[i + 1..] {
                    if !self.adjacent(a, b) {
                        p.set_directed(a, c);
                        p.set_directed(b, c);
                    }
                }
            }
        }
        p.apply_meek_rules();
        p
    }

    /// The CPDAG structural Hamming distance: pairs whose status (absent, `a -> b`, `b -> a`,
    /// undirected) differs between the two graphs' CPDAGs. Zero exactly when the DAGs are
    /// Markov equivalent.
    pub fn cpdag_distance(&self, other: &Dag) -> Result<usize> {
        Ok(self.cpdag().compare(&other.cpdag())?.shd())
    }
}

/// Edges given by column names, `[("smoke", "cancer"), ...]`, as `(parent, child)` column
/// indices of `data` (for [`HillClimb::required`](super::HillClimb::required) and
/// [`forbidden`](super::HillClimb::forbidden)); an unknown name is an error listing the
/// columns.
pub fn edges_by_name<S: AsRef<str>>(
    data: &DiscreteData,
    edges: &[(S, S)],
) -> Result<Vec<(usize, usize)>> {
    let find = |name: &str| -> Result<usize> {
        data.column_index(name).ok_or_else(|| {
            NetworkError::UnknownVariable {
                name: name.to_string(),
                hint: format!("; the data's columns are: {}", data.names.join(", ")),
            }
            .into()
        })
    };
    edges
        .iter()
        .map(|(a, b)| Ok((find(a.as_ref())?, find(b.as_ref())?)))
        .collect()
}

/// The status of an ordered pair in a [`Pdag`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    None,
    /// `a -> b` for the pair `(a, b)`.
    Out,
    /// `b -> a` for the pair `(a, b)`.
    In,
    Undirected,
}

/// A partially directed acyclic graph: some edges directed, some undirected. Produced by
/// [`Dag::cpdag`] and by the PC algorithm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pdag {
    n: usize,
    marks: Vec<Mark>,
}

impl Pdag {
    /// `n` nodes, no edges.
    pub fn empty(n: usize) -> Self {
        Self {
            n,
            marks: vec![Mark::None; n * n],
        }
    }

    /// The number of nodes.
    pub fn n_nodes(&self) -> usize {
        self.n
    }

    fn mark(&self, a: usize, b: usize) -> Mark {
        self.marks[a * self.n + b]
    }

    /// Sets `a -> b` (replacing whatever joined the pair).
    pub fn set_directed(&mut self, a: usize, b: usize) {
        self.marks[a * self.n + b] = Mark::Out;
        self.marks[b * self.n + a] = Mark::In;
    }

    /// Sets `a - b` undirected.
    pub fn set_undirected(&mut self, a: usize, b: usize) {
        self.marks[a * self.n + b] = Mark::Undirected;
        self.marks[b * self.n + a] = Mark::Undirected;
    }

    /// Removes whatever joins `a` and `b`.
    pub fn remove(&mut self, a: usize, b: usize) {
        self.marks[a * self.n + b] = Mark::None;
        self.marks[b * self.n + a] = Mark::None;
    }

    /// Whether `a -> b` is a directed edge.
    pub fn is_directed(&self, a: usize, b: usize) -> bool {
        self.mark(a, b) == Mark::Out
    }

    /// Whether `a - b` is an undirected edge.
    pub fn is_undirected(&self, a: usize, b: usize) -> bool {
        self.mark(a, b) == Mark::Undirected
    }

    /// Whether any edge joins `a` and `b`.
    pub fn adjacent(&self, a: usize, b: usize) -> bool {
        self.mark(a, b) != Mark::None
    }

    /// Directed edges `(a, b)`, sorted.
    pub fn directed_edges(&self) -> Vec<(usize, usize)> {
        let mut e = Vec::new();
        for a in 0..self.n {
            for b in 0..self.n {
                if self.mark(a, b) == Mark::Out {
                    e.push((a, b));
                }
            }
        }
        e
    }

    /// Undirected edges `(a, b)` with `a < b`, sorted.
    pub fn undirected_edges(&self) -> Vec<(usize, usize)> {
        let mut e = Vec::new();
        for a in 0..self.n {
            for b in a + 1..self.n {
                if self.mark(a, b) == Mark::Undirected {
                    e.push((a, b));
                }
            }
        }
        e
    }

    /// How `self` differs from `other`, pair by pair (a directed edge against an undirected one
    /// or the opposite direction counts as reversed). An error when the node counts differ.
    pub fn compare(&self, other: &Pdag) -> Result<ShdDetails> {
        check_same_size(self.n, other.n)?;
        let mut d = ShdDetails::default();
        for a in 0..self.n {
            for b in a + 1..self.n {
                let (x, y) = (self.mark(a, b), other.mark(a, b));
                match (x == Mark::None, y == Mark::None) {
                    (true, true) => {}
                    (true, false) => d.missing += 1,
                    (false, true) => d.extra += 1,
                    (false, false) => {
                        if x != y {
                            d.reversed += 1
                        }
                    }
                }
            }
        }
        Ok(d)
    }

    /// Whether a directed path `from -> ... -> to` of directed edges exists.
    fn directed_path(&self, from: usize, to: usize) -> bool {
        let mut seen = vec![false; self.n];
        let mut stack = vec![from];
        while let Some(v) = stack.pop() {
            if v == to {
                return true;
            }
            if std::mem::replace(&mut seen[v], true) {
                continue;
            }
            for w in 0..self.n {
                if self.mark(v, w) == Mark::Out {
                    stack.push(w);
                }
            }
        }
        false
    }

    /// Orients undirected edges by Meek's rules R1–R3 until none applies:
    /// R1 `a -> b - c`, `a`,`c` not adjacent: `b -> c`;
    /// R2 `a -> c -> b` and `a - b`: `a -> b`;
    /// R3 `a - c1 -> b`, `a - c2 -> b`, `c1`,`c2` not adjacent, `a - b`: `a -> b`.
    pub fn apply_meek_rules(&mut self) {
        let n = self.n;
        loop {
            let mut changed = false;
            for a in 0..n {
                for b in 0..n {
                    if a == b || self.mark(a, b) != Mark::Undirected {
                        continue;
                    }
                    // Should a - b become a -> b?
                    let r1 = (0..n).any(|c| {
                        c != b && self.mark(c, a) == Mark::Out && self.mark(c, b) == Mark::None
                    });
                    let r2 = !r1
                        && (0..n)
                            .any(|c| self.mark(a, c) == Mark::Out && self.mark(c, b) == Mark::Out);
                    let r3 = !r1 && !r2 && {
                        let cs: Vec<usize> = (0..n)
                            .filter(|&c| {
                                self.mark(a, c) == Mark::Undirected && self.mark(c, b) == Mark::Out
                            })
                            .collect();
                        cs.iter().enumerate().any(|(i, &c1)| {
                            cs[i + 1..]
                                .iter()
                                .any(|&c2| self.mark(c1, c2) == Mark::None)
                        })
                    };
                    if r1 || r2 || r3 {
                        self.set_directed(a, b);
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
    }

    /// A DAG in the class the PDAG describes (Dor & Tarsi 1992): repeatedly take a node with no
    /// outgoing directed edge whose undirected neighbours are adjacent to all its other
    /// neighbours, point all its undirected edges into it and remove it. When no such node
    /// exists (the PDAG admits no consistent extension, as can happen with conflicting
    /// orientations from finite-sample tests), the remaining undirected edges are oriented
    /// along a topological order of the directed part, and directed edges that would close a
    /// cycle are reversed; the result is always acyclic.
    pub fn to_dag(&self) -> Dag {
        let n = self.n;
        let mut work = self.clone();
        let mut alive = vec![true; n];
        let mut parents: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut remaining = n;
        while remaining > 0 {
            let pick = (0..n).find(|&x| {
                if !alive[x] {
                    return false;
                }
                let sink = (0..n).all(|y| !alive[y] || work.mark(x, y) != Mark::Out);
                if !sink {
                    return false;
                }
                let und: Vec<usize> = (0..n)
                    .filter(|&y| alive[y] && work.mark(x, y) == Mark::Undirected)
                    .collect();
                let nbrs: Vec<usize> = (0..n)
                    .filter(|&y| alive[y] && y != x && work.mark(x, y) != Mark::None)
                    .collect();
                und.iter().all(|&y| {
                    nbrs.iter()
                        .all(|&z| z == y || work.mark(y, z) != Mark::None)
                })
            });
            let Some(x) = pick else { break };
            let nbrs: Vec<usize> = (0..n)
                .filter(|&y| alive[y] && y != x && work.mark(x, y) != Mark::None)
                .collect();
            for y in nbrs {
                parents[x].push(y);
                work.remove(x, y);
            }
            alive[x] = false;
            remaining -= 1;
        }
        if remaining > 0 {
            // Fallback: a topological order of the alive nodes' directed edges, cycles broken
            // by index order, then every remaining edge points forward in it.
            let alive_nodes: Vec<usize> = (0..n).filter(|&v| alive[v]).collect();
            let mut indeg: Vec<usize> = vec![0; n];
            for &a in &alive_nodes {
                for &b in &alive_nodes {
                    if work.mark(a, b) == Mark::Out {
                        indeg[b] += 1;
                    }
                }
            }
            let mut placed = vec![false; n];
            let mut pos = vec![usize::MAX; n];
            let mut order = Vec::new();
            while order.len() < alive_nodes.len() {
                let next = alive_nodes
                    .iter()
                    .copied()
                    .find(|&v| !placed[v] && indeg[v] == 0)
                    .or_else(|| alive_nodes.iter().copied().find(|&v| !placed[v]));
                let Some(v) = next else { break };
                placed[v] = true;
                pos[v] = order.len();
                order.push(v);
                for &b in &alive_nodes {
                    if work.mark(v, b) == Mark::Out && indeg[b] > 0 {
                        indeg[b] -= 1;
                    }
                }
            }
            for (i, &a) in alive_nodes.iter().enumerate() {
                for &b in &alive_nodes[i + 1..] {
                    if work.mark(a, b) != Mark::None {
                        if pos[a] < pos[b] {
                            parents[b].push(a);
                        } else {
                            parents[a].push(b);
                        }
                    }
                }
            }
        }
        for ps in &mut parents {
            ps.sort_unstable();
        }
        // The elimination order is a reverse topological order, and the fallback only adds
        // forward edges among nodes that come before every eliminated node, so the result is
        // acyclic; build it without the check that cannot fail.
        let mut children = vec![Vec::new(); n];
        for (v, ps) in parents.iter().enumerate() {
            for &p in ps {
                children[p].push(v);
            }
        }
        Dag { parents, children }
    }

    /// Whether the directed part has a directed cycle.
    pub fn has_directed_cycle(&self) -> bool {
        (0..self.n)
            .any(|a| (0..self.n).any(|b| self.mark(a, b) == Mark::Out && self.directed_path(b, a)))
    }
}
