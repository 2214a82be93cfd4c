//! The monitor in the neural fits: every mini-batch is reported (counts and totals that match
//! the data and the batch size), a cancel at batch 2 makes each fit return
//! `Error::Interrupted`, and a stop still ends a fit with its model.
#![cfg(feature = "neural")]

use genmodels::core::{Batch, Error, Fit, Flow, Monitor, Recorder, Step};
use genmodels::io::images::Images;
use genmodels::neural::cpu;
use genmodels::neural::gan::GanConfig;
use genmodels::neural::rbm::recommend::{synthetic_ratings, RecommenderParams};
use genmodels::neural::rbm::RbmParams;
use genmodels::neural::train::TrainConfig;
use genmodels::neural::vae::VaeConfig;
use ndarray::Array2;

/// 50 binary 2×4 images of two patterns.
fn images() -> Array2<f32> {
    Array2::from_shape_fn((50, 8), |(i, j)| ((i % 2 == 0) == (j < 4)) as u8 as f32)
}

fn train() -> TrainConfig {
    TrainConfig {
        epochs: 3,
        batch_size: 16,
        lr: 1e-2,
        ..TrainConfig::default()
    }
}

/// Records everything, and answers `Cancel` at batch 2 of epoch 1 when asked to.
#[derive(Default)]
struct CancelAtBatchTwo {
    cancel: bool,
    rec: Recorder,
}

impl Monitor for CancelAtBatchTwo {
    fn on_step(&mut self, step: Step) -> Flow {
        self.rec.on_step(step)
    }
    fn on_batch(&mut self, b: Batch) -> Flow {
        self.rec.on_batch(b);
        if self.cancel && b.batch == 2 {
            Flow::Cancel
        } else {
            Flow::Continue
        }
    }
}

fn cancelling() -> CancelAtBatchTwo {
    CancelAtBatchTwo {
        cancel: true,
        ..Default::default()
    }
}

fn assert_interrupted(e: Error, n_batches: usize) {
    assert!(matches!(e, Error::Interrupted { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        format!("interrupted in epoch 1 of 3, after batch 2 of {n_batches}; nothing was written")
    );
}

/// 3 epochs of `rows` rows in batches of `size`: batches numbered 1.., rows counted up to
/// the total.
fn assert_counts(batches: &[Batch], rows: usize, size: usize) {
    let per_epoch = rows.div_ceil(size);
    assert_eq!(batches.len(), 3 * per_epoch);
    for (i, b) in batches.iter().enumerate() {
        assert_eq!(b.epoch, i / per_epoch + 1);
        assert_eq!(b.max_epochs, 3);
        assert_eq!(b.batch, i % per_epoch + 1);
        assert_eq!(b.n_batches, per_epoch);
        assert_eq!(b.rows_total, rows);
        assert_eq!(b.rows_done, (b.batch * size).min(rows));
    }
}

#[test]
fn vae_batches_are_reported_and_a_cancel_interrupts() {
    let x = images();
    let cfg = VaeConfig {
        hidden: vec![8],
        latent: 2,
        ..VaeConfig::mlp(8, (2, 4))
    };
    let mut m = CancelAtBatchTwo::default();
    let vae = cfg
        .fit(&cpu(), &x, None, &train(), None, &mut m, &mut |_, _| Ok(()))
        .unwrap();
    assert_eq!(vae.report.epochs.len(), 3);
    assert_eq!(m.rec.steps.len(), 3);
    assert_counts(&m.rec.batches, 50, 16);
    assert!(m.rec.batches.iter().all(|b| b.loss.unwrap().is_finite()));
    let e = cfg
        .fit(
            &cpu(),
            &x,
            None,
            &train(),
            None,
            &mut cancelling(),
            &mut |_, _| Ok(()),
        )
        .unwrap_err();
    assert_interrupted(e, 4);
    // Resuming leaves the model it starts from as it was.
    let more = vae
        .train(
            &x,
            None,
            &train(),
            None,
            &mut Recorder::default(),
            &mut |_, _| Ok(()),
        )
        .unwrap();
    assert_eq!(vae.report.epochs.len(), 3);
    assert_eq!(more.report.epochs.len(), 6);
}

#[test]
fn gan_batches_are_reported_and_a_cancel_interrupts() {
    let x = images();
    let cfg = GanConfig {
        latent: 2,
        g_hidden: vec![8],
        d_hidden: vec![8],
        ..GanConfig::mlp(8, (2, 4))
    };
    let mut m = CancelAtBatchTwo::default();
    let gan = cfg
        .fit(&cpu(), &x, None, &train(), &mut m, &mut |_, _| Ok(()))
        .unwrap();
    assert_eq!(gan.report.epochs.len(), 3);
    assert_counts(&m.rec.batches, 50, 16);
    let e = cfg
        .fit(
            &cpu(),
            &x,
            None,
            &train(),
            &mut cancelling(),
            &mut |_, _| Ok(()),
        )
        .unwrap_err();
    assert_interrupted(e, 4);
    // A stop after the first epoch still returns the model.
    let mut stop = |_: Step| Flow::Stop;
    let g = cfg
        .fit(&cpu(), &x, None, &train(), &mut stop, &mut |_, _| Ok(()))
        .unwrap();
    assert_eq!(g.report.epochs.len(), 1);
    assert!(g.report.stopped_early);
}

#[test]
fn rbm_batches_are_reported_and_a_cancel_interrupts() {
    let data = Images::new(images(), 2, 4).unwrap();
    let p = RbmParams::new(3).epochs(3).batch_size(16).seed(1);
    let mut m = CancelAtBatchTwo::default();
    p.fit_with(&data, &mut m).unwrap();
    assert_eq!(m.rec.steps.len(), 3);
    assert_counts(&m.rec.batches, 50, 16);
    assert_interrupted(p.fit_with(&data, &mut cancelling()).unwrap_err(), 4);
}

#[test]
fn recommender_batches_are_reported_and_a_cancel_interrupts() {
    let ratings = synthetic_ratings(40, 10, 2, 0.5, 1);
    let p = RecommenderParams::new(4).epochs(3).batch_size(16).seed(2);
    let mut m = CancelAtBatchTwo::default();
    p.fit_with(&ratings, &mut m).unwrap();
    let users = m.rec.batches[0].rows_total;
    assert!(users > 16 && users <= 40, "{users}");
    assert_counts(&m.rec.batches, users, 16);
    let e = p.fit_with(&ratings, &mut cancelling()).unwrap_err();
    assert_interrupted(e, users.div_ceil(16));
}
