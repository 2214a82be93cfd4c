//! `gm-bench`: times genmodels' Gaussian-mixture EM from a given start, for comparison with
//! scikit-learn (driven by `bench/compare.py`; see `bench/README.md`).
//!
//! ```text
//! gm-bench gmm --data X.npy --init init.json --covariance full|diag|tied|spherical
//!              [--max-iter 100] [--tol 0] [--reg-covar 1e-6] [--save-means means.npy]
//! ```
//!
//! `init.json` holds scikit-learn's `weights_init`, `means_init` and `precisions_init`:
//! `{"weights": [K], "means": [[d]; K], "precisions": ...}` with precisions in scikit-learn's
//! layout for the covariance type (full `K×d×d`, diag `K×d`, tied `d×d`, spherical `K`).
//!
//! Only the EM fit is timed (reading the data and the start is not). One JSON line goes to
//! stdout: `seconds` (the whole fit), `n_iter`, `per_iter` (= seconds / n_iter), `lower_bound`
//! (mean log-likelihood of the last E-step, scikit-learn's `lower_bound_`), `converged`, and
//! `max_rss_kb` (the process's peak resident set, `VmHWM` from `/proc/self/status`).

use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use genmodels::mixture::{CovarianceParams, InitParams};
use genmodels::prelude::*;
use ndarray::{Array1, Array2, Array3};
use ndarray_npy::WriteNpyExt;
use serde::Deserialize;

type BoxResult<T> = std::result::Result<T, Box<dyn Error>>;

const USAGE: &str =
    "usage: gm-bench gmm --data X.npy --init init.json --covariance full|diag|tied|spherical \
[--max-iter 100] [--tol 0] [--reg-covar 1e-6] [--save-means means.npy]";

/// The start, as `compare.py` writes it (scikit-learn's `*_init` arguments).
#[derive(Deserialize)]
struct InitFile {
    weights: Vec<f64>,
    means: Vec<Vec<f64>>,
    precisions: serde_json::Value,
}

struct Args {
    data: PathBuf,
    init: PathBuf,
    covariance: CovarianceType,
    max_iter: usize,
    tol: f64,
    reg_covar: f64,
    save_means: Option<PathBuf>,
}

fn parse_args() -> BoxResult<Args> {
    let mut it = std::env::args().skip(1);
    match it.next().as_deref() {
        Some("gmm") => {}
        Some("-h" | "--help") => {
            println!("{USAGE}");
            std::process::exit(0);
        }
        other => {
            return Err(format!("expected the subcommand `gmm`, found {other:?}\n{USAGE}").into())
        }
    }
    let (mut data, mut init, mut covariance) = (None, None, None);
    let (mut max_iter, mut tol, mut reg_covar, mut save_means) = (100usize, 0.0f64, 1e-6f64, None);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--data" => data = Some(PathBuf::from(value()?)),
            "--init" => init = Some(PathBuf::from(value()?)),
            "--covariance" => covariance = Some(value()?.parse::<CovarianceType>()?),
            "--max-iter" => max_iter = value()?.parse()?,
            "--tol" => tol = value()?.parse()?,
            "--reg-covar" => reg_covar = value()?.parse()?,
            "--save-means" => save_means = Some(PathBuf::from(value()?)),
            _ => return Err(format!("unknown argument {flag:?}\n{USAGE}").into()),
        }
    }
    Ok(Args {
        data: data.ok_or(format!("--data is required\n{USAGE}"))?,
        init: init.ok_or(format!("--init is required\n{USAGE}"))?,
        covariance: covariance.ok_or(format!("--covariance is required\n{USAGE}"))?,
        max_iter,
        tol,
        reg_covar,
        save_means,
    })
}

fn matrix(rows: Vec<Vec<f64>>, what: &str) -> BoxResult<Array2<f64>> {
    let n = rows.len();
    let d = rows.first().map_or(0, Vec::len);
    if rows.iter().any(|r| r.len() != d) {
        return Err(format!("{what}: rows of different lengths").into());
    }
    Ok(Array2::from_shape_vec(
        (n, d),
        rows.into_iter().flatten().collect(),
    )?)
}

/// Precisions in scikit-learn's layout for `cov`.
fn precisions(v: serde_json::Value, cov: CovarianceType) -> BoxResult<CovarianceParams> {
    Ok(match cov {
        CovarianceType::Full => {
            let cube: Vec<Vec<Vec<f64>>> = serde_json::from_value(v)?;
            let k = cube.len();
            let mats = cube
                .into_iter()
                .map(|m| matrix(m, "precisions"))
                .collect::<BoxResult<Vec<_>>>()?;
            let d = mats.first().map_or(0, Array2::nrows);
            if mats.iter().any(|m| m.dim() != (d, d)) {
                return Err("full precisions must be K square d×d matrices".into());
            }
            let flat: Vec<f64> = mats.iter().flat_map(|m| m.iter().copied()).collect();
            CovarianceParams::Full(Array3::from_shape_vec((k, d, d), flat)?)
        }
        CovarianceType::Diag => {
            CovarianceParams::Diag(matrix(serde_json::from_value(v)?, "precisions")?)
        }
        CovarianceType::Tied => {
            CovarianceParams::Tied(matrix(serde_json::from_value(v)?, "precisions")?)
        }
        CovarianceType::Spherical => {
            CovarianceParams::Spherical(Array1::from(serde_json::from_value::<Vec<f64>>(v)?))
        }
    })
}

/// Peak resident set size of this process in kB (`VmHWM`), or -1 where unavailable.
fn max_rss_kb() -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(-1)
}

fn run() -> BoxResult<()> {
    let args = parse_args()?;
    let x = genmodels::io::read_npy(&args.data)?;
    let init: InitFile = serde_json::from_str(&std::fs::read_to_string(&args.init)?)?;
    let means = matrix(init.means, "means")?;
    let k = means.nrows();
    let init = InitParams {
        weights: Some(Array1::from(init.weights)),
        means,
        precisions: Some(precisions(init.precisions, args.covariance)?),
    };
    let params = GaussianMixture::params(k)
        .covariance(args.covariance)
        .init_params(init)
        .max_iter(args.max_iter)
        .tol(args.tol)
        .reg_covar(args.reg_covar);

    let start = Instant::now();
    let model = params.fit(&x)?;
    let seconds = start.elapsed().as_secs_f64();

    let r = model.report.as_ref().ok_or("the fit returned no report")?;
    if let Some(path) = &args.save_means {
        model.means().write_npy(std::fs::File::create(path)?)?;
    }
    let out = serde_json::json!({
        "seconds": seconds,
        "n_iter": r.n_iter,
        "per_iter": seconds / r.n_iter.max(1) as f64,
        "lower_bound": r.lower_bound,
        "converged": r.converged,
        "n": x.nrows(),
        "d": x.ncols(),
        "k": k,
        "covariance": args.covariance.name(),
        "max_rss_kb": max_rss_kb(),
    });
    println!("{out}");
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gm-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
