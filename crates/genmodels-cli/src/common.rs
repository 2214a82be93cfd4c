//! What every subcommand shares: exit-code errors, data loading, output files, progress bars.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Instant;

use anyhow::{anyhow, Result};
use clap::Args;
use genmodels::core::{Flow, Monitor, Step};
use genmodels::io::{read_matrix, NumericTable};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ndarray::Array2;

/// Writes one line on stdout (the tool's `println!`). A write error other than a closed pipe
/// (which ends the program quietly, as SIGPIPE does) is exit 1 with one line on stderr.
pub fn out_line(args: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.write_all(b"\n")) {
        stdout_failed(e);
    }
}

/// Flushes stdout before a successful exit, so that a write error in the last buffered bytes
/// is reported too.
pub fn flush_stdout() {
    use std::io::Write;
    if let Err(e) = std::io::stdout().lock().flush() {
        stdout_failed(e);
    }
}

fn stdout_failed(e: std::io::Error) -> ! {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        std::process::exit(141);
    }
    genmodels::io::atomic::remove_live_temporaries();
    eprintln!("error: cannot write to standard output: {e}");
    std::process::exit(1);
}

/// On SIGINT or SIGTERM, removes the temporary files of writes in progress (the files they
/// would replace are untouched) and exits with 128 + the signal's number, as the default
/// action would.
pub fn handle_interrupts() {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
            return; // the default action stays: the process ends, a temporary may remain
        };
        let _ = std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                if let Some(sig) = signals.forever().next() {
                    genmodels::io::atomic::remove_live_temporaries();
                    std::process::exit(128 + sig);
                }
            });
    }
}

/// Bad usage or bad input: exit status 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// A usage error as an `anyhow::Error`.
pub fn usage(msg: impl Into<String>) -> anyhow::Error {
    anyhow!(UsageError(msg.into()))
}

/// The exit status for an error: 2 for bad usage or bad input, 1 for anything else.
pub fn exit_code(e: &anyhow::Error) -> i32 {
    use genmodels::core::Error as E;
    for cause in e.chain() {
        if cause.downcast_ref::<UsageError>().is_some() {
            return 2;
        }
        if let Some(g) = cause.downcast_ref::<E>() {
            return match g {
                E::Param(_)
                | E::Data(_)
                | E::Read(_)
                | E::ModelFile(_)
                | E::Network(_)
                | E::Resource(_) => 2,
                E::Numerical(_) | E::Interrupted { .. } => 1,
            };
        }
        if cause.is::<genmodels::core::ParamError>()
            || cause.is::<genmodels::core::DataError>()
            || cause.is::<genmodels::core::ReadError>()
            || cause.is::<genmodels::core::ModelFileError>()
            || cause.is::<genmodels::core::NetworkError>()
            || cause.is::<genmodels::core::ResourceError>()
        {
            return 2;
        }
    }
    1
}

/// Flags every command that prints results understands.
#[derive(Args, Debug, Clone, Default)]
pub struct OutputFlags {
    /// Print exactly one JSON object on stdout instead of tables for people.
    #[arg(long, global = true)]
    pub json: bool,
    /// No progress bar and no notes on stderr.
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
}

/// Which columns to read from a data file.
#[derive(Args, Debug, Clone, Default)]
pub struct DataFlags {
    /// Comma-separated CSV column names to use, in order (default: the model's features, or every column).
    #[arg(long, value_delimiter = ',', value_name = "A,B,...")]
    pub columns: Option<Vec<String>>,
}

/// Reads a CSV or `.npy` matrix, selecting columns by name.
pub fn load_data(path: &Path, columns: Option<&[String]>) -> Result<NumericTable> {
    Ok(read_matrix(path, columns)?)
}

/// Reads data for a model: a CSV's columns are matched to the model's feature names (in any
/// order; see [`genmodels::io::CsvTable::model_columns`]), a `.npy`'s by position.
pub fn load_for_model(
    path: &Path,
    flag: Option<&[String]>,
    model_names: Option<&[String]>,
) -> Result<NumericTable> {
    let is_npy = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"));
    if is_npy {
        return load_data(path, flag);
    }
    let table = genmodels::io::read_csv(path)?;
    let cols = table.model_columns(flag, model_names, &[])?;
    Ok(table.numeric(Some(&cols))?)
}

/// Refuses data whose columns do not match the model's features, naming both lists.
pub fn check_width(path: &Path, columns: &[String], model_features: &[String]) -> Result<()> {
    if columns.len() != model_features.len() {
        return Err(usage(format!(
            "{}: {} columns ({}) but the model has {} features ({}); choose them with --columns",
            path.display(),
            columns.len(),
            columns.join(", "),
            model_features.len(),
            model_features.join(", ")
        )));
    }
    Ok(())
}

/// Parses `A=1,B=2` into pairs.
pub fn parse_assignments(s: &str) -> Result<Vec<(String, String)>> {
    s.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let (k, v) = p
                .split_once('=')
                .ok_or_else(|| usage(format!("expected NAME=VALUE, got {p:?}")))?;
            Ok((k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

/// Parses a component range: `3`, `1..6` (inclusive), `1..=6`, or `2,4,8`.
pub fn parse_components(s: &str) -> Result<Vec<usize>> {
    let bad = || {
        usage(format!(
            "--components {s:?}: expected a number, a range like 1..6, or a list like 2,4,8"
        ))
    };
    let s = s.trim();
    if let Some((a, b)) = s.split_once("..") {
        let b = b.trim_start_matches('=');
        let a: usize = a.trim().parse().map_err(|_| bad())?;
        let b: usize = b.trim().parse().map_err(|_| bad())?;
        if a > b {
            return Err(bad());
        }
        return Ok((a..=b).collect());
    }
    s.split(',')
        .map(|p| p.trim().parse::<usize>().map_err(|_| bad()))
        .collect()
}

/// Writes rows as CSV (atomically) when `out` ends in `.csv`, or a `.npy` matrix (the extra
/// column, e.g. the component, as a number).
pub fn write_table(
    out: &Path,
    header: &[String],
    data: &Array2<f64>,
    extra: Option<(&str, Vec<String>)>,
) -> Result<()> {
    let (name, col) = match extra {
        Some((n, c)) => (Some(n), Some(c)),
        None => (None, None),
    };
    let mut done = 0;
    stream_table(out, header, name, data.nrows(), |m| {
        let x = data.slice(ndarray::s![done..done + m, ..]).to_owned();
        let c = col.as_ref().map(|c| c[done..done + m].to_vec());
        done += m;
        Ok((x, c))
    })
}

/// Rows drawn per call when samples are streamed: enough to keep the cores busy, small enough
/// that `sample -n 100000000 -o x.csv` runs in bounded memory.
pub const SAMPLE_CHUNK: usize = 65_536;

/// A chunk of sampled rows: numbers, and optionally one more column (the component) as text.
pub type RowChunk = (Array2<f64>, Option<Vec<String>>);

/// Writes `n` rows to `out` (`.csv` or `.npy`, as [`write_table`]) as they are drawn, chunk by
/// chunk (`draw(m)` returns `m` rows), so the output never has to fit in memory. Refused at
/// once when the file system cannot hold even the smallest file the rows make.
pub fn stream_table(
    out: &Path,
    header: &[String],
    extra: Option<&str>,
    n: usize,
    draw: impl FnMut(usize) -> Result<RowChunk>,
) -> Result<()> {
    let ext = out
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let width = header.len() + usize::from(extra.is_some());
    let npy = match ext.as_str() {
        "npy" => true,
        "csv" | "" | "txt" => false,
        _ => {
            return Err(usage(format!(
                "{}: output must end in .csv or .npy",
                out.display()
            )))
        }
    };
    // A CSV cell takes at least two bytes (a digit and a comma or newline); a .npy cell eight.
    let least = genmodels::core::memory::bytes_for(&[n, width], if npy { 8 } else { 2 });
    let head = |w: &mut dyn std::io::Write| {
        if npy {
            genmodels::io::npy::write_header(w, &[n, width])
        } else {
            let mut h = header.to_vec();
            h.extend(extra.map(str::to_string));
            w.write_all(csv_line(&h).as_bytes())
        }
    };
    let rows = |w: &mut dyn std::io::Write, (x, col): RowChunk| {
        for (i, r) in x.outer_iter().enumerate() {
            let last = col.as_ref().map(|c| c[i].as_str());
            if npy {
                for v in r.iter() {
                    w.write_all(&v.to_le_bytes())?;
                }
                if let Some(c) = last {
                    w.write_all(&c.parse::<f64>().unwrap_or(f64::NAN).to_le_bytes())?;
                }
            } else {
                let mut cells: Vec<String> = r
                    .iter()
                    .map(|v| genmodels::io::csv::fmt_number(*v))
                    .collect();
                cells.extend(last.map(str::to_string));
                w.write_all(csv_line(&cells).as_bytes())?;
            }
        }
        Ok(())
    };
    stream_chunks(out, least, n, head, draw, rows)
}

/// Writes `n` text rows under `header` to the CSV `out` as they are drawn, chunk by chunk
/// (`draw(m)` returns `m` rows), so the output never has to fit in memory.
pub fn stream_csv(
    out: &Path,
    header: &[String],
    n: usize,
    draw: impl FnMut(usize) -> Result<Vec<Vec<String>>>,
) -> Result<()> {
    let least = genmodels::core::memory::bytes_for(&[n, header.len()], 2);
    let head = |w: &mut dyn std::io::Write| w.write_all(csv_line(header).as_bytes());
    let rows = |w: &mut dyn std::io::Write, rows: Vec<Vec<String>>| {
        rows.iter()
            .try_for_each(|r| w.write_all(csv_line(r).as_bytes()))
    };
    stream_chunks(out, least, n, head, draw, rows)
}

/// The loop of [`stream_table`] and [`stream_csv`]: checks that `least` bytes fit on the
/// target's file system, then writes `head` and each chunk of [`SAMPLE_CHUNK`] rows that
/// `draw` makes, atomically. A failed draw abandons the write and is the error returned.
fn stream_chunks<C>(
    out: &Path,
    least: u128,
    n: usize,
    head: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
    mut draw: impl FnMut(usize) -> Result<C>,
    mut rows: impl FnMut(&mut dyn std::io::Write, C) -> std::io::Result<()>,
) -> Result<()> {
    genmodels::core::memory::check_disk(out, least)?;
    let mut failure: Option<anyhow::Error> = None;
    let written = genmodels::io::write_atomic(out, |w| {
        head(w)?;
        let mut done = 0;
        while done < n {
            let m = SAMPLE_CHUNK.min(n - done);
            match draw(m) {
                Ok(c) => rows(w, c)?,
                Err(e) => {
                    failure = Some(e);
                    return Err(std::io::Error::other("sampling failed"));
                }
            }
            done += m;
        }
        Ok(())
    });
    if let Some(e) = failure {
        return Err(e);
    }
    written.map_err(|source| genmodels::core::ReadError::Io {
        path: out.into(),
        source,
    })?;
    Ok(())
}

/// One CSV record (through the `csv` crate, which quotes what needs quoting).
fn csv_line(cells: &[String]) -> String {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    // Writing to memory cannot fail.
    let _ = w.write_record(cells);
    w.into_inner()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// Prints rows as an aligned table.
pub fn print_table(header: &[String], rows: &[Vec<String>]) {
    let mut w: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i < w.len() {
                w[i] = w[i].max(c.chars().count());
            }
        }
    }
    let line = |cells: &[String]| {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{:>width$}", c, width = w.get(i).copied().unwrap_or(0)))
            .collect::<Vec<_>>()
            .join("  ")
    };
    println!("{}", line(header));
    for r in rows {
        println!("{}", line(r));
    }
}

/// A number for people: 6 significant digits.
pub fn num(v: f64) -> String {
    if v.is_nan() {
        return "—".into();
    }
    if v == 0.0 || (v.abs() >= 1e-3 && v.abs() < 1e6) {
        let s = format!("{v:.6}");
        let digits_before = s
            .trim_start_matches('-')
            .split('.')
            .next()
            .map(|p| p.len())
            .unwrap_or(1);
        format!("{:.*}", 6usize.saturating_sub(digits_before).max(1), v)
    } else {
        format!("{v:.4e}")
    }
}

/// Prints one JSON object on stdout.
pub fn print_json(v: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string(v).unwrap_or_else(|_| "{}".into())
    );
}

/// A progress bar on stderr, drawn only when stderr is a terminal and not `--quiet`.
pub struct Progress {
    bar: ProgressBar,
    start: Instant,
}

impl Progress {
    /// A bar for a fit.
    pub fn new(quiet: bool, label: &str) -> Self {
        let bar = if quiet || !std::io::stderr().is_terminal() {
            ProgressBar::hidden()
        } else {
            let b = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
            b.set_style(
                ProgressStyle::with_template(
                    "{prefix:>12} [{bar:30}] {pos}/{len} iter  {msg}  {elapsed}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            b
        };
        bar.set_prefix(label.to_string());
        Progress {
            bar,
            start: Instant::now(),
        }
    }

    /// Seconds since the bar was made.
    pub fn seconds(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Monitor for Progress {
    fn on_step(&mut self, step: Step) -> Flow {
        self.bar.set_length(step.max_iterations as u64);
        self.bar.set_position(step.iteration as u64);
        let run = if step.run > 0 {
            format!("run {}  ", step.run + 1)
        } else {
            String::new()
        };
        self.bar
            .set_message(format!("{run}objective {:.6}", step.objective));
        Flow::Continue
    }
}

/// An output path for people: `-` is standard output.
pub fn shown(path: &Path) -> String {
    if path.as_os_str() == "-" {
        "standard output".into()
    } else {
        path.display().to_string()
    }
}

/// Refuses, before any work, an output path that cannot be written: a directory, or a file
/// in a folder that does not exist.
pub fn check_output_path(p: &Path) -> Result<()> {
    if p.as_os_str() == "-" {
        return Ok(());
    }
    if p.is_dir() {
        return Err(usage(format!(
            "{}: is a directory, not a file",
            p.display()
        )));
    }
    let dir = match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(usage(format!(
            "{}: the folder {} does not exist",
            p.display(),
            dir.display()
        )));
    }
    Ok(())
}

/// Refuses to overwrite the input with the output, and an output that cannot be written
/// ([`check_output_path`]), before any work.
pub fn check_distinct(input: &Path, output: &Path) -> Result<()> {
    check_output_path(output)?;
    if let (Ok(a), Ok(b)) = (std::fs::canonicalize(input), std::fs::canonicalize(output)) {
        if a == b {
            return Err(usage(format!(
                "{}: the output would overwrite the input",
                output.display()
            )));
        }
    }
    Ok(())
}

/// Names the file and the column (by name) in a library error about a data cell.
pub fn in_file(e: genmodels::core::Error, path: &Path, names: &[String]) -> anyhow::Error {
    use genmodels::core::{DataError, Error};
    let col_name = |c: &str| {
        c.parse::<usize>()
            .ok()
            .and_then(|c| names.get(c.wrapping_sub(1)))
            .cloned()
            .unwrap_or_else(|| c.to_string())
    };
    match &e {
        Error::Data(DataError::NonFinite { row, column, value, hint }) => usage(format!(
            "{}, data row {row}, column {}: value {value} is not a finite number (NaN/inf are not allowed here{hint})",
            path.display(),
            col_name(column)
        )),
        Error::Data(DataError::TooLarge { row, column, value, reason }) => usage(format!(
            "{}, data row {row}, column {}: value {value} is too large for this model ({reason})",
            path.display(),
            col_name(column)
        )),
        Error::Data(DataError::Support { row, column, value, support }) => usage(format!(
            "{}, data row {row}, column {}: value {value} is outside the model's support ({support})",
            path.display(),
            col_name(&column.to_string())
        )),
        Error::Data(_) => usage(format!("{}: {e}", path.display())),
        _ => e.into(),
    }
}
