//! The demo's RBM section: a Bernoulli RBM trained by persistent contrastive divergence on
//! binarised MNIST, its filters, Gibbs samples, and an AIS estimate of its test
//! log-likelihood — small, so the whole demo stays within minutes on two cores.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use genmodels::core::Fit;
use genmodels::io::images::{write_png_grid, Images};
use genmodels::neural::neural_rng;
use genmodels::neural::rbm::{AisParams, GibbsStart, Method, RbmParams};
use ndarray::Array2;

/// What the section measured, for the summary.
pub struct Summary {
    /// Mean test log-likelihood (nats, AIS estimate).
    pub test_log_likelihood: f64,
    /// Standard error of the AIS log Z.
    pub log_z_stderr: f64,
}

/// Runs the section, appends it to `md`, writes its pictures with `path_of`. `None` when the
/// bundled MNIST files are missing.
pub fn section(
    md: &mut String,
    path_of: &dyn Fn(&str) -> PathBuf,
    quick: bool,
    progress: &dyn Fn(&str),
) -> Result<Option<Summary>> {
    let train_path = super::classify::mnist("train-images-idx3-ubyte.gz");
    if !train_path.exists() {
        return Ok(None);
    }
    let (n_train, hidden, epochs, n_test) = if quick {
        (1_000, 25, 1, 200)
    } else {
        (10_000, 100, 5, 1_000)
    };
    progress(&format!(
        "RBM: {hidden} hidden units, PCD, {epochs} epoch(s) on {n_train} binarised MNIST images"
    ));
    let t = Instant::now();
    let train = Images::read(&train_path)?.head(n_train).binarize(0.5);
    let test = Images::read(&super::classify::mnist("t10k-images-idx3-ubyte.gz"))?
        .head(n_test)
        .binarize(0.5);
    let rbm = RbmParams::new(hidden)
        .method(Method::Pcd)
        .epochs(epochs)
        .batch_size(100)
        .learning_rate(0.05)
        .seed(0)
        .fit(&train)?;
    let fit_secs = t.elapsed().as_secs_f64();

    // Filters: each hidden unit's weights as an image, scaled to [0, 1] per unit.
    let (w, _, _, _) = rbm.parameters();
    let show = hidden.min(64);
    let mut filters = Array2::<f32>::zeros((show, 784));
    for j in 0..show {
        let col = w.column(j);
        let (lo, hi) = col
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        let span = (hi - lo).max(1e-6);
        filters.row_mut(j).assign(&col.mapv(|v| (v - lo) / span));
    }
    write_png_grid(&path_of("rbm_filters.png"), filters.view(), (28, 28), 8, 2)?;

    // Samples: 32 chains from random starts, 1000 Gibbs steps (100 in --quick).
    let steps = if quick { 100 } else { 1000 };
    let mut rng = neural_rng(1);
    let s = rbm.gibbs(32, steps, GibbsStart::Random, &mut rng)?;
    write_png_grid(&path_of("rbm_samples.png"), s.means.view(), (28, 28), 8, 2)?;

    // AIS: log Z, then the mean test log-likelihood, marked as an estimate.
    let ais = AisParams {
        runs: if quick { 10 } else { 50 },
        betas: if quick { 300 } else { 3_000 },
        seed: 0,
    };
    let t = Instant::now();
    let log_z = rbm.ais_log_z(Some(train.pixels.view()), &ais)?;
    let ll = rbm.log_likelihood_given(test.pixels.view(), &log_z)?;
    let mean_ll = ll.mean().unwrap_or(f64::NAN);
    let ais_secs = t.elapsed().as_secs_f64();

    let _ = writeln!(md, "## Restricted Boltzmann machine: binarised MNIST\n");
    let _ = writeln!(
        md,
        "A Bernoulli RBM with {hidden} hidden units, trained by persistent contrastive divergence \
         (batch 100, learning rate 0.05, seed 0) for {epochs} epoch(s) on the first {n_train} \
         training images binarised at 0.5, in {fit_secs:.1} s — deliberately small so the demo \
         stays short (the README's figures come from 500 hidden units and many more epochs). \
         Annealed importance sampling ({} runs × {} temperatures, base-rate start, {ais_secs:.1} s) \
         estimates log Z = {:.2} ± {:.2}, so the mean log-likelihood of the first {n_test} test \
         images is **{mean_ll:.2} nats** (an estimate; Salakhutdinov & Murray report about −125 \
         for CD-1 and −86.3 for CD-25 with 500 hidden units).\n",
        ais.runs, ais.betas, log_z.log_z, log_z.stderr
    );
    let _ = writeln!(
        md,
        "Filters (the weights of {show} hidden units, each scaled to black–white) and \
         E[v | h] after {steps} Gibbs steps from random starts:\n\n![RBM filters](rbm_filters.png)\n\n![RBM samples](rbm_samples.png)\n"
    );
    Ok(Some(Summary {
        test_log_likelihood: mean_ll,
        log_z_stderr: log_z.stderr,
    }))
}
