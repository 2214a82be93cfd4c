//! The flags of the family-independent verbs. Each family reads the ones that apply to it.

use std::path::PathBuf;

use clap::Args;

use crate::common::DataFlags;

/// How `score --binarize` turns values into 0/1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Binarize {
    /// Values above the threshold become 1.
    Threshold(f64),
    /// Each value `p` becomes 1 with probability `p`.
    Stochastic,
}

impl std::str::FromStr for Binarize {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if s == "stochastic" {
            return Ok(Binarize::Stochastic);
        }
        match s.parse::<f64>() {
            Ok(t) if t.is_finite() => Ok(Binarize::Threshold(t)),
            _ => Err("expected a finite threshold or `stochastic`".into()),
        }
    }
}

impl Binarize {
    /// `x` (values in [0, 1]) binarised this way; `stochastic` draws from `seed`.
    pub fn apply(self, x: &ndarray::Array2<f32>, seed: u64) -> ndarray::Array2<f32> {
        match self {
            Binarize::Threshold(t) => x.mapv(|v| if f64::from(v) > t { 1.0 } else { 0.0 }),
            Binarize::Stochastic => {
                use rand::Rng;
                let mut rng = genmodels::neural::neural_rng(seed);
                x.mapv(|p| if rng.random::<f32>() < p { 1.0 } else { 0.0 })
            }
        }
    }

    /// The threshold, for the models that binarise only by threshold.
    pub fn threshold(b: Option<Binarize>, family: &str) -> anyhow::Result<Option<f64>> {
        match b {
            None => Ok(None),
            Some(Binarize::Threshold(t)) => Ok(Some(t)),
            Some(Binarize::Stochastic) => Err(crate::common::usage(format!(
                "--binarize stochastic: {family} models are scored on thresholded data only \
                 (RBMs take `stochastic`); give a threshold"
            ))),
        }
    }
}

/// `genmodels score MODEL DATA`
#[derive(Args, Debug, Clone)]
#[command(
    after_help = "Examples:\n  genmodels score faithful.json new.csv\n  genmodels score faithful.json new.csv --json\n  genmodels score faithful.json new.csv -o rows.csv"
)]
pub struct ScoreArgs {
    /// The model file.
    pub model: PathBuf,
    /// The data: CSV with a header, or .npy. For a Gaussian mixture, empty/NaN cells are
    /// marginalised out exactly.
    pub data: PathBuf,
    #[command(flatten)]
    pub data_flags: DataFlags,
    /// A CSV column naming the sequence of each row (HMMs: one log-likelihood per sequence).
    #[arg(long, value_name = "COLUMN")]
    pub sequence_column: Option<String>,
    /// Also write the per-row (per-sequence) log-likelihood to this CSV file.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Binary models: values above T become 1, others 0; `stochastic` (RBMs): each value p in
    /// [0, 1] becomes 1 with probability p (seeded by --seed), as the data of a model trained
    /// with `fit rbm --binarize stochastic` was.
    #[arg(long, value_name = "T|stochastic")]
    pub binarize: Option<Binarize>,
    /// Neural models: labels of the images (IDX, or a one-column CSV), for conditional models.
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    /// Neural models: score only the first N rows (estimates of log Z or IWAE are costly).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Seed of the random draws of a stochastic estimate (AIS, IWAE, Parzen, two-sample test).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// RBMs: number of annealed-importance-sampling runs for log Z.
    #[arg(long, value_name = "N")]
    pub ais_runs: Option<usize>,
    /// RBMs: number of intermediate temperatures of AIS.
    #[arg(long, value_name = "N")]
    pub ais_betas: Option<usize>,
    /// VAEs: the importance-weighted bound with K samples per row as the log-likelihood estimate.
    #[arg(long, value_name = "K")]
    pub iwae: Option<usize>,
    /// GANs and VAEs: the Parzen-window log-likelihood estimate (a weak metric, marked so).
    #[arg(long)]
    pub parzen: bool,
    /// GANs and VAEs: a classifier two-sample test of generated against these real images.
    #[arg(long)]
    pub two_sample: bool,
    /// GANs: draw the generated images for --parzen and --two-sample with the latent input
    /// truncated at this many standard deviations (as `sample --truncation`).
    #[arg(long, value_name = "T")]
    pub truncation: Option<f64>,
}

/// `genmodels predict MODEL DATA`
#[derive(Args, Debug, Clone)]
#[command(
    after_help = "Examples:\n  genmodels predict faithful.json new.csv            # component and its probability\n  genmodels predict faithful.json new.csv --proba    # every component's probability\n  genmodels predict faithful.json gaps.csv --impute  # fill empty cells by their conditional mean\n  genmodels predict asia.bif patients.csv --target lung --proba   # a network: P(lung | the rest of the row)"
)]
pub struct PredictArgs {
    /// The model file.
    pub model: PathBuf,
    /// The data: CSV with a header, or .npy.
    pub data: PathBuf,
    #[command(flatten)]
    pub data_flags: DataFlags,
    /// A CSV column naming the sequence of each row (HMMs decode each sequence on its own).
    #[arg(long, value_name = "COLUMN")]
    pub sequence_column: Option<String>,
    /// Print the probability of every component (or class, or state), not just the best.
    #[arg(long)]
    pub proba: bool,
    /// Bayesian networks: the variable(s) to predict from each row's other cells.
    #[arg(long, value_delimiter = ',', value_name = "NAME,...")]
    pub target: Vec<String>,
    /// Fill missing (empty or NaN) cells with their conditional mean given the row's other cells.
    #[arg(long, conflicts_with = "proba")]
    pub impute: bool,
    /// RBMs: write the hidden units' probabilities of each row (learned features).
    #[arg(long)]
    pub features: bool,
    /// VAEs: write each row's latent mean and log-variance.
    #[arg(long)]
    pub encode: bool,
    /// Recommender RBMs: the top N items for `--user`.
    #[arg(long, value_name = "N")]
    pub recommend: Option<usize>,
    /// Recommender RBMs: the user to recommend for.
    #[arg(long, value_name = "ID")]
    pub user: Option<String>,
    /// Neural models: labels of the images (IDX, or a one-column CSV), for conditional models.
    #[arg(long, value_name = "FILE")]
    pub labels: Option<PathBuf>,
    /// Write the predictions to this CSV file instead of printing them.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Threshold for binary models: values above T become 1, others 0.
    #[arg(long, value_name = "T")]
    pub binarize: Option<f64>,
}

/// `genmodels sample MODEL -n N`
#[derive(Args, Debug, Clone)]
#[command(
    after_help = "Examples:\n  genmodels sample faithful.json -n 500 -o s.csv\n  genmodels sample faithful.json -n 5 --given waiting=80\n  genmodels sample faithful.json -n 1000 -o s.npy --seed 7"
)]
pub struct SampleArgs {
    /// The model file.
    pub model: PathBuf,
    /// Number of samples.
    #[arg(short = 'n', long = "n-samples", default_value_t = 10)]
    pub n: usize,
    /// Write to this file (.csv or .npy) instead of printing.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Seed of the random draws.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// For a classifier: draw new instances of this class.
    #[arg(long, value_name = "CLASS")]
    pub label: Option<String>,
    /// Condition on known values: NAME=VALUE,... (features by name, or x1, x2, ...); for an
    /// RBM, a file of images whose missing (NaN or empty) pixels are filled in.
    #[arg(long, value_name = "COL=VAL,...|FILE")]
    pub given: Option<String>,
    /// RBMs: Gibbs steps between the start and each returned sample.
    #[arg(long, value_name = "N")]
    pub gibbs_steps: Option<usize>,
    /// GANs: truncate the latent input at this many standard deviations (resampling beyond).
    #[arg(long, value_name = "T")]
    pub truncation: Option<f64>,
    /// Image grids: pictures per row (default: the square root of N, or one row per class).
    #[arg(long, value_name = "N")]
    pub columns: Option<usize>,
    /// Threshold for binary models: values above T become 1, others 0 (for `--given` images).
    #[arg(long, value_name = "T")]
    pub binarize: Option<f64>,
}

/// `genmodels info MODEL`
#[derive(Args, Debug, Clone)]
#[command(
    after_help = "Examples:\n  genmodels info faithful.json\n  genmodels info faithful.json --json"
)]
pub struct InfoArgs {
    /// The model file.
    pub model: PathBuf,
}

/// `genmodels plot MODEL [DATA] -o OUT`
#[derive(Args, Debug, Clone)]
#[command(
    after_help = "Examples:\n  genmodels plot faithful.json data/old_faithful.csv -o fig.png   # scatter with 1σ/2σ ellipses\n  genmodels plot faithful.json --kind selection -o bic.svg          # BIC/AIC against K\n  genmodels plot faithful.json --kind convergence -o em.png         # objective per iteration"
)]
pub struct PlotArgs {
    /// The model file.
    pub model: PathBuf,
    /// Data to draw under the model (optional).
    pub data: Option<PathBuf>,
    #[command(flatten)]
    pub data_flags: DataFlags,
    /// Output picture: .png or .svg.
    #[arg(short, long)]
    pub output: PathBuf,
    /// What to draw: `model` (default: the picture of the model), `selection` (criterion
    /// against the number of components), `convergence` (objective per iteration).
    #[arg(long, default_value = "model")]
    pub kind: String,
    /// Feature on the horizontal axis (name or 1-based index; default the first).
    #[arg(long)]
    pub x: Option<String>,
    /// Feature on the vertical axis (name or 1-based index; default the second).
    #[arg(long)]
    pub y: Option<String>,
    /// Threshold for binary models: values above T become 1, others 0.
    #[arg(long, value_name = "T")]
    pub binarize: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::Binarize;

    #[test]
    fn binarize_parses_thresholds_and_stochastic() {
        assert_eq!("0.5".parse(), Ok(Binarize::Threshold(0.5)));
        assert_eq!("stochastic".parse(), Ok(Binarize::Stochastic));
        assert!("nan".parse::<Binarize>().is_err());
        assert!("half".parse::<Binarize>().is_err());
        assert_eq!(Binarize::threshold(None, "VAE").unwrap(), None);
        assert_eq!(
            Binarize::threshold(Some(Binarize::Threshold(0.3)), "VAE").unwrap(),
            Some(0.3)
        );
        let x = ndarray::Array2::from_shape_fn((200, 50), |(i, _)| i as f32 / 199.0);
        let t = Binarize::Threshold(0.5).apply(&x, 0);
        assert!(t
            .indexed_iter()
            .all(|((i, _), &v)| v == f32::from(i >= 100)));
        let s = Binarize::Stochastic.apply(&x, 3);
        assert!(s.iter().all(|&v| v == 0.0 || v == 1.0));
        assert_eq!(s, Binarize::Stochastic.apply(&x, 3));
        // Each row's share of ones is close to its value (50 draws per row, 200 rows).
        let err: f32 = s
            .outer_iter()
            .zip(x.outer_iter())
            .map(|(s, x)| (s.mean().unwrap() - x[0]).abs())
            .sum::<f32>()
            / 200.0;
        assert!(err < 0.08, "mean |share − p| = {err}");
        let e = Binarize::threshold(Some(Binarize::Stochastic), "VAE").unwrap_err();
        assert!(e
            .to_string()
            .contains("VAE models are scored on thresholded data"));
    }
}
