//! Greedy hill climbing over DAGs with a tabu list and random restarts.
//!
//! Each step applies the best of all legal single-edge operations — add, remove or reverse one
//! edge — if it raises the score by at least `epsilon` (Koller & Friedman 2009, §18.4.3; the
//! rules follow pgmpy's `HillClimbSearch`: after adding `a -> b` its removal is tabu, after
//! removing it its addition is, after reversing it reversing it back is, for the last
//! `tabu_length` operations). Scores are decomposable, so an operation's gain only needs the
//! local scores of the one or two families it changes: the gain of every operation is kept in
//! an `n × n` table and only the columns of the changed children are recomputed after a step
//! (in parallel, each local score counted in one pass over the rows and remembered by
//! `(child, parent set)`). Acyclicity is checked against descendant bit sets updated after
//! every step.
//!
//! ```
//! use genmodels::bayesnet::DiscreteData;
//! use genmodels::bayesnet::learn::{Dag, HillClimb, ScoreKind};
//! use genmodels::core::Fit;
//! # fn main() -> genmodels::core::Result<()> {
//! use rand::Rng;
//! // b copies a (10% noise); c is independent of both.
//! let mut rng = genmodels::core::rng_from_seed(1);
//! let a: Vec<u16> = (0..500).map(|_| rng.random_range(0..2)).collect();
//! let b: Vec<u16> = a.iter().map(|&x| if rng.random_bool(0.1) { 1 - x } else { x }).collect();
//! let c: Vec<u16> = (0..500).map(|_| rng.random_range(0..2)).collect();
//! let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
//! let data = DiscreteData::new(s(&["a", "b", "c"]), vec![s(&["0", "1"]); 3], vec![a, b, c])?;
//! let found = HillClimb::new(ScoreKind::Bic).fit(&data)?;
//! assert_eq!(found.dag.n_edges(), 1);
//! assert!(found.dag.adjacent(0, 1));
//! // Forbid both directions: the search must do without the edge.
//! let none = HillClimb::new(ScoreKind::Bic).forbidden(&[(0, 1), (1, 0)]).fit(&data)?;
//! assert_eq!(none.dag.n_edges(), 0);
//! # Ok(()) }
//! ```

use crate::core::ParamGuard;
use std::collections::{HashMap, VecDeque};

use rand::Rng;
use rayon::prelude::*;

use super::counts::Configs;
use super::dag::Dag;
use super::score::{check_dag_size, ScoreKind, Scorer};
use crate::bayesnet::data::DiscreteData;
use crate::core::{
    restart_rng, Fit, Flow, Monitor, NetworkError, ParamError, Result, SeededRng, Step,
};

/// One change to a graph. The pair is the edge `(from, to)` as it was before the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Operation {
    /// Add the edge `from -> to`.
    Add {
        /// The new parent.
        from: usize,
        /// The child.
        to: usize,
    },
    /// Remove the edge `from -> to`.
    Remove {
        /// The parent that goes.
        from: usize,
        /// The child.
        to: usize,
    },
    /// Replace `from -> to` by `to -> from`.
    Reverse {
        /// The parent before the reversal.
        from: usize,
        /// The child before the reversal.
        to: usize,
    },
}

/// One applied operation of a search.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TraceStep {
    /// The restart (0 = the first climb).
    pub run: usize,
    /// The step within the run (1-based; perturbations count too).
    pub iteration: usize,
    /// What was done.
    pub operation: Operation,
    /// The change of the score it caused.
    pub delta: f64,
    /// The score after it.
    pub score: f64,
    /// Why it was applied: only [`StepKind::Greedy`] steps are guaranteed not to lower the
    /// score.
    pub kind: StepKind,
}

/// Why an operation was applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// The best operation, gaining at least `epsilon`.
    Greedy,
    /// The best non-tabu operation at a local maximum, during a tabu walk (it may lower the
    /// score; see [`HillClimb::tabu_walk`]).
    TabuWalk,
    /// A random operation before a restart (it may lower the score).
    Perturbation,
}

/// What a hill-climbing search found.
#[derive(Debug, Clone, PartialEq)]
pub struct HillClimbResult {
    /// The best graph over all runs.
    pub dag: Dag,
    /// Its score.
    pub score: f64,
    /// Every applied operation of every run, in order.
    pub trace: Vec<TraceStep>,
    /// The final score of every run (the first climb, then each restart).
    pub run_scores: Vec<f64>,
    /// Which run gave [`dag`](Self::dag).
    pub best_run: usize,
    /// Whether every run stopped at a local maximum (rather than at `max_iter` or because the
    /// monitor asked to stop).
    pub converged: bool,
    /// How many distinct local scores were computed.
    pub families_scored: usize,
}

/// Hill-climbing settings (checked when the search starts). Defaults follow pgmpy: empty start
/// graph, tabu list of 100, no limit on parents, `epsilon = 1e-4`, at most 10⁶ steps; no
/// restarts.
#[derive(Debug, Clone, PartialEq)]
pub struct HillClimb {
    score: ScoreKind,
    max_parents: Option<usize>,
    tabu_length: usize,
    max_iter: usize,
    epsilon: f64,
    required: Vec<(usize, usize)>,
    forbidden: Vec<(usize, usize)>,
    start: Option<Dag>,
    restarts: usize,
    perturbation: usize,
    tabu_walk: usize,
    seed: u64,
}

impl ParamGuard for HillClimb {
    /// Rejects unusable settings (before any data is looked at).
    fn check(&self) -> std::result::Result<(), ParamError> {
        self.score.check()?;
        if !(self.epsilon.is_finite() && self.epsilon >= 0.0) {
            return Err(ParamError::invalid(
                "epsilon",
                self.epsilon,
                "a finite number >= 0",
            ));
        }
        if self.max_iter == 0 {
            return Err(ParamError::invalid("max_iter", "0", "at least 1 step"));
        }
        Ok(())
    }
}

impl HillClimb {
    /// A search for the best graph under `score`.
    pub fn new(score: ScoreKind) -> Self {
        Self {
            score,
            max_parents: None,
            tabu_length: 100,
            max_iter: 1_000_000,
            epsilon: 1e-4,
            required: Vec::new(),
            forbidden: Vec::new(),
            start: None,
            restarts: 0,
            perturbation: 5,
            tabu_walk: 0,
            seed: 0,
        }
    }

    /// At most `k` parents per variable: additions and reversals that would exceed it are not
    /// considered (a start graph or required edges may exceed it). Default: no limit.
    pub fn max_parents(mut self, k: usize) -> Self {
        self.max_parents = Some(k);
        self
    }

    /// How many recent operations may not be undone (default 100, pgmpy's; 0 disables).
    pub fn tabu_length(mut self, k: usize) -> Self {
        self.tabu_length = k;
        self
    }

    /// The most greedy steps per run (default 10⁶).
    pub fn max_iter(mut self, n: usize) -> Self {
        self.max_iter = n;
        self
    }

    /// A run stops when no operation gains at least `epsilon` (default 1e-4).
    pub fn epsilon(mut self, epsilon: f64) -> Self {
        self.epsilon = epsilon;
        self
    }

    /// Edges `(parent, child)` that are in the start graph and are never removed or reversed.
    pub fn required(mut self, edges: &[(usize, usize)]) -> Self {
        self.required = edges.to_vec();
        self
    }

    /// Edges `(parent, child)` that are never added (nor created by a reversal), and are removed
    /// from the start graph.
    pub fn forbidden(mut self, edges: &[(usize, usize)]) -> Self {
        self.forbidden = edges.to_vec();
        self
    }

    /// The graph the first run starts from (default: no edges).
    pub fn start(mut self, dag: Dag) -> Self {
        self.start = Some(dag);
        self
    }

    /// After the first climb, `k` more climbs, each from the best graph so far after
    /// [`perturbation`](Self::perturbation) random legal operations (bnlearn's `restart`);
    /// default 0.
    pub fn restarts(mut self, k: usize) -> Self {
        self.restarts = k;
        self
    }

    /// Random operations applied before each restart (bnlearn's `perturb`); default 5.
    pub fn perturbation(mut self, k: usize) -> Self {
        self.perturbation = k;
        self
    }

    /// Tabu search (bnlearn's `tabu` with `max.tabu = k`): at a local maximum, keep applying
    /// the best non-tabu operation even when it lowers the score, and stop after `k` steps in a
    /// row that do not beat the best graph seen, returning that graph. The tabu list (see
    /// [`tabu_length`](Self::tabu_length)) keeps the walk from undoing its own steps. Default 0:
    /// plain hill climbing, stopping at the first local maximum (pgmpy).
    pub fn tabu_walk(mut self, k: usize) -> Self {
        self.tabu_walk = k;
        self
    }

    /// The seed of the perturbations (default 0): the same seed gives the same result.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Checks the edge lists and builds the start graph's parent sets.
    fn prepare(&self, n: usize) -> Result<Prepared> {
        let mut required = vec![false; n * n];
        let mut forbidden = vec![false; n * n];
        for (list, mask, what) in [
            (&self.required, &mut required, "required"),
            (&self.forbidden, &mut forbidden, "forbidden"),
        ] {
            for &(a, b) in list {
                if a >= n || b >= n || a == b {
                    return Err(NetworkError::Other(format!(
                        "the {what} edge ({a}, {b}) is not an edge between two of the data's {n} columns"
                    ))
                    .into());
                }
                mask[a * n + b] = true;
            }
        }
        if let Some(&(a, b)) = self.required.iter().find(|&&(a, b)| forbidden[a * n + b]) {
            return Err(NetworkError::Other(format!(
                "the edge ({a}, {b}) is both required and forbidden"
            ))
            .into());
        }
        let mut dag = match &self.start {
            Some(d) => {
                if d.n_nodes() != n {
                    return Err(NetworkError::Other(format!(
                        "the start graph has {} nodes but the data has {n} columns",
                        d.n_nodes()
                    ))
                    .into());
                }
                d.clone()
            }
            None => Dag::empty(n),
        };
        for (a, b) in dag.edges() {
            if forbidden[a * n + b] {
                dag.remove_edge(a, b);
            }
        }
        for &(a, b) in &self.required {
            if !dag.has_edge(a, b) {
                dag.add_edge(a, b).map_err(|_| {
                    NetworkError::Other(format!(
                        "the required edge ({a}, {b}) closes a directed cycle with the start graph \
                         and the other required edges"
                    ))
                })?;
            }
        }
        let parents = (0..n)
            .map(|v| {
                let mut p = dag.parents(v).to_vec();
                p.sort_unstable();
                p
            })
            .collect();
        Ok((parents, required, forbidden))
    }
}

/// The start graph's sorted parent lists and the required and forbidden edge masks.
type Prepared = (Vec<Vec<usize>>, Vec<bool>, Vec<bool>);

impl Fit<DiscreteData> for HillClimb {
    type Model = HillClimbResult;

    /// Searches; the monitor sees every greedy step (`objective` = the score) and may stop
    /// the search, which then returns the best graph so far.
    fn fit_with(&self, data: &DiscreteData, monitor: &mut dyn Monitor) -> Result<HillClimbResult> {
        self.check()?;
        let scorer = Scorer::new(data, self.score, "structure learning")?;
        if let Some(d) = &self.start {
            check_dag_size(d, data)?;
        }
        let n = scorer.n_vars();
        let (start, required, forbidden) = self.prepare(n)?;
        let mut s = Search::new(&scorer, self, required, forbidden);
        s.load(&start);
        let mut trace = Vec::new();
        let mut run_scores = Vec::new();
        let mut converged = true;
        let (first_ok, stopped) = s.climb(0, 0, &mut trace, monitor)?;
        converged &= first_ok;
        run_scores.push(s.total());
        let mut best = (s.parents.clone(), s.total(), 0usize);
        if !stopped {
            for run in 1..=self.restarts {
                let mut rng = restart_rng(self.seed, run);
                s.load(&best.0);
                let done = s.perturb(run, self.perturbation, &mut rng, &mut trace);
                let (ok, stopped) = s.climb(run, done, &mut trace, monitor)?;
                converged &= ok;
                let sc = s.total();
                run_scores.push(sc);
                if sc > best.1 + 1e-9 * best.1.abs().max(1.0) {
                    best = (s.parents.clone(), sc, run);
                }
                if stopped {
                    break;
                }
            }
        }
        let dag = Dag::from_parents(best.0).map_err(|e| {
            NetworkError::Other(format!("internal error: the search produced a cycle ({e})"))
        })?;
        // The reported score is recomputed from scratch, so it equals `score(data, dag, kind)`.
        let score = super::score::total(&scorer, &dag);
        Ok(HillClimbResult {
            dag,
            score,
            trace,
            run_scores,
            best_run: best.2,
            converged,
            families_scored: s.cache.iter().map(HashMap::len).sum(),
        })
    }
}

/// Undoes `op` on sorted parent lists.
fn undo(parents: &mut [Vec<usize>], op: Operation) {
    let insert = |ps: &mut Vec<usize>, p: usize| {
        let i = ps.binary_search(&p).unwrap_or_else(|i| i);
        ps.insert(i, p);
    };
    match op {
        Operation::Add { from, to } => parents[to].retain(|&p| p != from),
        Operation::Remove { from, to } => insert(&mut parents[to], from),
        Operation::Reverse { from, to } => {
            parents[from].retain(|&p| p != to);
            insert(&mut parents[to], from);
        }
    }
}

/// Counters of the tabu list by kind of forbidden operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tabu {
    /// Adding `a -> b` is tabu.
    Add(usize, usize),
    /// Removing `a -> b` is tabu.
    Remove(usize, usize),
    /// Reversing `a -> b` or `b -> a` is tabu.
    Flip(usize, usize),
}

struct Search<'s, 'd> {
    scorer: &'s Scorer<'d>,
    n: usize,
    words: usize,
    max_parents: usize,
    epsilon: f64,
    max_iter: usize,
    tabu_length: usize,
    tabu_walk: usize,
    parents: Vec<Vec<usize>>,
    children: Vec<Vec<usize>>,
    adj: Vec<bool>,
    desc: Vec<u64>,
    local: Vec<f64>,
    delta: Vec<f64>,
    required: Vec<bool>,
    forbidden: Vec<bool>,
    tabu: VecDeque<Tabu>,
    tabu_add: Vec<u32>,
    tabu_remove: Vec<u32>,
    tabu_flip: Vec<u32>,
    cache: Vec<HashMap<Vec<usize>, f64>>,
}

impl<'s, 'd> Search<'s, 'd> {
    fn new(
        scorer: &'s Scorer<'d>,
        hc: &HillClimb,
        required: Vec<bool>,
        forbidden: Vec<bool>,
    ) -> Self {
        let n = scorer.n_vars();
        Self {
            scorer,
            n,
            words: n.div_ceil(64),
            max_parents: hc.max_parents.unwrap_or(usize::MAX),
            epsilon: hc.epsilon,
            max_iter: hc.max_iter,
            tabu_length: hc.tabu_length,
            tabu_walk: hc.tabu_walk,
            parents: vec![Vec::new(); n],
            children: vec![Vec::new(); n],
            adj: vec![false; n * n],
            desc: vec![0; n * n.div_ceil(64)],
            local: vec![0.0; n],
            delta: vec![0.0; n * n],
            required,
            forbidden,
            tabu: VecDeque::new(),
            tabu_add: vec![0; n * n],
            tabu_remove: vec![0; n * n],
            tabu_flip: vec![0; n * n],
            cache: vec![HashMap::new(); n],
        }
    }

    fn total(&self) -> f64 {
        self.local.iter().sum()
    }

    /// Sets the graph (sorted parent lists), clears the tabu list, recomputes every gain.
    fn load(&mut self, parents: &[Vec<usize>]) {
        let n = self.n;
        self.parents = parents.to_vec();
        self.children = vec![Vec::new(); n];
        self.adj.iter_mut().for_each(|a| *a = false);
        for (v, ps) in self.parents.iter().enumerate() {
            for &p in ps {
                self.children[p].push(v);
                self.adj[p * n + v] = true;
            }
        }
        self.tabu.clear();
        for t in [
            &mut self.tabu_add,
            &mut self.tabu_remove,
            &mut self.tabu_flip,
        ] {
            t.iter_mut().for_each(|c| *c = 0);
        }
        self.update_desc();
        self.pair_scores();
        for v in 0..n {
            self.recompute(v);
        }
    }

    /// Fills the cache with `score(b | a)` and `score(a | b)` of every pair of parentless
    /// nodes, one joint count per pair.
    fn pair_scores(&mut self) {
        let n = self.n;
        let pairs: Vec<(usize, usize)> = (0..n)
            .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
            .filter(|&(a, b)| {
                self.parents[a].is_empty()
                    && self.parents[b].is_empty()
                    && !(self.cache[b].contains_key([a].as_slice())
                        && self.cache[a].contains_key([b].as_slice()))
            })
            .collect();
        let scorer = self.scorer;
        let scores: Vec<(f64, f64)> = pairs.par_iter().map(|&(a, b)| scorer.pair(a, b)).collect();
        for (&(a, b), &(b_a, a_b)) in pairs.iter().zip(&scores) {
            self.cache[b].insert(vec![a], b_a);
            self.cache[a].insert(vec![b], a_b);
        }
    }

    fn reaches(&self, from: usize, to: usize) -> bool {
        self.desc[from * self.words + to / 64] >> (to % 64) & 1 == 1
    }

    /// Descendant sets from the children lists, in reverse topological order.
    fn update_desc(&mut self) {
        let (n, w) = (self.n, self.words);
        let mut indeg: Vec<usize> = self.parents.iter().map(Vec::len).collect();
        let mut order: Vec<usize> = (0..n).filter(|&v| indeg[v] == 0).collect();
        let mut i = 0;
        while i < order.len() {
            let v = order[i];
            i += 1;
            for &c in &self.children[v] {
                indeg[c] -= 1;
                if indeg[c] == 0 {
                    order.push(c);
                }
            }
        }
        for &v in order.iter().rev() {
            let mut acc = vec![0u64; w];
            for &c in &self.children[v] {
                acc[c / 64] |= 1 << (c % 64);
                for (a, d) in acc.iter_mut().zip(&self.desc[c * w..(c + 1) * w]) {
                    *a |= d;
                }
            }
            self.desc[v * w..(v + 1) * w].copy_from_slice(&acc);
        }
    }

    /// The local score of a family (sorted parents), cached.
    fn cached(&mut self, child: usize, parents: &[usize]) -> f64 {
        if let Some(&v) = self.cache[child].get(parents) {
            return v;
        }
        let v = self.scorer.local(child, parents);
        self.cache[child].insert(parents.to_vec(), v);
        v
    }

    /// `local[y]` and the gains of adding or removing every other node as a parent of `y`.
    fn recompute(&mut self, y: usize) {
        let n = self.n;
        let pa = self.parents[y].clone();
        let base_score = self.cached(y, &pa);
        self.local[y] = base_score;
        let mut todo: Vec<(usize, Vec<usize>, bool)> = Vec::new();
        for x in (0..n).filter(|&x| x != y) {
            let (key, add) = match pa.binary_search(&x) {
                Ok(i) => {
                    let mut k = pa.clone();
                    k.remove(i);
                    (k, false)
                }
                Err(i) => {
                    let mut k = pa.clone();
                    k.insert(i, x);
                    (k, true)
                }
            };
            match self.cache[y].get(key.as_slice()) {
                Some(&v) => self.delta[x * n + y] = v - base_score,
                None => todo.push((x, key, add)),
            }
        }
        if todo.is_empty() {
            return;
        }
        let scorer = self.scorer;
        let base = todo
            .iter()
            .any(|t| t.2)
            .then(|| Configs::of(&scorer.cols, &scorer.cards, &pa, scorer.n));
        let q_base = scorer.q_of(&pa);
        let values: Vec<f64> = todo
            .par_iter()
            .map(|(x, key, add)| match (&base, add) {
                (Some(b), true) => scorer.local_extended(y, b, pa.len(), q_base, *x),
                _ => scorer.local(y, key),
            })
            .collect();
        for ((x, key, _), v) in todo.into_iter().zip(values) {
            self.delta[x * n + y] = v - base_score;
            self.cache[y].insert(key, v);
        }
    }

    fn is_tabu(&self, t: Tabu) -> bool {
        let n = self.n;
        match t {
            Tabu::Add(a, b) => self.tabu_add[a * n + b] > 0,
            Tabu::Remove(a, b) => self.tabu_remove[a * n + b] > 0,
            Tabu::Flip(a, b) => self.tabu_flip[a * n + b] > 0 || self.tabu_flip[b * n + a] > 0,
        }
    }

    fn tabu_counter(&mut self, t: Tabu) -> &mut u32 {
        let n = self.n;
        match t {
            Tabu::Add(a, b) => &mut self.tabu_add[a * n + b],
            Tabu::Remove(a, b) => &mut self.tabu_remove[a * n + b],
            Tabu::Flip(a, b) => &mut self.tabu_flip[a * n + b],
        }
    }

    fn push_tabu(&mut self, t: Tabu) {
        if self.tabu_length == 0 {
            return;
        }
        *self.tabu_counter(t) += 1;
        self.tabu.push_back(t);
        if self.tabu.len() > self.tabu_length {
            if let Some(old) = self.tabu.pop_front() {
                *self.tabu_counter(old) -= 1;
            }
        }
    }

    /// Whether reversing `a -> b` would close a cycle: another path `a ~> b` exists.
    fn reversal_cycles(&self, a: usize, b: usize) -> bool {
        self.children[a]
            .iter()
            .any(|&c| c != b && self.reaches(c, b))
    }

    fn can_add(&self, a: usize, b: usize) -> bool {
        let n = self.n;
        !self.adj[a * n + b]
            && !self.adj[b * n + a]
            && !self.forbidden[a * n + b]
            && self.parents[b].len() < self.max_parents
            && !self.reaches(b, a)
    }

    fn can_remove(&self, a: usize, b: usize) -> bool {
        self.adj[a * self.n + b] && !self.required[a * self.n + b]
    }

    fn can_reverse(&self, a: usize, b: usize) -> bool {
        let n = self.n;
        self.adj[a * n + b]
            && !self.required[a * n + b]
            && !self.forbidden[b * n + a]
            && self.parents[a].len() < self.max_parents
            && !self.reversal_cycles(a, b)
    }

    fn gain(&self, op: Operation) -> f64 {
        let n = self.n;
        match op {
            Operation::Add { from, to } | Operation::Remove { from, to } => {
                self.delta[from * n + to]
            }
            Operation::Reverse { from, to } => {
                self.delta[from * n + to] + self.delta[to * n + from]
            }
        }
    }

    /// The best legal, non-tabu operation and its gain. Gains equal up to rounding (within
    /// 1e-10 of the total score, as `a -> b` and `b -> a` are when both nodes have no parents
    /// and as many states) count as ties, which go to the first operation in scan order
    /// (parent, then child, by index): the result does not depend on how the states are
    /// coded.
    fn best_operation(&self) -> Option<(Operation, f64)> {
        let n = self.n;
        let tol = 1e-10 * self.total().abs();
        let mut best: Option<(Operation, f64)> = None;
        let mut consider = |op: Operation, d: f64| {
            if best.is_none_or(|(_, b)| d > b + tol) {
                best = Some((op, d));
            }
        };
        for a in 0..n {
            for b in 0..n {
                if a == b {
                    continue;
                }
                if self.adj[a * n + b] {
                    if self.can_remove(a, b) && !self.is_tabu(Tabu::Remove(a, b)) {
                        consider(Operation::Remove { from: a, to: b }, self.delta[a * n + b]);
                    }
                    if self.can_reverse(a, b) && !self.is_tabu(Tabu::Flip(a, b)) {
                        let op = Operation::Reverse { from: a, to: b };
                        consider(op, self.gain(op));
                    }
                } else if self.can_add(a, b) && !self.is_tabu(Tabu::Add(a, b)) {
                    consider(Operation::Add { from: a, to: b }, self.delta[a * n + b]);
                }
            }
        }
        best
    }

    fn insert_parent(&mut self, child: usize, p: usize) {
        let pos = self.parents[child].binary_search(&p).unwrap_or_else(|i| i);
        self.parents[child].insert(pos, p);
        self.children[p].push(child);
        self.adj[p * self.n + child] = true;
    }

    fn remove_parent(&mut self, child: usize, p: usize) {
        self.parents[child].retain(|&x| x != p);
        self.children[p].retain(|&x| x != child);
        self.adj[p * self.n + child] = false;
    }

    /// Applies a legal operation; returns its gain.
    fn apply(&mut self, op: Operation, record_tabu: bool) -> f64 {
        let d = self.gain(op);
        match op {
            Operation::Add { from, to } => {
                self.insert_parent(to, from);
                self.update_desc();
                self.recompute(to);
                if record_tabu {
                    self.push_tabu(Tabu::Remove(from, to));
                }
            }
            Operation::Remove { from, to } => {
                self.remove_parent(to, from);
                self.update_desc();
                self.recompute(to);
                if record_tabu {
                    self.push_tabu(Tabu::Add(from, to));
                }
            }
            Operation::Reverse { from, to } => {
                self.remove_parent(to, from);
                self.insert_parent(from, to);
                self.update_desc();
                self.recompute(to);
                self.recompute(from);
                if record_tabu {
                    self.push_tabu(Tabu::Flip(from, to));
                }
            }
        }
        d
    }

    /// Greedy steps until no operation gains `epsilon`, then (with a tabu walk) non-improving
    /// steps until `tabu_walk` steps in a row fail to beat the best graph, which is restored.
    /// Returns (reached a local maximum, the monitor asked to stop), or the error of a
    /// monitor that cancelled.
    fn climb(
        &mut self,
        run: usize,
        done: usize,
        trace: &mut Vec<TraceStep>,
        monitor: &mut dyn Monitor,
    ) -> Result<(bool, bool)> {
        let mut best_score = self.total();
        let mut best_parents: Option<Vec<Vec<usize>>> = None;
        let mut since_best = 0usize;
        let mut outcome = (false, false);
        for it in 1..=self.max_iter {
            let Some((op, gain)) = self.best_operation() else {
                outcome = (true, false);
                break;
            };
            let kind = if gain >= self.epsilon {
                StepKind::Greedy
            } else if since_best < self.tabu_walk {
                if best_parents.is_none() && since_best == 0 {
                    best_parents = Some(self.parents.clone());
                }
                StepKind::TabuWalk
            } else {
                outcome = (true, false);
                break;
            };
            let d = self.apply(op, true);
            let score = self.total();
            if score > best_score + self.epsilon {
                best_score = score;
                since_best = 0;
                best_parents = None; // the current graph is the best one
            } else {
                if best_parents.is_none() {
                    // The graph before this step was the best: `op` must be undone to get it
                    // back, so remember it now (rare: only at the start of a walk).
                    let mut prev = self.parents.clone();
                    undo(&mut prev, op);
                    best_parents = Some(prev);
                }
                since_best += 1;
            }
            trace.push(TraceStep {
                run,
                iteration: done + it,
                operation: op,
                delta: d,
                score,
                kind,
            });
            let step = Step {
                run,
                iteration: it,
                max_iterations: self.max_iter,
                objective: score,
            };
            match monitor.on_step(step) {
                Flow::Stop => {
                    outcome = (false, true);
                    break;
                }
                Flow::Cancel => return Err(step.interrupted()),
                Flow::Continue => {}
            }
        }
        if let Some(best) = best_parents {
            if self.total() < best_score {
                self.load(&best);
            }
        }
        Ok(outcome)
    }

    /// `k` random legal operations (constraints respected, tabu ignored); returns how many
    /// were applied.
    fn perturb(
        &mut self,
        run: usize,
        k: usize,
        rng: &mut SeededRng,
        trace: &mut Vec<TraceStep>,
    ) -> usize {
        let n = self.n;
        let mut applied = 0;
        if n < 2 {
            return 0;
        }
        for _ in 0..k {
            let mut chosen = None;
            for _attempt in 0..(50 * n * n).max(100) {
                let a = rng.random_range(0..n);
                let b = rng.random_range(0..n);
                if a == b {
                    continue;
                }
                if self.adj[a * n + b] {
                    let reverse = rng.random_bool(0.5);
                    if reverse && self.can_reverse(a, b) {
                        chosen = Some(Operation::Reverse { from: a, to: b });
                    } else if self.can_remove(a, b) {
                        chosen = Some(Operation::Remove { from: a, to: b });
                    }
                } else if self.can_add(a, b) {
                    chosen = Some(Operation::Add { from: a, to: b });
                }
                if chosen.is_some() {
                    break;
                }
            }
            let Some(op) = chosen else { break };
            let d = self.apply(op, false);
            applied += 1;
            trace.push(TraceStep {
                run,
                iteration: applied,
                operation: op,
                delta: d,
                score: self.total(),
                kind: StepKind::Perturbation,
            });
        }
        applied
    }
}
