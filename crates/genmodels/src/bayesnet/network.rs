//! The network itself: named discrete variables, a DAG of parents, one conditional probability
//! table (CPT) per variable; validated once, immutable afterwards.

use std::collections::HashMap;

use super::factor::Factor;
use crate::core::{NetworkError, Result};

/// How far a CPT row may sum from 1 (BIF files written with three decimals sum to 0.999).
pub const ROW_SUM_TOLERANCE: f64 = 1e-3;

/// The most table entries a full joint (or any exact intermediate table) may have.
pub const MAX_TABLE_ENTRIES: usize = 1 << 26;

/// A discrete variable: its name and the names of its states, in table order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Variable {
    /// The variable's name (unique in its network).
    pub name: String,
    /// The state names, in the order the tables use (unique within the variable). Always
    /// strings: a state called `1` stays the string `"1"`.
    pub states: Vec<String>,
}

impl Variable {
    /// A variable from its name and state names.
    pub fn new(name: impl Into<String>, states: &[&str]) -> Self {
        Self {
            name: name.into(),
            states: states.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// The number of states.
    pub fn cardinality(&self) -> usize {
        self.states.len()
    }
}

/// The conditional probability table P(child | parents) of one variable.
///
/// `values` is laid out like a BIF file lists it: one row per assignment of the parents (the
/// last parent varying fastest), each row a distribution over the child's states. Equivalently,
/// it is the [`Factor`] over `(parents..., child)` in row-major order.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Cpt {
    /// Indices of the parent variables, in table order.
    pub parents: Vec<usize>,
    /// The probabilities, row-major over `(parents..., child)`.
    pub values: Vec<f64>,
}

/// Text kept only so that a file reads back as it was written: the network's name and the
/// `property` lines of the network and of each variable (BIF) or its `PROPERTY` elements
/// (XMLBIF).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Annotations {
    /// The network's name (`network NAME { ... }` in BIF).
    pub name: String,
    /// The network's property strings, in file order.
    pub network_properties: Vec<String>,
    /// Each variable's property strings, in file order (indexed like the variables).
    pub variable_properties: Vec<Vec<String>>,
}

/// A discrete Bayesian network: the joint distribution is the product of the CPTs.
///
/// ```
/// use genmodels::bayesnet::{BayesNet, Cpt, Variable};
/// # fn main() -> genmodels::core::Result<()> {
/// // Rain influences the sprinkler; both influence whether the grass is wet.
/// let net = BayesNet::new(
///     vec![
///         Variable::new("rain", &["yes", "no"]),
///         Variable::new("sprinkler", &["on", "off"]),
///         Variable::new("wet", &["yes", "no"]),
///     ],
///     vec![
///         Cpt { parents: vec![], values: vec![0.2, 0.8] },
///         Cpt { parents: vec![0], values: vec![0.01, 0.99, 0.4, 0.6] },
///         Cpt {
///             parents: vec![0, 1],
///             values: vec![0.99, 0.01, 0.8, 0.2, 0.9, 0.1, 0.0, 1.0],
///         },
///     ],
/// )?;
/// assert_eq!(net.n_parameters(), 1 + 2 + 4);
/// let p = net.log_prob(&[0, 1, 0]).exp(); // rain, sprinkler off, wet
/// assert!((p - 0.2 * 0.99 * 0.8).abs() < 1e-12);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct BayesNet {
    variables: Vec<Variable>,
    cpts: Vec<Cpt>,
    children: Vec<Vec<usize>>,
    order: Vec<usize>,
    index: HashMap<String, usize>,
    annotations: Annotations,
}

impl BayesNet {
    /// Builds and validates a network: unique variable and state names, parents that exist,
    /// no cycle, tables of the right size whose rows are distributions.
    pub fn new(variables: Vec<Variable>, cpts: Vec<Cpt>) -> Result<Self> {
        Self::with_annotations(variables, cpts, Annotations::default())
    }

    /// [`new`](Self::new), keeping file annotations (name and properties) for round trips.
    pub fn with_annotations(
        variables: Vec<Variable>,
        cpts: Vec<Cpt>,
        mut annotations: Annotations,
    ) -> Result<Self> {
        let n = variables.len();
        if n == 0 {
            return Err(NetworkError::Other("a network needs at least one variable".into()).into());
        }
        if cpts.len() != n {
            return Err(NetworkError::Other(format!(
                "{} variables but {} probability tables: every variable needs exactly one",
                n,
                cpts.len()
            ))
            .into());
        }
        let mut index = HashMap::with_capacity(n);
        for (i, v) in variables.iter().enumerate() {
            if v.name.is_empty() {
                return Err(NetworkError::Other("a variable has an empty name".into()).into());
            }
            if index.insert(v.name.clone(), i).is_some() {
                return Err(NetworkError::Duplicate {
                    what: "variable".into(),
                    name: v.name.clone(),
                }
                .into());
            }
            if v.states.is_empty() {
                return Err(NetworkError::Other(format!(
                    "variable `{}` has no states: it needs at least one",
                    v.name
                ))
                .into());
            }
            let mut seen = std::collections::HashSet::new();
            for s in &v.states {
                if !seen.insert(s.as_str()) {
                    return Err(NetworkError::Duplicate {
                        what: format!("state of `{}`", v.name),
                        name: s.clone(),
                    }
                    .into());
                }
            }
        }
        let mut children = vec![Vec::new(); n];
        for (i, cpt) in cpts.iter().enumerate() {
            for (k, &p) in cpt.parents.iter().enumerate() {
                if p >= n {
                    return Err(NetworkError::Other(format!(
                        "`{}` has parent index {p}, but there are only {n} variables",
                        variables[i].name
                    ))
                    .into());
                }
                if p == i {
                    return Err(NetworkError::Cycle {
                        path: vec![variables[i].name.clone(), variables[i].name.clone()],
                    }
                    .into());
                }
                if cpt.parents[..k].contains(&p) {
                    return Err(NetworkError::Duplicate {
                        what: format!("parent of `{}`", variables[i].name),
                        name: variables[p].name.clone(),
                    }
                    .into());
                }
                children[p].push(i);
            }
        }
        let order = topological_order(&variables, &cpts, &children)?;
        for (i, cpt) in cpts.iter().enumerate() {
            check_cpt(&variables, i, cpt)?;
        }
        annotations.variable_properties.resize(n, Vec::new());
        Ok(Self {
            variables,
            cpts,
            children,
            order,
            index,
            annotations,
        })
    }

    /// The number of variables.
    pub fn n_variables(&self) -> usize {
        self.variables.len()
    }

    /// All variables, in the network's (file) order.
    pub fn variables(&self) -> &[Variable] {
        &self.variables
    }

    /// Variable `i`.
    pub fn variable(&self, i: usize) -> &Variable {
        &self.variables[i]
    }

    /// The number of states of variable `i`.
    pub fn cardinality(&self, i: usize) -> usize {
        self.variables[i].states.len()
    }

    /// The number of states of every variable.
    pub fn cardinalities(&self) -> Vec<usize> {
        self.variables.iter().map(Variable::cardinality).collect()
    }

    /// The CPT of variable `i`.
    pub fn cpt(&self, i: usize) -> &Cpt {
        &self.cpts[i]
    }

    /// All CPTs, indexed like the variables.
    pub fn cpts(&self) -> &[Cpt] {
        &self.cpts
    }

    /// The parents of variable `i`, in table order.
    pub fn parents(&self, i: usize) -> &[usize] {
        &self.cpts[i].parents
    }

    /// The children of variable `i`.
    pub fn children(&self, i: usize) -> &[usize] {
        &self.children[i]
    }

    /// A topological order (parents before children; ties in file order).
    pub fn topological_order(&self) -> &[usize] {
        &self.order
    }

    /// Every edge `(parent, child)`.
    pub fn edges(&self) -> Vec<(usize, usize)> {
        let mut e = Vec::new();
        for (i, cpt) in self.cpts.iter().enumerate() {
            for &p in &cpt.parents {
                e.push((p, i));
            }
        }
        e
    }

    /// The file annotations (name, properties) kept for round trips.
    pub fn annotations(&self) -> &Annotations {
        &self.annotations
    }

    /// Replaces the annotations (for example to name a learned network).
    pub fn set_annotations(&mut self, mut annotations: Annotations) {
        annotations
            .variable_properties
            .resize(self.variables.len(), Vec::new());
        self.annotations = annotations;
    }

    /// The index of the variable called `name`, or an error that suggests the closest names.
    pub fn index_of(&self, name: &str) -> Result<usize> {
        if let Some(&i) = self.index.get(name) {
            return Ok(i);
        }
        let lower = name.to_lowercase();
        let close: Vec<&str> = self
            .variables
            .iter()
            .map(|v| v.name.as_str())
            .filter(|v| {
                let l = v.to_lowercase();
                l == lower || l.contains(&lower) || lower.contains(&l)
            })
            .take(5)
            .collect();
        let hint = if !close.is_empty() {
            format!("; did you mean {}?", close.join(" or "))
        } else if self.variables.len() <= 40 {
            let all: Vec<&str> = self.variables.iter().map(|v| v.name.as_str()).collect();
            format!("; the variables are: {}", all.join(", "))
        } else {
            format!(
                "; the network has {} variables (`genmodels info` lists them)",
                self.variables.len()
            )
        };
        Err(NetworkError::UnknownVariable {
            name: name.to_string(),
            hint,
        }
        .into())
    }

    /// The index of state `state` of variable `var`.
    pub fn state_index(&self, var: usize, state: &str) -> Result<usize> {
        let v = &self.variables[var];
        v.states.iter().position(|s| s == state).ok_or_else(|| {
            NetworkError::UnknownState {
                variable: v.name.clone(),
                state: state.to_string(),
                states: v.states.join(", "),
            }
            .into()
        })
    }

    /// Evidence given by names, `[("smoke", "yes"), ...]`, as `(variable, state)` indices.
    /// A variable given twice with different states is an error.
    pub fn evidence<S: AsRef<str>>(&self, pairs: &[(S, S)]) -> Result<Vec<(usize, usize)>> {
        let mut ev: Vec<(usize, usize)> = Vec::with_capacity(pairs.len());
        for (name, state) in pairs {
            let v = self.index_of(name.as_ref())?;
            let s = self.state_index(v, state.as_ref())?;
            if let Some(&(_, s0)) = ev.iter().find(|(u, _)| *u == v) {
                if s0 != s {
                    return Err(NetworkError::ImpossibleEvidence {
                        evidence: format!(
                            "{n}={} and {n}={}",
                            self.variables[v].states[s0],
                            self.variables[v].states[s],
                            n = self.variables[v].name
                        ),
                    }
                    .into());
                }
                continue;
            }
            ev.push((v, s));
        }
        Ok(ev)
    }

    /// Evidence as `A=a, B=b`, for messages.
    pub fn describe_evidence(&self, evidence: &[(usize, usize)]) -> String {
        evidence
            .iter()
            .map(|&(v, s)| format!("{}={}", self.variables[v].name, self.variables[v].states[s]))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The number of free parameters: Σ (states − 1) × (parent assignments).
    pub fn n_parameters(&self) -> usize {
        (0..self.n_variables())
            .map(|i| {
                let rows: usize = self.cpts[i]
                    .parents
                    .iter()
                    .map(|&p| self.cardinality(p))
                    .product();
                (self.cardinality(i) - 1) * rows
            })
            .sum()
    }

    /// The row of variable `i`'s CPT selected by a full assignment (`state[v]` for every v).
    fn cpt_row(&self, i: usize, assignment: &[usize]) -> usize {
        let mut row = 0;
        for &p in &self.cpts[i].parents {
            row = row * self.cardinality(p) + assignment[p];
        }
        row
    }

    /// P(variable `i` = `assignment[i]` | its parents as in `assignment`), from the CPT row
    /// divided by its sum (rows are stored as read, and may be off 1 by up to
    /// [`ROW_SUM_TOLERANCE`]; every computation uses the renormalised row, so all methods agree).
    pub fn conditional(&self, i: usize, assignment: &[usize]) -> f64 {
        let k = self.cardinality(i);
        let row = &self.cpts[i].values[self.cpt_row(i, assignment) * k..][..k];
        let z: f64 = row.iter().sum();
        if z == 1.0 {
            row[assignment[i]]
        } else {
            row[assignment[i]] / z
        }
    }

    /// The CPT of variable `i` with every row divided by its sum.
    pub fn normalized_cpt(&self, i: usize) -> Vec<f64> {
        let mut out = self.cpts[i].values.clone();
        for row in out.chunks_exact_mut(self.cardinality(i)) {
            let z: f64 = row.iter().sum();
            if z > 0.0 && z != 1.0 {
                row.iter_mut().for_each(|x| *x /= z);
            }
        }
        out
    }

    /// log P(x) of one complete assignment (state indices in variable order). May be −∞.
    pub fn log_prob(&self, assignment: &[usize]) -> f64 {
        (0..self.n_variables())
            .map(|i| self.conditional(i, assignment).ln())
            .sum()
    }

    /// The CPT of variable `i` (rows renormalised) as a factor over `(parents..., i)`.
    pub fn cpt_factor(&self, i: usize) -> Factor {
        let mut vars = self.cpts[i].parents.clone();
        vars.push(i);
        let cards = vars.iter().map(|&v| self.cardinality(v)).collect();
        Factor::new(vars, cards, self.normalized_cpt(i))
            .expect("validated CPTs have the right size")
    }

    /// The full joint distribution as one factor over all variables (in variable order), for
    /// small networks; an error when it would exceed [`MAX_TABLE_ENTRIES`].
    pub fn joint(&self) -> Result<Factor> {
        let size: f64 = self
            .variables
            .iter()
            .map(|v| v.cardinality() as f64)
            .product();
        if size > MAX_TABLE_ENTRIES as f64 {
            return Err(NetworkError::TooLarge {
                what: "the full joint table".into(),
                size,
                limit: MAX_TABLE_ENTRIES,
                hint: "; ask for marginals with a query instead".into(),
            }
            .into());
        }
        let mut f = Factor::unit();
        for &i in &self.order {
            f = f.product(&self.cpt_factor(i));
        }
        let all: Vec<usize> = (0..self.n_variables()).collect();
        Ok(f.reorder(&all))
    }

    /// The Markov blanket of `i`: its parents, children and the children's other parents.
    pub fn markov_blanket(&self, i: usize) -> Vec<usize> {
        let mut mb: Vec<usize> = self.cpts[i].parents.clone();
        for &c in &self.children[i] {
            mb.push(c);
            mb.extend(self.cpts[c].parents.iter().copied().filter(|&p| p != i));
        }
        mb.sort_unstable();
        mb.dedup();
        mb
    }

    /// Every ancestor of the variables in `set`, the variables included.
    pub fn ancestral_set(&self, set: &[usize]) -> Vec<bool> {
        let mut keep = vec![false; self.n_variables()];
        let mut stack: Vec<usize> = set.to_vec();
        while let Some(v) = stack.pop() {
            if !keep[v] {
                keep[v] = true;
                stack.extend(self.cpts[v].parents.iter().copied());
            }
        }
        keep
    }

    /// Whether `xs` and `ys` are d-separated given `zs` (the reachability algorithm of Koller
    /// and Friedman, 2009, Algorithm 3.1): no active trail joins them.
    pub fn d_separated(&self, xs: &[usize], ys: &[usize], zs: &[usize]) -> bool {
        let n = self.n_variables();
        let mut observed = vec![false; n];
        for &z in zs {
            observed[z] = true;
        }
        // Ancestors of the observed set (v-structures through them are active).
        let anc = self.ancestral_set(zs);
        let mut target = vec![false; n];
        for &y in ys {
            target[y] = true;
        }
        // (node, arrived going up = from a child)
        let mut visited = vec![[false; 2]; n];
        let mut stack: Vec<(usize, bool)> = xs.iter().map(|&x| (x, true)).collect();
        while let Some((v, up)) = stack.pop() {
            if visited[v][up as usize] {
                continue;
            }
            visited[v][up as usize] = true;
            if !observed[v] && target[v] {
                return false;
            }
            if up && !observed[v] {
                for &p in &self.cpts[v].parents {
                    stack.push((p, true));
                }
                for &c in &self.children[v] {
                    stack.push((c, false));
                }
            } else if !up {
                if !observed[v] {
                    for &c in &self.children[v] {
                        stack.push((c, false));
                    }
                }
                if anc[v] {
                    for &p in &self.cpts[v].parents {
                        stack.push((p, true));
                    }
                }
            }
        }
        true
    }

    /// The network after the intervention do(`var` = `state`, ...): every intervened variable
    /// loses its parents and is fixed to its state (graph surgery, Pearl 2009).
    pub fn intervene(&self, interventions: &[(usize, usize)]) -> Result<BayesNet> {
        let mut cpts = self.cpts.clone();
        for &(v, s) in interventions {
            let k = self.cardinality(v);
            if s >= k {
                return Err(NetworkError::Other(format!(
                    "state index {s} out of range for `{}`",
                    self.variables[v].name
                ))
                .into());
            }
            let mut values = vec![0.0; k];
            values[s] = 1.0;
            cpts[v] = Cpt {
                parents: Vec::new(),
                values,
            };
        }
        BayesNet::with_annotations(self.variables.clone(), cpts, self.annotations.clone())
    }

    /// The same variables with new CPTs (a new structure, or new parameters).
    pub fn with_cpts(&self, cpts: Vec<Cpt>) -> Result<BayesNet> {
        BayesNet::with_annotations(self.variables.clone(), cpts, self.annotations.clone())
    }
}

/// Kahn's algorithm, ties broken by file order; on a cycle, names one.
fn topological_order(
    variables: &[Variable],
    cpts: &[Cpt],
    children: &[Vec<usize>],
) -> Result<Vec<usize>> {
    let n = variables.len();
    let mut indeg: Vec<usize> = cpts.iter().map(|c| c.parents.len()).collect();
    let mut ready: std::collections::BTreeSet<usize> = (0..n).filter(|&i| indeg[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(v) = ready.pop_first() {
        order.push(v);
        for &c in &children[v] {
            indeg[c] -= 1;
            if indeg[c] == 0 {
                ready.insert(c);
            }
        }
    }
    if order.len() == n {
        return Ok(order);
    }
    // Walk parents among the remaining nodes until one repeats: that is a cycle.
    let remaining: Vec<bool> = (0..n).map(|i| indeg[i] > 0).collect();
    let start = (0..n).find(|&i| remaining[i]).expect("some node is left");
    let mut path = vec![start];
    let mut pos = HashMap::from([(start, 0usize)]);
    let mut v = start;
    loop {
        let p = *cpts[v]
            .parents
            .iter()
            .find(|&&p| remaining[p])
            .expect("a node left by Kahn's algorithm has a remaining parent");
        if let Some(&at) = pos.get(&p) {
            let mut cyc: Vec<String> = path[at..]
                .iter()
                .rev()
                .map(|&i| variables[i].name.clone())
                .collect();
            cyc.insert(0, variables[p].name.clone());
            // cyc runs parent -> child; close it.
            let first = cyc[0].clone();
            cyc.dedup();
            if cyc.last() != Some(&first) {
                cyc.push(first);
            }
            return Err(NetworkError::Cycle { path: cyc }.into());
        }
        pos.insert(p, path.len());
        path.push(p);
        v = p;
    }
}

fn check_cpt(variables: &[Variable], i: usize, cpt: &Cpt) -> Result<()> {
    let k = variables[i].cardinality();
    let rows: usize = cpt
        .parents
        .iter()
        .map(|&p| variables[p].cardinality())
        .product();
    let expected = rows * k;
    if cpt.values.len() != expected {
        let why = if cpt.parents.is_empty() {
            format!("{k} states")
        } else {
            let parents: Vec<String> = cpt
                .parents
                .iter()
                .map(|&p| format!("{} ({})", variables[p].name, variables[p].cardinality()))
                .collect();
            format!(
                "{k} states × {rows} assignments of the parents {}",
                parents.join(", ")
            )
        };
        return Err(NetworkError::CptShape {
            variable: variables[i].name.clone(),
            found: cpt.values.len(),
            expected,
            why,
        }
        .into());
    }
    for r in 0..rows {
        let row = &cpt.values[r * k..(r + 1) * k];
        let describe = || {
            if cpt.parents.is_empty() {
                String::new()
            } else {
                // Decode r into parent states, last parent fastest.
                let mut rem = r;
                let mut parts = vec![String::new(); cpt.parents.len()];
                for (j, &p) in cpt.parents.iter().enumerate().rev() {
                    let c = variables[p].cardinality();
                    parts[j] = format!("{}={}", variables[p].name, variables[p].states[rem % c]);
                    rem /= c;
                }
                format!(" given {}", parts.join(", "))
            }
        };
        if let Some(&bad) = row
            .iter()
            .find(|v| !v.is_finite() || **v < 0.0 || **v > 1.0)
        {
            return Err(NetworkError::CptRow {
                variable: variables[i].name.clone(),
                row: describe(),
                problem: format!("the entry {bad} is not a probability (0 to 1)"),
            }
            .into());
        }
        let sum: f64 = row.iter().sum();
        if (sum - 1.0).abs() > ROW_SUM_TOLERANCE {
            return Err(NetworkError::CptRow {
                variable: variables[i].name.clone(),
                row: describe(),
                problem: format!("the row sums to {sum}, not 1"),
            }
            .into());
        }
    }
    Ok(())
}
