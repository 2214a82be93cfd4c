//! The monitor: a cancel at iteration 2 makes the EM fits return `Error::Interrupted` (and a
//! stop still returns the model), through a closure or a set [`CancelFlag`].

use genmodels::core::data::Sequences;
use genmodels::core::{CancelFlag, Cancellable, Error, Flow, Recorder, Step};
use genmodels::hmm::{GaussianInit, HmmParams};
use genmodels::mixture::{CovarianceType, GaussianMixture};
use genmodels::prelude::*;
use ndarray::Array2;
use rand::Rng;

fn blobs() -> Array2<f64> {
    let mut rng = rng_from_seed(4);
    Array2::from_shape_fn((200, 2), |(i, _)| {
        (i % 2) as f64 * 5.0 + rng.random::<f64>()
    })
}

/// A monitor that answers `flow` at iteration 2.
fn at_two(flow: Flow) -> impl FnMut(Step) -> Flow {
    move |s: Step| {
        if s.iteration == 2 {
            flow
        } else {
            Flow::Continue
        }
    }
}

fn assert_interrupted(e: Error) {
    assert!(matches!(e, Error::Interrupted { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        "interrupted after iteration 2 of 50; nothing was written"
    );
}

#[test]
fn a_cancel_interrupts_gmm_em_and_a_stop_returns_the_model() {
    let x = blobs();
    let p = GaussianMixture::params(2)
        .covariance(CovarianceType::Diag)
        .tol(0.0)
        .max_iter(50)
        .seed(1);
    assert_interrupted(p.fit_with(&x, &mut at_two(Flow::Cancel)).unwrap_err());
    let m = p.fit_with(&x, &mut at_two(Flow::Stop)).unwrap();
    assert_eq!(m.report.as_ref().unwrap().lower_bounds.len(), 2);
}

#[test]
fn a_cancel_interrupts_hmm_em() {
    let x = blobs();
    let data = Sequences::new(x, vec![200]).unwrap();
    let p = HmmParams::new(2, GaussianInit::new(CovarianceType::Diag))
        .max_iter(50)
        .tol(0.0)
        .seed(3);
    assert_interrupted(p.fit_with(&data, &mut at_two(Flow::Cancel)).unwrap_err());
    let m = p.fit_with(&data, &mut at_two(Flow::Stop)).unwrap();
    assert_eq!(m.report.as_ref().unwrap().lower_bounds.len(), 2);
}

#[test]
fn a_set_flag_cancels_at_the_next_iteration() {
    let x = blobs();
    let flag = CancelFlag::new();
    let mut rec = Recorder::default();
    let f2 = flag.clone();
    let mut cancel_at_two = |s: Step| {
        if s.iteration == 2 {
            f2.cancel();
        }
        rec.steps.push(s);
        Flow::Continue
    };
    let e = GaussianMixture::params(2)
        .tol(0.0)
        .max_iter(50)
        .seed(1)
        .fit_with(&x, &mut Cancellable::new(&mut cancel_at_two, flag))
        .unwrap_err();
    assert_interrupted(e);
    assert_eq!(rec.steps.len(), 2);
}
