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
//!
//! ```text
//! gm-bench hmm --emission gaussian|categorical --data X.npy --lengths lengths.json
//!              --init init.json [--max-iter 50] [--tol 0] [--viterbi] [--viterbi-repeats 5]
//!              [--save-params fitted.json]
//! ```
//!
//! Baum-Welch for a hidden Markov model from a given start, for comparison with hmmlearn
//! (driven by `bench/compare_hmm.py`). `X.npy` holds all sequences one after the other (for
//! categorical emissions: one column of symbol codes `0..V`, stored as floats), `lengths.json`
//! the list of sequence lengths, and `init.json` the start: `startprob` `[K]`, `transmat`
//! `[[K]; K]` and either `means` `[[d]; K]` and `covars` (full, `K×d×d`) or `emissionprob`
//! `[[V]; K]` (hmmlearn's attribute names). Gaussian emissions use `reg_covar` 0, i.e. the plain
//! maximum-likelihood M-step (hmmlearn with `covars_prior=0`).
//!
//! Only the fit is timed, and with `--viterbi` separately `decode` (Viterbi over all sequences)
//! with the *initial* model, best of `--viterbi-repeats` calls in this process. One JSON line:
//! `seconds`, `n_iter`, `per_iter`, `log_likelihood` (the last value of the history: total
//! log-likelihood of all sequences at the last E-step, hmmlearn's `monitor_.history[-1]`),
//! `history`, `viterbi_seconds`, `viterbi_logprob_total` (the sum over sequences of
//! `log p(x, z*)`), `max_rss_kb`.
//!
//! ```text
//! gm-bench bn --net alarm.bif [--queries q.json] [--samples 100000] [--mle-data d20k.csv]
//!             [--hc-data d10k.csv] [--repeats 5] [--hc-repeats 1] [--seed 0]
//! ```
//!
//! Discrete Bayesian networks, for comparison with pgmpy and pyAgrum (driven by
//! `bench/compare_bn.py`). Each workload runs only when its input is given; each is timed
//! `--repeats` times in this process (hill climbing `--hc-repeats` times), best counts, and
//! reading the files is never timed:
//!
//! * `queries` (from `q.json`, `{"queries": [{"target": name, "evidence": [[name, state], …]}, …],
//!   "marginals_evidence": [[name, state], …]}`): `VariableElimination::new` and one
//!   `marginal(target, evidence)` per query; the answers are the posteriors.
//! * `marginals` (the same file's `marginals_evidence`): `JunctionTree::new`, `calibrate` and
//!   `all_marginals`; `calibrate_seconds` is the same without building the tree.
//! * `sample`: `net.sample(n, rng)` (forward sampling; `freq` = each variable's state frequencies).
//! * `mle`: `align_to` (the CSV's codes to the network's states) and `refit(…, Estimator::Mle)`;
//!   `cpts` = each variable's fitted table, row-major over (parents…, child) in BIF order.
//! * `hc`: `HillClimb::new(ScoreKind::Bic).fit(&data)` (states as in the data); `edges` by name,
//!   and the SHD against the network's own graph (`missing`, `extra`, `reversed`, `shd`).

mod neural;

use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use genmodels::core::data::Sequences;
use genmodels::hmm::{CategoricalInit, EmissionInit, GaussianInit, Hmm, HmmParams, Topology};
use genmodels::mixture::{CategoricalComponents, CovarianceParams, GaussianComponents, InitParams};
use genmodels::prelude::*;
use ndarray::{Array1, Array2, Array3};
use ndarray_npy::WriteNpyExt;
use serde::Deserialize;

type BoxResult<T> = std::result::Result<T, Box<dyn Error>>;

const USAGE: &str =
    "usage: gm-bench gmm --data X.npy --init init.json --covariance full|diag|tied|spherical \
[--max-iter 100] [--tol 0] [--reg-covar 1e-6] [--save-means means.npy]
       gm-bench hmm --emission gaussian|categorical --data X.npy --lengths lengths.json \
--init init.json [--max-iter 50] [--tol 0] [--viterbi] [--viterbi-repeats 5] [--save-params fitted.json]
       gm-bench bn --net net.bif [--queries q.json] [--samples N] [--mle-data d.csv] [--hc-data d.csv] \
[--repeats 5] [--hc-repeats 1] [--seed 0]";

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

fn parse_args(mut it: impl Iterator<Item = String>) -> BoxResult<Args> {
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
    let mut it = std::env::args().skip(1);
    match it.next().as_deref() {
        Some("gmm") => run_gmm(parse_args(it)?),
        Some("hmm") => run_hmm(parse_hmm_args(it)?),
        Some("bn") => run_bn(parse_bn_args(it)?),
        Some("vae") => neural::run_vae(it),
        Some("gan") => neural::run_gan(it),
        Some("-h" | "--help") => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!(
            "expected the subcommand `gmm`, `hmm` or `bn`, found {other:?}\n{USAGE}"
        )
        .into()),
    }
}

fn run_gmm(args: Args) -> BoxResult<()> {
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

// ----------------------------------------------------------------------------- hmm

/// The start of an HMM fit, as `compare_hmm.py` writes it (hmmlearn's attribute names).
#[derive(Deserialize)]
struct HmmInitFile {
    startprob: Vec<f64>,
    transmat: Vec<Vec<f64>>,
    #[serde(default)]
    means: Option<Vec<Vec<f64>>>,
    #[serde(default)]
    covars: Option<Vec<Vec<Vec<f64>>>>,
    #[serde(default)]
    emissionprob: Option<Vec<Vec<f64>>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Emission {
    Gaussian,
    Categorical,
}

struct HmmArgs {
    emission: Emission,
    data: PathBuf,
    lengths: PathBuf,
    init: PathBuf,
    max_iter: usize,
    tol: f64,
    viterbi: bool,
    viterbi_repeats: usize,
    save_params: Option<PathBuf>,
}

fn parse_hmm_args(mut it: impl Iterator<Item = String>) -> BoxResult<HmmArgs> {
    let (mut emission, mut data, mut lengths, mut init) = (None, None, None, None);
    let (mut max_iter, mut tol, mut viterbi, mut viterbi_repeats, mut save_params) =
        (50usize, 0.0f64, false, 5usize, None);
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--emission" => {
                emission = Some(match value()?.as_str() {
                    "gaussian" => Emission::Gaussian,
                    "categorical" => Emission::Categorical,
                    other => {
                        return Err(format!(
                            "--emission must be gaussian or categorical, not {other:?}"
                        )
                        .into())
                    }
                })
            }
            "--data" => data = Some(PathBuf::from(value()?)),
            "--lengths" => lengths = Some(PathBuf::from(value()?)),
            "--init" => init = Some(PathBuf::from(value()?)),
            "--max-iter" => max_iter = value()?.parse()?,
            "--tol" => tol = value()?.parse()?,
            "--viterbi" => viterbi = true,
            "--viterbi-repeats" => viterbi_repeats = value()?.parse::<usize>()?.max(1),
            "--save-params" => save_params = Some(PathBuf::from(value()?)),
            _ => return Err(format!("unknown argument {flag:?}\n{USAGE}").into()),
        }
    }
    Ok(HmmArgs {
        emission: emission.ok_or(format!("--emission is required\n{USAGE}"))?,
        data: data.ok_or(format!("--data is required\n{USAGE}"))?,
        lengths: lengths.ok_or(format!("--lengths is required\n{USAGE}"))?,
        init: init.ok_or(format!("--init is required\n{USAGE}"))?,
        max_iter,
        tol,
        viterbi,
        viterbi_repeats,
        save_params,
    })
}

/// What one HMM run measured, whatever the emission family.
struct HmmOutcome {
    seconds: f64,
    n_iter: usize,
    history: Vec<f64>,
    viterbi_seconds: Option<f64>,
    viterbi_logprob_total: Option<f64>,
    /// The fitted parameters, in hmmlearn's attribute names (for `--save-params`).
    params: serde_json::Value,
}

/// Times Baum-Welch from `model` (the start), and with `viterbi_repeats > 0` separately
/// `decode` with that initial model (best of the repeats).
fn time_hmm<I: EmissionInit>(
    hmm_params: HmmParams<I>,
    model: &Hmm<I::Emission>,
    seqs: &Sequences,
    viterbi_repeats: usize,
) -> BoxResult<(Hmm<I::Emission>, HmmOutcome)> {
    let hmm_params = hmm_params
        .emission(model.emission.clone())
        .topology(Topology::Given(
            model.startprob.clone(),
            model.transmat.clone(),
        ));
    let start = Instant::now();
    let fitted = hmm_params.fit(seqs)?;
    let seconds = start.elapsed().as_secs_f64();
    let r = fitted.report.as_ref().ok_or("the fit returned no report")?;
    let (n_iter, history) = (r.n_iter, r.lower_bounds.clone());

    let (mut viterbi_seconds, mut viterbi_logprob_total) = (None, None);
    for _ in 0..viterbi_repeats {
        let start = Instant::now();
        let paths = model.decode(seqs)?;
        let s = start.elapsed().as_secs_f64();
        std::hint::black_box(&paths);
        viterbi_seconds = Some(viterbi_seconds.map_or(s, |b: f64| b.min(s)));
        viterbi_logprob_total = Some(paths.iter().map(|(lp, _)| *lp).sum::<f64>());
    }
    let outcome = HmmOutcome {
        seconds,
        n_iter,
        history,
        viterbi_seconds,
        viterbi_logprob_total,
        params: serde_json::json!({
            "startprob": fitted.startprob.to_vec(),
            "transmat": rows(&fitted.transmat),
        }),
    };
    Ok((fitted, outcome))
}

fn rows(a: &Array2<f64>) -> Vec<Vec<f64>> {
    a.outer_iter().map(|r| r.to_vec()).collect()
}

fn run_hmm(args: HmmArgs) -> BoxResult<()> {
    let x = genmodels::io::read_npy(&args.data)?;
    let lengths: Vec<usize> = serde_json::from_str(&std::fs::read_to_string(&args.lengths)?)?;
    let init: HmmInitFile = serde_json::from_str(&std::fs::read_to_string(&args.init)?)?;
    let (n, d) = x.dim();
    let seqs = Sequences::new(x, lengths)?;
    let startprob = Array1::from(init.startprob);
    let transmat = matrix(init.transmat, "transmat")?;
    let k = startprob.len();
    let repeats = if args.viterbi {
        args.viterbi_repeats
    } else {
        0
    };

    let outcome = match args.emission {
        Emission::Gaussian => {
            let means = matrix(
                init.means.ok_or("gaussian: init.json needs `means`")?,
                "means",
            )?;
            let cube = init
                .covars
                .ok_or("gaussian: init.json needs `covars` (K×d×d)")?;
            let dim = means.ncols();
            let flat: Vec<f64> = cube.into_iter().flatten().flatten().collect();
            let covs = Array3::from_shape_vec((k, dim, dim), flat)?;
            let emission =
                GaussianComponents::from_covariances(means, CovarianceParams::Full(covs), 0.0)?;
            let model = Hmm::new(startprob, transmat, emission)?;
            let params = HmmParams::new(
                k,
                GaussianInit {
                    covariance: CovarianceType::Full,
                    reg_covar: 0.0,
                },
            )
            .max_iter(args.max_iter)
            .tol(args.tol);
            let (fitted, mut o) = time_hmm(params, &model, &seqs, repeats)?;
            let covars = match &fitted.emission.covariances {
                CovarianceParams::Full(c) => c.outer_iter().map(|m| rows(&m.to_owned())).collect(),
                _ => Vec::new(),
            };
            o.params["means"] = serde_json::json!(rows(&fitted.emission.means));
            o.params["covars"] = serde_json::json!(covars);
            o
        }
        Emission::Categorical => {
            let probs = matrix(
                init.emissionprob
                    .ok_or("categorical: init.json needs `emissionprob`")?,
                "emissionprob",
            )?;
            let v = probs.ncols();
            let model = Hmm::new(startprob, transmat, CategoricalComponents { probs })?;
            let params = HmmParams::new(k, CategoricalInit { n_symbols: Some(v) })
                .max_iter(args.max_iter)
                .tol(args.tol);
            let (fitted, mut o) = time_hmm(params, &model, &seqs, repeats)?;
            o.params["emissionprob"] = serde_json::json!(rows(&fitted.emission.probs));
            o
        }
    };
    if let Some(path) = &args.save_params {
        std::fs::write(path, outcome.params.to_string())?;
    }
    let out = serde_json::json!({
        "seconds": outcome.seconds,
        "n_iter": outcome.n_iter,
        "per_iter": outcome.seconds / outcome.n_iter.max(1) as f64,
        "log_likelihood": outcome.history.last(),
        "history": outcome.history,
        "viterbi_seconds": outcome.viterbi_seconds,
        "viterbi_logprob_total": outcome.viterbi_logprob_total,
        "n": n,
        "d": d,
        "k": k,
        "n_sequences": seqs.lengths.len(),
        "emission": match args.emission {
            Emission::Gaussian => "gaussian",
            Emission::Categorical => "categorical",
        },
        "max_rss_kb": max_rss_kb(),
    });
    println!("{out}");
    Ok(())
}

// ----------------------------------------------------------------------------- bn

/// The queries, as `compare_bn.py` writes them (names, not indices).
#[derive(Deserialize)]
struct BnQueryFile {
    queries: Vec<BnQuery>,
    #[serde(default)]
    marginals_evidence: Option<Vec<(String, String)>>,
}

#[derive(Deserialize)]
struct BnQuery {
    target: String,
    evidence: Vec<(String, String)>,
}

struct BnArgs {
    net: PathBuf,
    queries: Option<PathBuf>,
    samples: Option<usize>,
    mle_data: Option<PathBuf>,
    hc_data: Option<PathBuf>,
    repeats: usize,
    hc_repeats: usize,
    seed: u64,
}

fn parse_bn_args(mut it: impl Iterator<Item = String>) -> BoxResult<BnArgs> {
    let mut a = BnArgs {
        net: PathBuf::new(),
        queries: None,
        samples: None,
        mle_data: None,
        hc_data: None,
        repeats: 5,
        hc_repeats: 1,
        seed: 0,
    };
    let mut net = None;
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--net" => net = Some(PathBuf::from(value()?)),
            "--queries" => a.queries = Some(PathBuf::from(value()?)),
            "--samples" => a.samples = Some(value()?.parse()?),
            "--mle-data" => a.mle_data = Some(PathBuf::from(value()?)),
            "--hc-data" => a.hc_data = Some(PathBuf::from(value()?)),
            "--repeats" => a.repeats = value()?.parse::<usize>()?.max(1),
            "--hc-repeats" => a.hc_repeats = value()?.parse::<usize>()?.max(1),
            "--seed" => a.seed = value()?.parse()?,
            _ => return Err(format!("unknown argument {flag:?}\n{USAGE}").into()),
        }
    }
    a.net = net.ok_or(format!("--net is required\n{USAGE}"))?;
    Ok(a)
}

/// Runs `work` `repeats` times; returns the best time, every time, and the last result.
fn best_of<T>(
    repeats: usize,
    mut work: impl FnMut() -> BoxResult<T>,
) -> BoxResult<(f64, Vec<f64>, T)> {
    let mut times = Vec::with_capacity(repeats);
    let mut last = None;
    for _ in 0..repeats.max(1) {
        let start = Instant::now();
        let out = work()?;
        times.push(start.elapsed().as_secs_f64());
        last = Some(std::hint::black_box(out));
    }
    let best = times.iter().copied().fold(f64::INFINITY, f64::min);
    Ok((best, times, last.expect("at least one repeat")))
}

fn run_bn(args: BnArgs) -> BoxResult<()> {
    use genmodels::bayesnet::formats::read_bif;
    use genmodels::bayesnet::inference::{JunctionTree, VariableElimination};
    use genmodels::bayesnet::learn::{refit, Dag, Estimator, HillClimb, ScoreKind};
    use genmodels::bayesnet::DiscreteData;
    use genmodels::core::{rng_from_seed, Fit, Sample};

    let net = read_bif(&args.net)?;
    let nv = net.n_variables();
    let names: Vec<String> = net.variables().iter().map(|v| v.name.clone()).collect();
    let mut out = serde_json::json!({
        "net": args.net.file_stem().map(|s| s.to_string_lossy().into_owned()),
        "n_variables": nv,
        "n_edges": net.edges().len(),
        "repeats": args.repeats,
    });

    if let Some(path) = &args.queries {
        let file: BnQueryFile = serde_json::from_str(&std::fs::read_to_string(path)?)?;
        // Names to indices, untimed.
        let queries: Vec<(usize, Vec<(usize, usize)>)> = file
            .queries
            .iter()
            .map(|q| Ok((net.index_of(&q.target)?, net.evidence(&q.evidence)?)))
            .collect::<BoxResult<_>>()?;
        let (seconds, all, answers) = best_of(args.repeats, || {
            let ve = VariableElimination::new(&net);
            queries
                .iter()
                .map(|(t, e)| Ok(ve.marginal(*t, e)?))
                .collect::<BoxResult<Vec<Vec<f64>>>>()
        })?;
        out["queries"] = serde_json::json!({
            "seconds": seconds, "all_seconds": all, "n": queries.len(), "answers": answers,
        });

        if let Some(ev) = &file.marginals_evidence {
            let ev = net.evidence(ev)?;
            let (seconds, all, answers) = best_of(args.repeats, || {
                let jt = JunctionTree::new(&net)?;
                let cal = jt.calibrate(&ev)?;
                Ok(cal.all_marginals())
            })?;
            // The same without building the tree (built once, untimed).
            let jt = JunctionTree::new(&net)?;
            let (cal_seconds, _, _) = best_of(args.repeats, || {
                let cal = jt.calibrate(&ev)?;
                Ok(cal.all_marginals())
            })?;
            out["marginals"] = serde_json::json!({
                "seconds": seconds, "all_seconds": all, "calibrate_seconds": cal_seconds,
                "n_cliques": jt.n_cliques(), "max_clique_size": jt.max_clique_size(),
                "answers": answers,
            });
        }
    }

    if let Some(n) = args.samples {
        let mut rng = rng_from_seed(args.seed);
        let (seconds, all, data) = best_of(args.repeats, || Ok(net.sample(n, &mut rng)?))?;
        let freq: Vec<Vec<f64>> = (0..nv)
            .map(|v| {
                let mut c = vec![0.0; net.cardinality(v)];
                for &x in &data.columns[v] {
                    c[x as usize] += 1.0;
                }
                c.iter().map(|x| x / n as f64).collect()
            })
            .collect();
        out["sample"] = serde_json::json!({
            "seconds": seconds, "all_seconds": all, "n": n, "freq": freq,
        });
    }

    if let Some(path) = &args.mle_data {
        let data = DiscreteData::from_csv(&genmodels::io::read_csv(path)?, None)?;
        let (seconds, all, fitted) = best_of(args.repeats, || {
            let aligned = data.align_to(&net, false, false)?;
            Ok(refit(&net, &aligned, Estimator::Mle)?)
        })?;
        let cpts: serde_json::Map<String, serde_json::Value> = (0..nv)
            .map(|v| (names[v].clone(), serde_json::json!(fitted.cpt(v).values)))
            .collect();
        out["mle"] = serde_json::json!({
            "seconds": seconds, "all_seconds": all, "n_rows": data.n_rows(), "cpts": cpts,
        });
    }

    if let Some(path) = &args.hc_data {
        let data = DiscreteData::from_csv(&genmodels::io::read_csv(path)?, None)?;
        let (seconds, all, result) = best_of(args.hc_repeats, || {
            Ok(HillClimb::new(ScoreKind::Bic).fit(&data)?)
        })?;
        // The learned graph over the data's columns, mapped to the network's variables by name.
        let edges: Vec<(String, String)> = result
            .dag
            .edges()
            .into_iter()
            .map(|(a, b)| (data.names[a].clone(), data.names[b].clone()))
            .collect();
        let idx: Vec<(usize, usize)> = edges
            .iter()
            .map(|(a, b)| Ok((net.index_of(a)?, net.index_of(b)?)))
            .collect::<BoxResult<_>>()?;
        let learned = Dag::from_edges(nv, &idx)?;
        let d = learned.compare(&Dag::from_network(&net))?;
        out["hc"] = serde_json::json!({
            "seconds": seconds, "all_seconds": all, "n_rows": data.n_rows(),
            "edges": edges, "n_edges": edges.len(), "score": result.score,
            "n_steps": result.trace.len(), "families_scored": result.families_scored,
            "missing": d.missing, "extra": d.extra, "reversed": d.reversed, "shd": d.shd(),
        });
    }
    out["max_rss_kb"] = serde_json::json!(max_rss_kb());
    println!("{out}");
    Ok(())
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gm-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
