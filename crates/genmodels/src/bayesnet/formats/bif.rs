//! BIF, the Bayesian network interchange format (Cozman's BIF 0.15 as written by JavaBayes,
//! pgmpy, bnlearn and GeNIe).
//!
//! What the reader accepts:
//!
//! * one optional `network NAME { property ...; }` block, then `variable` and `probability`
//!   blocks in any order (a probability block may come before the variable it uses);
//! * `variable X { type discrete [ k ] { s1, s2 }; property ...; }`, the `[ k ]` optional and
//!   checked against the list when present;
//! * `probability ( X | A, B ) { ... }` or, in the JavaBayes style, `probability ( X A B )`:
//!   commas and `|` are separators wherever they appear, as the format says;
//! * in a probability block, rows `(a, b) p1, p2;` in any order, one per assignment of the
//!   parents; `table p...;` with every entry; `default p...;` (see below); `property ...;`
//!   (read and dropped: the network keeps no per-table annotations);
//! * `//` and `/* */` comments, names and states in double quotes, any whitespace;
//! * numbers such as `0.5`, `1e-4`, `.5`, `1.`; names and states always stay strings, so a state
//!   called `1` or `0.5` is the string `"1"` or `"0.5"`.
//!
//! **`table` with parents** lists the entries with the child's state varying *slowest* and the
//! parents, in the order of the header, after it (the last parent fastest): for
//! `probability ( light | family ) { table 0.6 0.05 0.4 0.95; }` the entries are
//! P(light=s1 | family=s1), P(light=s1 | family=s2), P(light=s2 | family=s1), ... This is the
//! convention of JavaBayes' dog-problem example and of pgmpy's `BIFReader`, which reshapes a
//! `table` to (child states × parent assignments) in C order (`pgmpy/readwrite/BIF.py`,
//! `_get_values_from_block`); pgmpy's `BIFWriter` writes the same order (`cpd.values.ravel()`).
//!
//! **`default`** follows BIF 0.15: with as many entries as the child has states it is the row
//! used for every parent assignment the block does not list; with a full table's worth of
//! entries it is read like `table` (pgmpy reads `default` that way).
//!
//! A missing row is an error naming the assignment; so is a row for an assignment given twice.
//! Every row must be a distribution (entries in [0, 1], summing to 1 within
//! [`ROW_SUM_TOLERANCE`](crate::bayesnet::network::ROW_SUM_TOLERANCE)); each error gives the
//! line and column where the problem is, and what was expected there.
//!
//! The writer uses the layout of the bundled bnlearn files: two-space indents, one
//! `probability` block per variable in the network's order, rows in table order (the last parent
//! fastest), numbers in Rust's shortest round-trip form (`0.01`, `1`, `0`). Names that are not
//! plain words are quoted; a `"` inside a name or property cannot be written in BIF and becomes
//! `'`.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;

use super::{build, describe_row, format_error, read_text, row_problem, table_size};
use crate::bayesnet::network::{Annotations, BayesNet, Cpt, Variable, MAX_TABLE_ENTRIES};
use crate::core::{Error, Result};

/// Reads a BIF file; see [`parse_bif`]. A file that cannot be read is a [`ReadError::Io`];
/// a file that is not UTF-8 or not valid BIF is a [`ReadError::Format`] with its line and column.
///
/// [`ReadError::Io`]: crate::core::ReadError::Io
/// [`ReadError::Format`]: crate::core::ReadError::Format
///
/// ```
/// use genmodels::bayesnet::formats::{read_bif, write_network};
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
/// let path = dir.path().join("rain.bif");
/// write_network(&net, &path)?;
/// let back = read_bif(&path)?;
/// assert_eq!(back.cpts(), net.cpts());
/// assert!(read_bif(&dir.path().join("missing.bif")).is_err());
/// # Ok(()) }
/// ```
pub fn read_bif(path: &Path) -> Result<BayesNet> {
    parse_bif(&read_text(path)?, path)
}

/// Parses BIF text (`path` names it in error messages). The network's name and the `property`
/// lines of the network and of each variable are kept as [`Annotations`], so [`to_bif`] writes
/// them back.
///
/// ```
/// use std::path::Path;
/// use genmodels::bayesnet::formats::{parse_bif, to_bif};
/// # fn main() -> genmodels::core::Result<()> {
/// let text = r#"
/// network weather { property "source = example"; }
/// variable rain { type discrete [ 2 ] { yes, no }; }
/// variable wet { type discrete [ 2 ] { yes, no }; }
/// probability ( rain ) { table 0.2, 0.8; }
/// probability ( wet | rain ) {
///   (no) 0.05, 0.95;   // rows may come in any order
///   (yes) 0.9, 0.1;
/// }
/// "#;
/// let net = parse_bif(text, Path::new("weather.bif"))?;
/// assert_eq!(net.cpt(1).values, vec![0.9, 0.1, 0.05, 0.95]);
/// assert!(to_bif(&net).contains("  (yes) 0.9, 0.1;\n"));
///
/// let err = parse_bif("variable rain {", Path::new("bad.bif")).unwrap_err();
/// assert!(err.to_string().contains("line 1, column 16"));
/// # Ok(()) }
/// ```
pub fn parse_bif(text: &str, path: &Path) -> Result<BayesNet> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let toks = lex(text, path)?;
    let mut parser = Parser {
        toks,
        i: 0,
        src: text,
        path,
    };
    let file = parser.file()?;
    resolve(file, path)
}

/// Writes a network as BIF text (deterministic; see the module documentation for the layout).
///
/// ```
/// use std::path::Path;
/// use genmodels::bayesnet::formats::{parse_bif, to_bif};
/// use genmodels::bayesnet::{BayesNet, Cpt, Variable};
/// # fn main() -> genmodels::core::Result<()> {
/// let net = BayesNet::new(
///     vec![Variable::new("coin", &["heads", "tails"])],
///     vec![Cpt { parents: vec![], values: vec![0.5, 0.5] }],
/// )?;
/// let text = to_bif(&net);
/// assert!(text.contains("variable coin {\n  type discrete [ 2 ] { heads, tails };\n}\n"));
/// assert_eq!(parse_bif(&text, Path::new("coin.bif"))?.cpts(), net.cpts());
/// # Ok(()) }
/// ```
pub fn to_bif(net: &BayesNet) -> String {
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = write_bif(net, &mut s);
    s
}

fn write_bif(net: &BayesNet, s: &mut String) -> std::fmt::Result {
    let ann = net.annotations();
    let name = if ann.name.is_empty() {
        "unknown"
    } else {
        &ann.name
    };
    writeln!(s, "network {} {{", bif_name(name))?;
    for p in &ann.network_properties {
        writeln!(s, "  property {};", bif_property(p))?;
    }
    s.push_str("}\n");
    for (i, v) in net.variables().iter().enumerate() {
        writeln!(s, "variable {} {{", bif_name(&v.name))?;
        let states: Vec<String> = v.states.iter().map(|x| bif_name(x)).collect();
        writeln!(
            s,
            "  type discrete [ {} ] {{ {} }};",
            states.len(),
            states.join(", ")
        )?;
        for p in ann.variable_properties.get(i).into_iter().flatten() {
            writeln!(s, "  property {};", bif_property(p))?;
        }
        s.push_str("}\n");
    }
    let vars = net.variables();
    for (i, cpt) in net.cpts().iter().enumerate() {
        let k = vars[i].states.len();
        let child = bif_name(&vars[i].name);
        if cpt.parents.is_empty() {
            writeln!(s, "probability ( {child} ) {{")?;
            writeln!(s, "  table {};", numbers(&cpt.values))?;
        } else {
            let parents: Vec<String> = cpt
                .parents
                .iter()
                .map(|&p| bif_name(&vars[p].name))
                .collect();
            writeln!(s, "probability ( {child} | {} ) {{", parents.join(", "))?;
            let mut assignment = vec![0usize; cpt.parents.len()];
            for row in cpt.values.chunks(k.max(1)) {
                let states: Vec<String> = cpt
                    .parents
                    .iter()
                    .zip(&assignment)
                    .map(|(&p, &a)| bif_name(&vars[p].states[a]))
                    .collect();
                writeln!(s, "  ({}) {};", states.join(", "), numbers(row))?;
                // Next assignment, the last parent fastest.
                for (j, &p) in cpt.parents.iter().enumerate().rev() {
                    assignment[j] += 1;
                    if assignment[j] < vars[p].states.len() {
                        break;
                    }
                    assignment[j] = 0;
                }
            }
        }
        s.push_str("}\n");
    }
    Ok(())
}

/// Probabilities in Rust's shortest round-trip form, comma-separated.
fn numbers(values: &[f64]) -> String {
    let v: Vec<String> = values.iter().map(|x| format!("{x}")).collect();
    v.join(", ")
}

/// Characters that end a word (besides whitespace and comment openers).
const DELIMITERS: &[char] = &['{', '}', '(', ')', '[', ']', ';', ',', '|', '"'];

/// A name as BIF: bare when it is one plain word, else in double quotes. BIF has no escape
/// for `"`, so it becomes `'` (first, so that writing the result again gives the same text).
fn bif_name(name: &str) -> String {
    let name = name.replace('"', "'");
    let plain = !name.is_empty()
        && !name.contains("//")
        && !name.contains("/*")
        && name
            .chars()
            .all(|c| !c.is_whitespace() && !DELIMITERS.contains(&c));
    if plain {
        name
    } else {
        format!("\"{name}\"")
    }
}

/// A property's text as BIF: bare when it reads back unchanged, else quoted (a `"` that would
/// not read back becomes `'`).
fn bif_property(p: &str) -> String {
    let quotes = p.matches('"').count();
    let bare = !p.is_empty()
        && p.trim() == p
        && !p.contains(['{', '}', ';'])
        && !p.contains("//")
        && !p.contains("/*")
        && quotes % 2 == 0
        && !(quotes == 2 && p.starts_with('"') && p.ends_with('"'));
    if bare {
        p.to_string()
    } else if quotes == 0 {
        format!("\"{p}\"")
    } else {
        bif_property(&p.replace('"', "'"))
    }
}

// ---------------------------------------------------------------------------------------------
// Lexer

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Word,
    Quoted,
    Punct(char),
    End,
}

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    kind: Kind,
    /// The word, the quoted text without its quotes, or the punctuation character.
    text: &'a str,
    /// Byte range in the source, quotes included.
    start: usize,
    end: usize,
    line: usize,
    col: usize,
}

struct Cursor<'a> {
    src: &'a str,
    pos: usize,
    line: usize,
    col: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn starts_with(&self, s: &str) -> bool {
        self.src[self.pos..].starts_with(s)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
            self.col = 1;
        } else {
            self.col += 1;
        }
        Some(c)
    }
}

/// Splits BIF text into words, quoted strings and punctuation, dropping whitespace, comments,
/// commas and `|`. The last token is always [`Kind::End`].
fn lex<'a>(src: &'a str, path: &Path) -> Result<Vec<Token<'a>>> {
    let mut cur = Cursor {
        src,
        pos: 0,
        line: 1,
        col: 1,
    };
    let mut toks = Vec::new();
    loop {
        let (start, line, col) = (cur.pos, cur.line, cur.col);
        let tok = |kind, text, end| Token {
            kind,
            text,
            start,
            end,
            line,
            col,
        };
        let Some(c) = cur.peek() else {
            toks.push(tok(Kind::End, "", start));
            return Ok(toks);
        };
        if c.is_whitespace() || c == ',' || c == '|' {
            cur.bump();
        } else if cur.starts_with("//") {
            while cur.bump().is_some_and(|c| c != '\n') {}
        } else if cur.starts_with("/*") {
            cur.bump();
            cur.bump();
            while !cur.starts_with("*/") {
                if cur.bump().is_none() {
                    return Err(format_error(
                        path,
                        line,
                        col,
                        "this `/*` comment is never closed: expected `*/`".into(),
                    ));
                }
            }
            cur.bump();
            cur.bump();
        } else if c == '"' {
            cur.bump();
            let from = cur.pos;
            loop {
                match cur.bump() {
                    Some('"') => break,
                    Some(_) => {}
                    None => {
                        return Err(format_error(
                            path,
                            line,
                            col,
                            "this quoted name is never closed: expected a `\"`".into(),
                        ))
                    }
                }
            }
            toks.push(tok(Kind::Quoted, &src[from..cur.pos - 1], cur.pos));
        } else if DELIMITERS.contains(&c) {
            cur.bump();
            toks.push(tok(Kind::Punct(c), &src[start..cur.pos], cur.pos));
        } else {
            while let Some(c) = cur.peek() {
                if c.is_whitespace()
                    || DELIMITERS.contains(&c)
                    || cur.starts_with("//")
                    || cur.starts_with("/*")
                {
                    break;
                }
                cur.bump();
            }
            toks.push(tok(Kind::Word, &src[start..cur.pos], cur.pos));
        }
    }
}

/// A token for messages: `word`, "quoted", `;`, or "the end of the file".
fn describe(t: &Token<'_>) -> String {
    let short = |s: &str| {
        if s.chars().count() > 40 {
            format!("{}…", s.chars().take(40).collect::<String>())
        } else {
            s.to_string()
        }
    };
    match t.kind {
        Kind::End => "the end of the file".into(),
        Kind::Punct(c) => format!("`{c}`"),
        Kind::Word => format!("`{}`", short(t.text)),
        Kind::Quoted => format!("\"{}\"", short(t.text)),
    }
}

/// A probability: a number made of digits, `.`, `e`, `+`, `-` only (so no `inf` or `nan`).
fn parse_prob(s: &str) -> Option<f64> {
    let numeric = s
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if !numeric || !s.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

// ---------------------------------------------------------------------------------------------
// Parser: the blocks as written, positions kept.

struct VarDecl<'a> {
    name: Token<'a>,
    states: Vec<Token<'a>>,
    properties: Vec<String>,
}

enum EntryKind<'a> {
    Table,
    Default,
    Row(Vec<Token<'a>>),
}

struct Entry<'a> {
    at: Token<'a>,
    kind: EntryKind<'a>,
    values: Vec<f64>,
}

struct ProbBlock<'a> {
    head: Token<'a>,
    child: Token<'a>,
    parents: Vec<Token<'a>>,
    entries: Vec<Entry<'a>>,
}

struct File<'a> {
    name: Option<String>,
    properties: Vec<String>,
    variables: Vec<VarDecl<'a>>,
    probabilities: Vec<ProbBlock<'a>>,
    end: Token<'a>,
}

struct Parser<'a, 'p> {
    toks: Vec<Token<'a>>,
    i: usize,
    src: &'a str,
    path: &'p Path,
}

fn is_kw(t: &Token<'_>, kw: &str) -> bool {
    t.kind == Kind::Word && t.text.eq_ignore_ascii_case(kw)
}

fn is_name(t: &Token<'_>) -> bool {
    matches!(t.kind, Kind::Word | Kind::Quoted)
}

impl<'a> Parser<'a, '_> {
    fn peek(&self) -> Token<'a> {
        self.toks[self.i.min(self.toks.len() - 1)]
    }

    fn next(&mut self) -> Token<'a> {
        let t = self.peek();
        if self.i + 1 < self.toks.len() {
            self.i += 1;
        }
        t
    }

    fn error(&self, t: &Token<'_>, mut message: String) -> Error {
        if t.kind == Kind::Word && self.src[t.end..].trim().is_empty() {
            message.push_str(" (the last word of the file: is the file truncated?)");
        }
        format_error(self.path, t.line, t.col, message)
    }

    fn expect(&mut self, c: char, context: &str) -> Result<Token<'a>> {
        let t = self.next();
        if t.kind == Kind::Punct(c) {
            Ok(t)
        } else {
            Err(self.error(
                &t,
                format!("expected `{c}` {context}, found {}", describe(&t)),
            ))
        }
    }

    fn name(&mut self, what: &str) -> Result<Token<'a>> {
        let t = self.next();
        if is_name(&t) {
            Ok(t)
        } else {
            Err(self.error(&t, format!("expected {what}, found {}", describe(&t))))
        }
    }

    /// Names (words or quoted) up to and including the `close` punctuation.
    fn names_until(&mut self, close: char, what: &str) -> Result<Vec<Token<'a>>> {
        let mut names = Vec::new();
        loop {
            let t = self.next();
            if t.kind == Kind::Punct(close) {
                return Ok(names);
            } else if is_name(&t) {
                names.push(t);
            } else {
                return Err(self.error(&t, format!("expected {what}, found {}", describe(&t))));
            }
        }
    }

    fn file(&mut self) -> Result<File<'a>> {
        let mut file = File {
            name: None,
            properties: Vec::new(),
            variables: Vec::new(),
            probabilities: Vec::new(),
            end: self.peek(),
        };
        loop {
            let t = self.peek();
            if t.kind == Kind::End {
                file.end = t;
                break;
            } else if is_kw(&t, "network") {
                self.next();
                if file.name.is_some() {
                    return Err(self.error(
                        &t,
                        "a second `network` block: a BIF file holds one network".into(),
                    ));
                }
                let mut words = Vec::new();
                while is_name(&self.peek()) {
                    words.push(self.next().text);
                }
                file.name = Some(words.join(" "));
                self.expect('{', "to open the network block")?;
                loop {
                    let t = self.next();
                    if t.kind == Kind::Punct('}') {
                        break;
                    } else if is_kw(&t, "property") {
                        let p = self.property(&t)?;
                        file.properties.push(p);
                    } else {
                        return Err(self.error(
                            &t,
                            format!(
                                "expected `property` or the `}}` closing the network block, \
                                 found {}",
                                describe(&t)
                            ),
                        ));
                    }
                }
            } else if is_kw(&t, "variable") {
                self.next();
                let v = self.variable()?;
                file.variables.push(v);
            } else if is_kw(&t, "probability") {
                self.next();
                let p = self.probability(t)?;
                file.probabilities.push(p);
            } else {
                return Err(self.error(
                    &t,
                    format!(
                        "expected a `network`, `variable` or `probability` block, found {}",
                        describe(&t)
                    ),
                ));
            }
        }
        Ok(file)
    }

    /// The text of a `property` statement (after the keyword) up to its `;`: the content of a
    /// single quoted string, else the source text as written.
    fn property(&mut self, kw: &Token<'_>) -> Result<String> {
        let mut parts: Vec<Token<'a>> = Vec::new();
        loop {
            let t = self.next();
            match t.kind {
                Kind::Punct(';') => break,
                Kind::Punct('{') | Kind::Punct('}') | Kind::End => {
                    return Err(self.error(
                        &t,
                        format!(
                            "expected `;` to end the property started at line {}, found {}",
                            kw.line,
                            describe(&t)
                        ),
                    ))
                }
                _ => parts.push(t),
            }
        }
        Ok(match parts.as_slice() {
            [] => String::new(),
            [one] if one.kind == Kind::Quoted => one.text.to_string(),
            [first, ..] => {
                let last = parts.last().map_or(first.end, |t| t.end);
                self.src[first.start..last].to_string()
            }
        })
    }

    fn variable(&mut self) -> Result<VarDecl<'a>> {
        let name = self.name("a variable name after `variable`")?;
        self.expect(
            '{',
            &format!("to open the block of variable `{}`", name.text),
        )?;
        let mut states: Option<Vec<Token<'a>>> = None;
        let mut properties = Vec::new();
        loop {
            let t = self.next();
            if t.kind == Kind::Punct('}') {
                break;
            } else if is_kw(&t, "property") {
                properties.push(self.property(&t)?);
            } else if is_kw(&t, "type") {
                if states.is_some() {
                    return Err(self.error(
                        &t,
                        format!("a second `type` line for variable `{}`", name.text),
                    ));
                }
                states = Some(self.states(&name)?);
            } else {
                return Err(self.error(
                    &t,
                    format!(
                        "expected `type`, `property` or the `}}` closing variable `{}`, found {}",
                        name.text,
                        describe(&t)
                    ),
                ));
            }
        }
        let states = states.ok_or_else(|| {
            self.error(
                &name,
                format!(
                    "variable `{}` has no `type discrete [ k ] {{ ... }};` line",
                    name.text
                ),
            )
        })?;
        Ok(VarDecl {
            name,
            states,
            properties,
        })
    }

    /// `discrete [ k ] { s1, s2 };` after `type`.
    fn states(&mut self, var: &Token<'_>) -> Result<Vec<Token<'a>>> {
        let ty = self.name("a variable type (`discrete`)")?;
        if !ty.text.eq_ignore_ascii_case("discrete") {
            return Err(self.error(
                &ty,
                format!(
                    "only discrete variables are supported, but `{}` has type `{}`",
                    var.text, ty.text
                ),
            ));
        }
        let mut declared = None;
        if self.peek().kind == Kind::Punct('[') {
            self.next();
            let n = self.next();
            let count = (n.kind == Kind::Word)
                .then(|| n.text.parse::<usize>().ok())
                .flatten()
                .ok_or_else(|| {
                    self.error(
                        &n,
                        format!("expected the number of states, found {}", describe(&n)),
                    )
                })?;
            declared = Some((count, n));
            self.expect(']', "after the number of states")?;
        }
        self.expect('{', "to open the list of states")?;
        let list = self.names_until('}', "a state name or the `}` closing the states")?;
        self.expect(';', "after the list of states")?;
        if let Some((count, tok)) = declared {
            if count != list.len() {
                return Err(self.error(
                    &tok,
                    format!(
                        "variable `{}` declares {count} states but lists {}",
                        var.text,
                        list.len()
                    ),
                ));
            }
        }
        Ok(list)
    }

    fn probability(&mut self, head: Token<'a>) -> Result<ProbBlock<'a>> {
        self.expect('(', "after `probability`")?;
        let child = self.name("the name of the variable this table is for")?;
        let parents = self.names_until(')', "a parent's name or `)`")?;
        self.expect('{', "to open the probability block")?;
        let mut entries = Vec::new();
        loop {
            let t = self.next();
            let kind = match t.kind {
                Kind::Punct('}') => break,
                Kind::Punct('(') => {
                    EntryKind::Row(self.names_until(')', "a state of a parent or `)`")?)
                }
                _ if is_kw(&t, "table") => EntryKind::Table,
                _ if is_kw(&t, "default") => EntryKind::Default,
                _ if is_kw(&t, "property") => {
                    self.property(&t)?;
                    continue;
                }
                _ => {
                    return Err(self.error(
                        &t,
                        format!(
                            "expected a row `(state, ...) p, ...;`, `table p, ...;`, \
                             `default p, ...;` or the `}}` closing the probability block of `{}`, \
                             found {}",
                            child.text,
                            describe(&t)
                        ),
                    ))
                }
            };
            let values = self.values(&t)?;
            entries.push(Entry {
                at: t,
                kind,
                values,
            });
        }
        Ok(ProbBlock {
            head,
            child,
            parents,
            entries,
        })
    }

    /// Probabilities up to and including the `;`.
    fn values(&mut self, start: &Token<'_>) -> Result<Vec<f64>> {
        let mut v = Vec::new();
        loop {
            let t = self.next();
            if t.kind == Kind::Punct(';') {
                if v.is_empty() {
                    return Err(self.error(&t, "expected probabilities before `;`".into()));
                }
                return Ok(v);
            }
            if let Some(x) = (t.kind == Kind::Word).then(|| parse_prob(t.text)).flatten() {
                v.push(x);
                continue;
            }
            let message = if v.is_empty() {
                format!(
                    "expected a probability (a number such as 0.25), found {}",
                    describe(&t)
                )
            } else {
                format!(
                    "expected another probability or the `;` ending the entry started at line {}, \
                     column {}, found {}",
                    start.line,
                    start.col,
                    describe(&t)
                )
            };
            return Err(self.error(&t, message));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// From blocks to a network.

fn resolve(file: File<'_>, path: &Path) -> Result<BayesNet> {
    let err = |t: &Token<'_>, message: String| format_error(path, t.line, t.col, message);
    if file.variables.is_empty() {
        return Err(err(
            &file.end,
            "no variables: expected `variable NAME { type discrete [ k ] { ... }; }` blocks \
             and a `probability` block for each"
                .into(),
        ));
    }
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut variables = Vec::with_capacity(file.variables.len());
    for (i, v) in file.variables.iter().enumerate() {
        if let Some(&first) = index.get(v.name.text) {
            return Err(err(
                &v.name,
                format!(
                    "duplicate variable `{}` (first declared at line {})",
                    v.name.text, file.variables[first].name.line
                ),
            ));
        }
        index.insert(v.name.text, i);
        if v.states.is_empty() {
            return Err(err(
                &v.name,
                format!(
                    "variable `{}` has no states: it needs at least one",
                    v.name.text
                ),
            ));
        }
        let mut seen = HashSet::new();
        for s in &v.states {
            if !seen.insert(s.text) {
                return Err(err(
                    s,
                    format!("duplicate state `{}` of variable `{}`", s.text, v.name.text),
                ));
            }
        }
        variables.push(Variable {
            name: v.name.text.to_string(),
            states: v.states.iter().map(|s| s.text.to_string()).collect(),
        });
    }
    let n = variables.len();
    let mut block_of: Vec<Option<usize>> = vec![None; n];
    for (b, p) in file.probabilities.iter().enumerate() {
        let Some(&c) = index.get(p.child.text) else {
            return Err(err(
                &p.child,
                format!(
                    "unknown variable `{0}`: declare it with \
                     `variable {0} {{ type discrete [ k ] {{ ... }}; }}`",
                    p.child.text
                ),
            ));
        };
        if let Some(first) = block_of[c] {
            return Err(err(
                &p.head,
                format!(
                    "a second probability block for `{}` (the first is at line {})",
                    p.child.text, file.probabilities[first].head.line
                ),
            ));
        }
        block_of[c] = Some(b);
    }
    let mut cpts = Vec::with_capacity(n);
    for i in 0..n {
        let Some(b) = block_of[i] else {
            return Err(err(
                &file.variables[i].name,
                format!(
                    "variable `{}` has no probability block: \
                     add `probability ( {} ... ) {{ ... }}`",
                    variables[i].name, variables[i].name
                ),
            ));
        };
        cpts.push(assemble(
            &file.probabilities[b],
            i,
            &variables,
            &index,
            path,
        )?);
    }
    let annotations = Annotations {
        name: file.name.unwrap_or_default(),
        network_properties: file.properties,
        variable_properties: file.variables.into_iter().map(|v| v.properties).collect(),
    };
    let heads: HashMap<&str, (usize, usize)> = file
        .probabilities
        .iter()
        .map(|p| (p.child.text, (p.head.line, p.head.col)))
        .collect();
    build(path, variables, cpts, annotations, |name| {
        heads.get(name).copied()
    })
}

/// The CPT of variable `i` from its probability block.
fn assemble(
    block: &ProbBlock<'_>,
    i: usize,
    variables: &[Variable],
    index: &HashMap<&str, usize>,
    path: &Path,
) -> Result<Cpt> {
    let err = |t: &Token<'_>, message: String| format_error(path, t.line, t.col, message);
    let var = &variables[i];
    let k = var.states.len();
    let mut parents = Vec::with_capacity(block.parents.len());
    for t in &block.parents {
        let Some(&p) = index.get(t.text) else {
            return Err(err(
                t,
                format!(
                    "unknown parent `{}` of `{}`: no variable of that name is declared",
                    t.text, var.name
                ),
            ));
        };
        if parents.contains(&p) {
            return Err(err(t, format!("parent `{}` is listed twice", t.text)));
        }
        parents.push(p);
    }
    let Some((rows, size)) = table_size(variables, &parents, k) else {
        return Err(err(
            &block.head,
            format!(
                "the table of `{}` would have more than {MAX_TABLE_ENTRIES} entries",
                var.name
            ),
        ));
    };
    let what_table = || {
        if parents.is_empty() {
            format!("one per state of `{}`: {}", var.name, var.states.join(", "))
        } else {
            format!(
                "{k} states of `{}` × {rows} assignments of its parents, \
                 the child's state varying slowest",
                var.name
            )
        }
    };
    let mut values = vec![0.0; size];
    let mut filled = vec![false; rows];
    let mut default: Option<&Entry<'_>> = None;
    let mut table: Option<&Entry<'_>> = None;
    for e in &block.entries {
        let full_table = match e.kind {
            EntryKind::Table => true,
            EntryKind::Default => rows > 1 && e.values.len() == size,
            EntryKind::Row(_) => false,
        };
        match &e.kind {
            _ if full_table => {
                if table.is_some() || filled.iter().any(|&f| f) {
                    return Err(err(
                        &e.at,
                        format!(
                            "a full table for `{}` after other entries: \
                             give either one table or rows",
                            var.name
                        ),
                    ));
                }
                if e.values.len() != size {
                    return Err(err(
                        &e.at,
                        format!(
                            "expected {size} probabilities ({}), found {}",
                            what_table(),
                            e.values.len()
                        ),
                    ));
                }
                for r in 0..rows {
                    for c in 0..k {
                        values[r * k + c] = e.values[c * rows + r];
                    }
                }
                filled.fill(true);
                table = Some(e);
            }
            EntryKind::Default | EntryKind::Table => {
                // A `default` row (a `table` is always a full table, handled above).
                if default.is_some() {
                    return Err(err(
                        &e.at,
                        format!("a second `default` row for `{}`", var.name),
                    ));
                }
                if e.values.len() != k {
                    return Err(err(
                        &e.at,
                        format!(
                            "expected {k} probabilities (a row used for every parent assignment \
                             not listed) or {size} (a full table), found {}",
                            e.values.len()
                        ),
                    ));
                }
                if let Some(problem) = row_problem(&e.values) {
                    return Err(err(
                        &e.at,
                        format!("the default row of `{}` {problem}", var.name),
                    ));
                }
                default = Some(e);
            }
            EntryKind::Row(states) => {
                if table.is_some() {
                    return Err(err(
                        &e.at,
                        format!("a row for `{}` after its full table", var.name),
                    ));
                }
                if states.len() != parents.len() {
                    let names: Vec<&str> = parents
                        .iter()
                        .map(|&p| variables[p].name.as_str())
                        .collect();
                    return Err(err(
                        &e.at,
                        format!(
                            "this row names {} state(s), but `{}` has {} parent(s){}",
                            states.len(),
                            var.name,
                            parents.len(),
                            if names.is_empty() {
                                String::new()
                            } else {
                                format!(" ({})", names.join(", "))
                            }
                        ),
                    ));
                }
                let mut r = 0;
                for (s, &p) in states.iter().zip(&parents) {
                    let pv = &variables[p];
                    let Some(x) = pv.states.iter().position(|y| y == s.text) else {
                        return Err(err(
                            s,
                            format!(
                                "`{}` is not a state of `{}` (its states are: {})",
                                s.text,
                                pv.name,
                                pv.states.join(", ")
                            ),
                        ));
                    };
                    r = r * pv.states.len() + x;
                }
                let given = describe_row(variables, &parents, r);
                if filled[r] {
                    return Err(err(
                        &e.at,
                        format!("a second row for `{}`{given}", var.name),
                    ));
                }
                if e.values.len() != k {
                    return Err(err(
                        &e.at,
                        format!(
                            "expected {k} probabilities (one per state of `{}`: {}), found {}",
                            var.name,
                            var.states.join(", "),
                            e.values.len()
                        ),
                    ));
                }
                if let Some(problem) = row_problem(&e.values) {
                    return Err(err(
                        &e.at,
                        format!("the row of `{}`{given} {problem}", var.name),
                    ));
                }
                values[r * k..(r + 1) * k].copy_from_slice(&e.values);
                filled[r] = true;
            }
        }
    }
    if let Some(t) = table {
        for r in 0..rows {
            if let Some(problem) = row_problem(&values[r * k..(r + 1) * k]) {
                return Err(err(
                    &t.at,
                    format!(
                        "the row of `{}`{} in this table {problem}",
                        var.name,
                        describe_row(variables, &parents, r)
                    ),
                ));
            }
        }
    }
    let missing: Vec<usize> = (0..rows).filter(|&r| !filled[r]).collect();
    if let Some(d) = default {
        for &r in &missing {
            values[r * k..(r + 1) * k].copy_from_slice(&d.values);
        }
    } else if let Some(&first) = missing.first() {
        let message = if parents.is_empty() {
            format!(
                "no probabilities for `{}`: expected `table p, ...;` with {}",
                var.name,
                what_table()
            )
        } else {
            let more = if missing.len() > 1 {
                format!(" (and {} more)", missing.len() - 1)
            } else {
                String::new()
            };
            format!(
                "no row for `{}`{}{more}: give one, or a `default` row",
                var.name,
                describe_row(variables, &parents, first)
            )
        };
        return Err(err(&block.head, message));
    }
    Ok(Cpt { parents, values })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_know_their_line_and_column() {
        let toks = lex("a /* c\n */ \"b c\"|x,\n  // d\n;", Path::new("t")).unwrap();
        let seen: Vec<(Kind, &str, usize, usize)> = toks
            .iter()
            .map(|t| (t.kind, t.text, t.line, t.col))
            .collect();
        assert_eq!(
            seen,
            [
                (Kind::Word, "a", 1, 1),
                (Kind::Quoted, "b c", 2, 5),
                (Kind::Word, "x", 2, 11),
                (Kind::Punct(';'), ";", 4, 1),
                (Kind::End, "", 4, 2),
            ]
        );
    }

    #[test]
    fn names_and_properties_are_written_so_they_read_back() {
        let read = |text: &str| -> Vec<String> {
            lex(text, Path::new("t"))
                .unwrap()
                .iter()
                .filter(|t| t.kind != Kind::End)
                .map(|t| t.text.to_string())
                .collect()
        };
        for name in [
            "plain", "1", "0.5", "a b", "x//y", "a,b", "", "q\"uote", "é", "a/b",
        ] {
            let written = bif_name(name);
            let back = read(&written);
            assert_eq!(back.len(), 1, "{name:?} -> {written}");
            assert_eq!(bif_name(&back[0]), written, "{name:?}");
            if !name.contains('"') {
                assert_eq!(back[0], name);
            }
        }
        for p in [
            "a = (1, 2)",
            "a;b",
            " pad ",
            "",
            "\"x\"",
            "say \"hi\"",
            "a\"b",
            "x /* y",
        ] {
            let written = bif_property(p);
            let src = format!("{written};");
            let mut parser = Parser {
                toks: lex(&src, Path::new("t")).unwrap(),
                i: 0,
                src: &src,
                path: Path::new("t"),
            };
            let kw = parser.peek();
            let back = parser.property(&kw).unwrap();
            assert_eq!(bif_property(&back), written, "{p:?}");
        }
    }

    #[test]
    fn probabilities_are_plain_numbers() {
        for (s, v) in [
            ("0.5", 0.5),
            (".5", 0.5),
            ("1.", 1.0),
            ("1e-4", 1e-4),
            ("5E-1", 0.5),
        ] {
            assert_eq!(parse_prob(s), Some(v));
        }
        for s in ["inf", "NaN", "-", "e", "0x1", "1,5", ""] {
            assert_eq!(parse_prob(s), None, "{s}");
        }
    }
}
