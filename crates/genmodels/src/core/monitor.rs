//! Fit monitoring: a callback per iteration or epoch ([`Monitor::on_step`]) and, for the fits
//! that work in mini-batches, per batch ([`Monitor::on_batch`]); used for progress bars, tests,
//! early stopping and cancellation.
//!
//! A monitor answers every report with a [`Flow`]: [`Flow::Continue`]; [`Flow::Stop`], which
//! ends the fit early and returns the model as it is (marked not converged); or
//! [`Flow::Cancel`], which abandons the fit: it returns
//! [`Error::Interrupted`] and writes nothing. A front end that
//! cancels from another thread (a Ctrl-C handler, a task scheduler) sets a [`CancelFlag`] and
//! wraps its monitor in [`Cancellable`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::error::Error;

/// Whether a fit should continue after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Keep going.
    Continue,
    /// Stop now and return the model as it is (marked not converged).
    Stop,
    /// Abandon the fit: it returns [`Error::Interrupted`] and writes nothing.
    Cancel,
}

/// One step of a fit (an iteration, or an epoch), as reported to a [`Monitor`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// Which restart (0-based) when a fit restarts several times.
    pub run: usize,
    /// Iteration within the run (1-based).
    pub iteration: usize,
    /// The maximum number of iterations of the run.
    pub max_iterations: usize,
    /// The objective (e.g. mean log-likelihood lower bound) at this iteration.
    pub objective: f64,
}

impl Step {
    /// The error of a fit cancelled at this step.
    pub fn interrupted(&self) -> Error {
        Error::Interrupted {
            at: format!(
                "after iteration {} of {}",
                self.iteration, self.max_iterations
            ),
        }
    }
}

/// One mini-batch of an epoch, as reported to [`Monitor::on_batch`] after the batch's update.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Batch {
    /// Which restart (0-based) when a fit restarts several times.
    pub run: usize,
    /// The epoch the batch belongs to (1-based, counting the epochs of a resumed fit).
    pub epoch: usize,
    /// The last epoch of this fit (1-based, on the same count as `epoch`).
    pub max_epochs: usize,
    /// The batch within its epoch (1-based).
    pub batch: usize,
    /// The number of batches of the epoch.
    pub n_batches: usize,
    /// Rows seen in this epoch so far, this batch included.
    pub rows_done: usize,
    /// Rows of one epoch.
    pub rows_total: usize,
    /// The batch's loss (mean per row) when the fit computes it.
    pub loss: Option<f64>,
}

impl Batch {
    /// The error of a fit cancelled after this batch.
    pub fn interrupted(&self) -> Error {
        Error::Interrupted {
            at: format!(
                "in epoch {} of {}, after batch {} of {}",
                self.epoch, self.max_epochs, self.batch, self.n_batches
            ),
        }
    }
}

/// Called once per iteration or epoch by every fit, and once per mini-batch by the fits that
/// use them.
pub trait Monitor {
    /// Receives a step (the end of an iteration or an epoch); [`Flow::Stop`] ends the fit
    /// early, [`Flow::Cancel`] abandons it.
    fn on_step(&mut self, step: Step) -> Flow;

    /// Receives a mini-batch of an epoch; [`Flow::Cancel`] abandons the fit ([`Flow::Stop`]
    /// here is read as [`Flow::Continue`]: an epoch ends as a whole). Ignored by default.
    fn on_batch(&mut self, batch: Batch) -> Flow {
        let _ = batch;
        Flow::Continue
    }
}

/// A monitor that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Monitor for Silent {
    fn on_step(&mut self, _: Step) -> Flow {
        Flow::Continue
    }
}

/// A monitor that records every step and batch (handy in tests).
#[derive(Debug, Default, Clone)]
pub struct Recorder {
    /// Steps in the order received.
    pub steps: Vec<Step>,
    /// Batches in the order received.
    pub batches: Vec<Batch>,
}

impl Monitor for Recorder {
    fn on_step(&mut self, step: Step) -> Flow {
        self.steps.push(step);
        Flow::Continue
    }

    fn on_batch(&mut self, batch: Batch) -> Flow {
        self.batches.push(batch);
        Flow::Continue
    }
}

impl<F: FnMut(Step) -> Flow> Monitor for F {
    fn on_step(&mut self, step: Step) -> Flow {
        self(step)
    }
}

/// A flag another thread sets to cancel a fit (cheap to clone: clones share the flag).
#[derive(Debug, Default, Clone)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    /// A flag not yet set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the fits watching this flag to stop at their next step or batch.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// A monitor that passes every report to `inner` and answers [`Flow::Cancel`] once its flag
/// is set.
pub struct Cancellable<'a> {
    inner: &'a mut dyn Monitor,
    flag: CancelFlag,
}

impl<'a> Cancellable<'a> {
    /// Wraps `inner`, watching `flag`.
    pub fn new(inner: &'a mut dyn Monitor, flag: CancelFlag) -> Self {
        Cancellable { inner, flag }
    }

    fn watch(&self, flow: Flow) -> Flow {
        if self.flag.is_cancelled() {
            Flow::Cancel
        } else {
            flow
        }
    }
}

impl Monitor for Cancellable<'_> {
    fn on_step(&mut self, step: Step) -> Flow {
        let flow = self.inner.on_step(step);
        self.watch(flow)
    }

    fn on_batch(&mut self, batch: Batch) -> Flow {
        let flow = self.inner.on_batch(batch);
        self.watch(flow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(iteration: usize) -> Step {
        Step {
            run: 0,
            iteration,
            max_iterations: 10,
            objective: 0.0,
        }
    }

    #[test]
    fn a_set_flag_cancels_the_next_report() {
        let flag = CancelFlag::new();
        let mut rec = Recorder::default();
        let mut m = Cancellable::new(&mut rec, flag.clone());
        assert_eq!(m.on_step(step(1)), Flow::Continue);
        flag.cancel();
        assert_eq!(m.on_step(step(2)), Flow::Cancel);
        let b = Batch {
            run: 0,
            epoch: 3,
            max_epochs: 10,
            batch: 2,
            n_batches: 8,
            rows_done: 20,
            rows_total: 75,
            loss: None,
        };
        assert_eq!(m.on_batch(b), Flow::Cancel);
        assert_eq!(rec.steps.len(), 2);
        assert_eq!(rec.batches, vec![b]);
        assert_eq!(
            b.interrupted().to_string(),
            "interrupted in epoch 3 of 10, after batch 2 of 8; nothing was written"
        );
        assert_eq!(
            step(2).interrupted().to_string(),
            "interrupted after iteration 2 of 10; nothing was written"
        );
    }
}
