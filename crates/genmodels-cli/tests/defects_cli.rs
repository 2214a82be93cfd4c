//! Regression tests for the defects a new user hit first (wrong answers, aborts, damaged
//! files): one test per case, each asserting what the command-line contract promises.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::*;

/// Runs of the binary through `common::genmodels` leave panics to the tests of this file.
const FAIL_ON_PANIC: bool = true;

const FAITHFUL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/old_faithful.csv");
const RGNP: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/sequences/markov_rgnp.csv"
);
const ASIA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/bayesnets/asia.bif");
const DIGITS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/digits_binary.csv");

/// Bad input: exit 2 with one line naming `needles`; where `output` is given, it is neither
/// created nor changed (see `common::assert_fails_cleanly`).
fn refused(dir: &Path, args: &[&str], needles: &[&str], output: Option<&str>) {
    match output {
        Some(o) => assert_fails_cleanly(dir, args, o, needles),
        None => assert_bad_input(&genmodels(dir, args), needles),
    }
}

fn json_of(r: &Run) -> serde_json::Map<String, serde_json::Value> {
    one_json_object(r)
}

/// Writes an `.npy` (format 1.0) of little-endian f64 with the given header shape.
fn npy(path: &Path, shape: &str, data: &[f64]) {
    let mut h = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + h.len() + 1) % 64 != 0 {
        h.push(' ');
    }
    h.push('\n');
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend_from_slice(&(h.len() as u16).to_le_bytes());
    b.extend_from_slice(h.as_bytes());
    for v in data {
        b.extend_from_slice(&v.to_le_bytes());
    }
    fs::write(path, b).unwrap();
}

/// 64 binary 4×4 images as an `.npy`, in `dir/x.npy`.
fn tiny_images(dir: &Path) {
    let mut state: u32 = 12345;
    let data: Vec<f64> = (0..64 * 16)
        .map(|_| {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            f64::from((state >> 16) & 1)
        })
        .collect();
    npy(&dir.join("x.npy"), "(64, 16)", &data);
}

// 1. A silently wrong score: columns in another order than the model's features.

#[test]
fn columns_in_another_order_are_matched_by_name() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    fit_faithful_two(dir);
    let mean = |extra: &[&str]| {
        let mut args = vec!["score", "f.json", FAITHFUL, "--json"];
        args.extend_from_slice(extra);
        json_of(&ok(dir, &args))["mean_log_likelihood"]
            .as_f64()
            .unwrap()
    };
    let by_model = mean(&[]);
    assert!((by_model - (-4.155)).abs() < 5e-3, "{by_model}");
    assert_eq!(mean(&["--columns", "waiting,eruptions"]), by_model);
    assert_eq!(mean(&["--columns", "eruptions,waiting"]), by_model);
    // predict gives the same components whatever the order.
    let p1 = ok(dir, &["predict", "f.json", FAITHFUL]).stdout;
    let p2 = ok(
        dir,
        &[
            "predict",
            "f.json",
            FAITHFUL,
            "--columns",
            "waiting,eruptions",
        ],
    )
    .stdout;
    assert_eq!(p1, p2);
    // A file whose columns come in the other order, without --columns.
    let text = fs::read_to_string(FAITHFUL).unwrap();
    let swapped: String = text
        .lines()
        .map(|l| {
            let (a, b) = l.split_once(',').unwrap();
            format!("{b},{a}\n")
        })
        .collect();
    fs::write(dir.join("swapped.csv"), swapped).unwrap();
    let r = ok(dir, &["score", "f.json", "swapped.csv", "--json"]);
    assert_eq!(
        json_of(&r)["mean_log_likelihood"].as_f64().unwrap(),
        by_model
    );
}

#[test]
fn a_missing_or_foreign_feature_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    fit_faithful_two(dir);
    refused(
        dir,
        &["score", "f.json", FAITHFUL, "--columns", "waiting"],
        &["eruptions", "not selected"],
        None,
    );
    fs::write(dir.join("other.csv"), "a,b\n1,2\n3,4\n").unwrap();
    refused(
        dir,
        &["score", "f.json", "other.csv"],
        &["other.csv", "eruptions, waiting", "matched by"],
        None,
    );
    fs::write(dir.join("more.csv"), "eruptions,waiting,x\n1,2,3\n").unwrap();
    refused(
        dir,
        &[
            "predict",
            "f.json",
            "more.csv",
            "--columns",
            "eruptions,waiting,x",
        ],
        &["more.csv", "column x", "not a feature"],
        None,
    );
    // A .npy has no names: positional, and its width is checked.
    npy(
        &dir.join("three.npy"),
        "(2, 3)",
        &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
    );
    refused(
        dir,
        &["score", "f.json", "three.npy"],
        &["three.npy", "3 columns", "2 features"],
        None,
    );
    npy(&dir.join("two.npy"), "(1, 2)", &[3.6, 79.0]);
    ok(dir, &["score", "f.json", "two.npy"]);
}

#[test]
fn hmm_columns_are_matched_by_name_too() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let text = fs::read_to_string(RGNP).unwrap();
    let value = text.lines().next().unwrap().split(',').next_back().unwrap();
    ok(
        dir,
        &[
            "fit",
            "hmm",
            RGNP,
            "--columns",
            value,
            "--states",
            "2",
            "-o",
            "h.json",
        ],
    );
    let r = ok(dir, &["score", "h.json", RGNP, "--json"]);
    assert!(json_of(&r)["mean_log_likelihood"].as_f64().is_some());
    fs::write(dir.join("renamed.csv"), "y\n1.0\n2.0\n").unwrap();
    refused(
        dir,
        &["score", "h.json", "renamed.csv"],
        &["renamed.csv", value],
        None,
    );
}

// 2. `-o` writes through what it must not replace.

#[cfg(unix)]
#[test]
fn output_to_a_device_a_fifo_a_symlink_and_stdout() {
    use std::os::unix::fs::FileTypeExt;
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    fit_faithful_two(dir);
    // A character device made here (the machine's own /dev/null is never touched). Making
    // one needs root; elsewhere this part is skipped.
    let made = Command::new("mknod")
        .args(["null", "c", "1", "3"])
        .current_dir(dir)
        .status()
        .is_ok_and(|s| s.success());
    if made {
        ok(dir, &["sample", "f.json", "-n", "5", "-o", "null"]);
        assert!(fs::symlink_metadata(dir.join("null"))
            .unwrap()
            .file_type()
            .is_char_device());
        ok(dir, &["fit", "gmm", FAITHFUL, "-k", "1", "-o", "null"]);
        assert!(fs::symlink_metadata(dir.join("null"))
            .unwrap()
            .file_type()
            .is_char_device());
    } else {
        eprintln!("mknod needs root: the character-device case is not checked here");
    }
    // A FIFO with a reader.
    let fifo = dir.join("pipe");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || fs::read_to_string(fifo).unwrap())
    };
    ok(dir, &["sample", "f.json", "-n", "4", "-o", "pipe"]);
    let got = reader.join().unwrap();
    assert_eq!(got.lines().count(), 5, "{got}");
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    // A chain of relative symlinks: the final target is replaced, the links stay.
    fs::create_dir(dir.join("sub")).unwrap();
    fs::write(dir.join("sub/real.csv"), "old").unwrap();
    std::os::unix::fs::symlink("sub/real.csv", dir.join("l1.csv")).unwrap();
    std::os::unix::fs::symlink("l1.csv", dir.join("l2.csv")).unwrap();
    ok(dir, &["sample", "f.json", "-n", "3", "-o", "l2.csv"]);
    for l in ["l1.csv", "l2.csv"] {
        assert!(fs::symlink_metadata(dir.join(l))
            .unwrap()
            .file_type()
            .is_symlink());
    }
    let real = fs::read_to_string(dir.join("sub/real.csv")).unwrap();
    assert!(real.starts_with("eruptions,waiting,component\n"), "{real}");
    assert_eq!(real.lines().count(), 4);
    // No temporary file left in either folder.
    for f in [dir.to_path_buf(), dir.join("sub")] {
        let tmp: Vec<_> = fs::read_dir(&f)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(tmp.is_empty(), "{tmp:?}");
    }
    // `-o -` is stdout, and no file named `-` appears.
    let r = ok(dir, &["sample", "f.json", "-n", "2", "-o", "-", "-q"]);
    assert!(r.stdout.starts_with("eruptions,waiting,component\n"), "{r}");
    assert_eq!(r.stdout.lines().count(), 3);
    assert!(!dir.join("-").exists());
    // /dev/stdout is written through, not replaced.
    let r = ok(
        dir,
        &["sample", "f.json", "-n", "2", "-o", "/dev/stdout", "-q"],
    );
    assert_eq!(r.stdout.lines().count(), 3, "{r}");
}

// 3. Sizes that cannot be allocated are refused before allocating.

#[test]
fn sample_sizes_beyond_memory_are_refused_for_every_family() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    fit_faithful_two(dir);
    let digits = fs::read_to_string(DIGITS).unwrap();
    let pixels: String = digits
        .lines()
        .map(|l| format!("{}\n", &l[..l.rfind(',').unwrap()]))
        .collect();
    fs::write(dir.join("pixels.csv"), pixels).unwrap();
    ok(
        dir,
        &["fit", "bernoulli", "pixels.csv", "-k", "2", "-o", "b.json"],
    );
    let text = fs::read_to_string(RGNP).unwrap();
    let value = text
        .lines()
        .next()
        .unwrap()
        .split(',')
        .next_back()
        .unwrap()
        .to_string();
    ok(
        dir,
        &[
            "fit",
            "hmm",
            RGNP,
            "--columns",
            &value,
            "--states",
            "2",
            "-o",
            "h.json",
        ],
    );
    tiny_images(dir);
    ok(
        dir,
        &[
            "fit", "rbm", "x.npy", "--hidden", "4", "--epochs", "1", "-o", "r.st",
        ],
    );
    ok(
        dir,
        &[
            "fit", "vae", "x.npy", "--latent", "2", "--hidden", "8", "--epochs", "1", "-o", "v.st",
        ],
    );
    ok(
        dir,
        &[
            "fit", "gan", "x.npy", "--latent", "2", "--epochs", "1", "-o", "g.st",
        ],
    );
    let huge = "1000000000000";
    for model in ["f.json", "b.json", "h.json", ASIA, "r.st", "v.st", "g.st"] {
        let start = Instant::now();
        refused(dir, &["sample", model, "-n", huge], &["memory"], None);
        refused(
            dir,
            &["sample", model, "-n", huge, "-o", "big.csv"],
            &[],
            Some("big.csv"),
        );
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{model}: a refusal must come before the work"
        );
    }
}

#[test]
fn a_million_samples_stream_to_csv_and_npy() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    fit_faithful_two(dir);
    ok(
        dir,
        &[
            "sample", "f.json", "-n", "1000000", "-o", "m.csv", "--seed", "3",
        ],
    );
    let text = fs::read_to_string(dir.join("m.csv")).unwrap();
    assert_eq!(text.lines().count(), 1_000_001);
    // The samples' moments match the model's (the mixture's mean waiting time).
    let waiting: f64 = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().parse::<f64>().unwrap())
        .sum::<f64>()
        / 1e6;
    assert!((waiting - 70.9).abs() < 0.3, "mean waiting {waiting}");
    ok(
        dir,
        &[
            "sample", "f.json", "-n", "1000000", "-o", "m.npy", "--seed", "3",
        ],
    );
    let bytes = fs::read(dir.join("m.npy")).unwrap();
    // 128-byte header, then 10^6 rows of 3 f64.
    assert_eq!(bytes.len(), 128 + 1_000_000 * 3 * 8);
    // The same seed gives the same rows whatever the format.
    let first_csv: Vec<f64> = text
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .map(|c| c.parse().unwrap())
        .collect();
    let first_npy: Vec<f64> = (0..3)
        .map(|j| f64::from_le_bytes(bytes[128 + 8 * j..136 + 8 * j].try_into().unwrap()))
        .collect();
    assert_eq!(first_csv, first_npy);
    // And stdout gives the same rows as a file of the same size (past one chunk of draws).
    ok(
        dir,
        &[
            "sample", "f.json", "-n", "70000", "-o", "s.csv", "--seed", "3",
        ],
    );
    let text = fs::read_to_string(dir.join("s.csv")).unwrap();
    let r = ok(
        dir,
        &["sample", "f.json", "-n", "70000", "--seed", "3", "--json"],
    );
    let rows = json_of(&r)["rows"].as_array().unwrap().clone();
    let last: Vec<f64> = rows[69_999]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let csv_row: Vec<f64> = text
        .lines()
        .nth(70_000)
        .unwrap()
        .split(',')
        .take(2)
        .map(|c| c.parse().unwrap())
        .collect();
    assert_eq!(last, csv_row);
}

#[test]
fn a_npy_header_claiming_more_than_the_file_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    fit_faithful_two(dir);
    npy(&dir.join("huge.npy"), "(1000000000000, 2)", &[0.0; 20]);
    refused(
        dir,
        &["score", "f.json", "huge.npy"],
        &["huge.npy", "(1000000000000, 2)", "truncated"],
        None,
    );
    refused(
        dir,
        &["fit", "gmm", "huge.npy", "-o", "m.json"],
        &["huge.npy"],
        Some("m.json"),
    );
}

#[test]
fn fit_sizes_beyond_the_data_or_memory_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    let start = Instant::now();
    refused(
        dir,
        &["fit", "hmm", RGNP, "--states", "100000", "-o", "h.json"],
        &["too few", "100000"],
        Some("h.json"),
    );
    tiny_images(dir);
    refused(
        dir,
        &["fit", "rbm", "x.npy", "--hidden", "100000000", "-o", "r.st"],
        &["memory", "100000000 hidden"],
        Some("r.st"),
    );
    assert!(start.elapsed() < Duration::from_secs(60));
}

#[test]
fn vae_interpolate_with_absurd_steps_is_refused_before_the_work() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    tiny_images(dir);
    ok(
        dir,
        &[
            "fit", "vae", "x.npy", "--latent", "2", "--hidden", "8", "--epochs", "1", "-o", "v.st",
        ],
    );
    for out in ["path.png", "path.csv"] {
        let start = Instant::now();
        refused(
            dir,
            &[
                "vae",
                "interpolate",
                "v.st",
                "x.npy#0",
                "x.npy#1",
                "--steps",
                "100000000",
                "-o",
                out,
            ],
            &[],
            Some(out),
        );
        assert!(start.elapsed() < Duration::from_secs(30), "{out}");
    }
    ok(
        dir,
        &[
            "vae",
            "interpolate",
            "v.st",
            "x.npy#0",
            "x.npy#1",
            "--steps",
            "5",
            "-o",
            "path.png",
        ],
    );
}

// 4. A write error on stdout.

#[test]
fn a_full_stdout_is_exit_1_with_one_line() {
    if !Path::new("/dev/full").exists() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    fit_faithful_two(dir);
    for args in [
        &["info", "f.json", "--json"][..],
        &["sample", "f.json", "-n", "3"],
        &["query", ASIA, "--target", "lung"],
    ] {
        let full = fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_genmodels"))
            .current_dir(dir)
            .args(args)
            .stdout(full)
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("error: cannot write to standard output"),
            "{err}"
        );
    }
}

// 7. Every argument is checked before any work; several outputs are written all or none.

#[test]
fn a_bad_loss_plot_extension_is_refused_before_training() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    tiny_images(dir);
    for family in ["vae", "gan"] {
        refused(
            dir,
            &[
                "fit",
                family,
                "x.npy",
                "--epochs",
                "1",
                "--loss-plot",
                "loss.bmp",
                "-o",
                "m.st",
            ],
            &["loss.bmp", ".png or .svg"],
            Some("m.st"),
        );
        assert!(!dir.join("loss.bmp").exists());
    }
    refused(
        dir,
        &[
            "fit",
            "vae",
            "x.npy",
            "--epochs",
            "1",
            "-o",
            "no/such/folder/m.st",
        ],
        &["does not exist"],
        None,
    );
    // Both files, when both can be written.
    ok(
        dir,
        &[
            "fit",
            "vae",
            "x.npy",
            "--latent",
            "2",
            "--hidden",
            "8",
            "--epochs",
            "1",
            "--loss-plot",
            "loss.svg",
            "-o",
            "m.st",
        ],
    );
    assert!(dir.join("m.st").is_file() && dir.join("loss.svg").is_file());
}

// 8. Temporary files after SIGINT / SIGTERM, and a dead writer's leftovers.

#[cfg(unix)]
#[test]
fn an_interrupted_write_leaves_no_temporary_file() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    fit_faithful_two(dir);
    for (sig, code) in [(libc::SIGTERM, 143), (libc::SIGINT, 130)] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_genmodels"))
            .current_dir(dir)
            .args(["sample", "f.json", "-n", "200000000", "-o", "big.csv", "-q"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let tmp_exists = || {
            fs::read_dir(dir)
                .unwrap()
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with(".genmodels-"))
        };
        let start = Instant::now();
        while !tmp_exists() {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no temporary appeared"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // SAFETY: signalling our own child.
        unsafe { libc::kill(child.id() as i32, sig) };
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(code));
        assert!(!tmp_exists(), "the temporary file was left behind");
        assert!(!dir.join("big.csv").exists());
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_dead_writers_leftover_is_removed_by_the_next_write() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    fit_faithful_two(dir);
    let mut child = Command::new(env!("CARGO_BIN_EXE_genmodels"))
        .current_dir(dir)
        .args(["sample", "f.json", "-n", "200000000", "-o", "big.csv", "-q"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let leftovers = || -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".genmodels-"))
            .collect()
    };
    let start = Instant::now();
    while leftovers().is_empty() {
        assert!(start.elapsed() < Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    assert_eq!(leftovers().len(), 1, "kill -9 leaves its temporary");
    // A live writer's temporary (this test process's pid and start time) is kept.
    let stat = fs::read_to_string("/proc/self/stat").unwrap();
    let start_time = stat[stat.rfind(')').unwrap() + 1..]
        .split_whitespace()
        .nth(19)
        .unwrap()
        .to_string();
    let live = format!(".genmodels-{}.{start_time}-live.tmp", std::process::id());
    fs::write(dir.join(&live), "x").unwrap();
    ok(dir, &["sample", "f.json", "-n", "3", "-o", "small.csv"]);
    assert_eq!(leftovers(), vec![live]);
}

/// Under an address-space limit (`ulimit -v`), a size that fits the machine but not the limit
/// is refused (exit 2), not an abort; a size within the limit still works.
#[cfg(target_os = "linux")]
#[test]
fn sizes_are_checked_against_the_address_space_limit() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path();
    fit_faithful_two(dir);
    let under_limit = |cmd: &str| {
        Command::new("sh")
            .current_dir(dir)
            .arg("-c")
            .arg(format!(
                "ulimit -v 4000000 && exec {} {cmd}",
                env!("CARGO_BIN_EXE_genmodels")
            ))
            .output()
            .unwrap()
    };
    // 10^8 samples of 3 values printed: 4.8 GB of table, more than the 4 GB limit.
    let out = under_limit("sample f.json -n 100000000");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("memory") && err.lines().count() == 1, "{err}");
    let out = under_limit("sample f.json -n 1000 -o s.csv -q");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        fs::read_to_string(dir.join("s.csv"))
            .unwrap()
            .lines()
            .count(),
        1001
    );
}
