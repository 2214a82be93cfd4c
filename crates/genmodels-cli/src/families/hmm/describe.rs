//! How each kind of emission is described: its table for people and its JSON.

use genmodels::hmm::GaussianMixtureEmission;
use serde_json::json;

use crate::common::num;

/// How each emission family describes its parameters in `info`.
pub trait DescribeEmission {
    /// The vocabulary size of symbol emissions (`None` for numeric ones).
    fn n_symbols(&self) -> Option<usize> {
        None
    }
    /// One table per state or one for all: header and rows.
    fn table(
        &self,
        names: &[String],
        symbols: Option<&[String]>,
    ) -> (Vec<String>, Vec<Vec<String>>);
    /// The emission parameters as JSON.
    fn to_json(&self) -> serde_json::Value;
}

impl DescribeEmission for genmodels::mixture::GaussianComponents {
    fn table(&self, names: &[String], _: Option<&[String]>) -> (Vec<String>, Vec<Vec<String>>) {
        let mut h = vec!["state".to_string()];
        h.extend(names.iter().map(|n| format!("mean {n}")));
        h.extend(names.iter().map(|n| format!("sd {n}")));
        let rows = (0..self.means.nrows())
            .map(|k| {
                let cov = self.full_covariance(k);
                let mut r = vec![k.to_string()];
                r.extend(self.means.row(k).iter().map(|v| num(*v)));
                r.extend(cov.diag().iter().map(|v| num(v.sqrt())));
                r
            })
            .collect();
        (h, rows)
    }
    fn to_json(&self) -> serde_json::Value {
        json!({
            "covariance_type": self.covariance_type().name(),
            "means": self.means.outer_iter().map(|r| r.to_vec()).collect::<Vec<_>>(),
            "covariances": (0..self.means.nrows()).map(|k| self.full_covariance(k).outer_iter().map(|r| r.to_vec()).collect::<Vec<_>>()).collect::<Vec<_>>(),
        })
    }
}

impl DescribeEmission for GaussianMixtureEmission {
    fn table(&self, names: &[String], _: Option<&[String]>) -> (Vec<String>, Vec<Vec<String>>) {
        let m = self.n_mix();
        let mut h = vec!["state".to_string(), "mixture".into(), "weight".into()];
        h.extend(names.iter().map(|n| format!("mean {n}")));
        h.extend(names.iter().map(|n| format!("sd {n}")));
        let rows = (0..self.components.means.nrows())
            .map(|i| {
                let cov = self.components.full_covariance(i);
                let mut r = vec![
                    (i / m).to_string(),
                    (i % m).to_string(),
                    num(self.weights[[i / m, i % m]]),
                ];
                r.extend(self.components.means.row(i).iter().map(|v| num(*v)));
                r.extend(cov.diag().iter().map(|v| num(v.sqrt())));
                r
            })
            .collect();
        (h, rows)
    }
    fn to_json(&self) -> serde_json::Value {
        json!({
            "weights": self.weights.outer_iter().map(|r| r.to_vec()).collect::<Vec<_>>(),
            "gaussians": self.components.to_json(),
        })
    }
}

impl DescribeEmission for genmodels::mixture::CategoricalComponents {
    fn n_symbols(&self) -> Option<usize> {
        Some(self.probs.ncols())
    }
    fn table(&self, _: &[String], symbols: Option<&[String]>) -> (Vec<String>, Vec<Vec<String>>) {
        let v = self.probs.ncols();
        let mut h = vec!["state".to_string()];
        h.extend((0..v).map(|j| {
            format!(
                "P({})",
                symbols
                    .and_then(|s| s.get(j))
                    .cloned()
                    .unwrap_or_else(|| j.to_string())
            )
        }));
        let rows = self.probs.outer_iter().enumerate().map(|(k, r)| {
            let mut row = vec![k.to_string()];
            row.extend(r.iter().map(|p| format!("{p:.4}")));
            row
        });
        (h, rows.collect())
    }
    fn to_json(&self) -> serde_json::Value {
        json!({"probs": self.probs.outer_iter().map(|r| r.to_vec()).collect::<Vec<_>>()})
    }
}

impl DescribeEmission for genmodels::mixture::MultinomialComponents {
    fn table(&self, names: &[String], _: Option<&[String]>) -> (Vec<String>, Vec<Vec<String>>) {
        let mut h = vec!["state".to_string()];
        h.extend(names.iter().map(|n| format!("P({n})")));
        let rows = self.probs.outer_iter().enumerate().map(|(k, r)| {
            let mut row = vec![k.to_string()];
            row.extend(r.iter().map(|p| format!("{p:.4}")));
            row
        });
        (h, rows.collect())
    }
    fn to_json(&self) -> serde_json::Value {
        json!({"probs": self.probs.outer_iter().map(|r| r.to_vec()).collect::<Vec<_>>(), "n_trials": self.n_trials})
    }
}

impl DescribeEmission for genmodels::mixture::PoissonComponents {
    fn table(&self, names: &[String], _: Option<&[String]>) -> (Vec<String>, Vec<Vec<String>>) {
        let mut h = vec!["state".to_string()];
        h.extend(names.iter().map(|n| format!("rate {n}")));
        let rows = self.rates.outer_iter().enumerate().map(|(k, r)| {
            let mut row = vec![k.to_string()];
            row.extend(r.iter().map(|v| num(*v)));
            row
        });
        (h, rows.collect())
    }
    fn to_json(&self) -> serde_json::Value {
        json!({"rates": self.rates.outer_iter().map(|r| r.to_vec()).collect::<Vec<_>>()})
    }
}
