//! A VAE: `fit vae` ([`fit`]), the latent-space tools ([`latent`]), and the generic verbs.

use std::path::{Path, PathBuf};

use anyhow::Result;
use genmodels::io::images::Images;
use genmodels::neural::neural_rng;
use genmodels::neural::vae::Vae;
use ndarray::Array2;
use serde_json::json;

use crate::common::{num, print_json, print_table, usage, OutputFlags};
use crate::families::family::Family;
use crate::input::images::{in_images, read_binarized};
use crate::input::labels::read_labels;
use crate::neural::{loss_plot, sample_metrics, sampling_labels};
use crate::output::images::{sample_out, write_images};
use crate::verbs::{Binarize, PlotArgs, PredictArgs, SampleArgs, ScoreArgs};

mod fit;
mod latent;

pub use fit::{fit, FitArgs};
pub use latent::{run, VaeCmd};

/// A loaded VAE.
pub struct VaeFamily {
    vae: Vae,
    path: PathBuf,
}

/// Loads a `vae` checkpoint.
pub fn load(path: &Path) -> Result<Box<dyn Family>> {
    Ok(Box::new(VaeFamily {
        vae: Vae::load(path, &genmodels::neural::cpu())?,
        path: path.to_path_buf(),
    }))
}

impl VaeFamily {
    fn images(
        &self,
        path: &Path,
        b: Option<Binarize>,
        limit: Option<usize>,
        seed: u64,
    ) -> Result<Images> {
        let im = read_binarized(path, b, limit, seed)?;
        let c = &self.vae.config;
        im.check_dim(c.input_dim, c.image_shape)
            .map_err(|e| in_images(e, path))?;
        Ok(im)
    }

    fn labels(&self, p: Option<&PathBuf>, n: usize, images: &Path) -> Result<Option<Vec<usize>>> {
        match (self.vae.config.n_classes, p) {
            (Some(_), None) => Err(usage(
                "this is a conditional VAE: give the images' labels with --labels FILE",
            )),
            (Some(_), Some(p)) => {
                let l = read_labels(p)?;
                let l: Vec<usize> = l.into_iter().take(n).collect();
                if l.len() != n {
                    return Err(usage(format!(
                        "{}: {} labels for {} images in {}",
                        p.display(),
                        l.len(),
                        n,
                        images.display()
                    )));
                }
                Ok(Some(l))
            }
            (None, _) => Ok(None),
        }
    }
}

impl Family for VaeFamily {
    fn info(&self, out: &OutputFlags) -> Result<()> {
        let v = &self.vae;
        let c = &v.config;
        if out.json {
            print_json(&json!({
                "family": "vae", "path": self.path.display().to_string(), "config": c,
                "n_parameters": v.n_parameters(), "report": v.report,
            }));
            return Ok(());
        }
        println!("Variational autoencoder — {}", self.path.display());
        println!(
            "  {:?} networks, {}×{} images, hidden {:?}, {} latent dimensions, {:?} pixels, β = {}{}",
            c.arch,
            c.image_shape.0,
            c.image_shape.1,
            c.hidden,
            c.latent,
            c.likelihood,
            c.beta,
            c.n_classes
                .map(|k| format!(", conditional on {k} classes"))
                .unwrap_or_default()
        );
        println!("  {} parameters", v.n_parameters());
        let rows: Vec<Vec<String>> = v
            .report
            .epochs
            .iter()
            .map(|e| {
                vec![
                    e.epoch.to_string(),
                    num(-e.train_loss),
                    e.validation.map(|x| num(-x)).unwrap_or_default(),
                    format!("{:.2}", e.seconds),
                ]
            })
            .collect();
        if !rows.is_empty() {
            println!();
            print_table(
                &["epoch", "train ELBO", "validation ELBO", "seconds"].map(String::from),
                &rows,
            );
        }
        Ok(())
    }

    fn score_flags(&self) -> &'static [&'static str] {
        &["--iwae", "--parzen", "--two-sample"]
    }

    fn score(&self, a: &ScoreArgs, out: &OutputFlags) -> Result<()> {
        let im = self.images(&a.data, a.binarize, a.limit, a.seed)?;
        let labels = self.labels(a.labels.as_ref(), im.len(), &a.data)?;
        let v = &self.vae;
        let mut rng = neural_rng(a.seed);
        if a.two_sample || a.parzen {
            let n = im.len();
            let gl = match (v.config.n_classes, &labels) {
                (Some(_), Some(l)) => Some(l.clone()),
                _ => None,
            };
            let fake = v
                .sample(n, gl.as_deref(), &mut rng)
                .map_err(|e| in_images(e, &a.data))?;
            return sample_metrics(&fake, &im.pixels, a, out, "vae");
        }
        let elbo = v
            .elbo(&im.pixels, labels.as_deref(), &mut rng)
            .map_err(|e| in_images(e, &a.data))?;
        let (ll, method, k) = match a.iwae {
            Some(k) => (
                v.iwae(&im.pixels, labels.as_deref(), k, &mut rng)
                    .map_err(|e| in_images(e, &a.data))?,
                "iwae",
                k,
            ),
            None => (elbo.clone(), "elbo", 1),
        };
        let mean = ll.mean().unwrap_or(f64::NAN);
        let melbo = elbo.mean().unwrap_or(f64::NAN);
        if let Some(o) = &a.output {
            let data =
                Array2::from_shape_fn((ll.len(), 2), |(i, j)| if j == 0 { ll[i] } else { elbo[i] });
            crate::common::write_table(o, &["log_likelihood".into(), "elbo".into()], &data, None)?;
        }
        if out.json {
            print_json(&json!({
                "mean_log_likelihood": mean, "exact": false, "method": method, "k": k,
                "elbo": melbo, "n_samples": ll.len(),
                "note": "a lower bound on log p(x) in nats per image (in expectation)",
            }));
        } else {
            println!(
                "{} images: mean log-likelihood ≥ {} nats ({}{}), ELBO {}",
                ll.len(),
                num(mean),
                method,
                if method == "iwae" {
                    format!(", k = {k}")
                } else {
                    String::new()
                },
                num(melbo)
            );
        }
        Ok(())
    }

    fn predict(&self, a: &PredictArgs, out: &OutputFlags) -> Result<()> {
        if !a.encode {
            return Err(usage(
                "a VAE predicts its latent code: add --encode (latent mean and log-variance per image)",
            ));
        }
        let im = self.images(&a.data, a.binarize.map(Binarize::Threshold), None, 0)?;
        let labels = self.labels(a.labels.as_ref(), im.len(), &a.data)?;
        let (mu, lv) = self
            .vae
            .encode(&im.pixels, labels.as_deref())
            .map_err(|e| in_images(e, &a.data))?;
        let l = self.vae.config.latent;
        let header: Vec<String> = (1..=l)
            .map(|i| format!("mu{i}"))
            .chain((1..=l).map(|i| format!("logvar{i}")))
            .collect();
        let data = ndarray::concatenate(ndarray::Axis(1), &[mu.view(), lv.view()])
            .expect("same rows")
            .mapv(f64::from);
        match &a.output {
            Some(o) => {
                crate::common::write_table(o, &header, &data, None)?;
                if !out.quiet && !out.json {
                    eprintln!("wrote {}", o.display());
                }
            }
            None => {
                println!("{}", header.join(","));
                for r in data.outer_iter() {
                    let v: Vec<String> = r
                        .iter()
                        .map(|x| genmodels::io::csv::fmt_number(*x))
                        .collect();
                    println!("{}", v.join(","));
                }
            }
        }
        Ok(())
    }

    fn sample(&self, a: &SampleArgs, out: &OutputFlags) -> Result<()> {
        if a.given.is_some() || a.gibbs_steps.is_some() || a.truncation.is_some() {
            return Err(usage(
                "--given, --gibbs-steps and --truncation do not apply to a VAE",
            ));
        }
        if a.n == 0 {
            return Err(usage("-n must be at least 1"));
        }
        let labels = sampling_labels(self.vae.config.n_classes, a.label.as_deref(), a.n, "VAE")?;
        let x = self
            .vae
            .sample(a.n, labels.as_deref(), &mut neural_rng(a.seed))?;
        let x = match a.binarize {
            Some(t) => x.mapv(|v| if f64::from(v) > t { 1.0 } else { 0.0 }),
            None => x,
        };
        sample_out(&x, self.vae.config.image_shape, a, out)
    }

    fn plot(&self, a: &PlotArgs, out: &OutputFlags) -> Result<()> {
        match a.kind.as_str() {
            "convergence" | "loss" => loss_plot(
                &a.output,
                &self.vae.report,
                ("−ELBO (train)", ""),
                "VAE loss per epoch",
            )?,
            "model" => {
                let labels = sampling_labels(self.vae.config.n_classes, None, 64, "VAE")?;
                let x = self.vae.sample(64, labels.as_deref(), &mut neural_rng(0))?;
                write_images(&a.output, &x, self.vae.config.image_shape, Some(8))?;
            }
            o => {
                return Err(usage(format!(
                "--kind {o:?}: a VAE draws `model` (64 samples) or `convergence` (loss per epoch)"
            )))
            }
        }
        if !out.quiet {
            eprintln!("wrote {}", a.output.display());
        }
        Ok(())
    }
}
