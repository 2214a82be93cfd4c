//! Helpers shared by the end-to-end tests of the `genmodels` binary (`tests/cli.rs` and
//! `tests/hmm_cli.rs`): running the binary, reading what it printed or wrote, and checking the
//! command-line contract for bad input (exit status 2, a one-line `error:`, no output file left
//! behind, an existing output never damaged).
//!
//! Each test file includes this module with `mod common;` and must define
//! `const FAIL_ON_PANIC: bool` at its root: whether every run of the binary (through
//! [`genmodels`], and so through [`ok`] and [`assert_fails_cleanly`] too) fails the test when
//! the binary panics.

// Each test file uses only a subset of these helpers.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// What one run of the binary did.
pub struct Run {
    pub args: Vec<String>,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "genmodels {}\nexit status: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args.join(" "),
            self.code,
            self.stdout,
            self.stderr
        )
    }
}

/// Runs `genmodels ARGS` in `dir`. Where the test file sets `FAIL_ON_PANIC`, a panic of the
/// binary (exit status 101 or `panicked` on stderr) fails the test.
pub fn genmodels(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_genmodels"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the genmodels binary runs");
    let r = Run {
        args: args.iter().map(|s| s.to_string()).collect(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    if crate::FAIL_ON_PANIC {
        assert!(
            r.code != Some(101) && !r.stderr.contains("panicked"),
            "genmodels panicked:\n{r}"
        );
    }
    r
}

/// Runs `genmodels ARGS` in `dir` and insists on exit status 0.
pub fn ok(dir: &Path, args: &[&str]) -> Run {
    let r = genmodels(dir, args);
    assert_eq!(r.code, Some(0), "expected success:\n{r}");
    r
}

/// The single JSON object that `--json` prints.
pub fn one_json_object(r: &Run) -> serde_json::Map<String, Value> {
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "--json must print exactly one line on stdout:\n{r}"
    );
    let v: Value =
        serde_json::from_str(lines[0]).unwrap_or_else(|e| panic!("not JSON ({e}):\n{r}"));
    match v {
        Value::Object(m) => m,
        other => panic!("--json must print an object, got {other}:\n{r}"),
    }
}

/// The number `m[key]`; panics if it is missing or not a number.
pub fn f64_field(m: &serde_json::Map<String, Value>, key: &str) -> f64 {
    m.get(key)
        .and_then(Value::as_f64)
        .unwrap_or_else(|| panic!("{key:?} is missing or not a number in {m:?}"))
}

/// The non-negative integer `m[key]`; panics if it is missing or not such an integer.
pub fn u64_field(m: &serde_json::Map<String, Value>, key: &str) -> u64 {
    m.get(key)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("{key:?} is missing or not an integer in {m:?}"))
}

/// A CSV file as its header and rows of cells (no quoting: these files are numeric).
pub fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header = lines
        .next()
        .expect("a header line")
        .split(',')
        .map(str::to_string)
        .collect();
    let rows = lines
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    (header, rows)
}

/// A cell as a number (surrounding white space allowed); panics if it is not one.
pub fn parse(cell: &str) -> f64 {
    cell.trim()
        .parse()
        .unwrap_or_else(|_| panic!("{cell:?} is not a number"))
}

/// Writes `text` to the file `name` in `dir` and returns its path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).expect("write test data");
    p
}

/// Names of the entries of a directory, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .expect("read dir")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    v.sort();
    v
}

/// Exit status 2 and one line `error: ...` on stderr containing every needle.
pub fn assert_bad_input(r: &Run, needles: &[&str]) {
    assert_eq!(r.code, Some(2), "bad input must exit with status 2:\n{r}");
    let err = r.stderr.trim_end();
    assert_eq!(err.lines().count(), 1, "the error must be one line:\n{r}");
    assert!(
        err.starts_with("error: "),
        "the error must start with `error: `:\n{r}"
    );
    for n in needles {
        assert!(err.contains(n), "the error must mention {n:?}:\n{r}");
    }
}

/// Runs a command that must fail with bad input twice: once where `output` (a file name in
/// `dir` that appears in `args`) does not exist — it must not be created — and once where it
/// exists — it must be left byte-identical. No temporary file may be left behind either.
pub fn assert_fails_cleanly(dir: &Path, args: &[&str], output: &str, needles: &[&str]) {
    let out = dir.join(output);
    let _ = fs::remove_file(&out);
    let before = listing(dir);
    let r = genmodels(dir, args);
    assert_bad_input(&r, needles);
    assert!(!out.exists(), "a failed command created {output}:\n{r}");
    assert_eq!(
        listing(dir),
        before,
        "a failed command left files behind:\n{r}"
    );

    let precious = b"precious earlier output\n1,2,3\n";
    fs::write(&out, precious).expect("write existing output");
    let before = listing(dir);
    let r = genmodels(dir, args);
    assert_bad_input(&r, needles);
    assert_eq!(
        fs::read(&out).expect("existing output"),
        precious,
        "a failed command changed {output}:\n{r}"
    );
    assert_eq!(
        listing(dir),
        before,
        "a failed command left files behind:\n{r}"
    );
    fs::remove_file(&out).expect("remove");
}

/// `fit gmm data/old_faithful.csv --columns eruptions,waiting --components 2 -o f.json` in
/// `dir`: a two-component model whose features are `eruptions, waiting`.
pub fn fit_faithful_two(dir: &Path) {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/old_faithful.csv");
    ok(
        dir,
        &[
            "fit",
            "gmm",
            data,
            "--columns",
            "eruptions,waiting",
            "--components",
            "2",
            "-o",
            "f.json",
        ],
    );
}
