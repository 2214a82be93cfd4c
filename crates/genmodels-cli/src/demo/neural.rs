//! The demo's VAE and GAN sections on MNIST: a variational autoencoder (samples, its IWAE
//! log-likelihood bound, an interpolation and a latent attribute shift) and a GAN (samples,
//! which digits they are read as, a two-sample test), each small enough that the demo stays
//! within minutes on two cores. Generated digits are judged by the classification section's logistic
//! regression: a reader can see whether a "7" asked for is read as a 7.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use genmodels::core::Silent;
use genmodels::io::images::write_png_grid;
use genmodels::neural::eval::two_sample_test;
use genmodels::neural::gan::{Gan, GanConfig};
use genmodels::neural::logistic::LogisticRegression;
use genmodels::neural::neural_rng;
use genmodels::neural::train::TrainConfig;
use genmodels::neural::vae::{Vae, VaeConfig};
use ndarray::{concatenate, Array2, Axis};

use super::classify::{load_mnist, mnist};

/// What the VAE section measured, for the summary.
pub struct VaeSummary {
    /// Mean IWAE bound on the test images (nats).
    pub test_log_likelihood: f64,
    /// Importance samples per image.
    pub iwae_k: usize,
    /// Mean ELBO on the same images.
    pub test_elbo: f64,
}

/// What the GAN section measured, for the summary.
pub struct GanSummary {
    /// Share of generated images the logistic regression reads as each digit.
    pub digit_shares: Option<Vec<f64>>,
    /// Held-out accuracy of a fresh discriminator telling real from generated (0.5: can't).
    pub two_sample_accuracy: f64,
}

/// The class the logistic regression gives each image.
fn read_as(judge: &LogisticRegression, images: &Array2<f32>) -> Result<Vec<usize>> {
    Ok(judge.predict(&images.mapv(f64::from))?)
}

/// The first index of each wanted label.
fn first_of(labels: &[usize], wanted: usize, skip: usize) -> Option<usize> {
    labels
        .iter()
        .enumerate()
        .filter(|(_, &l)| l == wanted)
        .nth(skip)
        .map(|(i, _)| i)
}

/// Runs the VAE section and appends it to `md`. `None` when the bundled MNIST is missing.
pub fn vae_section(
    md: &mut String,
    path_of: &dyn Fn(&str) -> PathBuf,
    quick: bool,
    progress: &dyn Fn(&str),
    judge: Option<&LogisticRegression>,
) -> Result<Option<VaeSummary>> {
    if !mnist("train-images-idx3-ubyte.gz").exists() {
        return Ok(None);
    }
    let (n_train, epochs, n_test, k) = if quick {
        (1_000, 1, 200, 10)
    } else {
        (10_000, 10, 1_000, 100)
    };
    progress(&format!(
        "VAE: 784-400-20 MLP, {epochs} epoch(s) on {n_train} binarised MNIST images"
    ));
    let data = load_mnist(n_train, n_test)?;
    let train = data.train.binarize(0.5).pixels;
    let test = data.test.binarize(0.5).pixels;
    let config = VaeConfig::mlp(784, (28, 28));
    let vae = Vae::new(config, 0)?;
    let tc = TrainConfig {
        epochs,
        batch_size: 100,
        lr: 1e-3,
        seed: 0,
        ..TrainConfig::default()
    };
    let t = Instant::now();
    let vae = vae.train(&train, None, &tc, None, &mut Silent, &mut |_, _| Ok(()))?;
    let fit_secs = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let elbo = vae
        .elbo(&test, None, &mut neural_rng(1))?
        .mean()
        .unwrap_or(f64::NAN);
    let iwae = vae
        .iwae(&test, None, k, &mut neural_rng(2))?
        .mean()
        .unwrap_or(f64::NAN);
    let score_secs = t.elapsed().as_secs_f64();

    // Samples from the prior: the decoder's pixel probabilities.
    let samples = vae.sample(64, None, &mut neural_rng(3))?;
    write_png_grid(&path_of("vae_samples.png"), samples.view(), (28, 28), 8, 2)?;

    // Interpolations between test digits: 0→1, 2→7, 3→8, 4→9, ten steps each.
    let steps = 10;
    let mut rows = Vec::new();
    let mut pairs = Vec::new();
    for (a, b) in [(0, 1), (2, 7), (3, 8), (4, 9)] {
        let ia = first_of(&data.test_labels, a, 0);
        let ib = first_of(&data.test_labels, b, 0);
        if let (Some(ia), Some(ib)) = (ia, ib) {
            let row = vae.interpolate(
                test.row(ia).as_slice().expect("contiguous"),
                test.row(ib).as_slice().expect("contiguous"),
                steps,
                None,
            )?;
            rows.push(row);
            pairs.push(format!("{a}→{b}"));
        }
    }
    let interp_views: Vec<_> = rows.iter().map(|r| r.view()).collect();
    if !interp_views.is_empty() {
        let grid = concatenate(Axis(0), &interp_views)?;
        write_png_grid(
            &path_of("vae_interpolation.png"),
            grid.view(),
            (28, 28),
            steps,
            2,
        )?;
    }

    // A latent attribute shift: the direction from the mean latent code of the training 4s to
    // that of the training 9s, added to test 4s in growing amounts.
    let direction = vae.attribute_vector(&train, &data.train_labels, 4, 9)?;
    let fours: Vec<usize> = data
        .test_labels
        .iter()
        .enumerate()
        .filter(|(_, &l)| l == 4)
        .map(|(i, _)| i)
        .take(8)
        .collect();
    let x4 = test.select(Axis(0), &fours);
    let amounts = [0.0f32, 0.5, 1.0, 1.5, 2.0];
    let mut shifted = Vec::new();
    for &a in &amounts {
        shifted.push(vae.shift(&x4, &direction, a)?);
    }
    let cols = amounts.len() + 1;
    let mut grid = Array2::<f32>::zeros((fours.len() * cols, 784));
    for (r, &i) in fours.iter().enumerate() {
        grid.row_mut(r * cols).assign(&test.row(i));
        for (c, s) in shifted.iter().enumerate() {
            grid.row_mut(r * cols + c + 1).assign(&s.row(r));
        }
    }
    if !fours.is_empty() {
        write_png_grid(&path_of("vae_shift.png"), grid.view(), (28, 28), cols, 2)?;
    }
    let mut read_note = String::new();
    if let (Some(judge), false) = (judge, fours.is_empty()) {
        let shares: Vec<String> = shifted
            .iter()
            .zip(amounts)
            .map(|(s, a)| -> Result<String> {
                let nines = read_as(judge, s)?.iter().filter(|&&c| c == 9).count();
                Ok(format!("{nines}/{} at {a}", fours.len()))
            })
            .collect::<Result<_>>()?;
        read_note = format!(
            " The logistic regression of the classification section reads the decoded images \
             as a 9 in {}.",
            shares.join(", ")
        );
    }

    let _ = writeln!(md, "## Variational autoencoder: binarised MNIST\n");
    let _ = writeln!(
        md,
        "An MLP VAE (784-400-20-400-784, ReLU, Bernoulli pixels; Kingma & Welling's MNIST model) \
         trained with Adam (learning rate 0.001, batch 100, seed 0) for {epochs} epoch(s) on the \
         first {n_train} training images binarised at 0.5, in {fit_secs:.1} s — kept small so the \
         demo stays short. On the first {n_test} test images (binarised the same way, so the \
         numbers compare with the RBM's): mean ELBO {elbo:.2} nats and importance-weighted bound \
         IWAE({k}) **{iwae:.2} nats** ({score_secs:.1} s; a lower bound on the log-likelihood, \
         tighter as k grows).\n"
    );
    let _ = writeln!(
        md,
        "Samples from the prior (the decoder's pixel probabilities), and the latent path between \
         the first test images of {} (each row: decoded from the straight line between the two \
         latent means, both ends included):\n\n![VAE samples](vae_samples.png)\n\n![VAE interpolation](vae_interpolation.png)\n",
        pairs.join(", ")
    );
    let _ = writeln!(
        md,
        "A latent shift from 4 to 9: the direction is the mean latent code of the training 9s \
         minus that of the training 4s. Each row is a test 4: the image, then its decoding moved \
         by {} times that direction.{read_note}\n\n![VAE shift 4 to 9](vae_shift.png)\n",
        amounts
            .iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(Some(VaeSummary {
        test_log_likelihood: iwae,
        iwae_k: k,
        test_elbo: elbo,
    }))
}

/// Runs the GAN section and appends it to `md`. `None` when the bundled MNIST is missing.
pub fn gan_section(
    md: &mut String,
    path_of: &dyn Fn(&str) -> PathBuf,
    quick: bool,
    progress: &dyn Fn(&str),
    judge: Option<&LogisticRegression>,
) -> Result<Option<GanSummary>> {
    if !mnist("train-images-idx3-ubyte.gz").exists() {
        return Ok(None);
    }
    // A GAN needs many generator steps before its samples vary with the noise (with these
    // settings, a few thousand): all 60,000 training images, batch 128, 8 epochs ≈ 3,750 steps.
    // Unconditional: a conditional GAN of this size still ignored its label after that many
    // steps (every row of a per-class grid came out the same).
    let (n_train, epochs, n_eval) = if quick {
        (1_000, 1, 200)
    } else {
        (60_000, 8, 1_000)
    };
    progress(&format!(
        "GAN: MLP GAN, {epochs} epoch(s) on {n_train} MNIST images"
    ));
    let data = load_mnist(n_train, n_eval)?;
    let config = GanConfig {
        g_hidden: vec![128],
        d_hidden: vec![128],
        ..GanConfig::mlp(784, (28, 28))
    };
    let gan = Gan::new(config, 0)?;
    let tc = TrainConfig {
        epochs,
        batch_size: 128,
        lr: 1e-3,
        seed: 0,
        ..TrainConfig::default()
    };
    let t = Instant::now();
    let gan = gan.train(&data.train.pixels, None, &tc, &mut Silent, &mut |_, _| {
        Ok(())
    })?;
    let fit_secs = t.elapsed().as_secs_f64();

    let grid = gan.sample(64, None, None, &mut neural_rng(1))?;
    write_png_grid(&path_of("gan_samples.png"), grid.view(), (28, 28), 8, 2)?;

    // Judged: which digits the logistic regression reads in n_eval generated images (a GAN
    // that covers every digit spreads them near 10 % each), and a two-sample test.
    let fake = gan.sample(n_eval, None, None, &mut neural_rng(2))?;
    let digit_shares = match judge {
        Some(j) => {
            let mut counts = [0usize; 10];
            for c in read_as(j, &fake)? {
                counts[c.min(9)] += 1;
            }
            Some(counts.map(|c| c as f64 / n_eval as f64).to_vec())
        }
        None => None,
    };
    let t = Instant::now();
    let two = two_sample_test(
        &data.test.pixels,
        &fake,
        if quick { 1 } else { 5 },
        &mut neural_rng(3),
    )?;
    let judge_secs = t.elapsed().as_secs_f64();

    let _ = writeln!(md, "## Generative adversarial network: MNIST digits\n");
    let _ = writeln!(
        md,
        "An MLP GAN (generator 64 → 128 → 784, ReLU and a sigmoid output; discriminator 784 → \
         128 → 1, leaky ReLU; the non-saturating loss) trained with Adam (learning rate 0.001, \
         batch 128, seed 0) for {epochs} epoch(s) on the first {n_train} training images, in \
         {fit_secs:.1} s — fewer steps than a GAN needs for sharp digits, so the demo stays \
         short.\n"
    );
    let shares = match &digit_shares {
        Some(s) => {
            let list: Vec<String> = s
                .iter()
                .enumerate()
                .map(|(d, v)| format!("{d}: {:.0} %", 100.0 * v))
                .collect();
            let covered = s.iter().filter(|&&v| v >= 0.02).count();
            format!(
                "The logistic regression of the classification section reads {n_eval} generated \
                 digits as {} — {covered} of the 10 digits at 2 % or more (a generator that \
                 covers every digit gives about 10 % each; fewer is mode collapse). ",
                list.join(", ")
            )
        }
        None => String::new(),
    };
    let _ = writeln!(
        md,
        "{shares}A classifier two-sample test — a fresh discriminator trained on half of {n} real \
         test images and {n} generated ones, measured on the other half ({judge_secs:.1} s) — \
         tells them apart with **{:.1} %** accuracy (50 % would mean it cannot).\n\n\
         ![GAN samples](gan_samples.png)\n",
        100.0 * two.accuracy,
        n = n_eval,
    );
    Ok(Some(GanSummary {
        digit_shares,
        two_sample_accuracy: two.accuracy,
    }))
}
