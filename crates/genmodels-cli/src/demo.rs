//! `genmodels demo`: every family on the bundled data, with a report (`report.md`) and pictures.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use genmodels::core::data::Sequences;
use genmodels::core::{rng_from_seed, Fit, Sample, SampleGiven, Silent};
use genmodels::hmm::{GaussianInit, HmmParams};
use genmodels::io::csv::parse_csv;
use genmodels::io::{save_model, write_atomic};
use genmodels::mixture::{
    select_gaussian_mixture, BernoulliMixture, CovarianceType, Criterion, GaussianMixture,
};
use serde_json::json;

use crate::common::{num, print_json, OutputFlags};
use crate::plot;

mod classify;
mod neural;
mod rbm;

/// The bundled data, compiled into the binary so the demo runs from any directory.
const FAITHFUL: &str = include_str!("../../../data/old_faithful.csv");
const DIGITS: &str = include_str!("../../../data/digits_binary.csv");
const RGNP: &str = include_str!("../../../data/sequences/markov_rgnp.csv");
const REC: &str = include_str!("../../../data/sequences/markov_rec.csv");
const GEYSER: &str = include_str!("../../../data/geyser_MASS.csv");
const SPRINKLER: &str = include_str!("../../../data/bayesnets/sprinkler.bif");
const ALARM: &str = include_str!("../../../data/bayesnets/alarm.bif");

/// `genmodels demo`
#[derive(Args, Debug, Clone)]
#[command(
    after_help = "Examples:\n  genmodels demo                 # writes genmodels-demo/report.md and report.html\n  genmodels demo --out /tmp/d --quick"
)]
pub struct DemoArgs {
    /// Folder for the report, pictures and model files.
    #[arg(long, default_value = "genmodels-demo")]
    pub out: PathBuf,
    /// Smaller runs (fewer restarts and iterations), for a smoke test.
    #[arg(long)]
    pub quick: bool,
}

fn md_table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(
        out,
        "|{}|",
        header.iter().map(|_| "---").collect::<Vec<_>>().join("|")
    );
    for r in rows {
        let _ = writeln!(out, "| {} |", r.join(" | "));
    }
    out.push('\n');
}

/// Runs the demo.
pub fn run(a: &DemoArgs, out: &OutputFlags) -> Result<()> {
    let start = Instant::now();
    std::fs::create_dir_all(&a.out).with_context(|| format!("creating {}", a.out.display()))?;
    let path_of = |name: &str| a.out.join(name);
    let show = !out.quiet && !out.json;
    let progress = |what: &str| {
        if show {
            eprintln!("demo: {what} ({:.1} s)", start.elapsed().as_secs_f64());
        }
    };
    let mut md = String::new();
    let _ = writeln!(md, "# genmodels demo report\n");
    let _ = writeln!(
        md,
        "Made by `genmodels demo{}` (genmodels {}).\n",
        if a.quick { " --quick" } else { "" },
        env!("CARGO_PKG_VERSION")
    );

    // --- Old Faithful: Gaussian mixture, K and covariance type chosen by BIC -----------------
    progress("Gaussian mixtures on Old Faithful, K = 1..6 × 4 covariance types");
    let t0 = Instant::now();
    let table =
        parse_csv(FAITHFUL.as_bytes(), Path::new("data/old_faithful.csv"))?.numeric(None)?;
    let x = table.data.view();
    let n_init = if a.quick { 1 } else { 3 };
    let base = GaussianMixture::params(1)
        .n_init(n_init)
        .seed(0)
        .tol(1e-6)
        .max_iter(500);
    let ks: Vec<usize> = (1..=6).collect();
    let sel = select_gaussian_mixture(
        &base,
        &ks,
        &CovarianceType::ALL,
        Criterion::Bic,
        x,
        &mut Silent,
    )?;
    let mut gmm = sel.best.clone();
    gmm.feature_names = Some(table.names.clone());
    save_model(&gmm, &path_of("faithful.json"))?;
    let faithful_secs = t0.elapsed().as_secs_f64();

    let _ = writeln!(md, "## Gaussian mixture: Old Faithful eruptions\n");
    let _ = writeln!(
        md,
        "272 eruptions of the Old Faithful geyser (eruption length in minutes, waiting time to the next \
         eruption in minutes). Every K from 1 to 6 and every covariance type was fitted by EM \
         (k-means start, {n_init} restart(s), seed 0); the lowest BIC wins: **K = {}, {} covariance** \
         (fitted in {:.2} s in all). Waiting times are whole minutes, so some candidates put a \
         component on a single repeated value, where its variance shrinks to `reg_covar` and the \
         likelihood becomes a spike; those are marked *collapsed* and passed over (scikit-learn \
         would pick them).\n",
        gmm.n_components(),
        gmm.covariance_type(),
        faithful_secs
    );
    let rows: Vec<Vec<String>> = sel
        .table
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mark = if i == sel.best_index {
                " **← chosen**"
            } else if r.collapsed {
                " (collapsed)"
            } else {
                ""
            };
            vec![
                r.n_components.to_string(),
                r.covariance_type.to_string(),
                r.n_parameters.to_string(),
                num(r.log_likelihood),
                format!("{}{mark}", num(r.bic)),
                num(r.aic),
            ]
        })
        .collect();
    md_table(
        &mut md,
        &[
            "K",
            "covariance",
            "parameters",
            "log-lik / row",
            "BIC",
            "AIC",
        ],
        &rows,
    );
    let _ = writeln!(md, "The chosen model:\n");
    let rows: Vec<Vec<String>> = (0..gmm.n_components())
        .map(|c| {
            let cov = gmm.components.full_covariance(c);
            vec![
                c.to_string(),
                num(gmm.weights[c]),
                num(gmm.components.means[[c, 0]]),
                num(gmm.components.means[[c, 1]]),
                num(cov[[0, 0]].sqrt()),
                num(cov[[1, 1]].sqrt()),
                num(cov[[0, 1]] / (cov[[0, 0]] * cov[[1, 1]]).sqrt()),
            ]
        })
        .collect();
    md_table(
        &mut md,
        &[
            "component",
            "weight",
            "mean eruptions",
            "mean waiting",
            "sd eruptions",
            "sd waiting",
            "correlation",
        ],
        &rows,
    );

    let means: Vec<(f64, f64)> = gmm
        .components
        .means
        .outer_iter()
        .map(|r| (r[0], r[1]))
        .collect();
    let covs: Vec<[[f64; 2]; 2]> = (0..gmm.n_components())
        .map(|c| {
            let s = gmm.components.full_covariance(c);
            [[s[[0, 0]], s[[0, 1]]], [s[[1, 0]], s[[1, 1]]]]
        })
        .collect();
    let pts: Vec<(f64, f64)> = x.outer_iter().map(|r| (r[0], r[1])).collect();
    let labels = gmm.predict(x)?.to_vec();
    plot::gmm_scatter(
        &path_of("faithful.png"),
        &format!(
            "Old Faithful: {}-component Gaussian mixture ({})",
            gmm.n_components(),
            gmm.covariance_type()
        ),
        "eruptions (min)",
        "waiting (min)",
        Some((&pts, &labels)),
        &means,
        &covs,
        &gmm.weights.to_vec(),
    )?;
    let series: Vec<(String, Vec<(f64, f64)>)> = CovarianceType::ALL
        .iter()
        .map(|t| {
            let v = sel
                .table
                .iter()
                .filter(|r| r.covariance_type == *t && r.error.is_none())
                .map(|r| (r.n_components as f64, r.bic))
                .collect();
            (format!("BIC ({t})"), v)
        })
        .collect();
    let s: Vec<(&str, Vec<(f64, f64)>)> = series
        .iter()
        .map(|(n, v)| (n.as_str(), v.clone()))
        .collect();
    plot::line_chart(
        &path_of("faithful_bic.png"),
        "Old Faithful: BIC by K and covariance type",
        "K",
        "BIC (lower is better)",
        &s,
    )?;
    let _ = writeln!(
        md,
        "![scatter with 1σ and 2σ ellipses](faithful.png)\n\n![BIC against K](faithful_bic.png)\n"
    );

    // Conditional use: eruptions given waiting.
    let mut rng = rng_from_seed(1);
    let given = gmm.sample_given([None, Some(80.0)].as_slice(), 2000, &mut rng)?;
    let cond_mean = gmm.impute(ndarray::array![[f64::NAN, 80.0], [f64::NAN, 55.0]].view())?;
    let _ = writeln!(
        md,
        "Conditional use: given a waiting time of 80 min the expected eruption length is **{} min** \
         (given 55 min: {} min); 2000 draws of eruptions | waiting = 80 have mean {} and sd {}.\n",
        num(cond_mean[[0, 0]]),
        num(cond_mean[[1, 0]]),
        num(given.column(0).mean().unwrap_or(f64::NAN)),
        num(given.column(0).std(1.0))
    );
    let samples = gmm.sample(500, &mut rng_from_seed(2))?;
    crate::common::write_table(
        &path_of("faithful_samples.csv"),
        &table.names,
        &samples.x,
        Some((
            "component",
            samples.component.iter().map(|c| c.to_string()).collect(),
        )),
    )?;
    let _ = writeln!(md, "500 new eruptions drawn from the model: `faithful_samples.csv`; the model itself: `faithful.json`.\n");

    // --- Hidden Markov models: GNP regimes and geyser eruptions ------------------------------
    progress("hidden Markov models: GNP regimes, geyser eruptions");
    let t_hmm = Instant::now();
    let rgnp =
        parse_csv(RGNP.as_bytes(), Path::new("data/sequences/markov_rgnp.csv"))?.numeric(None)?;
    let rec =
        parse_csv(REC.as_bytes(), Path::new("data/sequences/markov_rec.csv"))?.numeric(None)?;
    let seqs = Sequences::single(rgnp.data.clone()).map_err(genmodels::core::Error::from)?;
    let n_init = if a.quick { 2 } else { 10 };
    let hmm = HmmParams::new(2, GaussianInit::new(CovarianceType::Diag))
        .max_iter(500)
        .tol(1e-8)
        .n_init(n_init)
        .seed(0)
        .fit(&seqs)?;
    let decoded = hmm.decode(&seqs)?;
    let path = &decoded[0].1;
    // The state with the lower mean growth is the recession regime.
    let low = if hmm.emission.means[[0, 0]] < hmm.emission.means[[1, 0]] {
        0
    } else {
        1
    };
    let agree = path
        .iter()
        .zip(rec.data.column(0))
        .filter(|(s, r)| ((**s == low) as u8 as f64) == **r)
        .count();
    let agreement = agree as f64 / path.len() as f64;
    let series: Vec<(f64, f64)> = rgnp
        .data
        .column(0)
        .iter()
        .enumerate()
        .map(|(t, v)| (t as f64, *v))
        .collect();
    plot::gmm_scatter(
        &path_of("rgnp_states.png"),
        "US real GNP growth, coloured by decoded regime (0 and 1 = HMM states)",
        "quarter since 1951Q2",
        "growth (%)",
        Some((&series, path)),
        &[],
        &[],
        &[],
    )?;
    save_model(&hmm, &path_of("rgnp_hmm.json"))?;
    let _ = writeln!(md, "## Hidden Markov model: recessions in US GNP growth\n");
    let _ = writeln!(
        md,
        "Hamilton's quarterly US real GNP growth, 1951Q2–1984Q4 (135 quarters). A 2-state Gaussian HMM \
         (Baum-Welch, {n_init} restarts) finds a low-growth regime (mean {} %, sd {}) and a high-growth \
         one (mean {} %, sd {}); expected durations {} and {} quarters. The Viterbi path agrees with \
         the NBER recession indicator on **{:.1} %** of quarters.\n",
        num(hmm.emission.means[[low, 0]]),
        num(hmm.emission.full_covariance(low)[[0, 0]].sqrt()),
        num(hmm.emission.means[[1 - low, 0]]),
        num(hmm.emission.full_covariance(1 - low)[[0, 0]].sqrt()),
        num(hmm.expected_durations()[low]),
        num(hmm.expected_durations()[1 - low]),
        100.0 * agreement
    );
    let _ = writeln!(md, "![GNP growth by regime](rgnp_states.png)\n");

    let geyser = parse_csv(GEYSER.as_bytes(), Path::new("data/geyser_MASS.csv"))?
        .numeric(Some(&["waiting".to_string(), "duration".to_string()]))?;
    let gseq = Sequences::single(geyser.data.clone()).map_err(genmodels::core::Error::from)?;
    let mut rows = Vec::new();
    let mut best: Option<(f64, genmodels::hmm::GaussianHmm)> = None;
    for k in 2..=4 {
        let m = HmmParams::new(
            k,
            GaussianInit {
                covariance: CovarianceType::Full,
                reg_covar: 1e-3,
            },
        )
        .max_iter(500)
        .tol(1e-6)
        .n_init(n_init)
        .seed(0)
        .fit(&gseq)?;
        let c = m.criteria(&gseq)?;
        let bic = c.bic();
        let collapsed = !m.emission.collapsed_components().is_empty();
        rows.push((
            k,
            c.total_log_likelihood,
            c.n_parameters,
            bic,
            c.aic(),
            collapsed,
        ));
        if !collapsed && best.as_ref().is_none_or(|b| bic < b.0) {
            best = Some((bic, m));
        }
    }
    let (_, ghmm) = best.ok_or_else(|| anyhow::anyhow!("every geyser HMM collapsed"))?;
    let gpath = &ghmm.decode(&gseq)?[0].1;
    let gseries: Vec<(f64, f64)> = geyser
        .data
        .column(0)
        .iter()
        .enumerate()
        .map(|(t, v)| (t as f64, *v))
        .collect();
    plot::gmm_scatter(
        &path_of("geyser_states.png"),
        &format!(
            "Old Faithful waiting times in eruption order, coloured by state ({}-state HMM)",
            ghmm.n_states()
        ),
        "eruption",
        "waiting (min)",
        Some((&gseries, gpath)),
        &[],
        &[],
        &[],
    )?;
    let _ = writeln!(
        md,
        "## Hidden Markov model: consecutive Old Faithful eruptions\n"
    );
    let _ = writeln!(
        md,
        "299 consecutive eruptions (waiting time, duration) as one sequence; 2–4 state Gaussian HMMs \
         with full covariances (`reg_covar` 1e-3: some nocturnal durations were recorded as exactly 2, 3 \
         or 4 minutes), chosen by BIC: **{} states**.\n",
        ghmm.n_states()
    );
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|(k, ll, p, bic, aic, collapsed)| {
            let mark = if *k == ghmm.n_states() {
                " **← chosen**"
            } else if *collapsed {
                " (collapsed)"
            } else {
                ""
            };
            vec![
                k.to_string(),
                p.to_string(),
                num(*ll),
                format!("{}{mark}", num(*bic)),
                num(*aic),
            ]
        })
        .collect();
    md_table(
        &mut md,
        &["states", "parameters", "log-likelihood", "BIC", "AIC"],
        &table,
    );
    let trans: Vec<Vec<String>> = (0..ghmm.n_states())
        .map(|i| {
            let mut r = vec![
                i.to_string(),
                num(ghmm.emission.means[[i, 0]]),
                num(ghmm.emission.means[[i, 1]]),
            ];
            r.extend(ghmm.transmat.row(i).iter().map(|p| format!("{p:.3}")));
            r
        })
        .collect();
    let mut header = vec![
        "state".to_string(),
        "mean waiting".into(),
        "mean duration".into(),
    ];
    header.extend((0..ghmm.n_states()).map(|j| format!("→{j}")));
    let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
    md_table(&mut md, &header_refs, &trans);
    let _ = writeln!(md, "![geyser waiting times by state](geyser_states.png)\n");
    let hmm_secs = t_hmm.elapsed().as_secs_f64();
    let _ = writeln!(md, "(HMM section: {hmm_secs:.2} s.)\n");

    // --- Binarised digits: Bernoulli mixture -------------------------------------------------
    progress("Bernoulli mixture on binarised digits");
    let t1 = Instant::now();
    let dt = parse_csv(DIGITS.as_bytes(), Path::new("data/digits_binary.csv"))?;
    let pixel_cols: Vec<String> = (0..64).map(|j| format!("p{j}")).collect();
    let dx = dt.numeric(Some(&pixel_cols))?.data;
    let k = 10;
    let bmm = BernoulliMixture::params(k)
        .n_init(if a.quick { 1 } else { 3 })
        .max_iter(if a.quick { 30 } else { 200 })
        .seed(0)
        .fit(&dx)?;
    save_model(&bmm, &path_of("digits_bernoulli.json"))?;
    let digits_secs = t1.elapsed().as_secs_f64();
    let imgs: Vec<Vec<f64>> = bmm
        .components
        .means
        .outer_iter()
        .map(|r| r.to_vec())
        .collect();
    plot::image_grid(&path_of("digits_means.png"), &imgs, 8, 8, 10)?;
    let labels = dt.numeric(Some(&["digit".to_string()]))?.data;
    let clusters = bmm.predict(dx.view())?;
    // Purity: the share of images whose cluster's majority digit is their own digit.
    let mut counts = vec![[0usize; 10]; k];
    for (c, l) in clusters.iter().zip(labels.column(0).iter()) {
        counts[*c][*l as usize] += 1;
    }
    let purity = counts
        .iter()
        .map(|c| *c.iter().max().unwrap_or(&0))
        .sum::<usize>() as f64
        / dx.nrows() as f64;
    let r = bmm.report.as_ref().expect("fitted");
    let _ = writeln!(md, "## Bernoulli mixture: binarised 8×8 digits\n");
    let _ = writeln!(
        md,
        "1,797 handwritten digits (scikit-learn's copy of UCI optdigits), pixels above 7/16 set to 1. A \
         10-component Bernoulli mixture, fitted by the same EM engine without labels, in {:.2} s \
         ({} iterations, {}; mean log-likelihood {} nats per image). Cluster purity against the true \
         digits: **{:.1} %**. The component means, as images:\n",
        digits_secs,
        r.n_iter,
        if r.converged { "converged" } else { "not converged" },
        num(r.lower_bound),
        100.0 * purity
    );
    let _ = writeln!(md, "![Bernoulli mixture means](digits_means.png)\n");

    progress("Bayesian networks: sprinkler, alarm queries, alarm learned back");
    let bn = bayesnet_section(&mut md, &path_of, a.quick)?;

    let clf = classify::section(&mut md, &path_of, a.quick, &progress)?;
    let rbm = rbm::section(&mut md, &path_of, a.quick, &progress)?;
    let judge = clf.mnist_logistic.as_ref();
    let vae = neural::vae_section(&mut md, &path_of, a.quick, &progress, judge)?;
    let gan = neural::gan_section(&mut md, &path_of, a.quick, &progress, judge)?;

    let total = start.elapsed().as_secs_f64();
    let _ = writeln!(md, "---\nWhole demo: {total:.2} s.");
    let report = path_of("report.md");
    write_atomic(&report, |w| w.write_all(md.as_bytes()))
        .with_context(|| format!("writing {}", report.display()))?;
    progress("writing the report");
    let html = path_of("report.html");
    let page = report_html(&md, &a.out)?;
    write_atomic(&html, |w| w.write_all(page.as_bytes()))
        .with_context(|| format!("writing {}", html.display()))?;
    if out.json {
        print_json(&json!({
            "report": report.display().to_string(),
            "faithful": {"n_components": gmm.n_components(), "covariance_type": gmm.covariance_type().name(), "bic": sel.table[sel.best_index].bic},
            "digits": {"n_components": k, "purity": purity, "log_likelihood": r.lower_bound},
            "gnp": {"agreement_with_nber": agreement},
            "geyser": {"n_states": ghmm.n_states()},
            "bayesnet": {"p_rain_given_wet": bn.p_rain_given_wet, "alarm_learned_shd": bn.shd, "alarm_learned_edges": bn.learned_edges},
            "classifiers": clf.rows.iter().map(|r| json!({"data": r.data, "model": r.model, "kind": r.kind, "accuracy": r.accuracy, "log_loss": r.log_loss})).collect::<Vec<_>>(),
            "rbm": rbm.as_ref().map(|r| json!({"test_log_likelihood": r.test_log_likelihood, "log_z_stderr": r.log_z_stderr})),
            "vae": vae.as_ref().map(|v| json!({"test_iwae": v.test_log_likelihood, "iwae_k": v.iwae_k, "test_elbo": v.test_elbo})),
            "gan": gan.as_ref().map(|g| json!({"digit_shares": g.digit_shares, "two_sample_accuracy": g.two_sample_accuracy})),
            "seconds": total,
        }));
    } else {
        println!(
            "Old Faithful: BIC chose K = {} ({} covariance) among K = 1..6 × 4 covariance types",
            gmm.n_components(),
            gmm.covariance_type()
        );
        println!(
            "  expected eruption length given waiting = 80 min: {} min",
            num(cond_mean[[0, 0]])
        );
        println!(
            "Digits: 10-component Bernoulli mixture, cluster purity {:.1} %",
            100.0 * purity
        );
        println!(
            "GNP: 2-state HMM regimes agree with NBER recessions on {:.1} % of quarters",
            100.0 * agreement
        );
        println!(
            "Geyser: BIC chose a {}-state HMM among 2..4",
            ghmm.n_states()
        );
        println!(
            "Sprinkler network: P(rain | grass wet) = {:.3}; alarm network learned back from {} sampled rows with {} wrong edges (SHD)",
            bn.p_rain_given_wet, bn.rows, bn.shd
        );
        for r in clf.rows.iter().filter(|r| r.data == "MNIST") {
            println!(
                "MNIST: {} ({}) {:.1} % test accuracy",
                r.model,
                r.kind,
                100.0 * r.accuracy
            );
        }
        if let Some(r) = &rbm {
            println!(
                "RBM on MNIST: mean test log-likelihood {:.2} nats (AIS estimate, log Z ± {:.2})",
                r.test_log_likelihood, r.log_z_stderr
            );
        }
        if let Some(v) = &vae {
            println!(
                "VAE on MNIST: mean test IWAE({}) {:.2} nats (ELBO {:.2})",
                v.iwae_k, v.test_log_likelihood, v.test_elbo
            );
        }
        if let Some(g) = &gan {
            if let Some(s) = &g.digit_shares {
                println!(
                    "GAN on MNIST: {} of the 10 digits make up 2 % or more of its samples",
                    s.iter().filter(|&&v| v >= 0.02).count()
                );
            }
            println!(
                "GAN on MNIST: a fresh discriminator tells real from generated with {:.1} % accuracy",
                100.0 * g.two_sample_accuracy
            );
        }
        println!(
            "wrote {} (and pictures, models, samples) in {:.2} s",
            report.display(),
            total
        );
    }
    Ok(())
}

/// What the Bayesian-network section found (for the summary).
struct BnSummary {
    p_rain_given_wet: f64,
    rows: usize,
    shd: usize,
    learned_edges: usize,
}

/// The sprinkler network's joint table and questions to it; a query and the MPE on alarm with
/// its graph; alarm learned back from data sampled from it.
fn bayesnet_section(
    md: &mut String,
    path_of: &dyn Fn(&str) -> PathBuf,
    quick: bool,
) -> Result<BnSummary> {
    use genmodels::bayesnet::formats::{parse_bif, to_svg, write_network};
    use genmodels::bayesnet::inference::{mpe, VariableElimination};
    use genmodels::bayesnet::learn::{
        data_variables, fit_parameters, Dag, Estimator, HillClimb, ScoreKind,
    };

    let t0 = Instant::now();
    let net = parse_bif(SPRINKLER, Path::new("data/bayesnets/sprinkler.bif"))?;
    let joint = net.joint()?;
    let _ = writeln!(md, "## Bayesian network: rain, sprinkler, wet grass\n");
    let _ = writeln!(
        md,
        "Rain makes it less likely that the sprinkler is on; both wet the grass. The graph and its \
         three tables (`data/bayesnets/sprinkler.bif`) give the whole joint distribution, the \
         product of the tables:\n"
    );
    let rows: Vec<Vec<String>> = (0..joint.values().len())
        .map(|i| {
            let mut r: Vec<String> = joint
                .assignment(i)
                .iter()
                .zip(joint.vars())
                .map(|(&s, &v)| net.variable(v).states[s].clone())
                .collect();
            r.push(format!("{:.5}", joint.values()[i]));
            r
        })
        .collect();
    md_table(md, &["rain", "sprinkler", "grass_wet", "P"], &rows);
    let ve = VariableElimination::new(&net);
    let rain = net.index_of("rain")?;
    let wet = net.evidence(&[("grass_wet", "yes")])?;
    let on = net.evidence(&[("sprinkler", "on")])?;
    let p_rain_given_wet = ve.query(&[rain], &wet)?.values()[0];
    let p_seen_on = ve.query(&[rain], &on)?.values()[0];
    let p_do_on = ve.query_do(&[rain], &[], &on)?.values()[0];
    let _ = writeln!(
        md,
        "Read the other way: the grass is wet — did it rain? P(rain = yes | grass_wet = yes) = \
         **{p_rain_given_wet:.4}** (0.2 before looking). *Seeing* the sprinkler on makes rain less \
         likely, P(rain = yes | sprinkler = on) = {p_seen_on:.4}; *switching it on* by hand says \
         nothing about the weather, P(rain = yes | do(sprinkler = on)) = {p_do_on:.4}.\n"
    );

    let alarm = parse_bif(ALARM, Path::new("data/bayesnets/alarm.bif"))?;
    let targets = [alarm.index_of("HYPOVOLEMIA")?, alarm.index_of("LVFAILURE")?];
    let ev = alarm.evidence(&[("BP", "LOW")])?;
    let mut highlight = targets.to_vec();
    highlight.push(alarm.index_of("BP")?);
    let svg = to_svg(&alarm, &highlight);
    write_atomic(&path_of("alarm.svg"), |w| w.write_all(svg.as_bytes()))
        .context("writing alarm.svg")?;
    let q = VariableElimination::new(&alarm).query(&targets, &ev)?;
    let (best, log_p) = mpe(&alarm, &ev)?;
    let _ = writeln!(md, "## Bayesian network: the ALARM monitoring network\n");
    let _ = writeln!(
        md,
        "37 variables and 46 arcs (Beinlich et al. 1989; `data/bayesnets/alarm.bif`), drawn \
         without Graphviz (the query's variables filled):\n\n![alarm](alarm.svg)\n\n\
         Blood pressure is low: how likely are hypovolaemia and left-ventricular failure, \
         jointly? (`genmodels query alarm.bif --target HYPOVOLEMIA,LVFAILURE --evidence BP=LOW --joint`)\n"
    );
    let rows: Vec<Vec<String>> = (0..q.values().len())
        .map(|i| {
            let st = q.assignment(i);
            vec![
                alarm.variable(targets[0]).states[st[0]].clone(),
                alarm.variable(targets[1]).states[st[1]].clone(),
                format!("{:.4}", q.values()[i]),
            ]
        })
        .collect();
    md_table(
        md,
        &["HYPOVOLEMIA", "LVFAILURE", "probability given BP = LOW"],
        &rows,
    );
    let named: Vec<String> = targets
        .iter()
        .chain([alarm.index_of("CVP")?, alarm.index_of("CO")?].iter())
        .map(|&v| {
            format!(
                "{} = {}",
                alarm.variable(v).name,
                alarm.variable(v).states[best[v]]
            )
        })
        .collect();
    let _ = writeln!(
        md,
        "The most probable explanation of all 36 other variables given BP = LOW has probability \
         {:.3e} jointly with the evidence; in it {}.\n",
        log_p.exp(),
        named.join(", ")
    );

    // Learning alarm back from data sampled from it.
    let rows_n = if quick { 2_000 } else { 10_000 };
    let data = alarm.sample(rows_n, &mut rng_from_seed(0))?;
    let t1 = Instant::now();
    let found = HillClimb::new(ScoreKind::Bic).fit(&data)?;
    let learned = fit_parameters(&data_variables(&data), &found.dag, &data, Estimator::Mle)?;
    let learn_secs = t1.elapsed().as_secs_f64();
    write_network(&learned, &path_of("alarm_learned.bif"))?;
    let truth = Dag::from_network(&alarm);
    let cmp = found.dag.compare(&truth)?;
    let _ = writeln!(
        md,
        "Learning it back: {rows_n} rows sampled from the network, then hill climbing on BIC \
         (tabu list, no restarts) and maximum-likelihood tables, in {learn_secs:.2} s. The learned \
         graph has {} arcs against the true 46: {} missing, {} extra, {} reversed — a structural \
         Hamming distance of **{}** (`alarm_learned.bif`). Reversals are often unavoidable: data \
         cannot tell apart graphs of the same equivalence class.\n",
        found.dag.n_edges(),
        cmp.missing,
        cmp.extra,
        cmp.reversed,
        cmp.shd()
    );
    let _ = writeln!(
        md,
        "(Bayesian networks: {:.2} s.)\n",
        t0.elapsed().as_secs_f64()
    );
    Ok(BnSummary {
        p_rain_given_wet,
        rows: rows_n,
        shd: cmp.shd(),
        learned_edges: found.dag.n_edges(),
    })
}

/// The report as one self-contained HTML page: the Markdown rendered by `pulldown-cmark`, every
/// picture it links (PNG or SVG in `dir`) embedded as a data URI, so the file can be mailed.
fn report_html(md: &str, dir: &Path) -> Result<String> {
    use base64::Engine as _;
    use pulldown_cmark::{html, CowStr, Event, Options, Parser, Tag};
    let mut events = Vec::new();
    for ev in Parser::new_ext(md, Options::ENABLE_TABLES) {
        let ev = match ev {
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let mime = if dest_url.ends_with(".svg") {
                    "image/svg+xml"
                } else {
                    "image/png"
                };
                let bytes = std::fs::read(dir.join(dest_url.as_ref()))
                    .with_context(|| format!("embedding {dest_url} in report.html"))?;
                let uri = format!(
                    "data:{mime};base64,{}",
                    base64::engine::general_purpose::STANDARD.encode(bytes)
                );
                Event::Start(Tag::Image {
                    link_type,
                    dest_url: CowStr::from(uri),
                    title,
                    id,
                })
            }
            other => other,
        };
        events.push(ev);
    }
    let mut body = String::new();
    html::push_html(&mut body, events.into_iter());
    Ok(format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>genmodels demo report</title><style>\
         body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#222}}\
         table{{border-collapse:collapse;margin:1rem 0}}td,th{{border:1px solid #ccc;padding:.2rem .6rem;text-align:right}}\
         th{{background:#f3f3f3}}img{{max-width:100%}}code{{background:#f3f3f3;padding:0 .2rem}}\
         </style></head><body>\n{body}</body></html>\n"
    ))
}
