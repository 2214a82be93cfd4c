//! Fit monitoring: a callback per iteration, used for progress bars, tests and early stopping.

/// Whether a fit should continue after a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Keep going.
    Continue,
    /// Stop now and return the model as it is (marked not converged).
    Stop,
}

/// One step of a fit, as reported to a [`Monitor`].
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

/// Called once per iteration or epoch by every fit.
pub trait Monitor {
    /// Receives a step; returning [`Flow::Stop`] ends the fit early.
    fn on_step(&mut self, step: Step) -> Flow;
}

/// A monitor that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl Monitor for Silent {
    fn on_step(&mut self, _: Step) -> Flow {
        Flow::Continue
    }
}

/// A monitor that records every step (handy in tests).
#[derive(Debug, Default, Clone)]
pub struct Recorder {
    /// Steps in the order received.
    pub steps: Vec<Step>,
}

impl Monitor for Recorder {
    fn on_step(&mut self, step: Step) -> Flow {
        self.steps.push(step);
        Flow::Continue
    }
}

impl<F: FnMut(Step) -> Flow> Monitor for F {
    fn on_step(&mut self, step: Step) -> Flow {
        self(step)
    }
}
