//! Reading and writing networks: BIF, XMLBIF, and pictures of the graph (DOT, SVG).
//!
//! * [BIF](parse_bif) — the text format of the bnlearn repository, pgmpy, JavaBayes and
//!   GeNIe exports (`network`, `variable` and `probability` blocks).
//! * [XMLBIF 0.3](parse_xmlbif) — the XML format of JavaBayes, pgmpy and Weka.
//! * [`read_network`] and [`write_network`] pick the format from the file name.
//! * [`to_dot`] (Graphviz) and [`to_svg`] (a self-contained layered drawing) picture the graph.
//!
//! Readers report every problem as a [`ReadError::Format`] with the line and column where it
//! was found; writers are deterministic and write probabilities with Rust's shortest
//! round-trip formatting, so a network written and read back has bitwise the same tables.

mod bif;
mod dot;
mod svg;
mod xmlbif;

pub use bif::{parse_bif, read_bif, to_bif};
pub use dot::to_dot;
pub use svg::to_svg;
pub use xmlbif::{parse_xmlbif, read_xmlbif, to_xmlbif};

use std::path::Path;

use super::network::{Annotations, BayesNet, Cpt, Variable, ROW_SUM_TOLERANCE};
use crate::core::{Error, NetworkError, ParamError, ReadError, Result};
use crate::io::write_atomic;

/// The two file formats a network is read from and written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Bif,
    XmlBif,
}

/// The format a file name asks for (`.bif`; `.xmlbif` or `.xml`), if any.
pub(crate) fn format_of(path: &Path) -> Option<Format> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "bif" => Some(Format::Bif),
        "xmlbif" | "xml" => Some(Format::XmlBif),
        _ => None,
    }
}

/// Reads a network from a BIF or XMLBIF file: `.bif` is read as BIF, `.xmlbif` and `.xml` as
/// XMLBIF; any other name is read as XMLBIF when its first non-blank character is `<`, else as
/// BIF.
///
/// ```
/// use genmodels::bayesnet::formats::{read_network, write_network};
/// use genmodels::bayesnet::{BayesNet, Cpt, Variable};
/// # fn main() -> genmodels::core::Result<()> {
/// let net = BayesNet::new(
///     vec![Variable::new("rain", &["yes", "no"]), Variable::new("wet", &["yes", "no"])],
///     vec![
///         Cpt { parents: vec![], values: vec![0.2, 0.8] },
///         Cpt { parents: vec![0], values: vec![0.9, 0.1, 0.05, 0.95] },
///     ],
/// )?;
/// let dir = tempfile::tempdir().expect("a temporary directory");
/// for name in ["rain.bif", "rain.xmlbif"] {
///     let path = dir.path().join(name);
///     write_network(&net, &path)?;
///     let back = read_network(&path)?;
///     assert_eq!(back.cpts(), net.cpts());
///     assert_eq!(back.variables(), net.variables());
/// }
/// # Ok(()) }
/// ```
pub fn read_network(path: &Path) -> Result<BayesNet> {
    let bytes = std::fs::read(path).map_err(|source| ReadError::Io {
        path: path.into(),
        source,
    })?;
    network_from_bytes(bytes, path, format_of(path))
}

/// Parses a network from the bytes of a BIF or XMLBIF file (`path` names them in errors):
/// as `format` says when given (`.bif` against `.xmlbif`), otherwise by the content (XMLBIF
/// starts with `<`). The text must be UTF-8; a leading byte-order mark is dropped.
pub(crate) fn network_from_bytes(
    bytes: Vec<u8>,
    path: &Path,
    format: Option<Format>,
) -> Result<BayesNet> {
    let text = text_of(bytes, path)?;
    let format = format.unwrap_or_else(|| {
        if text.trim_start().starts_with('<') {
            Format::XmlBif
        } else {
            Format::Bif
        }
    });
    match format {
        Format::Bif => parse_bif(&text, path),
        Format::XmlBif => parse_xmlbif(&text, path),
    }
}

/// Writes a network atomically as BIF (`.bif`) or XMLBIF (`.xmlbif`, `.xml`), by the file
/// name's extension; any other extension is an error. A failed write leaves no partial file.
///
/// ```
/// use genmodels::bayesnet::formats::{read_network, write_network};
/// use genmodels::bayesnet::{BayesNet, Cpt, Variable};
/// # fn main() -> genmodels::core::Result<()> {
/// let net = BayesNet::new(
///     vec![Variable::new("coin", &["heads", "tails"])],
///     vec![Cpt { parents: vec![], values: vec![0.5, 0.5] }],
/// )?;
/// let dir = tempfile::tempdir().expect("a temporary directory");
/// let path = dir.path().join("coin.xml");
/// write_network(&net, &path)?;
/// assert_eq!(read_network(&path)?.cpt(0).values, vec![0.5, 0.5]);
/// assert!(write_network(&net, &dir.path().join("coin.txt")).is_err());
/// # Ok(()) }
/// ```
pub fn write_network(net: &BayesNet, path: &Path) -> Result<()> {
    let text = match format_of(path) {
        Some(Format::Bif) => to_bif(net),
        Some(Format::XmlBif) => to_xmlbif(net),
        None => {
            return Err(ParamError::invalid(
                "path",
                path.display().to_string(),
                "a file name ending in .bif (BIF) or .xmlbif / .xml (XMLBIF)",
            )
            .into())
        }
    };
    write_atomic(path, |w| w.write_all(text.as_bytes())).map_err(|source| {
        ReadError::Io {
            path: path.into(),
            source,
        }
        .into()
    })
}

/// Reads a file as UTF-8 text (a leading byte-order mark dropped); invalid UTF-8 is reported
/// with its line and column.
fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).map_err(|source| ReadError::Io {
        path: path.into(),
        source,
    })?;
    text_of(bytes, path)
}

/// The bytes of a file as UTF-8 text, a leading byte-order mark dropped.
fn text_of(bytes: Vec<u8>, path: &Path) -> Result<String> {
    match String::from_utf8(bytes) {
        Ok(mut s) => {
            if s.starts_with('\u{feff}') {
                s.drain(..'\u{feff}'.len_utf8());
            }
            Ok(s)
        }
        Err(e) => {
            let good = e.utf8_error().valid_up_to();
            let prefix = String::from_utf8_lossy(&e.as_bytes()[..good]);
            let (line, col) = line_col(&prefix, prefix.len());
            Err(format_error(
                path,
                line,
                col,
                "the file is not UTF-8 text (save it as UTF-8)".into(),
            ))
        }
    }
}

/// The 1-based line and column (in characters) of byte `offset` of `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

/// A format error at a line and column.
fn format_error(path: &Path, line: usize, col: usize, message: String) -> Error {
    ReadError::Format {
        path: path.into(),
        line: Some(line),
        column: Some(col.to_string()),
        message,
    }
    .into()
}

/// What is wrong with one CPT row (entries in [0, 1], sum 1 within [`ROW_SUM_TOLERANCE`]), if
/// anything.
fn row_problem(row: &[f64]) -> Option<String> {
    if let Some(bad) = row
        .iter()
        .find(|v| !v.is_finite() || **v < 0.0 || **v > 1.0)
    {
        return Some(format!(
            "has the entry {bad}, which is not a probability (0 to 1)"
        ));
    }
    let sum: f64 = row.iter().sum();
    if (sum - 1.0).abs() > ROW_SUM_TOLERANCE {
        return Some(format!("sums to {sum}, not 1 (within {ROW_SUM_TOLERANCE})"));
    }
    None
}

/// " given A=a, B=b" for row `r` of a table with these parents (last parent fastest).
fn describe_row(variables: &[Variable], parents: &[usize], r: usize) -> String {
    if parents.is_empty() {
        return String::new();
    }
    let mut rem = r;
    let mut parts = vec![String::new(); parents.len()];
    for (j, &p) in parents.iter().enumerate().rev() {
        let c = variables[p].states.len().max(1);
        parts[j] = format!("{}={}", variables[p].name, variables[p].states[rem % c]);
        rem /= c;
    }
    format!(" given {}", parts.join(", "))
}

/// The number of rows (parent assignments) of a table and its size, or `None` when it would
/// exceed [`super::network::MAX_TABLE_ENTRIES`].
fn table_size(variables: &[Variable], parents: &[usize], k: usize) -> Option<(usize, usize)> {
    let mut rows = 1usize;
    for &p in parents {
        rows = rows.checked_mul(variables[p].states.len())?;
    }
    let size = rows.checked_mul(k)?;
    (size <= super::network::MAX_TABLE_ENTRIES).then_some((rows, size))
}

/// Validates the network, turning a [`NetworkError`] into a format error placed where
/// `locate` says the variable it names is defined (line 1, column 1 when it names none).
fn build(
    path: &Path,
    variables: Vec<Variable>,
    cpts: Vec<Cpt>,
    annotations: Annotations,
    locate: impl Fn(&str) -> Option<(usize, usize)>,
) -> Result<BayesNet> {
    BayesNet::with_annotations(variables, cpts, annotations).map_err(|e| match e {
        Error::Network(ne) => {
            let name = match &ne {
                NetworkError::Cycle { path } => path.first(),
                NetworkError::Duplicate { name, .. } => Some(name),
                NetworkError::CptShape { variable, .. } | NetworkError::CptRow { variable, .. } => {
                    Some(variable)
                }
                _ => None,
            };
            let (line, col) = name.and_then(|n| locate(n)).unwrap_or((1, 1));
            format_error(path, line, col, ne.to_string())
        }
        other => other,
    })
}

/// Text escaped for XML content and attribute values. Characters XML 1.0 cannot hold (most
/// control characters) become U+FFFD; a carriage return is written as `&#13;` so that it
/// survives XML's line-end normalisation.
fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}
