//! Sequences: the rows of a CSV (or .npy) cut into sequences by a sequence column, with the
//! symbols of categorical columns coded.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Result;
use genmodels::core::data::Sequences;
use ndarray::Array2;

use crate::common::usage;

/// Observations read from a file, grouped into sequences.
pub struct Loaded {
    pub seqs: Sequences,
    pub names: Vec<String>,
    /// For each grouped row, its row in the file (0-based) and its sequence name.
    pub origin: Vec<(usize, String)>,
    pub symbols: Option<Vec<String>>,
}

/// Reads observations, grouping rows by `seq_col`. For symbol data, text is mapped to codes
/// through `vocab` (or a new sorted vocabulary when `None`).
pub fn read(
    path: &Path,
    columns: Option<&[String]>,
    seq_col: Option<&str>,
    symbols: bool,
    vocab: Option<&[String]>,
    model_names: Option<&[String]>,
) -> Result<Loaded> {
    let is_npy = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"));
    if is_npy {
        if seq_col.is_some() {
            return Err(usage("--sequence-column needs a CSV file"));
        }
        let t = genmodels::io::read_matrix(path, None)?;
        let n = t.data.nrows();
        return Ok(Loaded {
            seqs: Sequences::single(t.data)
                .map_err(|e| usage(format!("{}: {e}", path.display())))?,
            names: t.names,
            origin: (0..n).map(|i| (i, "1".into())).collect(),
            symbols: None,
        });
    }
    let table = genmodels::io::read_csv(path)?;
    if table.rows.is_empty() {
        return Err(usage(format!(
            "{}: the file has a header but no data rows",
            path.display()
        )));
    }
    let seq_idx = seq_col.map(|c| table.column_index(c)).transpose()?;
    let exclude: Vec<&str> = seq_col.into_iter().collect();
    let cols = table.model_columns(columns, model_names, &exclude)?;
    let idx: Vec<usize> = cols
        .iter()
        .map(|c| table.column_index(c))
        .collect::<genmodels::core::Result<_>>()?;
    // Group rows by sequence, in order of first appearance; rows keep file order within one.
    let mut order: Vec<String> = Vec::new();
    let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, (_, row)) in table.rows.iter().enumerate() {
        let key = seq_idx
            .map(|j| row[j].clone())
            .unwrap_or_else(|| "1".into());
        groups.entry(key.clone()).or_insert_with(|| {
            order.push(key.clone());
            Vec::new()
        });
        groups.get_mut(&key).expect("inserted").push(i);
    }
    let mut origin = Vec::with_capacity(table.rows.len());
    let mut lengths = Vec::new();
    for k in &order {
        let rows = &groups[k];
        lengths.push(rows.len());
        origin.extend(rows.iter().map(|&i| (i, k.clone())));
    }
    let mut x = Array2::zeros((origin.len(), idx.len()));
    let mut new_vocab: Option<Vec<String>> = None;
    if symbols {
        if idx.len() != 1 {
            return Err(usage(format!("categorical emissions read one column of symbols; got {} columns ({}): choose one with --columns", idx.len(), cols.join(", "))));
        }
        let vocab: Vec<String> = match vocab {
            Some(v) => v.to_vec(),
            None => {
                let mut v: Vec<String> =
                    table.rows.iter().map(|(_, r)| r[idx[0]].clone()).collect();
                v.sort();
                v.dedup();
                new_vocab = Some(v.clone());
                v
            }
        };
        let code: HashMap<&str, usize> = vocab
            .iter()
            .enumerate()
            .map(|(i, s)| (s.as_str(), i))
            .collect();
        for (r, (i, _)) in origin.iter().enumerate() {
            let (line, row) = &table.rows[*i];
            let sym = &row[idx[0]];
            x[[r, 0]] = *code.get(sym.as_str()).ok_or_else(|| {
                usage(format!("{}, line {line}, column {}: unknown symbol {sym:?} (the model knows {} symbols)", path.display(), cols[0], vocab.len()))
            })? as f64;
        }
        return Ok(Loaded {
            seqs: Sequences::new(x, lengths)
                .map_err(|e| usage(format!("{}: {e}", path.display())))?,
            names: cols,
            origin,
            symbols: new_vocab.or(Some(vocab)),
        });
    }
    for (r, (i, _)) in origin.iter().enumerate() {
        let (line, row) = &table.rows[*i];
        for (j, &c) in idx.iter().enumerate() {
            x[[r, j]] = genmodels::io::csv::parse_number(&row[c]).ok_or_else(|| {
                usage(format!("{}, line {line}, column {}: {:?} is not a number (select numeric columns with --columns)", path.display(), table.header[c], row[c]))
            })?;
        }
    }
    Ok(Loaded {
        seqs: Sequences::new(x, lengths).map_err(|e| usage(format!("{}: {e}", path.display())))?,
        names: cols,
        origin,
        symbols: None,
    })
}
