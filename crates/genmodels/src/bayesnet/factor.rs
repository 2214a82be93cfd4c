//! Dense factors (tables over a few discrete variables): the algebra of exact inference.
//!
//! Layout: row-major over `vars`, the last variable varying fastest — the same layout as a CPT
//! over `(parents..., child)`. Written here rather than taken from a tensor crate because the
//! operations are indexed by variable identity (products that align scopes, sums over named
//! variables, reductions by evidence), which tensor crates leave to the caller; the loops are
//! the stride walks of Koller & Friedman (2009), Algorithm 10.A.1.

use crate::core::{NetworkError, Result};

/// A table φ(vars) ≥ 0 over discrete variables identified by their index in a network.
#[derive(Debug, Clone, PartialEq)]
pub struct Factor {
    vars: Vec<usize>,
    cards: Vec<usize>,
    values: Vec<f64>,
}

/// Row-major strides of `cards` (last fastest).
fn strides_of(cards: &[usize]) -> Vec<usize> {
    let mut s = vec![0; cards.len()];
    let mut acc = 1;
    for i in (0..cards.len()).rev() {
        s[i] = acc;
        acc *= cards[i];
    }
    s
}

/// Walks every assignment of `cards` in row-major order, calling `f(i, a, b)` with the running
/// offsets into two tables whose strides (0 for an absent variable) are `sa` and `sb`. The last
/// dimension runs in a tight inner loop; the others advance an odometer once per inner run.
fn walk2(cards: &[usize], sa: &[usize], sb: &[usize], mut f: impl FnMut(usize, usize, usize)) {
    let m = cards.len();
    if m == 0 {
        f(0, 0, 0);
        return;
    }
    let n: usize = cards.iter().product();
    if n == 0 {
        return;
    }
    let (kl, al, bl) = (cards[m - 1], sa[m - 1], sb[m - 1]);
    let mut counter = vec![0usize; m - 1];
    let (mut a, mut b) = (0usize, 0usize);
    let mut i = 0;
    loop {
        for j in 0..kl {
            f(i + j, a + j * al, b + j * bl);
        }
        i += kl;
        if i >= n {
            return;
        }
        for l in (0..m - 1).rev() {
            counter[l] += 1;
            if counter[l] == cards[l] {
                counter[l] = 0;
                a -= (cards[l] - 1) * sa[l];
                b -= (cards[l] - 1) * sb[l];
            } else {
                a += sa[l];
                b += sb[l];
                break;
            }
        }
    }
}

/// Walks every entry `i` of a row-major table with cardinalities `cards`, calling `f(i, o)`
/// with the offset `o` into a second table whose stride for each dimension is `sub` (0 where
/// the second table lacks the variable): the index map of projections and broadcasts.
pub(crate) fn walk1(cards: &[usize], sub: &[usize], mut f: impl FnMut(usize, usize)) {
    let m = cards.len();
    if m == 0 {
        f(0, 0);
        return;
    }
    let n: usize = cards.iter().product();
    if n == 0 {
        return;
    }
    let (kl, sl) = (cards[m - 1], sub[m - 1]);
    let mut counter = vec![0usize; m - 1];
    let mut o = 0usize;
    let mut i = 0;
    loop {
        if sl == 0 {
            for j in 0..kl {
                f(i + j, o);
            }
        } else {
            for j in 0..kl {
                f(i + j, o + j * sl);
            }
        }
        i += kl;
        if i >= n {
            return;
        }
        for l in (0..m - 1).rev() {
            counter[l] += 1;
            if counter[l] == cards[l] {
                counter[l] = 0;
                o -= (cards[l] - 1) * sub[l];
            } else {
                o += sub[l];
                break;
            }
        }
    }
}

impl Factor {
    /// A factor from its variables, their cardinalities and row-major values.
    pub fn new(vars: Vec<usize>, cards: Vec<usize>, values: Vec<f64>) -> Result<Self> {
        if vars.len() != cards.len() {
            return Err(NetworkError::Other(format!(
                "a factor over {} variables was given {} cardinalities",
                vars.len(),
                cards.len()
            ))
            .into());
        }
        for (k, v) in vars.iter().enumerate() {
            if vars[..k].contains(v) {
                return Err(
                    NetworkError::Other(format!("variable {v} appears twice in a factor")).into(),
                );
            }
        }
        let size: usize = cards.iter().product();
        if values.len() != size {
            return Err(NetworkError::Other(format!(
                "a factor with cardinalities {cards:?} needs {size} values, got {}",
                values.len()
            ))
            .into());
        }
        Ok(Self {
            vars,
            cards,
            values,
        })
    }

    /// The constant factor 1 over no variables.
    pub fn unit() -> Self {
        Self {
            vars: Vec::new(),
            cards: Vec::new(),
            values: vec![1.0],
        }
    }

    /// A factor from parts the caller guarantees consistent (distinct variables, as many
    /// values as the cardinalities multiply to).
    pub(crate) fn from_parts(vars: Vec<usize>, cards: Vec<usize>, values: Vec<f64>) -> Self {
        debug_assert_eq!(vars.len(), cards.len());
        debug_assert_eq!(values.len(), cards.iter().product::<usize>());
        Self {
            vars,
            cards,
            values,
        }
    }

    /// A factor of ones over `vars`.
    pub fn ones(vars: Vec<usize>, cards: Vec<usize>) -> Self {
        let n = cards.iter().product();
        Self {
            vars,
            cards,
            values: vec![1.0; n],
        }
    }

    /// The variables, in table order.
    pub fn vars(&self) -> &[usize] {
        &self.vars
    }

    /// Their cardinalities.
    pub fn cards(&self) -> &[usize] {
        &self.cards
    }

    /// The values, row-major.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The values, mutable.
    pub fn values_mut(&mut self) -> &mut [f64] {
        &mut self.values
    }

    /// Consumes the factor, giving its values.
    pub fn into_values(self) -> Vec<f64> {
        self.values
    }

    /// Whether variable `v` is in the scope.
    pub fn contains(&self, v: usize) -> bool {
        self.vars.contains(&v)
    }

    fn stride_in(&self, v: usize) -> usize {
        match self.vars.iter().position(|&u| u == v) {
            Some(k) => self.cards[k + 1..].iter().product(),
            None => 0,
        }
    }

    /// φ·ψ over the union of the scopes (this factor's variables first).
    pub fn product(&self, other: &Factor) -> Factor {
        let mut vars = self.vars.clone();
        let mut cards = self.cards.clone();
        for (k, &v) in other.vars.iter().enumerate() {
            if !vars.contains(&v) {
                vars.push(v);
                cards.push(other.cards[k]);
            }
        }
        let sa: Vec<usize> = vars.iter().map(|&v| self.stride_in(v)).collect();
        let sb: Vec<usize> = vars.iter().map(|&v| other.stride_in(v)).collect();
        let n: usize = cards.iter().product();
        let mut values = vec![0.0; n];
        walk2(&cards, &sa, &sb, |i, a, b| {
            values[i] = self.values[a] * other.values[b]
        });
        Factor {
            vars,
            cards,
            values,
        }
    }

    /// Σ over the variables in `out` (those not in scope are ignored).
    pub fn sum_out(&self, out: &[usize]) -> Factor {
        self.eliminate(out, |acc, v| *acc += v, 0.0)
    }

    /// max over the variables in `out`.
    pub fn max_out(&self, out: &[usize]) -> Factor {
        self.eliminate(out, |acc, v| *acc = acc.max(v), f64::NEG_INFINITY)
    }

    fn eliminate(&self, out: &[usize], op: impl Fn(&mut f64, f64), init: f64) -> Factor {
        let keep: Vec<usize> = (0..self.vars.len())
            .filter(|&k| !out.contains(&self.vars[k]))
            .collect();
        if keep.len() == self.vars.len() {
            return self.clone();
        }
        let vars: Vec<usize> = keep.iter().map(|&k| self.vars[k]).collect();
        let cards: Vec<usize> = keep.iter().map(|&k| self.cards[k]).collect();
        let ostr = strides_of(&cards);
        let mut so = vec![0; self.vars.len()];
        for (j, &k) in keep.iter().enumerate() {
            so[k] = ostr[j];
        }
        let sself = strides_of(&self.cards);
        let mut values = vec![init; cards.iter().product()];
        walk2(&self.cards, &sself, &so, |_, a, o| {
            op(&mut values[o], self.values[a])
        });
        Factor {
            vars,
            cards,
            values,
        }
    }

    /// The factor with `var` fixed to `state` (and dropped from the scope). Unchanged when
    /// `var` is not in scope.
    pub fn reduce(&self, var: usize, state: usize) -> Factor {
        let Some(k) = self.vars.iter().position(|&u| u == var) else {
            return self.clone();
        };
        let inner: usize = self.cards[k + 1..].iter().product();
        let outer: usize = self.cards[..k].iter().product();
        let card = self.cards[k];
        let mut values = Vec::with_capacity(outer * inner);
        for o in 0..outer {
            let base = (o * card + state) * inner;
            values.extend_from_slice(&self.values[base..base + inner]);
        }
        let mut vars = self.vars.clone();
        let mut cards = self.cards.clone();
        vars.remove(k);
        cards.remove(k);
        Factor {
            vars,
            cards,
            values,
        }
    }

    /// The factor with every `(var, state)` of `evidence` that is in scope fixed and dropped,
    /// in one pass (variables not in scope are ignored; a variable given twice keeps its
    /// first state).
    pub fn reduce_evidence(&self, evidence: &[(usize, usize)]) -> Factor {
        let m = self.vars.len();
        let strides = strides_of(&self.cards);
        let mut fixed: Vec<Option<usize>> = vec![None; m];
        for &(v, s) in evidence {
            if let Some(k) = self.vars.iter().position(|&u| u == v) {
                if fixed[k].is_none() {
                    fixed[k] = Some(s);
                }
            }
        }
        if fixed.iter().all(Option::is_none) {
            return self.clone();
        }
        let mut base = 0;
        let (mut vars, mut cards, mut sa) = (Vec::new(), Vec::new(), Vec::new());
        for k in 0..m {
            match fixed[k] {
                Some(s) => base += s * strides[k],
                None => {
                    vars.push(self.vars[k]);
                    cards.push(self.cards[k]);
                    sa.push(strides[k]);
                }
            }
        }
        let n: usize = cards.iter().product();
        let mut values = vec![0.0; n];
        let zero = vec![0; cards.len()];
        walk2(&cards, &sa, &zero, |i, a, _| {
            values[i] = self.values[base + a]
        });
        Factor {
            vars,
            cards,
            values,
        }
    }

    /// The row-major strides of this factor's variables (the last variable has stride 1).
    pub fn strides(&self) -> Vec<usize> {
        strides_of(&self.cards)
    }

    /// The same table with its variables in the order `order` (a permutation of the scope).
    pub fn reorder(&self, order: &[usize]) -> Factor {
        assert_eq!(order.len(), self.vars.len(), "reorder needs a permutation");
        let cards: Vec<usize> = order
            .iter()
            .map(|&v| {
                let k = self
                    .vars
                    .iter()
                    .position(|&u| u == v)
                    .expect("reorder needs a permutation of the scope");
                self.cards[k]
            })
            .collect();
        let sa: Vec<usize> = order.iter().map(|&v| self.stride_in(v)).collect();
        let zero = vec![0; order.len()];
        let mut values = vec![0.0; self.values.len()];
        walk2(&cards, &sa, &zero, |i, a, _| values[i] = self.values[a]);
        Factor {
            vars: order.to_vec(),
            cards,
            values,
        }
    }

    /// The sum of all entries.
    pub fn total(&self) -> f64 {
        self.values.iter().sum()
    }

    /// Divides by the total, returning it; a total of 0 leaves the factor as it is.
    pub fn normalize(&mut self) -> f64 {
        let z = self.total();
        if z > 0.0 {
            let inv = 1.0 / z;
            self.values.iter_mut().for_each(|v| *v *= inv);
        }
        z
    }

    /// The value at a full assignment of the scope (states in table order).
    pub fn get(&self, states: &[usize]) -> f64 {
        let mut idx = 0;
        for (k, &s) in states.iter().enumerate() {
            idx = idx * self.cards[k] + s;
        }
        self.values[idx]
    }

    /// The row-major index decoded into states (in table order).
    pub fn assignment(&self, mut index: usize) -> Vec<usize> {
        let mut states = vec![0; self.cards.len()];
        for k in (0..self.cards.len()).rev() {
            states[k] = index % self.cards[k];
            index /= self.cards[k];
        }
        states
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_sum_and_reduce_match_hand_computation() {
        // φ(a, b) and ψ(b, c), all binary.
        let phi = Factor::new(vec![0, 1], vec![2, 2], vec![1., 2., 3., 4.]).unwrap();
        let psi = Factor::new(vec![1, 2], vec![2, 2], vec![5., 6., 7., 8.]).unwrap();
        let p = phi.product(&psi);
        assert_eq!(p.vars(), &[0, 1, 2]);
        // (a=1, b=0, c=1) = 3 * 6
        assert_eq!(p.get(&[1, 0, 1]), 18.0);
        let s = p.sum_out(&[1]);
        assert_eq!(s.vars(), &[0, 2]);
        // a=0,c=0: 1*5 + 2*7
        assert_eq!(s.get(&[0, 0]), 19.0);
        let r = p.reduce(1, 1);
        assert_eq!(r.vars(), &[0, 2]);
        assert_eq!(r.get(&[1, 0]), 4.0 * 7.0);
        let m = p.max_out(&[0, 1]);
        assert_eq!(m.values(), &[4.0 * 7.0, 4.0 * 8.0]);
        let t = p.reorder(&[2, 0, 1]);
        assert_eq!(t.get(&[1, 1, 0]), p.get(&[1, 0, 1]));
        assert_eq!(p.assignment(5), vec![1, 0, 1]);
        let r2 = p.reduce_evidence(&[(2, 1), (0, 1), (7, 0)]);
        assert_eq!(r2.vars(), &[1]);
        assert_eq!(r2.values(), &[3.0 * 6.0, 4.0 * 8.0]);
        assert_eq!(p.reduce_evidence(&[(5, 0)]), p);
        assert_eq!(p.strides(), vec![4, 2, 1]);
    }

    #[test]
    fn operations_on_scalars_and_empty_scopes() {
        let u = Factor::unit();
        let phi = Factor::new(vec![3], vec![3], vec![1., 2., 3.]).unwrap();
        assert_eq!(u.product(&phi), phi);
        assert_eq!(phi.sum_out(&[3]).values(), &[6.0]);
        assert_eq!(phi.reduce_evidence(&[(3, 2)]).values(), &[3.0]);
        assert_eq!(u.reorder(&[]).values(), &[1.0]);
    }
}
