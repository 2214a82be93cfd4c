//! XMLBIF 0.3, the XML form of BIF (JavaBayes, pgmpy's `XMLBIFReader`/`XMLBIFWriter`, Weka).
//!
//! ```text
//! <BIF VERSION="0.3"><NETWORK><NAME>..</NAME>
//!   <VARIABLE TYPE="nature"><NAME>X</NAME><OUTCOME>a</OUTCOME>...
//!     <PROPERTY>..</PROPERTY></VARIABLE>
//!   <DEFINITION><FOR>X</FOR><GIVEN>A</GIVEN><GIVEN>B</GIVEN><TABLE>p p p ...</TABLE></DEFINITION>
//! </NETWORK></BIF>
//! ```
//!
//! **TABLE order**: the `FOR` variable's state varies *fastest*, then the `GIVEN` variables
//! with the last one fastest: the table is row-major over (GIVEN..., FOR), exactly the layout of
//! [`Cpt::values`]. This is how pgmpy reads it (`pgmpy/readwrite/XMLBIF.py`, `get_values`:
//! `arr.reshape((card(FOR), size // card(FOR)), order="F")`, columns being parent assignments
//! with the last `GIVEN` fastest) and writes it (`ravel_f(cpd.get_values())`).
//!
//! The reader accepts a `<DOCTYPE>` (Weka writes one), tag names in any case, `<PROBABILITY>`
//! for `<DEFINITION>`, and a `<NETWORK>` root without `<BIF>`; whitespace written literally
//! around names, outcomes and properties is dropped (the writer writes leading or trailing
//! whitespace as character references, which are kept). Only chance variables (`TYPE="nature"`, or
//! no `TYPE`) are supported. Errors give the line and column of the element at fault (or of the
//! XML error).

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;

use roxmltree::{Document, Node, ParsingOptions};

use super::{
    build, describe_row, format_error, line_col, read_text, row_problem, table_size, xml_escape,
};
use crate::bayesnet::network::{Annotations, BayesNet, Cpt, Variable, MAX_TABLE_ENTRIES};
use crate::core::Result;

/// Reads an XMLBIF file; see [`parse_xmlbif`].
///
/// ```
/// use genmodels::bayesnet::formats::{read_xmlbif, write_network};
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
/// let path = dir.path().join("rain.xmlbif");
/// write_network(&net, &path)?;
/// assert_eq!(read_xmlbif(&path)?.cpts(), net.cpts());
/// # Ok(()) }
/// ```
pub fn read_xmlbif(path: &Path) -> Result<BayesNet> {
    parse_xmlbif(&read_text(path)?, path)
}

/// Parses XMLBIF 0.3 text (`path` names it in error messages). The network's name and the
/// `PROPERTY` elements of the network and of each variable are kept as [`Annotations`].
///
/// ```
/// use std::path::Path;
/// use genmodels::bayesnet::formats::{parse_xmlbif, to_xmlbif};
/// # fn main() -> genmodels::core::Result<()> {
/// let text = r#"<?xml version="1.0"?>
/// <BIF VERSION="0.3"><NETWORK><NAME>weather</NAME>
///   <VARIABLE TYPE="nature"><NAME>rain</NAME><OUTCOME>yes</OUTCOME><OUTCOME>no</OUTCOME>
///   </VARIABLE>
///   <VARIABLE TYPE="nature"><NAME>wet</NAME><OUTCOME>yes</OUTCOME><OUTCOME>no</OUTCOME>
///   </VARIABLE>
///   <DEFINITION><FOR>rain</FOR><TABLE>0.2 0.8</TABLE></DEFINITION>
///   <DEFINITION><FOR>wet</FOR><GIVEN>rain</GIVEN><TABLE>0.9 0.1 0.05 0.95</TABLE></DEFINITION>
/// </NETWORK></BIF>"#;
/// let net = parse_xmlbif(text, Path::new("weather.xml"))?;
/// assert_eq!(net.annotations().name, "weather");
/// assert_eq!(net.cpt(1).values, vec![0.9, 0.1, 0.05, 0.95]); // P(wet | rain=yes) first
/// assert!(to_xmlbif(&net).contains("<TABLE>0.9 0.1 0.05 0.95</TABLE>"));
/// # Ok(()) }
/// ```
pub fn parse_xmlbif(text: &str, path: &Path) -> Result<BayesNet> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let opts = ParsingOptions {
        allow_dtd: true,
        nodes_limit: 20_000_000,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(text, opts).map_err(|e| {
        use roxmltree::Error as E;
        // Errors about the end of the text carry no position: place them at the end.
        let (line, col) = match e {
            E::NoRootNode | E::UnclosedRootNode | E::UnexpectedEndOfStream => {
                line_col(text, text.len())
            }
            _ => (e.pos().row as usize, e.pos().col as usize),
        };
        let hint = if matches!(e, E::UnclosedRootNode | E::UnexpectedEndOfStream) {
            " (the file ends too early: is it truncated?)"
        } else {
            ""
        };
        format_error(path, line, col, format!("not well-formed XML: {e}{hint}"))
    })?;
    Reader {
        doc: &doc,
        text,
        path,
    }
    .network()
}

/// Writes a network as XMLBIF 0.3 text (deterministic, two-space indents, one `<TABLE>` per
/// variable in the order described in the module documentation).
///
/// ```
/// use genmodels::bayesnet::formats::to_xmlbif;
/// use genmodels::bayesnet::{BayesNet, Cpt, Variable};
/// # fn main() -> genmodels::core::Result<()> {
/// let net = BayesNet::new(
///     vec![Variable::new("a<b", &["1", "2"])],
///     vec![Cpt { parents: vec![], values: vec![0.25, 0.75] }],
/// )?;
/// let xml = to_xmlbif(&net);
/// assert!(xml.contains("<NAME>a&lt;b</NAME>"));
/// assert!(xml.contains("<OUTCOME>1</OUTCOME>"));
/// # Ok(()) }
/// ```
pub fn to_xmlbif(net: &BayesNet) -> String {
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = write_xmlbif(net, &mut s);
    s
}

fn write_xmlbif(net: &BayesNet, s: &mut String) -> std::fmt::Result {
    let ann = net.annotations();
    let vars = net.variables();
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<BIF VERSION=\"0.3\">\n<NETWORK>\n");
    writeln!(s, "  <NAME>{}</NAME>", xml_text(&ann.name))?;
    for p in &ann.network_properties {
        writeln!(s, "  <PROPERTY>{}</PROPERTY>", xml_text(p))?;
    }
    for (i, v) in vars.iter().enumerate() {
        s.push_str("  <VARIABLE TYPE=\"nature\">\n");
        writeln!(s, "    <NAME>{}</NAME>", xml_text(&v.name))?;
        for o in &v.states {
            writeln!(s, "    <OUTCOME>{}</OUTCOME>", xml_text(o))?;
        }
        for p in ann.variable_properties.get(i).into_iter().flatten() {
            writeln!(s, "    <PROPERTY>{}</PROPERTY>", xml_text(p))?;
        }
        s.push_str("  </VARIABLE>\n");
    }
    for (i, cpt) in net.cpts().iter().enumerate() {
        s.push_str("  <DEFINITION>\n");
        writeln!(s, "    <FOR>{}</FOR>", xml_text(&vars[i].name))?;
        for &p in &cpt.parents {
            writeln!(s, "    <GIVEN>{}</GIVEN>", xml_text(&vars[p].name))?;
        }
        let values: Vec<String> = cpt.values.iter().map(|x| format!("{x}")).collect();
        writeln!(s, "    <TABLE>{}</TABLE>", values.join(" "))?;
        s.push_str("  </DEFINITION>\n");
    }
    s.push_str("</NETWORK>\n</BIF>\n");
    Ok(())
}

/// Element text: escaped, with leading and trailing whitespace written as character
/// references so that the reader, which trims literal whitespace, keeps it.
fn xml_text(s: &str) -> String {
    let body = s.trim_matches(is_xml_space);
    let start = s.len() - s.trim_start_matches(is_xml_space).len();
    let refs = |ws: &str| -> String { ws.chars().map(|c| format!("&#{};", c as u32)).collect() };
    if body.is_empty() {
        return refs(s);
    }
    format!(
        "{}{}{}",
        refs(&s[..start]),
        xml_escape(body),
        refs(&s[start + body.len()..])
    )
}

fn is_tag(n: &Node<'_, '_>, tag: &str) -> bool {
    n.is_element() && n.tag_name().name().eq_ignore_ascii_case(tag)
}

fn child<'a, 'i>(n: Node<'a, 'i>, tag: &str) -> Option<Node<'a, 'i>> {
    n.children().find(|c| is_tag(c, tag))
}

fn children<'a, 'i: 'a>(n: Node<'a, 'i>, tag: &'a str) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    n.children().filter(move |c| is_tag(c, tag))
}

struct Reader<'d, 'i, 'p> {
    doc: &'d Document<'i>,
    text: &'i str,
    path: &'p Path,
}

/// XML's whitespace characters.
fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

impl Reader<'_, '_, '_> {
    /// An element's text (its text children joined) without the whitespace written literally
    /// around it; whitespace written as character references (as [`to_xmlbif`] writes leading
    /// and trailing whitespace) is kept, so names round-trip exactly.
    fn text_of(&self, n: Node<'_, '_>) -> String {
        let parts: Vec<Node<'_, '_>> = n.children().filter(|c| c.is_text()).collect();
        let text: String = parts.iter().filter_map(|c| c.text()).collect();
        let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
            return text;
        };
        // How many characters of the decoded text a literal run of whitespace became (XML
        // turns `\r\n` into one `\n`).
        let decoded_len = |ws: &str| ws.chars().count() - ws.matches("\r\n").count();
        let raw = |c: &Node<'_, '_>| self.text.get(c.range()).unwrap_or("");
        let (r, l) = (raw(first), raw(last));
        let lead = decoded_len(&r[..r.len() - r.trim_start_matches(is_xml_space).len()]);
        let trail = decoded_len(&l[l.trim_end_matches(is_xml_space).len()..]);
        let chars: Vec<char> = text.chars().collect();
        let lead = chars
            .iter()
            .take(lead)
            .take_while(|&&c| is_xml_space(c))
            .count();
        let trail = chars[lead..]
            .iter()
            .rev()
            .take(trail)
            .take_while(|&&c| is_xml_space(c))
            .count();
        chars[lead..chars.len() - trail].iter().collect()
    }

    fn pos_of(&self, offset: usize) -> (usize, usize) {
        let p = self.doc.text_pos_at(offset);
        (p.row as usize, p.col as usize)
    }

    fn error(&self, n: Node<'_, '_>, message: String) -> crate::core::Error {
        let (line, col) = self.pos_of(n.range().start);
        format_error(self.path, line, col, message)
    }

    fn network(&self) -> Result<BayesNet> {
        let root = self.doc.root_element();
        let network = if is_tag(&root, "NETWORK") {
            root
        } else if is_tag(&root, "BIF") {
            child(root, "NETWORK").ok_or_else(|| {
                self.error(root, "expected a <NETWORK> element inside <BIF>".into())
            })?
        } else {
            return Err(self.error(
                root,
                format!(
                    "expected the root element <BIF> of an XMLBIF file, found <{}>",
                    root.tag_name().name()
                ),
            ));
        };
        let name = child(network, "NAME")
            .map(|n| self.text_of(n))
            .unwrap_or_default();
        let network_properties = children(network, "PROPERTY")
            .map(|n| self.text_of(n))
            .collect();

        let mut variables = Vec::new();
        let mut elements = Vec::new();
        let mut variable_properties = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for v in children(network, "VARIABLE") {
            let ty = v
                .attributes()
                .find(|a| a.name().eq_ignore_ascii_case("TYPE"))
                .map(|a| a.value().trim().to_string());
            if let Some(ty) = ty.filter(|t| !t.eq_ignore_ascii_case("nature")) {
                return Err(self.error(
                    v,
                    format!(
                        "only chance variables (TYPE=\"nature\") are supported, found TYPE=\"{ty}\""
                    ),
                ));
            }
            let name_el = child(v, "NAME")
                .ok_or_else(|| self.error(v, "a <VARIABLE> without a <NAME>".into()))?;
            let name = self.text_of(name_el);
            if name.is_empty() {
                return Err(self.error(name_el, "an empty variable <NAME>".into()));
            }
            if let Some(&first) = index.get(&name) {
                let (line, _) = self.pos_of(elements[first]);
                return Err(self.error(
                    name_el,
                    format!("duplicate variable `{name}` (first declared at line {line})"),
                ));
            }
            let mut states = Vec::new();
            let mut seen = HashSet::new();
            for o in children(v, "OUTCOME") {
                let s = self.text_of(o);
                if !seen.insert(s.clone()) {
                    return Err(
                        self.error(o, format!("duplicate state `{s}` of variable `{name}`"))
                    );
                }
                states.push(s);
            }
            if states.is_empty() {
                return Err(self.error(
                    v,
                    format!("variable `{name}` has no <OUTCOME>: it needs at least one state"),
                ));
            }
            index.insert(name.clone(), variables.len());
            elements.push(v.range().start);
            variable_properties.push(children(v, "PROPERTY").map(|n| self.text_of(n)).collect());
            variables.push(Variable { name, states });
        }
        if variables.is_empty() {
            return Err(self.error(
                network,
                "no variables: expected <VARIABLE> elements in <NETWORK>".into(),
            ));
        }

        let n = variables.len();
        let mut cpts: Vec<Option<Cpt>> = vec![None; n];
        let mut defs: Vec<usize> = vec![0; n];
        for d in network
            .children()
            .filter(|c| is_tag(c, "DEFINITION") || is_tag(c, "PROBABILITY"))
        {
            let for_el = child(d, "FOR")
                .ok_or_else(|| self.error(d, "a <DEFINITION> without a <FOR>".into()))?;
            let name = self.text_of(for_el);
            let &i = index.get(&name).ok_or_else(|| {
                self.error(
                    for_el,
                    format!("unknown variable `{name}`: no <VARIABLE> has that <NAME>"),
                )
            })?;
            if cpts[i].is_some() {
                let (line, _) = self.pos_of(defs[i]);
                return Err(self.error(
                    d,
                    format!("a second <DEFINITION> for `{name}` (the first is at line {line})"),
                ));
            }
            let mut parents = Vec::new();
            for g in children(d, "GIVEN") {
                let pname = self.text_of(g);
                let &p = index.get(&pname).ok_or_else(|| {
                    self.error(
                        g,
                        format!(
                            "unknown parent `{pname}` of `{name}`: no <VARIABLE> has that <NAME>"
                        ),
                    )
                })?;
                if parents.contains(&p) {
                    return Err(self.error(g, format!("parent `{pname}` is listed twice")));
                }
                parents.push(p);
            }
            let table = child(d, "TABLE").ok_or_else(|| {
                self.error(d, format!("the <DEFINITION> of `{name}` has no <TABLE>"))
            })?;
            let k = variables[i].states.len();
            let (rows, size) = table_size(&variables, &parents, k).ok_or_else(|| {
                self.error(
                    d,
                    format!(
                        "the table of `{name}` would have more than {MAX_TABLE_ENTRIES} entries"
                    ),
                )
            })?;
            let values = self.numbers(table)?;
            if values.len() != size {
                let why = if parents.is_empty() {
                    format!("one per state of `{name}`")
                } else {
                    format!(
                        "{k} states of `{name}` × {rows} assignments of its parents, \
                         `{name}` varying fastest"
                    )
                };
                return Err(self.error(
                    table,
                    format!(
                        "expected {size} probabilities ({why}), found {}",
                        values.len()
                    ),
                ));
            }
            for r in 0..rows {
                if let Some(problem) = row_problem(&values[r * k..(r + 1) * k]) {
                    return Err(self.error(
                        table,
                        format!(
                            "the row of `{name}`{} {problem}",
                            describe_row(&variables, &parents, r)
                        ),
                    ));
                }
            }
            defs[i] = d.range().start;
            cpts[i] = Some(Cpt { parents, values });
        }
        let mut complete = Vec::with_capacity(n);
        for (i, cpt) in cpts.into_iter().enumerate() {
            let Some(cpt) = cpt else {
                let (line, col) = self.pos_of(elements[i]);
                return Err(format_error(
                    self.path,
                    line,
                    col,
                    format!(
                        "variable `{}` has no <DEFINITION> (with <FOR>{}</FOR> and a <TABLE>)",
                        variables[i].name, variables[i].name
                    ),
                ));
            };
            complete.push(cpt);
        }
        let places: HashMap<String, (usize, usize)> = variables
            .iter()
            .zip(&defs)
            .map(|(v, &at)| (v.name.clone(), self.pos_of(at)))
            .collect();
        let annotations = Annotations {
            name,
            network_properties,
            variable_properties,
        };
        build(self.path, variables, complete, annotations, |v| {
            places.get(v).copied()
        })
    }

    /// The numbers of a `<TABLE>`, each error placed at the offending word when the text is
    /// written literally in the file (else at the text's start).
    fn numbers(&self, table: Node<'_, '_>) -> Result<Vec<f64>> {
        let mut out = Vec::new();
        for t in table.children().filter(|c| c.is_text()) {
            let text = t.text().unwrap_or("");
            let range = t.range();
            let literal = self.text.get(range.clone()) == Some(text);
            for word in text.split_whitespace() {
                let numeric = word
                    .bytes()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
                match word.parse::<f64>() {
                    Ok(x) if numeric => out.push(x),
                    _ => {
                        let offset = if literal {
                            range.start + (word.as_ptr() as usize - text.as_ptr() as usize)
                        } else {
                            range.start
                        };
                        let (line, col) = self.pos_of(offset);
                        return Err(format_error(
                            self.path,
                            line,
                            col,
                            format!(
                                "expected a probability (a number such as 0.25) in <TABLE>, \
                                 found `{word}`"
                            ),
                        ));
                    }
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_whitespace_is_written_as_references() {
        assert_eq!(xml_text(" a\tb\n"), "&#32;a\tb&#10;");
        assert_eq!(xml_text("  "), "&#32;&#32;");
        assert_eq!(xml_text("<&>"), "&lt;&amp;&gt;");
        assert_eq!(xml_text(""), "");
    }

    #[test]
    fn literal_whitespace_is_dropped_and_references_kept() {
        let xml = "<BIF><NETWORK><NAME>\n  net\n</NAME>\
                   <VARIABLE><NAME>&#32;x </NAME><OUTCOME> a </OUTCOME>\
                   <OUTCOME>b&#10;</OUTCOME></VARIABLE>\
                   <DEFINITION><FOR>&#32;x</FOR><TABLE>0.5 0.5</TABLE></DEFINITION>\
                   </NETWORK></BIF>";
        let net = parse_xmlbif(xml, Path::new("t.xml")).unwrap();
        assert_eq!(net.annotations().name, "net");
        assert_eq!(net.variable(0).name, " x");
        assert_eq!(net.variable(0).states, ["a", "b\n"]);
    }
}
