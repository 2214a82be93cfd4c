//! Collaborative filtering with RBMs (Salakhutdinov, Mnih & Hinton 2007): every item is a
//! softmax visible unit over the K rating levels, every user is an RBM over the items that user
//! rated, and all users' RBMs share the weights. Trained by CD-k on each user's rated items;
//! the rating of an unrated item is predicted as its expected level under
//! `p(v | ĥ)`, `ĥ = P(h | the user's ratings)`.
//!
//! Users or items without training ratings fall back to the item means (cold start) or the
//! global mean, and say so ([`Source`]).
//!
//! ```
//! use genmodels::neural::rbm::recommend::{synthetic_ratings, RecommenderParams};
//! # fn main() -> genmodels::core::Result<()> {
//! let all = synthetic_ratings(200, 40, 2, 0.4, 1);
//! let (train, test) = all.split(0.2, 2)?;
//! let rec = RecommenderParams::new(20).epochs(30).seed(3).fit(&train)?;
//! let e = rec.evaluate(&test)?;
//! assert!(e.rmse < e.rmse_global_mean);
//! let top = rec.recommend("u7", 5, &[])?;
//! assert_eq!(top.items.len(), 5);
//! # Ok(()) }
//! ```

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Instant;

use burn::module::{Module, Param};
use burn::tensor::activation::{sigmoid, softmax};
use burn::tensor::{Tensor, TensorData};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use super::{bernoulli, to_vec};
use crate::core::rng_from_seed;
use crate::core::{DataError, Flow, Monitor, ParamError, Result, Step};
use crate::neural::checkpoint::{self, CheckpointMeta};
use crate::neural::tensor::{cpu, normal_tensor, uniform_tensor};
use crate::neural::train::{end_of_epoch, BatchReport};

/// The checkpoint format name of a recommender RBM.
pub const FORMAT: &str = "rbm-recommender";

/// Ratings: users and items by name, the distinct rating values (levels), and one entry per
/// (user, item) rated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ratings {
    /// User names; entries refer to them by index.
    pub users: Vec<String>,
    /// Item names.
    pub items: Vec<String>,
    /// The distinct rating values, increasing.
    pub levels: Vec<f64>,
    /// `(user, item, level)` indices.
    pub entries: Vec<(u32, u32, u8)>,
}

impl Ratings {
    /// Ratings from `(user, item, rating)` triples: at most 255 distinct, finite rating values;
    /// a (user, item) pair rated twice is an error.
    pub fn from_triples(rows: &[(String, String, f64)]) -> Result<Ratings> {
        if rows.is_empty() {
            return Err(DataError::Empty {
                what: "the ratings".into(),
            }
            .into());
        }
        let mut levels: Vec<f64> = Vec::new();
        for (r, (_, _, v)) in rows.iter().enumerate() {
            if !v.is_finite() {
                return Err(DataError::NonFinite {
                    row: r + 1,
                    column: "rating".into(),
                    value: v.to_string(),
                    hint: String::new(),
                }
                .into());
            }
            if !levels.contains(v) {
                levels.push(*v);
            }
        }
        levels.sort_by(|a, b| a.total_cmp(b));
        if levels.len() > 255 {
            return Err(DataError::Other(format!(
                "{} distinct rating values: a softmax RBM needs a few rating levels (at most 255); round the ratings",
                levels.len()
            ))
            .into());
        }
        let mut users = Vec::new();
        let mut items = Vec::new();
        let mut uix: HashMap<String, u32> = HashMap::new();
        let mut iix: HashMap<String, u32> = HashMap::new();
        let mut seen = HashSet::new();
        let mut entries = Vec::with_capacity(rows.len());
        for (r, (u, i, v)) in rows.iter().enumerate() {
            let ui = *uix.entry(u.clone()).or_insert_with(|| {
                users.push(u.clone());
                (users.len() - 1) as u32
            });
            let ii = *iix.entry(i.clone()).or_insert_with(|| {
                items.push(i.clone());
                (items.len() - 1) as u32
            });
            if !seen.insert((ui, ii)) {
                return Err(DataError::Other(format!(
                    "row {}: user {u} rated item {i} twice; keep one rating per user and item",
                    r + 1
                ))
                .into());
            }
            let l = levels.iter().position(|x| x == v).expect("a level") as u8;
            entries.push((ui, ii, l));
        }
        Ok(Ratings {
            users,
            items,
            levels,
            entries,
        })
    }

    /// The rating value of an entry.
    pub fn value(&self, e: &(u32, u32, u8)) -> f64 {
        self.levels[e.2 as usize]
    }

    /// Holds out a fraction of each user's ratings (users with at least 2 ratings keep at
    /// least one in the training part), seeded. Both parts keep the same users, items and
    /// levels.
    pub fn split(&self, test_fraction: f64, seed: u64) -> Result<(Ratings, Ratings)> {
        if !(test_fraction > 0.0 && test_fraction < 1.0) {
            return Err(ParamError::Invalid {
                name: "test_fraction",
                value: test_fraction.to_string(),
                expected: "a fraction in (0, 1)".into(),
            }
            .into());
        }
        let mut rng = rng_from_seed(seed);
        let mut by_user: Vec<Vec<(u32, u32, u8)>> = vec![Vec::new(); self.users.len()];
        for e in &self.entries {
            by_user[e.0 as usize].push(*e);
        }
        let (mut train, mut test) = (Vec::new(), Vec::new());
        for mut es in by_user {
            es.shuffle(&mut rng);
            let n_test = if es.len() >= 2 {
                ((es.len() as f64 * test_fraction).round() as usize).clamp(0, es.len() - 1)
            } else {
                0
            };
            test.extend_from_slice(&es[..n_test]);
            train.extend_from_slice(&es[n_test..]);
        }
        let part = |entries| Ratings {
            users: self.users.clone(),
            items: self.items.clone(),
            levels: self.levels.clone(),
            entries,
        };
        Ok((part(train), part(test)))
    }
}

/// Synthetic ratings from a seeded low-rank model (for tests and demonstrations, where no
/// real ratings data set is bundled): user and item factors of rank `rank` drawn N(0, 1), an
/// item bias N(0, 0.5²), a score `uᵀv/√rank + bias + N(0, 0.3²)` rounded to the levels 1..5
/// around 3; each user rates each item with probability `density`. Users are named `u0`, …,
/// items `i0`, ….
pub fn synthetic_ratings(
    n_users: usize,
    n_items: usize,
    rank: usize,
    density: f64,
    seed: u64,
) -> Ratings {
    let mut rng = rng_from_seed(seed);
    let normal = |rng: &mut crate::core::SeededRng| -> f64 { StandardNormal.sample(rng) };
    let uf: Vec<Vec<f64>> = (0..n_users)
        .map(|_| (0..rank).map(|_| normal(&mut rng)).collect())
        .collect();
    let vf: Vec<Vec<f64>> = (0..n_items)
        .map(|_| (0..rank).map(|_| normal(&mut rng)).collect())
        .collect();
    let bias: Vec<f64> = (0..n_items).map(|_| 0.5 * normal(&mut rng)).collect();
    let mut rows = Vec::new();
    for (u, fu) in uf.iter().enumerate() {
        for (i, fi) in vf.iter().enumerate() {
            if rng.random::<f64>() < density {
                let s: f64 = fu.iter().zip(fi).map(|(a, b)| a * b).sum::<f64>()
                    / (rank.max(1) as f64).sqrt()
                    + bias[i]
                    + 0.3 * normal(&mut rng);
                let r = (3.0 + s).round().clamp(1.0, 5.0);
                rows.push((format!("u{u}"), format!("i{i}"), r));
            }
        }
    }
    Ratings::from_triples(&rows).expect("synthetic ratings are valid")
}

/// Hyper-parameters of a recommender RBM fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecommenderParams {
    /// Hidden units.
    pub n_hidden: usize,
    /// Gibbs steps of CD.
    pub k: usize,
    /// Passes over the users.
    pub epochs: usize,
    /// Users per mini-batch.
    pub batch_size: usize,
    /// Learning rate.
    pub learning_rate: f64,
    /// Momentum, in [0, 1).
    pub momentum: f64,
    /// L2 weight decay on W.
    pub weight_decay: f64,
    /// Seed.
    pub seed: u64,
}

impl RecommenderParams {
    /// Defaults close to the paper's: CD-1, 20 epochs, batches of 10 users, learning rate
    /// 0.05, momentum 0.9, weight decay 0.001.
    pub fn new(n_hidden: usize) -> Self {
        RecommenderParams {
            n_hidden,
            k: 1,
            epochs: 20,
            batch_size: 10,
            learning_rate: 0.05,
            momentum: 0.9,
            weight_decay: 0.001,
            seed: 0,
        }
    }
    /// Gibbs steps of CD.
    pub fn k(mut self, k: usize) -> Self {
        self.k = k;
        self
    }
    /// Passes over the users.
    pub fn epochs(mut self, e: usize) -> Self {
        self.epochs = e;
        self
    }
    /// Users per mini-batch.
    pub fn batch_size(mut self, b: usize) -> Self {
        self.batch_size = b;
        self
    }
    /// Learning rate.
    pub fn learning_rate(mut self, lr: f64) -> Self {
        self.learning_rate = lr;
        self
    }
    /// Momentum.
    pub fn momentum(mut self, m: f64) -> Self {
        self.momentum = m;
        self
    }
    /// Weight decay.
    pub fn weight_decay(mut self, w: f64) -> Self {
        self.weight_decay = w;
        self
    }
    /// Seed.
    pub fn seed(mut self, s: u64) -> Self {
        self.seed = s;
        self
    }

    fn check(&self) -> Result<(), ParamError> {
        let bad = |name, value: String, expected: &str| ParamError::Invalid {
            name,
            value,
            expected: expected.into(),
        };
        if self.n_hidden == 0 {
            return Err(bad("hidden", "0".into(), "at least 1 hidden unit"));
        }
        if self.k == 0 || self.epochs == 0 || self.batch_size == 0 {
            return Err(bad(
                "k/epochs/batch_size",
                format!("{}/{}/{}", self.k, self.epochs, self.batch_size),
                "each at least 1",
            ));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(bad(
                "lr",
                self.learning_rate.to_string(),
                "a finite number > 0",
            ));
        }
        if !(0.0..1.0).contains(&self.momentum) {
            return Err(bad(
                "momentum",
                self.momentum.to_string(),
                "a number in [0, 1)",
            ));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(bad(
                "weight_decay",
                self.weight_decay.to_string(),
                "a finite number >= 0",
            ));
        }
        Ok(())
    }

    /// Fits silently.
    pub fn fit(&self, ratings: &Ratings) -> Result<Recommender> {
        self.fit_with(ratings, &mut crate::core::Silent)
    }

    /// Fits, reporting the training RMSE (as `−RMSE`) after every epoch.
    pub fn fit_with(&self, ratings: &Ratings, monitor: &mut dyn Monitor) -> Result<Recommender> {
        self.check()?;
        if ratings.entries.is_empty() {
            return Err(DataError::Empty {
                what: "the ratings".into(),
            }
            .into());
        }
        train(self, ratings, monitor)
    }
}

/// The shared weights: W (`items·K × hidden`, item-major), visible biases, hidden biases.
#[derive(Module, Debug)]
pub struct SoftmaxRbmWeights {
    /// Weights.
    pub w: Param<Tensor<2>>,
    /// Visible biases (one per item and level).
    pub b: Param<Tensor<1>>,
    /// Hidden biases.
    pub c: Param<Tensor<1>>,
}

/// What the checkpoint keeps besides the weights: the hyper-parameters and the training
/// ratings (the users' known ratings are the input of their predictions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecommenderConfig {
    /// Hyper-parameters.
    pub params: RecommenderParams,
    /// The training ratings.
    pub ratings: Ratings,
    /// The names of the user, item and rating columns the ratings were read from (if any).
    #[serde(default)]
    pub columns: Vec<String>,
}

impl RecommenderConfig {
    /// Checks what a checkpoint says besides the weights: valid hyper-parameters, rating levels
    /// that are finite and increasing (at most 255), and entries that refer to existing users,
    /// items and levels, one per (user, item), so that nothing indexes out of range later.
    pub fn check(&self) -> std::result::Result<(), String> {
        self.params.check().map_err(|e| e.to_string())?;
        let r = &self.ratings;
        if r.levels.is_empty() || r.levels.len() > 255 {
            return Err(format!(
                "{} rating levels; between 1 and 255 are needed",
                r.levels.len()
            ));
        }
        if let Some(l) = r.levels.iter().find(|l| !l.is_finite()) {
            return Err(format!("the rating level {l} is not a finite number"));
        }
        if let Some(i) = r.levels.windows(2).position(|w| w[0] >= w[1]) {
            return Err(format!(
                "the rating levels must increase, but level {i} is {} and level {} is {}",
                r.levels[i],
                i + 1,
                r.levels[i + 1]
            ));
        }
        if r.items.len().checked_mul(r.levels.len()).is_none() {
            return Err("the number of visible units (items × levels) overflows".into());
        }
        let mut seen = HashSet::with_capacity(r.entries.len());
        for (n, &(u, i, l)) in r.entries.iter().enumerate() {
            if u as usize >= r.users.len()
                || i as usize >= r.items.len()
                || l as usize >= r.levels.len()
            {
                return Err(format!(
                    "rating entry {n} refers to user {u}, item {i}, level {l}, but there are {} users, {} items and {} levels",
                    r.users.len(),
                    r.items.len(),
                    r.levels.len()
                ));
            }
            if !seen.insert((u, i)) {
                return Err(format!(
                    "rating entry {n}: user {u} rates item {i} a second time"
                ));
            }
        }
        Ok(())
    }
}

/// One epoch of a recommender fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecommenderEpoch {
    /// 1-based epoch.
    pub epoch: usize,
    /// RMSE of the mean-field reconstruction of the training ratings.
    pub train_rmse: f64,
    /// Seconds of the updates.
    pub seconds: f64,
}

/// A fitted recommender RBM.
#[derive(Debug, Clone)]
pub struct Recommender {
    /// The weights.
    pub weights: SoftmaxRbmWeights,
    /// Hyper-parameters and training ratings.
    pub config: RecommenderConfig,
    /// Per-epoch statistics.
    pub report: Vec<RecommenderEpoch>,
    user_index: HashMap<String, usize>,
    item_index: HashMap<String, usize>,
    by_user: Vec<Vec<(u32, u8)>>,
    item_means: Vec<Option<f64>>,
    global_mean: f64,
}

/// Where a predicted rating came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The RBM, from the user's known ratings.
    Rbm,
    /// The user has no known ratings (cold start): the item's mean training rating.
    ItemMean,
    /// The item has no training ratings (or is unknown): the global mean rating.
    GlobalMean,
}

/// A predicted rating.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// The expected rating.
    pub rating: f64,
    /// How it was obtained.
    pub source: Source,
}

/// A top-N list.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendations {
    /// Item names with their predicted ratings, best first.
    pub items: Vec<(String, f64)>,
    /// How the ratings were obtained (item means for a user without ratings).
    pub source: Source,
}

/// RMSE of predictions on held-out ratings, next to the two baselines.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Ratings evaluated.
    pub n: usize,
    /// RMSE of the RBM's predictions (with the fallbacks where needed).
    pub rmse: f64,
    /// RMSE of predicting the global mean training rating.
    pub rmse_global_mean: f64,
    /// RMSE of predicting each item's mean training rating (the global mean for items without).
    pub rmse_item_mean: f64,
    /// Ratings predicted by a fallback (unknown user or item).
    pub n_fallback: usize,
}

fn by_user(r: &Ratings) -> Vec<Vec<(u32, u8)>> {
    let mut v = vec![Vec::new(); r.users.len()];
    for &(u, i, l) in &r.entries {
        v[u as usize].push((i, l));
    }
    v
}

/// One-hot rows of the given users' known ratings, `B × items·K`, and the rated-item mask
/// `B × items`.
fn one_hot(users: &[&[(u32, u8)]], n_items: usize, k: usize) -> (Vec<f32>, Vec<f32>) {
    let mut v = vec![0f32; users.len() * n_items * k];
    let mut m = vec![0f32; users.len() * n_items];
    for (r, es) in users.iter().enumerate() {
        for &(i, l) in es.iter() {
            v[r * n_items * k + i as usize * k + l as usize] = 1.0;
            m[r * n_items + i as usize] = 1.0;
        }
    }
    (v, m)
}

struct SNet {
    w: Tensor<2>,
    b: Tensor<2>,
    c: Tensor<2>,
    n_items: usize,
    k: usize,
}

impl SNet {
    fn hidden_probs(&self, v: Tensor<2>) -> Tensor<2> {
        sigmoid(v.matmul(self.w.clone()) + self.c.clone())
    }
    /// Softmax over levels of each item given hidden states: `B × items × K`.
    fn visible_probs(&self, h: Tensor<2>) -> Tensor<3> {
        let bsz = h.dims()[0];
        let a = h.matmul(self.w.clone().transpose()) + self.b.clone();
        softmax(a.reshape([bsz, self.n_items, self.k]), 2)
    }
}

fn train(p: &RecommenderParams, r: &Ratings, monitor: &mut dyn Monitor) -> Result<Recommender> {
    let dev = cpu();
    let mut rng = rng_from_seed(p.seed);
    let (ni, k, nh) = (r.items.len(), r.levels.len(), p.n_hidden);
    let nvis = ni * k;
    let users = by_user(r);
    let active: Vec<usize> = (0..users.len()).filter(|&u| !users[u].is_empty()).collect();
    // Visible biases: log of each item's level frequencies (smoothed).
    let mut counts = vec![1f64; nvis];
    for &(_, i, l) in &r.entries {
        counts[i as usize * k + l as usize] += 1.0;
    }
    let b0: Vec<f32> = (0..ni)
        .flat_map(|i| {
            let tot: f64 = counts[i * k..(i + 1) * k].iter().sum();
            counts[i * k..(i + 1) * k]
                .iter()
                .map(move |c| (c / tot).ln() as f32)
                .collect::<Vec<_>>()
        })
        .collect();
    let mut net = SNet {
        w: normal_tensor(&mut rng, [nvis, nh], &dev) * 0.01,
        b: Tensor::from_data(TensorData::new(b0, [1, nvis]), &dev),
        c: Tensor::zeros([1, nh], &dev),
        n_items: ni,
        k,
    };
    let (mut vw, mut vb, mut vc) = (
        Tensor::<2>::zeros([nvis, nh], &dev),
        Tensor::<2>::zeros([1, nvis], &dev),
        Tensor::<2>::zeros([1, nh], &dev),
    );
    let (m, wd) = (p.momentum as f32, p.weight_decay as f32);
    let mut report = Vec::new();
    let mut model = None;
    for epoch in 0..p.epochs {
        let t0 = Instant::now();
        let lr = p.learning_rate as f32;
        let mut order = active.clone();
        order.shuffle(&mut rng);
        let mut batches = BatchReport::new(
            epoch + 1,
            p.epochs,
            order.len().div_ceil(p.batch_size.max(1)),
            order.len(),
        );
        for batch in order.chunks(p.batch_size) {
            let bsz = batch.len();
            let rows: Vec<&[(u32, u8)]> = batch.iter().map(|&u| users[u].as_slice()).collect();
            let (v, mask) = one_hot(&rows, ni, k);
            let v0 = Tensor::<2>::from_data(TensorData::new(v, [bsz, nvis]), &dev);
            let mask = Tensor::<3>::from_data(TensorData::new(mask, [bsz, ni, 1]), &dev);
            let ph0 = net.hidden_probs(v0.clone());
            let mut h = bernoulli(ph0.clone(), &mut rng);
            let mut vk = v0.clone();
            let mut phk = ph0.clone();
            for s in 0..p.k {
                let probs = net.visible_probs(h.clone());
                // One level per item: the first level whose cumulative probability exceeds u.
                let cum = probs.cumsum(2).slice([0..bsz, 0..ni, 0..k - 1]);
                let u = uniform_tensor(&mut rng, [bsz, ni], &dev).reshape([bsz, ni, 1]);
                let above = if k > 1 {
                    Tensor::cat(
                        vec![cum.greater(u).float(), Tensor::ones([bsz, ni, 1], &dev)],
                        2,
                    )
                } else {
                    Tensor::ones([bsz, ni, 1], &dev)
                };
                let before = if k > 1 {
                    Tensor::cat(
                        vec![
                            Tensor::zeros([bsz, ni, 1], &dev),
                            above.clone().slice([0..bsz, 0..ni, 0..k - 1]),
                        ],
                        2,
                    )
                } else {
                    Tensor::zeros([bsz, ni, 1], &dev)
                };
                // Only the items the user rated are visible units of that user's RBM.
                let onehot = (above - before) * mask.clone();
                vk = onehot.reshape([bsz, nvis]);
                phk = net.hidden_probs(vk.clone());
                if s + 1 < p.k {
                    h = bernoulli(phk.clone(), &mut rng);
                }
            }
            let n = bsz as f32;
            let gw = (v0.clone().transpose().matmul(ph0.clone())
                - vk.clone().transpose().matmul(phk.clone()))
                / n;
            let gb = (v0 - vk).mean_dim(0);
            let gc = (ph0 - phk).mean_dim(0);
            vw = vw * m + (gw - net.w.clone() * wd) * lr;
            vb = vb * m + gb * lr;
            vc = vc * m + gc * lr;
            net.w = net.w.clone() + vw.clone();
            net.b = net.b.clone() + vb.clone();
            net.c = net.c.clone() + vc.clone();
            batches.done(monitor, bsz, None)?;
        }
        let seconds = t0.elapsed().as_secs_f64();
        let rec = Recommender::assemble(&net, p, r, Vec::new());
        let train_rmse = rec.rmse_on(r, &users);
        if !train_rmse.is_finite() {
            return Err(crate::core::NumericalError::NonFiniteObjective {
                iteration: epoch + 1,
                value: train_rmse,
            }
            .into());
        }
        report.push(RecommenderEpoch {
            epoch: epoch + 1,
            train_rmse,
            seconds,
        });
        let flow = end_of_epoch(
            monitor,
            Step {
                run: 0,
                iteration: epoch + 1,
                max_iterations: p.epochs,
                objective: -train_rmse,
            },
        )?;
        model = Some(rec);
        if flow == Flow::Stop {
            break;
        }
    }
    let mut rec = model.expect("at least one epoch");
    rec.report = report;
    Ok(rec)
}

impl Recommender {
    fn assemble(
        net: &SNet,
        p: &RecommenderParams,
        r: &Ratings,
        report: Vec<RecommenderEpoch>,
    ) -> Recommender {
        let dev = net.w.device();
        let flat = |t: &Tensor<2>| {
            let v = to_vec(t.clone());
            let n = v.len();
            Tensor::<1>::from_data(TensorData::new(v, [n]), &dev)
        };
        let weights = SoftmaxRbmWeights {
            w: Param::from_tensor(net.w.clone()),
            b: Param::from_tensor(flat(&net.b)),
            c: Param::from_tensor(flat(&net.c)),
        };
        Recommender::from_parts(
            weights,
            RecommenderConfig {
                params: p.clone(),
                ratings: r.clone(),
                columns: Vec::new(),
            },
            report,
        )
    }

    fn from_parts(
        weights: SoftmaxRbmWeights,
        config: RecommenderConfig,
        report: Vec<RecommenderEpoch>,
    ) -> Recommender {
        let r = &config.ratings;
        let user_index = r
            .users
            .iter()
            .enumerate()
            .map(|(i, u)| (u.clone(), i))
            .collect();
        let item_index = r
            .items
            .iter()
            .enumerate()
            .map(|(i, u)| (u.clone(), i))
            .collect();
        let mut sum = vec![0f64; r.items.len()];
        let mut cnt = vec![0usize; r.items.len()];
        for e in &r.entries {
            sum[e.1 as usize] += r.value(e);
            cnt[e.1 as usize] += 1;
        }
        let global_mean =
            r.entries.iter().map(|e| r.value(e)).sum::<f64>() / r.entries.len().max(1) as f64;
        let item_means = sum
            .iter()
            .zip(&cnt)
            .map(|(s, &c)| (c > 0).then(|| s / c as f64))
            .collect();
        let by_user = by_user(r);
        Recommender {
            weights,
            config,
            report,
            user_index,
            item_index,
            by_user,
            item_means,
            global_mean,
        }
    }

    fn snet(&self) -> SNet {
        let r = &self.config.ratings;
        SNet {
            w: self.weights.w.val(),
            b: self.weights.b.val().unsqueeze::<2>(),
            c: self.weights.c.val().unsqueeze::<2>(),
            n_items: r.items.len(),
            k: r.levels.len(),
        }
    }

    /// The training ratings.
    pub fn ratings(&self) -> &Ratings {
        &self.config.ratings
    }

    /// The mean training rating.
    pub fn global_mean(&self) -> f64 {
        self.global_mean
    }

    /// The mean training rating of an item (None for an unknown item or one without ratings).
    pub fn item_mean(&self, item: &str) -> Option<f64> {
        self.item_index.get(item).and_then(|&i| self.item_means[i])
    }

    /// Whether the user has training ratings.
    pub fn knows_user(&self, user: &str) -> bool {
        self.user_index
            .get(user)
            .is_some_and(|&u| !self.by_user[u].is_empty())
    }

    /// Whether the item is known.
    pub fn knows_item(&self, item: &str) -> bool {
        self.item_index.contains_key(item)
    }

    /// Expected rating of every item for users with the given known ratings, `users × items`.
    fn expected(&self, users: &[&[(u32, u8)]]) -> Vec<Vec<f64>> {
        let net = self.snet();
        let r = &self.config.ratings;
        let (ni, k) = (r.items.len(), r.levels.len());
        let dev = net.w.device();
        let mut out = Vec::with_capacity(users.len());
        for chunk in users.chunks(256) {
            let (v, _) = one_hot(chunk, ni, k);
            let v = Tensor::<2>::from_data(TensorData::new(v, [chunk.len(), ni * k]), &dev);
            let probs = net.visible_probs(net.hidden_probs(v));
            let p = to_vec(probs.reshape([chunk.len(), ni * k]));
            for row in p.chunks(ni * k) {
                out.push(
                    row.chunks(k)
                        .map(|ps| {
                            ps.iter()
                                .zip(&r.levels)
                                .map(|(p, l)| *p as f64 * l)
                                .sum::<f64>()
                        })
                        .collect(),
                );
            }
        }
        out
    }

    fn rmse_on(&self, r: &Ratings, users: &[Vec<(u32, u8)>]) -> f64 {
        let refs: Vec<&[(u32, u8)]> = users.iter().map(|u| u.as_slice()).collect();
        let e = self.expected(&refs);
        let se: f64 = r
            .entries
            .iter()
            .map(|x| (e[x.0 as usize][x.1 as usize] - r.value(x)).powi(2))
            .sum();
        (se / r.entries.len().max(1) as f64).sqrt()
    }

    /// The predicted rating of `item` by `user`, from the user's training ratings plus
    /// `extra` (item, rating) pairs; falls back to the item mean for a user without any
    /// ratings (cold start), and to the global mean for an unknown item.
    pub fn predict(&self, user: &str, item: &str, extra: &[(String, f64)]) -> Result<Prediction> {
        let Some(&ii) = self.item_index.get(item) else {
            return Ok(Prediction {
                rating: self.global_mean,
                source: Source::GlobalMean,
            });
        };
        let known = self.known(user, extra)?;
        if known.is_empty() {
            return Ok(match self.item_means[ii] {
                Some(m) => Prediction {
                    rating: m,
                    source: Source::ItemMean,
                },
                None => Prediction {
                    rating: self.global_mean,
                    source: Source::GlobalMean,
                },
            });
        }
        let e = self.expected(&[known.as_slice()]);
        Ok(Prediction {
            rating: e[0][ii],
            source: Source::Rbm,
        })
    }

    /// A user's known ratings: the training ones plus `extra` pairs on known items (ratings
    /// are rounded to the nearest level).
    fn known(&self, user: &str, extra: &[(String, f64)]) -> Result<Vec<(u32, u8)>> {
        let mut known: Vec<(u32, u8)> = self
            .user_index
            .get(user)
            .map(|&u| self.by_user[u].clone())
            .unwrap_or_default();
        let levels = &self.config.ratings.levels;
        for (item, v) in extra {
            if !v.is_finite() {
                return Err(DataError::Other(format!(
                    "the rating of item {item} is {v}, not a number"
                ))
                .into());
            }
            if let Some(&ii) = self.item_index.get(item) {
                let l = levels
                    .iter()
                    .enumerate()
                    .min_by(|a, b| (a.1 - v).abs().total_cmp(&(b.1 - v).abs()))
                    .map(|(l, _)| l as u8)
                    .expect("at least one level");
                known.retain(|(i, _)| *i != ii as u32);
                known.push((ii as u32, l));
            }
        }
        Ok(known)
    }

    /// The top `n` items that the user has not rated (in training or `extra`), best first.
    /// A user without any ratings gets the items with the highest mean rating (cold start,
    /// marked [`Source::ItemMean`]).
    pub fn recommend(
        &self,
        user: &str,
        n: usize,
        extra: &[(String, f64)],
    ) -> Result<Recommendations> {
        let known = self.known(user, extra)?;
        let items = &self.config.ratings.items;
        let (scores, source): (Vec<f64>, Source) = if known.is_empty() {
            (
                self.item_means
                    .iter()
                    .map(|m| m.unwrap_or(self.global_mean))
                    .collect(),
                Source::ItemMean,
            )
        } else {
            (self.expected(&[known.as_slice()]).remove(0), Source::Rbm)
        };
        let rated: HashSet<u32> = known.iter().map(|(i, _)| *i).collect();
        let mut cand: Vec<(usize, f64)> = scores
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !rated.contains(&(*i as u32)))
            .collect();
        cand.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(Recommendations {
            items: cand
                .into_iter()
                .take(n)
                .map(|(i, s)| (items[i].clone(), s))
                .collect(),
            source,
        })
    }

    /// RMSE on held-out ratings (named like the training ratings: the same user and item
    /// names), against the global-mean and item-mean baselines.
    pub fn evaluate(&self, test: &Ratings) -> Result<Evaluation> {
        let rows: Vec<(String, String, f64)> = test
            .entries
            .iter()
            .map(|e| {
                (
                    test.users[e.0 as usize].clone(),
                    test.items[e.1 as usize].clone(),
                    test.value(e),
                )
            })
            .collect();
        self.evaluate_rows(&rows)
    }

    /// [`evaluate`](Self::evaluate) on `(user, item, rating)` rows.
    pub fn evaluate_rows(&self, rows: &[(String, String, f64)]) -> Result<Evaluation> {
        if rows.is_empty() {
            return Err(DataError::Empty {
                what: "the held-out ratings".into(),
            }
            .into());
        }
        let preds = self.predict_rows(rows)?;
        let (mut se, mut se_g, mut se_i, mut fb) = (0.0, 0.0, 0.0, 0);
        for ((_, item, y), p) in rows.iter().zip(&preds) {
            se += (p.rating - y).powi(2);
            se_g += (self.global_mean - y).powi(2);
            let im = self.item_mean(item).unwrap_or(self.global_mean);
            se_i += (im - y).powi(2);
            if p.source != Source::Rbm {
                fb += 1;
            }
        }
        let n = rows.len() as f64;
        Ok(Evaluation {
            n: rows.len(),
            rmse: (se / n).sqrt(),
            rmse_global_mean: (se_g / n).sqrt(),
            rmse_item_mean: (se_i / n).sqrt(),
            n_fallback: fb,
        })
    }

    /// Predictions for `(user, item, _)` rows from each user's training ratings (one pass per
    /// distinct user), with the fallbacks of [`predict`](Self::predict).
    pub fn predict_rows(&self, rows: &[(String, String, f64)]) -> Result<Vec<Prediction>> {
        let mut known_users: Vec<usize> = rows
            .iter()
            .filter_map(|(u, _, _)| self.user_index.get(u).copied())
            .filter(|&u| !self.by_user[u].is_empty())
            .collect();
        known_users.sort_unstable();
        known_users.dedup();
        let refs: Vec<&[(u32, u8)]> = known_users
            .iter()
            .map(|&u| self.by_user[u].as_slice())
            .collect();
        let e = self.expected(&refs);
        let pos: HashMap<usize, usize> = known_users
            .iter()
            .enumerate()
            .map(|(k, &u)| (u, k))
            .collect();
        Ok(rows
            .iter()
            .map(|(u, i, _)| {
                let ii = self.item_index.get(i).copied();
                let uu = self.user_index.get(u).and_then(|x| pos.get(x)).copied();
                match (ii, uu) {
                    (None, _) => Prediction {
                        rating: self.global_mean,
                        source: Source::GlobalMean,
                    },
                    (Some(ii), Some(k)) => Prediction {
                        rating: e[k][ii],
                        source: Source::Rbm,
                    },
                    (Some(ii), None) => match self.item_means[ii] {
                        Some(m) => Prediction {
                            rating: m,
                            source: Source::ItemMean,
                        },
                        None => Prediction {
                            rating: self.global_mean,
                            source: Source::GlobalMean,
                        },
                    },
                }
            })
            .collect())
    }

    /// Saves as a safetensors checkpoint (format `rbm-recommender`) with the hyper-parameters
    /// and training ratings as metadata.
    pub fn save(&self, path: &Path) -> Result<()> {
        let meta = CheckpointMeta {
            format: FORMAT.into(),
            version: 1,
            config: serde_json::to_value(&self.config).expect("serialisable"),
            report: serde_json::to_value(&self.report).expect("serialisable"),
        };
        checkpoint::save_module(&self.weights, &meta, path)
    }

    /// The file [`save`](Self::save) writes, as bytes (`path` names them in errors).
    pub fn to_bytes(&self, path: &Path) -> Result<Vec<u8>> {
        let meta = CheckpointMeta {
            format: FORMAT.into(),
            version: 1,
            config: serde_json::to_value(&self.config).expect("serialisable config"),
            report: serde_json::to_value(&self.report).expect("serialisable report"),
        };
        checkpoint::module_bytes(&self.weights, &meta, path)
    }

    /// Loads a checkpoint written by [`save`](Self::save).
    pub fn load(path: &Path) -> Result<Recommender> {
        Self::from_checkpoint_bytes(checkpoint::read_bytes(path)?, path)
    }

    /// The recommender of a checkpoint's bytes (`path` names them in errors), validated as
    /// [`load`](Self::load) validates a file.
    pub(crate) fn from_checkpoint_bytes(bytes: Vec<u8>, path: &Path) -> Result<Recommender> {
        let meta = checkpoint::meta_of(&bytes, path)?;
        checkpoint::check_family(&meta, path, FORMAT)?;
        let config: RecommenderConfig =
            serde_json::from_value(meta.config.clone()).map_err(|e| {
                crate::core::ModelFileError::Corrupt {
                    path: path.into(),
                    reason: format!("bad recommender config: {e}"),
                }
            })?;
        let stored = checkpoint::stored_tensors(&bytes, path)?;
        let invalid = |reason: String| crate::core::ModelFileError::Invalid {
            path: path.into(),
            reason,
        };
        config.check().map_err(invalid)?;
        let nvis = config.ratings.items.len() * config.ratings.levels.len();
        let nh = config.params.n_hidden;
        checkpoint::TensorPlan::new()
            .param("w", &[nvis, nh])
            .param("b", &[nvis])
            .param("c", &[nh])
            .check(&stored, path, "the recommender configuration")?;
        let dev = cpu();
        let blank = SoftmaxRbmWeights {
            w: Param::from_tensor(Tensor::zeros([nvis, nh], &dev)),
            b: Param::from_tensor(Tensor::zeros([nvis], &dev)),
            c: Param::from_tensor(Tensor::zeros([nh], &dev)),
        };
        let (weights, meta) = checkpoint::module_from_bytes(blank, bytes, path, FORMAT)?;
        let report = serde_json::from_value(meta.report).unwrap_or_default();
        Ok(Recommender::from_parts(weights, config, report))
    }
}
