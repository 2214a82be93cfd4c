//! `genmodels demo`: every family on the bundled data, one file per section, with a report.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Args;
use genmodels::io::write_atomic;
use serde_json::json;

use crate::common::{num, print_json, OutputFlags};

mod bayesnet;
mod classify;
mod digits;
mod faithful;
mod hmm;
mod neural;
mod rbm;
mod report;

use report::report_html;

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

/// Runs the demo: each section appends to the report and returns what the summary prints.
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

    let f = faithful::section(&mut md, &path_of, a.quick, &progress)?;
    let h = hmm::section(&mut md, &path_of, a.quick, &progress)?;
    let d = digits::section(&mut md, &path_of, a.quick, &progress)?;
    progress("Bayesian networks: sprinkler, alarm queries, alarm learned back");
    let bn = bayesnet::section(&mut md, &path_of, a.quick)?;

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
            "faithful": {"n_components": f.gmm.n_components(), "covariance_type": f.gmm.covariance_type().name(), "bic": f.bic},
            "digits": {"n_components": d.k, "purity": d.purity, "log_likelihood": d.log_likelihood},
            "gnp": {"agreement_with_nber": h.agreement},
            "geyser": {"n_states": h.geyser_states},
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
            f.gmm.n_components(),
            f.gmm.covariance_type()
        );
        println!(
            "  expected eruption length given waiting = 80 min: {} min",
            num(f.eruption_given_80)
        );
        println!(
            "Digits: 10-component Bernoulli mixture, cluster purity {:.1} %",
            100.0 * d.purity
        );
        println!(
            "GNP: 2-state HMM regimes agree with NBER recessions on {:.1} % of quarters",
            100.0 * h.agreement
        );
        println!(
            "Geyser: BIC chose a {}-state HMM among 2..4",
            h.geyser_states
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
