//! The graph as Graphviz DOT.

use std::fmt::Write as _;

use crate::bayesnet::network::BayesNet;

/// The network's graph in Graphviz DOT: one node per variable (in the network's order), one
/// `parent -> child` edge per arc; the variables in `highlight` (indices; out-of-range ones are
/// ignored) are filled. Names are always quoted, with `"` and `\` escaped, so any name is safe.
///
/// ```
/// use genmodels::bayesnet::formats::to_dot;
/// use genmodels::bayesnet::{BayesNet, Cpt, Variable};
/// # fn main() -> genmodels::core::Result<()> {
/// let net = BayesNet::new(
///     vec![Variable::new("rain", &["yes", "no"]), Variable::new("wet grass", &["yes", "no"])],
///     vec![
///         Cpt { parents: vec![], values: vec![0.2, 0.8] },
///         Cpt { parents: vec![0], values: vec![0.9, 0.1, 0.05, 0.95] },
///     ],
/// )?;
/// let dot = to_dot(&net, &[1]);
/// assert!(dot.contains("\"rain\" -> \"wet grass\";"));
/// assert!(dot.contains("\"wet grass\" [style=\"rounded,filled\""));
/// # Ok(()) }
/// ```
pub fn to_dot(net: &BayesNet, highlight: &[usize]) -> String {
    let mut s = String::new();
    let name = &net.annotations().name;
    let title = if name.is_empty() { "network" } else { name };
    // Writing to a String cannot fail.
    let _ = write_dot(net, highlight, title, &mut s);
    s
}

fn write_dot(net: &BayesNet, highlight: &[usize], title: &str, s: &mut String) -> std::fmt::Result {
    writeln!(s, "digraph {} {{", quote(title))?;
    s.push_str("  rankdir=TB;\n");
    s.push_str("  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n");
    s.push_str("  edge [color=\"#555555\"];\n");
    for (i, v) in net.variables().iter().enumerate() {
        if highlight.contains(&i) {
            writeln!(
                s,
                "  {} [style=\"rounded,filled\", fillcolor=\"#ffd54f\"];",
                quote(&v.name)
            )?;
        } else {
            writeln!(s, "  {};", quote(&v.name))?;
        }
    }
    for (p, c) in net.edges() {
        writeln!(
            s,
            "  {} -> {};",
            quote(&net.variable(p).name),
            quote(&net.variable(c).name)
        )?;
    }
    s.push_str("}\n");
    Ok(())
}

/// A DOT quoted string: `\` and `"` escaped, line breaks as `\n`.
fn quote(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
