//! Generative classifiers: `fit classifier` ([`fit`]), the per-class models ([`models`]), and
//! the generic verbs here.

use std::path::{Path, PathBuf};

use anyhow::Result;
use genmodels::classifier::metrics;
use genmodels::core::rng_from_seed;
use genmodels::io::images::write_png_grid;
use genmodels::io::{load_model, ModelFile};
use ndarray::{Array2, Axis};
use serde_json::json;

use crate::common::{in_file, num, print_json, print_table, usage, OutputFlags};
use crate::families::family::{refuse, Family};
use crate::families::mixture::{binarize, predict_output, rows_output};
use crate::input::labelled::{read, read_images};
use crate::output::metrics::{metrics_json, print_metrics};
use crate::verbs::{PlotArgs, PredictArgs, SampleArgs, ScoreArgs};

mod fit;
mod models;

pub use fit::{fit, FitArgs};
pub use models::{ClassModel, ClassifierFile};

/// A loaded classifier.
pub struct ClassifierCli<M> {
    file: ClassifierFile<M>,
    path: PathBuf,
}

/// Loads a `genmodels/classifier-*` file.
pub fn load<M>(path: &Path) -> Result<Box<dyn Family>>
where
    M: ClassModel + 'static,
    ClassifierFile<M>: ModelFile,
{
    Ok(Box::new(ClassifierCli {
        file: load_model::<ClassifierFile<M>>(path)?,
        path: path.to_path_buf(),
    }))
}

impl<M: ClassModel> ClassifierCli<M> {
    /// The model's data and, when present, the class codes of the rows.
    fn data(
        &self,
        path: &Path,
        labels: Option<&Path>,
        limit: Option<usize>,
    ) -> Result<(M::Data, Option<Vec<usize>>)> {
        let f = &self.file;
        let (mut x, labels) = match f.image_shape {
            Some(shape) => {
                let (x, _, l, s) = read_images(path, labels)?;
                let s = s.expect("images have a shape");
                if x.ncols() != shape.0 * shape.1 {
                    return Err(usage(format!(
                        "{}: {}×{} images, but the classifier was trained on {}×{} images",
                        path.display(),
                        s.0,
                        s.1,
                        shape.0,
                        shape.1
                    )));
                }
                (x, l)
            }
            None => {
                let (x, _, l, _) = read(path, Some(&f.features), &f.label_column)?;
                (x, l)
            }
        };
        let mut labels = labels;
        if let Some(n) = limit {
            let n = n.min(x.nrows());
            x = x.slice(ndarray::s![..n, ..]).to_owned();
            if let Some(l) = labels.as_mut() {
                l.truncate(n);
            }
        }
        binarize(&mut x, f.binarize);
        let codes = match labels {
            Some(l) => Some(
                l.iter()
                    .map(|s| {
                        f.classifier
                            .classes
                            .iter()
                            .position(|c| c == s)
                            .ok_or_else(|| {
                                usage(format!(
                                    "{}: unknown class {s:?} (the classes are {})",
                                    path.display(),
                                    f.classifier.classes.join(", ")
                                ))
                            })
                    })
                    .collect::<Result<Vec<_>>>()?,
            ),
            None => None,
        };
        Ok((M::data(&x, f)?, codes))
    }

    fn proba(&self, data: &M::Data, path: &Path) -> Result<Array2<f64>> {
        self.file
            .classifier
            .predict_proba(data)
            .map_err(|e| in_file(e, path, &self.file.features))
    }
}

impl<M: ClassModel> Family for ClassifierCli<M> {
    fn info(&self, out: &OutputFlags) -> Result<()> {
        let c = &self.file.classifier;
        let priors: Vec<f64> = c.log_priors.iter().map(|l| l.exp()).collect();
        let (family, _) = genmodels::io::peek_format(&self.path)?;
        if out.json {
            print_json(&json!({
                "family": "classifier",
                "format": family,
                "path": self.path.display().to_string(),
                "classes": c.classes,
                "priors": priors,
                "features": self.file.features.len(),
                "image_shape": self.file.image_shape,
                "sequence": self.file.sequence,
                "label_column": self.file.label_column,
                "components_per_class": c.models.iter().map(|m| m.sizes().0).collect::<Vec<_>>(),
                "parameters_per_class": c.models.iter().map(|m| m.sizes().1).collect::<Vec<_>>(),
            }));
            return Ok(());
        }
        println!("Generative classifier ({family}) — {}", self.path.display());
        match (self.file.image_shape, self.file.sequence) {
            (Some((h, w)), Some(r)) => println!("  {h}×{w} images read as sequences of {r:?}"),
            (Some((h, w)), None) => println!("  {h}×{w} images"),
            _ => println!(
                "  label column {:?}, features {}",
                self.file.label_column,
                self.file.features.join(", ")
            ),
        }
        let rows: Vec<Vec<String>> = c
            .classes
            .iter()
            .zip(&priors)
            .zip(&c.models)
            .map(|((name, p), m)| {
                let (k, np) = m.sizes();
                vec![name.clone(), num(*p), k.to_string(), np.to_string()]
            })
            .collect();
        print_table(
            &["class", "prior", "components/states", "parameters"].map(String::from),
            &rows,
        );
        Ok(())
    }

    fn score(&self, a: &ScoreArgs, out: &OutputFlags) -> Result<()> {
        let (data, codes) = self.data(&a.data, a.labels.as_deref(), a.limit)?;
        let codes = codes.ok_or_else(|| {
            if self.file.image_shape.is_some() {
                usage("scoring an image classifier needs the true classes: --labels FILE")
            } else {
                usage(format!(
                    "{}: scoring a classifier needs the label column {:?}",
                    a.data.display(),
                    self.file.label_column
                ))
            }
        })?;
        let p = self.proba(&data, &a.data)?;
        let m = metrics(&p, &codes)?;
        let classes = &self.file.classifier.classes;
        if out.json {
            print_json(&metrics_json(classes, &m, p.nrows()));
        } else {
            print_metrics(classes, &m, p.nrows());
        }
        Ok(())
    }

    fn predict(&self, a: &PredictArgs, out: &OutputFlags) -> Result<()> {
        if a.impute {
            return Err(refuse("--impute"));
        }
        let (data, _) = self.data(&a.data, a.labels.as_deref(), None)?;
        let p = self.proba(&data, &a.data)?;
        if a.proba || out.json || a.output.is_some() {
            return predict_output(&p, a, out);
        }
        let classes = &self.file.classifier.classes;
        let rows: Vec<Vec<String>> = p
            .outer_iter()
            .enumerate()
            .map(|(i, r)| {
                let k = r
                    .iter()
                    .enumerate()
                    .fold(
                        (0, f64::NEG_INFINITY),
                        |b, (j, v)| if *v > b.1 { (j, *v) } else { b },
                    )
                    .0;
                vec![
                    (i + 1).to_string(),
                    classes[k].clone(),
                    format!("{:.6}", r[k]),
                ]
            })
            .collect();
        print_table(&["row", "class", "probability"].map(String::from), &rows);
        Ok(())
    }

    /// New instances of `--label`'s class; for image classifiers without `--label`, `n` of
    /// every class, one row of the picture per class.
    fn sample(&self, a: &SampleArgs, out: &OutputFlags) -> Result<()> {
        let classes = &self.file.classifier.classes;
        let mut rng = rng_from_seed(a.seed);
        let png = a
            .output
            .as_ref()
            .and_then(|p| p.extension())
            .is_some_and(|e| e.eq_ignore_ascii_case("png"));
        let which: Vec<usize> = match &a.label {
            Some(label) => vec![classes.iter().position(|c| c == label).ok_or_else(|| {
                usage(format!(
                    "--label {label:?}: the classes are {}",
                    classes.join(", ")
                ))
            })?],
            None if png => (0..classes.len()).collect(),
            None => {
                return Err(usage(format!(
                    "sampling a classifier needs --label (one of {}){}",
                    classes.join(", "),
                    if self.file.image_shape.is_some() {
                        "; or write a .png to draw every class, one row each"
                    } else {
                        ""
                    }
                )))
            }
        };
        let parts = which
            .iter()
            .map(|&k| self.file.classifier.models[k].draw(a.n, &self.file, &mut rng))
            .collect::<Result<Vec<_>>>()?;
        let views: Vec<_> = parts.iter().map(|p| p.view()).collect();
        let x = ndarray::concatenate(Axis(0), &views)?;
        if png {
            let path = a.output.as_ref().expect("png implies an output");
            let shape = self.file.image_shape.ok_or_else(|| {
                usage("a .png picture needs a classifier trained on images; write .csv or .npy")
            })?;
            let columns = if which.len() > 1 {
                a.n
            } else {
                a.columns
                    .unwrap_or_else(|| (a.n as f64).sqrt().ceil() as usize)
            };
            write_png_grid(path, x.mapv(|v| v as f32).view(), shape, columns.max(1), 2)?;
            if out.json {
                print_json(&json!({"n": x.nrows(), "output": path.display().to_string()}));
            } else if !out.quiet {
                eprintln!(
                    "wrote {} samples ({} per class, classes {}) to {}",
                    x.nrows(),
                    a.n,
                    which
                        .iter()
                        .map(|&k| classes[k].as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    path.display()
                );
            }
            return Ok(());
        }
        let labels: Vec<String> = which
            .iter()
            .flat_map(|&k| std::iter::repeat_n(classes[k].clone(), a.n))
            .collect();
        rows_output(&x, &self.file.features, Some(("class", labels)), a, out)
    }

    fn plot(&self, _: &PlotArgs, _: &OutputFlags) -> Result<()> {
        Err(usage(
            "plotting a classifier is not available; for image classifiers, `sample MODEL -n 8 -o classes.png` draws every class",
        ))
    }
}
