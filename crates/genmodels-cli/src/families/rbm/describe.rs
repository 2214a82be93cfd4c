//! How an RBM is described to people: its visible units, its training epochs.

use genmodels::neural::rbm::Visible;

use crate::common::{num, print_table};

pub fn visible_name(v: Visible) -> &'static str {
    match v {
        Visible::Bernoulli => "binary",
        Visible::Gaussian {
            learn_variance: true,
        } => "Gaussian (learned variances)",
        Visible::Gaussian {
            learn_variance: false,
        } => "Gaussian (fixed variances)",
    }
}

pub fn print_epochs(epochs: &[genmodels::neural::rbm::EpochStats]) {
    let step = epochs.len().div_ceil(10).max(1);
    let rows: Vec<Vec<String>> = epochs
        .iter()
        .enumerate()
        .filter(|(i, _)| i % step == 0 || *i + 1 == epochs.len())
        .map(|(_, e)| {
            vec![
                e.epoch.to_string(),
                num(e.learning_rate),
                num(e.reconstruction_error),
                e.pseudo_likelihood.map(num).unwrap_or_else(|| "—".into()),
                e.validation_log_likelihood
                    .map(num)
                    .unwrap_or_else(|| "—".into()),
                format!("{:.2} s", e.seconds),
            ]
        })
        .collect();
    print_table(
        &[
            "epoch",
            "lr",
            "recon. error",
            "pseudo-LL",
            "valid. LL (AIS)",
            "time",
        ]
        .map(String::from),
        &rows,
    );
}
