//! Network files: BIF and XMLBIF readers and writers (bundled networks, dialects, round trips,
//! malformed input, fuzzing), DOT and SVG pictures.

use std::path::{Path, PathBuf};

use genmodels::bayesnet::formats::{
    parse_bif, parse_xmlbif, read_bif, read_network, to_bif, to_dot, to_svg, to_xmlbif,
    write_network,
};
use genmodels::bayesnet::{Annotations, BayesNet, Cpt, Variable};
use genmodels::core::{Error, ReadError};
use proptest::prelude::*;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/bayesnets");

fn bundled() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(DATA)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "bif"))
        .collect();
    files.sort();
    files
}

fn load(name: &str) -> BayesNet {
    read_bif(&Path::new(DATA).join(format!("{name}.bif"))).unwrap()
}

fn bits(net: &BayesNet) -> Vec<Vec<u64>> {
    net.cpts()
        .iter()
        .map(|c| c.values.iter().map(|v| v.to_bits()).collect())
        .collect()
}

fn parents(net: &BayesNet) -> Vec<Vec<usize>> {
    net.cpts().iter().map(|c| c.parents.clone()).collect()
}

fn bif(text: &str) -> BayesNet {
    parse_bif(text, Path::new("test.bif")).unwrap()
}

/// The line, column and message of a format error; fails on any other outcome.
fn format_error(result: Result<BayesNet, Error>) -> (usize, usize, String) {
    match result {
        Err(Error::Read(ReadError::Format {
            line: Some(line),
            column: Some(col),
            message,
            ..
        })) => (line, col.parse().unwrap(), message),
        Err(e) => panic!("expected a format error with line and column, got {e}"),
        Ok(_) => panic!("expected a format error, but the text was read"),
    }
}

fn bif_error(text: &str) -> (usize, usize, String) {
    format_error(parse_bif(text, Path::new("bad.bif")))
}

fn xml_error(text: &str) -> (usize, usize, String) {
    format_error(parse_xmlbif(text, Path::new("bad.xml")))
}

#[test]
fn every_bundled_network_parses() {
    let files = bundled();
    assert_eq!(files.len(), 12, "{files:?}");
    for f in &files {
        let net = read_bif(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(net.n_variables() >= 3, "{}", f.display());
        // read_network picks BIF by the extension.
        assert_eq!(bits(&read_network(f).unwrap()), bits(&net));
    }
}

#[test]
fn asia_and_alarm_have_the_published_sizes() {
    let asia = load("asia");
    assert_eq!(asia.n_variables(), 8);
    assert_eq!(asia.edges().len(), 8);
    assert_eq!(asia.n_parameters(), 18);
    let alarm = load("alarm");
    assert_eq!(alarm.n_variables(), 37);
    assert_eq!(alarm.edges().len(), 46);
    assert_eq!(alarm.n_parameters(), 509);
}

#[test]
fn rows_are_placed_by_their_parent_states() {
    // asia lists `either | lung, tub` with the first parent fastest; the CPT has the last
    // parent fastest.
    let asia = load("asia");
    let either = asia.index_of("either").unwrap();
    let names: Vec<&str> = asia
        .parents(either)
        .iter()
        .map(|&p| asia.variable(p).name.as_str())
        .collect();
    assert_eq!(names, ["lung", "tub"]);
    assert_eq!(
        asia.cpt(either).values,
        [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0]
    );
}

#[test]
fn bif_round_trip_is_byte_stable_for_every_bundled_network() {
    for f in bundled() {
        let net = read_bif(&f).unwrap();
        let text = to_bif(&net);
        let back = bif(&text);
        assert_eq!(to_bif(&back), text, "{}", f.display());
        assert_eq!(bits(&back), bits(&net), "{}", f.display());
        assert_eq!(parents(&back), parents(&net));
        assert_eq!(back.variables(), net.variables());
        assert_eq!(back.annotations(), net.annotations());
    }
}

#[test]
fn bif_to_xmlbif_and_back_keeps_every_probability() {
    for f in bundled() {
        let net = read_bif(&f).unwrap();
        let xml = to_xmlbif(&net);
        let via = parse_xmlbif(&xml, Path::new("x.xml")).unwrap();
        assert_eq!(bits(&via), bits(&net), "{}", f.display());
        assert_eq!(parents(&via), parents(&net));
        assert_eq!(via.variables(), net.variables());
        assert_eq!(to_xmlbif(&via), xml, "{}", f.display());
        assert_eq!(to_bif(&via), to_bif(&net), "{}", f.display());
    }
}

fn odd_network() -> BayesNet {
    BayesNet::new(
        vec![
            Variable::new("level", &["1", "0.5", "1e-4", "007", "-2"]),
            Variable::new("two words", &["a b", "c,d", " padded\n"]),
            Variable::new("x<y&z", &["<", "&", "\"q\""]),
        ],
        vec![
            Cpt {
                parents: vec![],
                values: vec![0.1, 0.2, 0.3, 0.15, 0.25],
            },
            Cpt {
                parents: vec![0],
                values: (0..5).flat_map(|_| [0.1, 0.2, 0.7]).collect::<Vec<f64>>(),
            },
            Cpt {
                parents: vec![1],
                values: vec![
                    1.0 / 3.0,
                    1.0 / 3.0,
                    1.0 / 3.0,
                    0.5,
                    0.25,
                    0.25,
                    0.0,
                    0.0,
                    1.0,
                ],
            },
        ],
    )
    .unwrap()
}

#[test]
fn number_like_states_stay_strings_in_both_formats() {
    let net = odd_network();
    let b = bif(&to_bif(&net));
    assert_eq!(b.variable(0).states, ["1", "0.5", "1e-4", "007", "-2"]);
    assert_eq!(b.variable(1).states, ["a b", "c,d", " padded\n"]);
    assert_eq!(bits(&b), bits(&net));
    let x = parse_xmlbif(&to_xmlbif(&net), Path::new("o.xml")).unwrap();
    assert_eq!(x.variables(), net.variables(), "XMLBIF keeps every name");
    assert_eq!(bits(&x), bits(&net));
    // BIF cannot hold `"`: it becomes `'`, once, and then the text is stable.
    assert_eq!(b.variable(2).states, ["<", "&", "'q'"]);
    assert_eq!(to_bif(&bif(&to_bif(&b))), to_bif(&b));
}

#[test]
fn annotations_are_written_back() {
    let mut net = odd_network();
    net.set_annotations(Annotations {
        name: "my net".into(),
        network_properties: vec!["author = me".into(), "a;b".into(), " padded ".into()],
        variable_properties: vec![
            vec!["position = (1, 2)".into()],
            vec![],
            vec![String::new()],
        ],
    });
    let b = bif(&to_bif(&net));
    assert_eq!(b.annotations(), net.annotations());
    let x = parse_xmlbif(&to_xmlbif(&net), Path::new("a.xml")).unwrap();
    assert_eq!(x.annotations(), net.annotations());
}

/// The JavaBayes dog-problem as in pgmpy's BIF tests: quoted names, no `|`, whitespace
/// separators, comments, properties and `table` for parented nodes.
const DOG: &str = r#"
// Bayesian Network in the Interchange Format
network "Dog-Problem" { //5 variables and 5 probability distributions
        property "credal-set constant-density-bounded 1.1" ;
}
variable  "light-on" { //2 values
        type discrete[2] {  "true"  "false" };
        property "position = (218, 195)" ;
}
variable  "bowel-problem" { type discrete[2] {  "true"  "false" }; }
variable  "dog-out" { type discrete[2] {  "true"  "false" }; }
variable  "hear-bark" { type discrete[2] {  "true"  "false" }; }
variable  "family-out" { type discrete[2] {  "true"  "false" }; }
probability (  "light-on"  "family-out" ) { //2 variable(s) and 4 values
        (true) 0.6 0.4 ;
        (false) 0.05 0.95 ;
}
probability (  "bowel-problem" ) { table 0.01 0.99 ; }
probability (  "dog-out"  "bowel-problem"  "family-out" ) {
        table 0.99 0.97 0.9 0.3 0.01 0.03 0.1 0.7 ;
}
probability (  "hear-bark"  "dog-out" ) { table 0.7 0.01 0.3 0.99 ; }
/* a block
   comment */
probability (  "family-out" ) { default 0.15 0.85 ; }
"#;

#[test]
fn javabayes_dialect_and_table_order() {
    let net = bif(DOG);
    assert_eq!(net.annotations().name, "Dog-Problem");
    assert_eq!(
        net.annotations().network_properties,
        ["credal-set constant-density-bounded 1.1"]
    );
    assert_eq!(
        net.annotations().variable_properties[0],
        ["position = (218, 195)"]
    );
    let dog = net.index_of("dog-out").unwrap();
    // `table` with parents: the child's state slowest (pgmpy's BIFReader reshapes to
    // (child states, parent assignments)).
    assert_eq!(
        net.cpt(dog).values,
        [0.99, 0.01, 0.97, 0.03, 0.9, 0.1, 0.3, 0.7]
    );
    let hear = net.index_of("hear-bark").unwrap();
    assert_eq!(net.cpt(hear).values, [0.7, 0.3, 0.01, 0.99]);
    let light = net.index_of("light-on").unwrap();
    assert_eq!(net.cpt(light).values, [0.6, 0.4, 0.05, 0.95]);
    // Written back as rows, read back identically.
    let back = bif(&to_bif(&net));
    assert_eq!(bits(&back), bits(&net));
    assert_eq!(back.annotations(), net.annotations());
}

#[test]
fn xmlbif_table_order_follows_pgmpy() {
    // pgmpy's XMLBIF test network: the FOR variable varies fastest.
    let xml = r#"<?xml version="1.0"?>
<!DOCTYPE BIF [ <!ELEMENT BIF ( NETWORK )*> ]>
<BIF VERSION="0.3">
<NETWORK>
<NAME>Dog_Problem</NAME>
<VARIABLE TYPE="nature"><NAME>dog-out</NAME><OUTCOME>true</OUTCOME><OUTCOME>false</OUTCOME>
  <PROPERTY>position = (155, 165)</PROPERTY></VARIABLE>
<VARIABLE TYPE="nature"><NAME>family-out</NAME><OUTCOME>true</OUTCOME><OUTCOME>false</OUTCOME></VARIABLE>
<VARIABLE TYPE="nature"><NAME>bowel-problem</NAME><OUTCOME>true</OUTCOME><OUTCOME>false</OUTCOME></VARIABLE>
<DEFINITION><FOR>family-out</FOR><TABLE>0.15 0.85 </TABLE></DEFINITION>
<DEFINITION><FOR>bowel-problem</FOR><TABLE>0.01 0.99 </TABLE></DEFINITION>
<DEFINITION><FOR>dog-out</FOR><GIVEN>family-out</GIVEN><GIVEN>bowel-problem</GIVEN>
  <TABLE>0.99 0.01 0.97 0.03
         0.9 0.1 0.3 0.7 </TABLE></DEFINITION>
</NETWORK>
</BIF>"#;
    let net = parse_xmlbif(xml, Path::new("dog.xml")).unwrap();
    assert_eq!(net.annotations().name, "Dog_Problem");
    assert_eq!(net.parents(0), [1, 2]);
    assert_eq!(
        net.cpt(0).values,
        [0.99, 0.01, 0.97, 0.03, 0.9, 0.1, 0.3, 0.7]
    );
    assert_eq!(
        net.annotations().variable_properties[0],
        ["position = (155, 165)"]
    );
}

#[test]
fn flexible_syntax_is_read() {
    let text = "network n{}variable a{type discrete[3]{x,y,z};}\n\
                variable \"b c\" {\n type\n discrete\n [ 2 ]\n { 1 , 0.5 } ;\n}\n\
                probability(\"b c\"|a){(z).25,.75;(x)1.,0.;\n(y) 5e-1 , 5E-1;}\n\
                probability ( a ) { table 1e-4, 0.4999, .5 ; }";
    let net = bif(text);
    assert_eq!(net.variable(1).name, "b c");
    assert_eq!(net.variable(1).states, ["1", "0.5"]);
    assert_eq!(net.cpt(1).values, [1.0, 0.0, 0.5, 0.5, 0.25, 0.75]);
    assert_eq!(net.cpt(0).values, [1e-4, 0.4999, 0.5]);
}

#[test]
fn default_rows_fill_unlisted_assignments() {
    let text = "network n {}\nvariable a { type discrete [ 3 ] { x, y, z }; }\n\
                variable b { type discrete [ 2 ] { t, f }; }\n\
                probability ( a ) { table 0.2, 0.3, 0.5; }\n\
                probability ( b | a ) { default 0.5, 0.5; (y) 0.9, 0.1; }\n";
    let net = bif(text);
    assert_eq!(net.cpt(1).values, [0.5, 0.5, 0.9, 0.1, 0.5, 0.5]);
}

// --- malformed input ------------------------------------------------------------------------

const SMALL: &str = "network n {\n}\n\
variable a {\n  type discrete [ 2 ] { yes, no };\n}\n\
variable b {\n  type discrete [ 2 ] { yes, no };\n}\n\
probability ( a ) {\n  table 0.3, 0.7;\n}\n\
probability ( b | a ) {\n  (yes) 0.9, 0.1;\n  (no) 0.2, 0.8;\n}\n";

#[test]
fn the_small_network_reads() {
    assert_eq!(bif(SMALL).cpt(1).values, [0.9, 0.1, 0.2, 0.8]);
}

#[test]
fn empty_file_is_an_error_with_a_position() {
    let (line, col, msg) = bif_error("");
    assert_eq!((line, col), (1, 1));
    assert!(msg.contains("no variables"), "{msg}");
    let (line, _, _) = bif_error("  // only a comment\n\n");
    assert_eq!(line, 3);
    let (line, col, msg) = xml_error("");
    assert_eq!((line, col), (1, 1), "{msg}");
}

#[test]
fn truncated_file_says_what_was_expected() {
    let cut = &SMALL[..SMALL.find("(no)").unwrap() + 6];
    let (line, col, msg) = bif_error(cut);
    assert_eq!(line, 14, "{msg}");
    assert!(col >= 7, "{col}");
    assert!(msg.contains("end of the file"), "{msg}");
    let (_, _, msg) = bif_error("network n {\n}\nvariable a {\n  type discrete [ 2 ] { yes,");
    assert!(msg.contains("expected a state name"), "{msg}");
    let (_, _, msg) = bif_error("variable a { type discrete [ 1 ] { \"open");
    assert!(msg.contains("never closed"), "{msg}");
    let (line, col, _) = bif_error("/* open\ncomment");
    assert_eq!((line, col), (1, 1));
}

#[test]
fn missing_semicolon_is_found() {
    let text = SMALL.replace("(yes) 0.9, 0.1;", "(yes) 0.9, 0.1");
    let (line, col, msg) = bif_error(&text);
    assert_eq!((line, col), (14, 3), "{msg}");
    assert!(msg.contains("`;`") && msg.contains("`(`"), "{msg}");
    let text = SMALL.replace("{ yes, no };\n}\nvariable b", "{ yes, no }\n}\nvariable b");
    let (line, _, msg) = bif_error(&text);
    assert_eq!(line, 5, "{msg}");
    assert!(msg.contains("expected `;`"), "{msg}");
}

#[test]
fn unknown_parent_is_named() {
    let text = SMALL.replace("( b | a )", "( b | q )");
    let (line, col, msg) = bif_error(&text);
    assert_eq!((line, col), (12, 19), "{msg}");
    assert!(msg.contains("unknown parent `q`"), "{msg}");
    let text = SMALL.replace("(no) 0.2", "(maybe) 0.2");
    let (line, col, msg) = bif_error(&text);
    assert_eq!((line, col), (14, 4), "{msg}");
    assert!(msg.contains("`maybe` is not a state of `a`"), "{msg}");
}

#[test]
fn rows_with_the_wrong_count_are_rejected() {
    let text = SMALL.replace("(no) 0.2, 0.8;", "(no) 0.2, 0.7, 0.1;");
    let (line, col, msg) = bif_error(&text);
    assert_eq!((line, col), (14, 3), "{msg}");
    assert!(msg.contains("expected 2 probabilities"), "{msg}");
    let text = SMALL.replace("table 0.3, 0.7;", "table 0.3;");
    let (line, _, msg) = bif_error(&text);
    assert_eq!(line, 10, "{msg}");
    let text = SMALL.replace("(no) 0.2, 0.8;", "");
    let (line, _, msg) = bif_error(&text);
    assert_eq!(line, 12, "{msg}");
    assert!(msg.contains("no row for `b` given a=no"), "{msg}");
    let text = SMALL.replace("(no) 0.2", "(yes, no) 0.2");
    let (_, _, msg) = bif_error(&text);
    assert!(msg.contains("2 state(s)"), "{msg}");
}

#[test]
fn rows_must_sum_to_one() {
    let text = SMALL.replace("(no) 0.2, 0.8;", "(no) 0.2, 0.7;");
    let (line, col, msg) = bif_error(&text);
    assert_eq!((line, col), (14, 3), "{msg}");
    assert!(
        msg.contains("given a=no") && msg.contains("sums to 0.89"),
        "{msg}"
    );
    let text = SMALL.replace("table 0.3, 0.7;", "table 1.3, -0.3;");
    let (line, _, msg) = bif_error(&text);
    assert_eq!(line, 10, "{msg}");
    assert!(msg.contains("not a probability"), "{msg}");
}

#[test]
fn cycles_are_reported_at_a_table() {
    let text = SMALL.replace(
        "probability ( a ) {\n  table 0.3, 0.7;\n}",
        "probability ( a | b ) {\n  (yes) 0.3, 0.7;\n  (no) 0.5, 0.5;\n}",
    );
    let (line, col, msg) = bif_error(&text);
    assert!(msg.contains("cycle"), "{msg}");
    assert!(line == 9 || line == 13, "{line}");
    assert_eq!(col, 1);
}

#[test]
fn duplicates_are_rejected() {
    let text = SMALL.replace("variable b {", "variable a {");
    let (line, col, msg) = bif_error(&text);
    assert_eq!((line, col), (6, 10), "{msg}");
    assert!(msg.contains("duplicate variable `a`"), "{msg}");
    let text = SMALL.replace("(no) 0.2, 0.8;", "(yes) 0.2, 0.8;");
    let (_, _, msg) = bif_error(&text);
    assert!(msg.contains("a second row"), "{msg}");
    let text = SMALL.replace(
        "{ yes, no };\n}\nvariable b",
        "{ yes, yes };\n}\nvariable b",
    );
    let (line, _, msg) = bif_error(&text);
    assert_eq!(line, 4, "{msg}");
    assert!(msg.contains("duplicate state"), "{msg}");
}

#[test]
fn other_mistakes_are_explained() {
    let (_, _, msg) = bif_error(&SMALL.replace(
        "[ 2 ] { yes, no };\n}\nvariable b",
        "[ 3 ] { yes, no };\n}\nvariable b",
    ));
    assert!(msg.contains("declares 3 states but lists 2"), "{msg}");
    let (_, _, msg) = bif_error(&SMALL.replace("table 0.3, 0.7;", "table 0.3, zero;"));
    assert!(msg.contains("found `zero`"), "{msg}");
    let (_, _, msg) = bif_error(&format!("{SMALL}\nbanana"));
    assert!(
        msg.contains("expected a `network`, `variable` or `probability` block"),
        "{msg}"
    );
    let (_, _, msg) = bif_error(&SMALL.replace("probability ( a ) {\n  table 0.3, 0.7;\n}\n", ""));
    assert!(msg.contains("no probability block"), "{msg}");
    let (_, _, msg) = bif_error(&SMALL.replace("discrete", "continuous"));
    assert!(msg.contains("only discrete"), "{msg}");
    let (_, _, msg) = bif_error(&format!("{SMALL}probability ( c ) {{ table 1; }}"));
    assert!(msg.contains("unknown variable `c`"), "{msg}");
}

const SMALL_XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<BIF VERSION="0.3">
<NETWORK>
  <NAME>n</NAME>
  <VARIABLE TYPE="nature">
    <NAME>a</NAME>
    <OUTCOME>yes</OUTCOME>
    <OUTCOME>no</OUTCOME>
  </VARIABLE>
  <VARIABLE TYPE="nature">
    <NAME>b</NAME>
    <OUTCOME>yes</OUTCOME>
    <OUTCOME>no</OUTCOME>
  </VARIABLE>
  <DEFINITION>
    <FOR>a</FOR>
    <TABLE>0.3 0.7</TABLE>
  </DEFINITION>
  <DEFINITION>
    <FOR>b</FOR>
    <GIVEN>a</GIVEN>
    <TABLE>0.9 0.1 0.2 0.8</TABLE>
  </DEFINITION>
</NETWORK>
</BIF>
"#;

#[test]
fn xmlbif_mistakes_have_positions() {
    let net = parse_xmlbif(SMALL_XML, Path::new("s.xml")).unwrap();
    assert_eq!(to_xmlbif(&net), SMALL_XML, "the writer's layout");
    let (line, _, msg) = xml_error(&SMALL_XML[..SMALL_XML.len() / 2]);
    assert!(line >= 10, "{line}: {msg}");
    assert!(msg.contains("XML"), "{msg}");
    let (line, col, msg) = xml_error(&SMALL_XML.replace("<GIVEN>a</GIVEN>", "<GIVEN>q</GIVEN>"));
    assert_eq!((line, col), (21, 5), "{msg}");
    assert!(msg.contains("unknown parent `q`"), "{msg}");
    let (line, col, msg) = xml_error(&SMALL_XML.replace("0.2 0.8", "0.2 0.8 0.1"));
    assert_eq!((line, col), (22, 5), "{msg}");
    assert!(msg.contains("expected 4 probabilities"), "{msg}");
    let (line, _, msg) = xml_error(&SMALL_XML.replace("0.2 0.8", "0.2 0.7"));
    assert_eq!(line, 22, "{msg}");
    assert!(msg.contains("given a=no"), "{msg}");
    let (line, col, msg) = xml_error(&SMALL_XML.replace("0.2 0.8", "0.2 eight"));
    assert_eq!((line, col), (22, 24), "{msg}");
    let cyclic = SMALL_XML.replace(
        "<FOR>a</FOR>\n    <TABLE>0.3 0.7</TABLE>",
        "<FOR>a</FOR>\n    <GIVEN>b</GIVEN>\n    <TABLE>0.3 0.7 0.5 0.5</TABLE>",
    );
    let (line, _, msg) = xml_error(&cyclic);
    assert!(msg.contains("cycle"), "{msg}");
    assert!(line == 15 || line == 20, "{line}");
    let dup = SMALL_XML.replace("<NAME>b</NAME>", "<NAME>a</NAME>");
    let (line, _, msg) = xml_error(&dup);
    assert_eq!(line, 11, "{msg}");
    let (_, _, msg) = xml_error("<html/>");
    assert!(msg.contains("<BIF>"), "{msg}");
}

#[test]
fn read_and_write_by_extension_or_content() {
    let dir = tempfile::tempdir().unwrap();
    let net = load("asia");
    for name in ["a.bif", "a.xmlbif", "a.XML"] {
        let p = dir.path().join(name);
        write_network(&net, &p).unwrap();
        assert_eq!(bits(&read_network(&p).unwrap()), bits(&net), "{name}");
    }
    // Unknown extensions: sniffed when reading, refused when writing.
    let p = dir.path().join("net.txt");
    std::fs::write(&p, to_xmlbif(&net)).unwrap();
    assert_eq!(bits(&read_network(&p).unwrap()), bits(&net));
    std::fs::write(&p, to_bif(&net)).unwrap();
    assert_eq!(bits(&read_network(&p).unwrap()), bits(&net));
    assert!(write_network(&net, &p).is_err());
    assert!(matches!(
        read_network(&dir.path().join("missing.bif")),
        Err(Error::Read(ReadError::Io { .. }))
    ));
    std::fs::write(&p, b"network n {\n}\nvariable \xff").unwrap();
    let (line, col, _) = format_error(read_network(&p));
    assert_eq!((line, col), (3, 10));
}

// --- pictures --------------------------------------------------------------------------------

#[test]
fn dot_has_every_edge() {
    for name in ["asia", "alarm"] {
        let net = load(name);
        let dot = to_dot(&net, &[0]);
        for (p, c) in net.edges() {
            let edge = format!(
                "\"{}\" -> \"{}\";",
                net.variable(p).name,
                net.variable(c).name
            );
            assert!(dot.contains(&edge), "{edge}");
        }
        assert!(dot.contains("filled"));
    }
    let dot = to_dot(&odd_network(), &[]);
    assert!(dot.contains("\"x<y&z\""));
}

#[test]
fn svg_is_well_formed_and_names_every_variable() {
    for net in [load("asia"), load("alarm"), load("hepar2"), odd_network()] {
        let svg = to_svg(&net, &[0, 1, 999]);
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let labels: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .collect();
        for v in net.variables() {
            assert!(labels.contains(&v.name.as_str()), "{}", v.name);
        }
        let paths = doc
            .descendants()
            .filter(|n| n.has_tag_name("path") && n.attribute("marker-end").is_some())
            .count();
        assert_eq!(paths, net.edges().len());
    }
}

// --- fuzzing ---------------------------------------------------------------------------------

fn asia_text() -> String {
    std::fs::read_to_string(Path::new(DATA).join("asia.bif")).unwrap()
}

/// Applies edits (delete, insert, replace, truncate) to `text` at positions taken modulo its
/// length.
fn mutate(text: &str, edits: &[(u8, usize, char)]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for &(op, at, c) in edits {
        let at = if chars.is_empty() {
            0
        } else {
            at % chars.len()
        };
        match op % 4 {
            0 if !chars.is_empty() => {
                chars.remove(at);
            }
            1 => chars.insert(at, c),
            2 if !chars.is_empty() => chars[at] = c,
            3 => chars.truncate(at),
            _ => {}
        }
    }
    chars.into_iter().collect()
}

fn interesting_char() -> impl Strategy<Value = char> {
    prop_oneof![
        proptest::sample::select(vec![
            '{', '}', '(', ')', '[', ']', ';', ',', '|', '"', '/', '*', '\n', ' ', '<', '>', '&',
            '=', '.', 'e', '-', '0', '1', '9', 'a', 'é'
        ]),
        any::<char>(),
    ]
}

/// One to five edits: (operation, position, character).
fn edits() -> impl Strategy<Value = Vec<(u8, usize, char)>> {
    proptest::collection::vec((any::<u8>(), any::<usize>(), interesting_char()), 1..6)
}

/// When mutated text still reads, what it reads as must round-trip exactly.
fn check_stable(net: &BayesNet) {
    let text = to_bif(net);
    let back = parse_bif(&text, Path::new("r.bif")).unwrap();
    assert_eq!(to_bif(&back), text);
    let xml = to_xmlbif(net);
    let back = parse_xmlbif(&xml, Path::new("r.xml")).unwrap();
    assert_eq!(to_xmlbif(&back), xml);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_bif(&text, Path::new("f.bif"));
        let _ = parse_xmlbif(&text, Path::new("f.xml"));
        let _ = parse_xmlbif(&format!("<BIF><NETWORK>{text}</NETWORK></BIF>"), Path::new("f.xml"));
    }

    #[test]
    fn mutated_bif_never_panics(edits in edits()) {
        let text = mutate(&asia_text(), &edits);
        if let Ok(net) = parse_bif(&text, Path::new("m.bif")) {
            check_stable(&net);
        }
    }

    #[test]
    fn mutated_xmlbif_never_panics(edits in edits()) {
        let asia = parse_bif(&asia_text(), Path::new("asia.bif")).unwrap();
        let text = mutate(&to_xmlbif(&asia), &edits);
        if let Ok(net) = parse_xmlbif(&text, Path::new("m.xml")) {
            check_stable(&net);
        }
    }
}
