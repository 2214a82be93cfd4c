//! The README's tour, frozen: every command of `tests/golden/tour.txt` is run on the small inputs
//! of `tests/golden/inputs/` (made by `make_inputs.py`) and its exit status, its standard output
//! and a fingerprint of every file it wrote are compared with `tests/golden/tour.golden`.
//!
//! Only what varies from run to run is masked: timings (`… 0.018 s`, `"seconds": …`, the
//! `seconds` column of a training table, the same inside safetensors metadata and inside the
//! checkpoints a classifier file embeds) and the scratch folder's path. Standard error is free to
//! change. Files are fingerprinted by SHA-256 after that masking; small text files are kept whole
//! so that a difference can be read.
//!
//! Refactoring must leave this test green. A change that alters output on purpose regenerates the
//! golden file with `GENMODELS_UPDATE_GOLDEN=1 cargo test -p genmodels-cli --test golden_tour`
//! and says so in its commit.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use regex::Regex;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Text files up to this size are written into the golden file whole.
const INLINE_LIMIT: usize = 1500;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Masks {
    inline_seconds: Regex,
    json_seconds: Regex,
}

impl Masks {
    fn new() -> Masks {
        Masks {
            // "in 0.018 s", "0.00 s", "in 5.6 s;"
            inline_seconds: Regex::new(r"\b\d+(\.\d+)? s\b").unwrap(),
            // "seconds":0.048 in compact or pretty JSON
            json_seconds: Regex::new(r#""(\w*seconds\w*)":(\s*)-?[0-9][0-9.eE+-]*"#).unwrap(),
        }
    }

    /// Masks the timings of text meant for people or JSON printed on stdout.
    fn text(&self, text: &str, dir: &str) -> String {
        let text = text.replace(dir, "$DIR");
        let text = self.json_seconds.replace_all(&text, "\"$1\":$2<S>");
        let text = self.inline_seconds.replace_all(&text, "<S> s");
        // Training tables whose last column is `seconds`: mask that column up to a blank line.
        let mut out = String::new();
        let mut in_table = false;
        for line in text.lines() {
            if line.trim().is_empty() {
                in_table = false;
            }
            if in_table {
                let body = line.trim_end();
                let cut = body.rfind(' ').map_or(0, |i| i + 1);
                out.push_str(body[..cut].trim_end());
                out.push_str(" <S>");
            } else {
                out.push_str(line);
            }
            out.push('\n');
            if line.split_whitespace().last() == Some("seconds") {
                in_table = true;
            }
        }
        out
    }

    /// A JSON value with every `*seconds*` member masked, and every embedded safetensors
    /// checkpoint (base64) replaced by its masked fingerprint.
    fn json_value(&self, value: &mut Value) {
        match value {
            Value::Object(map) => {
                for (key, v) in map.iter_mut() {
                    if key.contains("seconds") && (v.is_number() || v.is_null()) {
                        *v = Value::String("<S>".into());
                    } else {
                        self.json_value(v);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.json_value(v)),
            Value::String(s) if s.len() > 64 => {
                if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(s.as_bytes()) {
                    if let Some(fp) = self.safetensors(&bytes) {
                        *s = format!("safetensors {fp}");
                    }
                }
            }
            _ => {}
        }
    }

    /// The fingerprint of a safetensors file with the timings in its metadata masked, or `None`
    /// when the bytes are not one.
    fn safetensors(&self, bytes: &[u8]) -> Option<String> {
        let n = u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?) as usize;
        let header = bytes.get(8..8usize.checked_add(n)?)?;
        let mut header: Value = serde_json::from_slice(header).ok()?;
        if let Some(Value::Object(meta)) = header.get_mut("__metadata__") {
            for v in meta.values_mut() {
                if let Value::String(s) = v {
                    if let Ok(mut inner) = serde_json::from_str::<Value>(s) {
                        self.json_value(&mut inner);
                        *s = inner.to_string();
                    }
                }
            }
        }
        let mut hash = Sha256::new();
        hash.update(header.to_string().as_bytes());
        hash.update(&bytes[8 + n..]);
        Some(format!("{:x}", hash.finalize()))
    }

    /// One line (or a few, for a small text file) describing a written file.
    fn file(&self, name: &str, bytes: &[u8], dir: &str) -> String {
        if name.ends_with(".safetensors") {
            if let Some(fp) = self.safetensors(bytes) {
                return format!("file {name}: safetensors {fp}\n");
            }
        }
        if name.ends_with(".json") {
            if let Ok(mut v) = serde_json::from_slice::<Value>(bytes) {
                self.json_value(&mut v);
                let text = serde_json::to_string_pretty(&v).unwrap();
                return self.text_file(name, &text, dir);
            }
        }
        match std::str::from_utf8(bytes) {
            Ok(text) if !name.ends_with(".npy") => {
                let text = text.to_owned();
                self.text_file(name, &text, dir)
            }
            _ => format!(
                "file {name}: {} bytes sha256 {:x}\n",
                bytes.len(),
                Sha256::digest(bytes)
            ),
        }
    }

    fn text_file(&self, name: &str, text: &str, dir: &str) -> String {
        let text = self.text(text, dir);
        if text.len() <= INLINE_LIMIT {
            format!("file {name}:\n{}", indent(&text))
        } else {
            format!(
                "file {name}: {} lines sha256 {:x}\n",
                text.lines().count(),
                Sha256::digest(text.as_bytes())
            )
        }
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("  | {l}\n")).collect()
}

/// Every plain file in `dir` (not `data/`) with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let kind = entry.file_type().unwrap();
            if kind.is_symlink() {
                continue;
            }
            if kind.is_dir() {
                stack.push(path);
            } else {
                let name = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                files.insert(name, fs::read(&path).unwrap());
            }
        }
    }
    files
}

fn run_tour() -> String {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path();
    for entry in fs::read_dir(golden_dir().join("inputs")).unwrap() {
        let path = entry.unwrap().path();
        fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    std::os::unix::fs::symlink(
        repo_root().join("data").canonicalize().unwrap(),
        dir.join("data"),
    )
    .unwrap();
    let dir_text = dir.to_string_lossy().into_owned();
    let masks = Masks::new();
    let tour = fs::read_to_string(golden_dir().join("tour.txt")).unwrap();
    let mut before = snapshot(dir);
    let mut report = String::new();
    for line in tour.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let args: Vec<&str> = line.split(' ').filter(|a| !a.is_empty()).collect();
        let out = Command::new(env!("CARGO_BIN_EXE_genmodels"))
            .args(&args)
            .arg("--quiet")
            .current_dir(dir)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("panicked"),
            "genmodels {line} panicked:\n{stderr}"
        );
        report.push_str(&format!("$ genmodels {line}\n"));
        report.push_str(&format!("exit {:?}\n", out.status.code()));
        let stdout = String::from_utf8_lossy(&out.stdout);
        report.push_str(&indent(&masks.text(&stdout, &dir_text)));
        let after = snapshot(dir);
        for (name, bytes) in &after {
            if before.get(name) != Some(bytes) {
                report.push_str(&masks.file(name, bytes, &dir_text));
            }
        }
        for name in before.keys().filter(|n| !after.contains_key(*n)) {
            report.push_str(&format!("removed {name}\n"));
        }
        before = after;
        report.push('\n');
    }
    report
}

#[test]
fn the_readme_tour_prints_and_writes_what_it_did_before() {
    let actual = run_tour();
    let golden_path = golden_dir().join("tour.golden");
    if std::env::var_os("GENMODELS_UPDATE_GOLDEN").is_some() {
        fs::write(&golden_path, &actual).unwrap();
        return;
    }
    let expected = fs::read_to_string(&golden_path).unwrap();
    if actual != expected {
        let actual_path = std::env::temp_dir().join("genmodels-tour.actual");
        fs::write(&actual_path, &actual).unwrap();
        let (i, (a, e)) = actual
            .lines()
            .zip(expected.lines())
            .enumerate()
            .find(|(_, (a, e))| a != e)
            .unwrap_or((
                actual.lines().count().min(expected.lines().count()),
                ("(end)", "(end)"),
            ));
        panic!(
            "the tour's output changed at line {} of tour.golden:\n  expected: {e}\n  actual:   {a}\n\
             the whole output is in {}; diff it with {}",
            i + 1,
            actual_path.display(),
            golden_path.display()
        );
    }
}
