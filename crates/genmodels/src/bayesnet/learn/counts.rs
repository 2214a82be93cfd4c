//! Counting families in the `u16` columns: the one hot loop of parameter and structure learning.
//!
//! A parent configuration is a mixed-radix index over the parents' codes (last parent fastest,
//! as in a CPT). For scores only the configurations that occur matter, so ids are compacted to
//! the occurring ones whenever the full product would make tables too large; for CPTs the full
//! index is kept (the table is dense anyway).

use std::collections::HashMap;

use crate::bayesnet::data::{DiscreteData, MISSING};
use crate::core::{DataError, Result};

/// Above this many ids a combination step first compacts the ids to the occurring ones.
const COMBINE_LIMIT: usize = 1 << 20;
/// The largest dense count table a score builds; beyond it counts are gathered by sorting.
const TABLE_LIMIT: usize = 1 << 22;
/// The largest table the fused "one more parent" count builds directly.
const FUSED_LIMIT: usize = 1 << 18;

/// Checks that `data` can be counted: at least one row, columns of one length, no missing cell
/// and every code a state of its column. `what` names the task in messages.
pub(crate) fn check_complete(data: &DiscreteData, what: &str) -> Result<()> {
    let n = data.n_rows();
    if data.columns.is_empty() || n == 0 {
        return Err(DataError::Empty {
            what: format!("the data given to {what}"),
        }
        .into());
    }
    if data.states.len() != data.columns.len() || data.names.len() != data.columns.len() {
        return Err(DataError::Other(format!(
            "{} names, {} state lists and {} columns: they must match",
            data.names.len(),
            data.states.len(),
            data.columns.len()
        ))
        .into());
    }
    if n > u32::MAX as usize {
        return Err(DataError::Other(format!(
            "{n} rows are more than the {} that counting supports",
            u32::MAX
        ))
        .into());
    }
    for (j, col) in data.columns.iter().enumerate() {
        if col.len() != n {
            return Err(DataError::Length {
                what: format!("column `{}`", data.names[j]),
                found: col.len(),
                expected: n,
            }
            .into());
        }
        let r = data.states[j].len();
        // One branch-free pass finds the largest code; only when something is off is the
        // offending row looked for.
        let max = col.iter().copied().max().unwrap_or(0);
        if max == MISSING {
            let i = col.iter().position(|&c| c == MISSING).unwrap_or(0);
            return Err(DataError::Other(format!(
                "row {}, column `{}` is missing: {what} needs complete rows (fill or drop the \
                 missing cells, or use EM, which handles them)",
                i + 1,
                data.names[j]
            ))
            .into());
        }
        if max as usize >= r {
            let i = col.iter().position(|&c| c as usize >= r).unwrap_or(0);
            return Err(DataError::Support {
                row: i + 1,
                column: j + 1,
                value: col[i].to_string(),
                support: format!("codes 0..{r} (the states of `{}`)", data.names[j]),
            }
            .into());
        }
    }
    Ok(())
}

/// The parent configuration of every row: `ids[i] < bound`.
#[derive(Debug, Clone)]
pub(crate) struct Configs {
    pub ids: Vec<u32>,
    pub bound: usize,
}

impl Configs {
    /// The single empty configuration.
    pub fn unit(n: usize) -> Self {
        Self {
            ids: vec![0; n],
            bound: 1,
        }
    }

    /// Renumbers the ids to `0..distinct` (first occurrence order is not kept; ids keep their
    /// relative order).
    pub fn compact(&mut self) {
        if self.bound <= 1 {
            return;
        }
        let mut seen = vec![false; self.bound];
        for &id in &self.ids {
            seen[id as usize] = true;
        }
        let mut map = vec![0u32; self.bound];
        let mut next = 0u32;
        for (m, &s) in map.iter_mut().zip(&seen) {
            if s {
                *m = next;
                next += 1;
            }
        }
        for id in &mut self.ids {
            *id = map[*id as usize];
        }
        self.bound = (next as usize).max(1);
    }

    /// The configurations with one more parent (its codes `col`, `card` states) appended as the
    /// fastest-varying digit.
    pub fn extend(&self, col: &[u16], card: usize) -> Configs {
        let mut out = self.clone();
        out.push(col, card);
        out
    }

    /// Appends a parent in place.
    pub fn push(&mut self, col: &[u16], card: usize) {
        let card = card.max(1);
        if self.bound.saturating_mul(card) > COMBINE_LIMIT {
            self.compact();
        }
        if self.bound.saturating_mul(card) <= COMBINE_LIMIT {
            let c = card as u32;
            for (id, &x) in self.ids.iter_mut().zip(col) {
                *id = *id * c + x as u32;
            }
            self.bound *= card;
        } else {
            // Too many combinations for arithmetic ids: number the occurring pairs.
            let mut map: HashMap<u64, u32> = HashMap::new();
            for (id, &x) in self.ids.iter_mut().zip(col) {
                let key = *id as u64 * card as u64 + x as u64;
                let next = map.len() as u32;
                *id = *map.entry(key).or_insert(next);
            }
            self.bound = map.len().max(1);
        }
    }

    /// The configurations of `parents` (in that order).
    pub fn of(cols: &[&[u16]], cards: &[usize], parents: &[usize], n: usize) -> Configs {
        let mut c = Configs::unit(n);
        for &p in parents {
            c.push(cols[p], cards[p]);
        }
        c
    }
}

/// Counts of a child by parent configuration: only the rows matter, each a list of counts over
/// the child's states (zeros included or not).
#[derive(Debug, Clone)]
pub(crate) enum Table {
    /// `counts[j * r + k]`.
    Dense { counts: Vec<u32>, r: usize },
    /// Occurring configurations only, their nonzero counts concatenated.
    Sparse {
        counts: Vec<u32>,
        starts: Vec<usize>,
    },
}

impl Table {
    /// Calls `f` with each configuration's counts (rows of a dense table may be all zero; a
    /// sparse row holds only nonzero counts).
    #[inline]
    pub fn for_each_row(&self, mut f: impl FnMut(&[u32])) {
        match self {
            Table::Dense { counts, r } => {
                for row in counts.chunks_exact(*r) {
                    f(row)
                }
            }
            Table::Sparse { counts, starts } => {
                for w in starts.windows(2) {
                    f(&counts[w[0]..w[1]])
                }
            }
        }
    }

    /// Counts of `child` (`r` states) by the configurations `cfg`.
    pub fn count(cfg: &Configs, child: &[u16], r: usize) -> Table {
        let r = r.max(1);
        if cfg.bound.saturating_mul(r) <= TABLE_LIMIT {
            let mut counts = vec![0u32; cfg.bound * r];
            for (&id, &y) in cfg.ids.iter().zip(child) {
                counts[id as usize * r + y as usize] += 1;
            }
            return Table::Dense { counts, r };
        }
        let mut keys: Vec<u64> = cfg
            .ids
            .iter()
            .zip(child)
            .map(|(&id, &y)| id as u64 * r as u64 + y as u64)
            .collect();
        keys.sort_unstable();
        let mut counts = Vec::new();
        let mut starts = vec![0usize];
        let mut i = 0;
        while i < keys.len() {
            let row = keys[i] / r as u64;
            while i < keys.len() && keys[i] / r as u64 == row {
                let key = keys[i];
                let mut c = 0u32;
                while i < keys.len() && keys[i] == key {
                    c += 1;
                    i += 1;
                }
                counts.push(c);
            }
            starts.push(counts.len());
        }
        Table::Sparse { counts, starts }
    }

    /// Counts of `y` (`ry` states) by the configurations `base` extended with `x` (`rx` states),
    /// in one pass when the table is small.
    pub fn count_extended(base: &Configs, x: &[u16], rx: usize, y: &[u16], ry: usize) -> Table {
        let (rx, ry) = (rx.max(1), ry.max(1));
        let size = base.bound.saturating_mul(rx).saturating_mul(ry);
        if size > FUSED_LIMIT {
            return Table::count(&base.extend(x, rx), y, ry);
        }
        let mut counts = vec![0u32; size];
        for ((&id, &a), &b) in base.ids.iter().zip(x).zip(y) {
            counts[(id as usize * rx + a as usize) * ry + b as usize] += 1;
        }
        Table::Dense { counts, r: ry }
    }
}

/// The dense CPT-ordered counts of `child` given `parents` (full mixed-radix index, last parent
/// fastest): `q * r` entries. The caller checks that the size is acceptable.
pub(crate) fn cpt_counts(
    cols: &[&[u16]],
    cards: &[usize],
    child: usize,
    parents: &[usize],
) -> Vec<f64> {
    let n = cols[child].len();
    let r = cards[child];
    let q: usize = parents.iter().map(|&p| cards[p]).product();
    let mut counts = vec![0u32; q * r];
    match parents.len() {
        0 => {
            for &y in cols[child] {
                counts[y as usize] += 1;
            }
        }
        1 => {
            for (&a, &y) in cols[parents[0]].iter().zip(cols[child]) {
                counts[a as usize * r + y as usize] += 1;
            }
        }
        _ => {
            let mut ids = vec![0u32; n];
            for &p in parents {
                let c = cards[p] as u32;
                for (id, &x) in ids.iter_mut().zip(cols[p]) {
                    *id = *id * c + x as u32;
                }
            }
            for (&id, &y) in ids.iter().zip(cols[child]) {
                counts[id as usize * r + y as usize] += 1;
            }
        }
    }
    counts.into_iter().map(f64::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(t: &Table) -> Vec<Vec<u32>> {
        let mut v = Vec::new();
        t.for_each_row(|r| {
            let nz: Vec<u32> = r.iter().copied().filter(|&c| c > 0).collect();
            if !nz.is_empty() {
                v.push(nz)
            }
        });
        v
    }

    #[test]
    fn dense_sparse_and_fused_counts_agree() {
        let x: Vec<u16> = vec![0, 1, 1, 2, 0, 1, 2, 2];
        let z: Vec<u16> = vec![1, 0, 1, 1, 1, 0, 0, 1];
        let y: Vec<u16> = vec![0, 1, 1, 0, 0, 1, 1, 0];
        let cfg = Configs::unit(8).extend(&z, 2);
        let fused = Table::count_extended(&cfg, &x, 3, &y, 2);
        let plain = Table::count(&cfg.extend(&x, 3), &y, 2);
        assert_eq!(rows(&fused), rows(&plain));
        // Force the sparse path with a huge child cardinality.
        let sparse = Table::count(&cfg.extend(&x, 3), &y, TABLE_LIMIT);
        assert!(matches!(sparse, Table::Sparse { .. }));
        assert_eq!(rows(&sparse), rows(&plain));
        // Compaction keeps the partition of rows.
        let mut c = cfg.extend(&x, 3);
        c.compact();
        assert_eq!(rows(&Table::count(&c, &y, 2)), rows(&plain));
        assert!(c.bound <= 6);
    }

    #[test]
    fn cpt_counts_use_last_parent_fastest() {
        let a: Vec<u16> = vec![0, 0, 1, 1, 1];
        let b: Vec<u16> = vec![0, 2, 1, 2, 2];
        let y: Vec<u16> = vec![1, 0, 0, 1, 1];
        let cols: Vec<&[u16]> = vec![&a, &b, &y];
        let c = cpt_counts(&cols, &[2, 3, 2], 2, &[0, 1]);
        // rows: (a,b) = (0,0) (0,1) (0,2) (1,0) (1,1) (1,2)
        assert_eq!(c, vec![0., 1., 0., 0., 1., 0., 0., 0., 1., 0., 0., 2.]);
    }
}
