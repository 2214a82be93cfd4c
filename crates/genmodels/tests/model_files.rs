//! Model files are validated when they are read. `tests/fixtures/model_files/` holds one small
//! model per family written by the genmodels binary (`make_fixtures.sh` there says how); each
//! must keep loading through the library. Then every class of damage is made to a copy of a
//! fixture and must be a clear `Err` naming what is wrong — never a panic, an abort or a model
//! that answers wrongly.

use std::path::{Path, PathBuf};

use genmodels::bayesnet::formats::read_network;
use genmodels::classifier::GenerativeClassifier;
use genmodels::core::{Error, ModelFileError};
use genmodels::hmm::{CategoricalHmm, GaussianHmm, GmmHmm, MultinomialHmm, PoissonHmm};
use genmodels::io::model_file::load_model_bytes;
use genmodels::io::{load_model, read_matrix, ModelFile};
use genmodels::mixture::{BernoulliMixture, GaussianMixture};
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/model_files")
        .join(name)
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(name)
}

/// A JSON fixture as a value to damage.
fn json(name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(fixture(name)).unwrap()).unwrap()
}

/// Loads a (damaged) JSON model file as `M`.
fn load_json<M: ModelFile>(v: &Value) -> genmodels::core::Result<M> {
    load_model_bytes(
        serde_json::to_string(v).unwrap().as_bytes(),
        Path::new("damaged.json"),
    )
}

/// The flat `data` of the ndarray at `ptr` (a JSON pointer to `{"v", "dim", "data"}`).
fn cells<'a>(v: &'a mut Value, ptr: &str) -> &'a mut Vec<Value> {
    v.pointer_mut(&format!("{ptr}/data"))
        .and_then(Value::as_array_mut)
        .unwrap_or_else(|| panic!("no array at {ptr}"))
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

/// An `Invalid` model-file error whose message contains every needle.
#[track_caller]
fn assert_invalid<T: std::fmt::Debug>(r: genmodels::core::Result<T>, needles: &[&str]) {
    let e = r.expect_err("a damaged model file must be refused");
    assert!(
        matches!(e, Error::ModelFile(ModelFileError::Invalid { .. })),
        "expected an invalid-parameters error, got {e:?}"
    );
    let msg = e.to_string();
    for n in needles {
        assert!(msg.contains(n), "the error must mention {n:?}: {msg}");
    }
}

/// The Old Faithful data, as the GMM fixtures were fitted on it.
fn faithful() -> ndarray::Array2<f64> {
    let cols = ["eruptions".to_string(), "waiting".to_string()];
    read_matrix(&data("old_faithful.csv"), Some(&cols))
        .unwrap()
        .data
}

// -------------------------------------------------------------------------------------------
// Every fixture keeps loading (and answers)
// -------------------------------------------------------------------------------------------

#[test]
fn every_json_fixture_loads_and_scores() {
    let x = faithful();
    for cov in ["full", "tied", "diag", "spherical"] {
        let m: GaussianMixture = load_model(&fixture(&format!("gmm_{cov}.json"))).unwrap();
        assert_eq!(m.n_components(), 2);
        let s = m.score(x.view()).unwrap();
        assert!(s.is_finite() && s < 0.0 && s > -10.0, "{cov}: {s}");
    }
    let b: BernoulliMixture = load_model(&fixture("bernoulli_mixture.json")).unwrap();
    assert_eq!((b.n_components(), b.n_features()), (3, 64));
    let g: GaussianHmm = load_model(&fixture("hmm_gaussian.json")).unwrap();
    assert_eq!((g.n_states(), g.n_features()), (2, 2));
    let g: GmmHmm = load_model(&fixture("hmm_gmm.json")).unwrap();
    assert_eq!(g.n_states(), 2);
    let c: CategoricalHmm = load_model(&fixture("hmm_categorical.json")).unwrap();
    assert_eq!(c.symbols.as_ref().map(Vec::len), Some(2));
    let _: PoissonHmm = load_model(&fixture("hmm_poisson.json")).unwrap();
    let m: MultinomialHmm = load_model(&fixture("hmm_multinomial.json")).unwrap();
    assert_eq!(m.n_features(), 3);
}

/// The classifier's file is the CLI's envelope around the library's classifier: its
/// `classifier` part is read and validated through the library.
fn classifier_of(v: &Value) -> GenerativeClassifier<GaussianMixture> {
    serde_json::from_value(v["model"]["classifier"].clone()).unwrap()
}

#[test]
fn the_classifier_fixture_validates_and_classifies() {
    let c = classifier_of(&json("classifier_gmm.json"));
    c.validate_with(|m| m.validate()).unwrap();
    assert_eq!(c.classes, ["setosa", "versicolor", "virginica"]);
    let cols: Vec<String> = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
        .map(String::from)
        .to_vec();
    let x = read_matrix(&data("iris.csv"), Some(&cols)).unwrap().data;
    let pred = c.predict(&x).unwrap();
    // The first 50 flowers are setosa.
    assert!(pred.iter().take(50).all(|&k| k == 0), "{pred}");
}

#[test]
fn the_network_fixture_loads() {
    let net = read_network(&fixture("bn_asia.bif")).unwrap();
    assert_eq!(net.variables().len(), 8);
}

#[cfg(feature = "neural")]
#[test]
fn every_checkpoint_fixture_loads_and_answers() {
    use genmodels::core::rng_from_seed;
    use genmodels::neural::cpu;
    use genmodels::neural::gan::Gan;
    use genmodels::neural::rbm::recommend::Recommender;
    use genmodels::neural::rbm::Rbm;
    use genmodels::neural::vae::Vae;
    let dev = cpu();
    let v = Vae::load(&fixture("vae.safetensors"), &dev).unwrap();
    let s = v.sample(3, None, &mut rng_from_seed(1)).unwrap();
    assert!(s.iter().all(|p| p.is_finite() && (0.0..=1.0).contains(p)));
    for name in ["gan.safetensors", "gan_conv.safetensors"] {
        let g = Gan::load(&fixture(name), &dev).unwrap();
        let labels = g.config.n_classes.map(|_| vec![3usize; 2]);
        let s = g
            .sample(2, labels.as_deref(), None, &mut rng_from_seed(1))
            .unwrap();
        assert!(s.iter().all(|p| p.is_finite()), "{name}");
    }
    let r = Rbm::load(&fixture("rbm.safetensors")).unwrap();
    assert_eq!((r.n_visible(), r.n_hidden()), (64, 8));
    let rec = Recommender::load(&fixture("rbm_recommender.safetensors")).unwrap();
    let p = rec.predict("u0", "p1", &[]).unwrap();
    assert!(p.rating.is_finite(), "{p:?}");
}

// -------------------------------------------------------------------------------------------
// Gaussian mixtures
// -------------------------------------------------------------------------------------------

const FULL_COV: &str = "/model/components/covariances/values";
const FULL_PC: &str = "/model/components/precisions_cholesky/values";

#[test]
fn a_negative_variance_is_refused() {
    // Full covariance: Σ_0[0][0] < 0 — the covariance of component 0 is not PD.
    let mut v = json("gmm_full.json");
    cells(&mut v, FULL_COV)[0] = (-1.0).into();
    assert_invalid(
        load_json::<GaussianMixture>(&v),
        &["component 0", "not positive definite", "pivot 0"],
    );
    // Diagonal covariance: the variance itself is named.
    let mut v = json("gmm_diag.json");
    cells(&mut v, FULL_COV)[3] = (-0.5).into();
    assert_invalid(
        load_json::<GaussianMixture>(&v),
        &[
            "variance of feature 1 in component 1 is -0.5",
            "not positive",
        ],
    );
    let mut v = json("gmm_spherical.json");
    cells(&mut v, FULL_COV)[1] = 0.0.into();
    assert_invalid(
        load_json::<GaussianMixture>(&v),
        &["variance of component 1 is 0"],
    );
}

#[test]
fn a_covariance_that_is_not_positive_definite_is_refused() {
    // Symmetric, positive diagonal, but |Σ01| > √(Σ00 Σ11).
    let mut v = json("gmm_full.json");
    let c = cells(&mut v, FULL_COV);
    let big = 2.0 * (num(&c[4]) * num(&c[7])).sqrt();
    c[5] = big.into();
    c[6] = big.into();
    assert_invalid(
        load_json::<GaussianMixture>(&v),
        &[
            "covariance of component 1",
            "not positive definite",
            "pivot 1",
        ],
    );
    let mut v = json("gmm_tied.json");
    let c = cells(&mut v, FULL_COV);
    let big = 2.0 * (num(&c[0]) * num(&c[3])).sqrt();
    c[1] = big.into();
    c[2] = big.into();
    assert_invalid(
        load_json::<GaussianMixture>(&v),
        &["shared (tied) covariance", "not positive definite"],
    );
}

#[test]
fn a_covariance_that_disagrees_with_its_cholesky_factor_is_refused() {
    // Component 1's covariance doubled (still positive definite): scoring would use the factor
    // and imputation the covariance, so the two answers would disagree.
    let mut v = json("gmm_full.json");
    for c in &mut cells(&mut v, FULL_COV)[4..8] {
        *c = (2.0 * num(c)).into();
    }
    assert_invalid(
        load_json::<GaussianMixture>(&v),
        &[
            "covariance of component 1 disagrees with its precision Cholesky factor",
            "1e-6",
        ],
    );
    // A diagonal variance off by 1 % (the tolerance is 1e-6 relative).
    let mut v = json("gmm_diag.json");
    let c = cells(&mut v, FULL_COV);
    c[2] = (num(&c[2]) * 1.01).into();
    assert_invalid(
        load_json::<GaussianMixture>(&v),
        &["variance of feature 0 in component 1", "implies"],
    );
    // Within the tolerance is accepted: a change of one part in 1e9.
    let mut v = json("gmm_full.json");
    let c = cells(&mut v, FULL_COV);
    c[0] = (num(&c[0]) * (1.0 + 1e-9)).into();
    load_json::<GaussianMixture>(&v).unwrap();
}

#[test]
fn an_asymmetric_covariance_or_a_factor_that_is_not_triangular_is_refused() {
    let mut v = json("gmm_full.json");
    let c = cells(&mut v, FULL_COV);
    c[1] = (num(&c[1]) + 0.01 * num(&c[3])).into();
    assert_invalid(
        load_json::<GaussianMixture>(&v),
        &["covariance of component 0 is not symmetric"],
    );
    let mut v = json("gmm_full.json");
    cells(&mut v, FULL_PC)[2] = 0.5.into();
    assert_invalid(
        load_json::<GaussianMixture>(&v),
        &["precision Cholesky factor of component 0 is not upper triangular"],
    );
    let mut v = json("gmm_full.json");
    cells(&mut v, FULL_PC)[3] = (-0.1).into();
    assert_invalid(
        load_json::<GaussianMixture>(&v),
        &["precision Cholesky factor of component 0 has diagonal entry 1 = -0.1"],
    );
}

#[test]
fn weights_that_are_not_a_distribution_are_refused() {
    let mut v = json("gmm_full.json");
    cells(&mut v, "/model/weights")[0] = 0.9.into();
    assert_invalid(
        load_json::<GaussianMixture>(&v),
        &["mixture weights", "sum to", "not 1"],
    );
    let mut v = json("gmm_full.json");
    let w = cells(&mut v, "/model/weights");
    w[0] = 1.5.into();
    w[1] = (-0.5).into();
    assert_invalid(
        load_json::<GaussianMixture>(&v),
        &["mixture weights", "entry 0 is 1.5"],
    );
}

#[test]
fn mismatched_shapes_are_refused() {
    // Three means for two weights and two covariances.
    let mut v = json("gmm_full.json");
    *v.pointer_mut("/model/components/means/dim").unwrap() = serde_json::json!([3, 2]);
    cells(&mut v, "/model/components/means").extend([1.0.into(), 2.0.into()]);
    assert_invalid(
        load_json::<GaussianMixture>(&v),
        &["2 weights for 3 components"],
    );
    // A tied file whose covariances are full.
    let mut v = json("gmm_full.json");
    v["model"]["components"]["covariances"]["type"] = "tied".into();
    assert!(load_json::<GaussianMixture>(&v).is_err());
    // Feature names for another number of features.
    let mut v = json("gmm_full.json");
    v["model"]["feature_names"] = serde_json::json!(["a", "b", "c"]);
    assert_invalid(
        load_json::<GaussianMixture>(&v),
        &["3 feature names for 2 features"],
    );
}

#[test]
fn bernoulli_means_outside_zero_one_are_refused() {
    let mut v = json("bernoulli_mixture.json");
    cells(&mut v, "/model/components/means")[64 + 5] = 1.5.into();
    assert_invalid(
        load_json::<BernoulliMixture>(&v),
        &["Bernoulli mean of feature 5 in component 1 is 1.5"],
    );
}

// -------------------------------------------------------------------------------------------
// HMMs
// -------------------------------------------------------------------------------------------

#[test]
fn hmm_probabilities_that_are_not_distributions_are_refused() {
    let mut v = json("hmm_gaussian.json");
    cells(&mut v, "/model/transmat")[0] = 0.5.into();
    assert_invalid(
        load_json::<GaussianHmm>(&v),
        &["row 0 of the transition matrix", "sum to"],
    );
    let mut v = json("hmm_gaussian.json");
    let s = cells(&mut v, "/model/startprob");
    s[0] = (-0.25).into();
    s[1] = 1.25.into();
    assert_invalid(
        load_json::<GaussianHmm>(&v),
        &["startprob", "entry 0 is -0.25"],
    );
    let mut v = json("hmm_gmm.json");
    cells(&mut v, "/model/emission/weights")[0] = 2.0.into();
    assert_invalid(load_json::<GmmHmm>(&v), &["mixture weights of state 0"]);
    let mut v = json("hmm_categorical.json");
    cells(&mut v, "/model/emission/probs")[2] = 0.75.into();
    assert_invalid(
        load_json::<CategoricalHmm>(&v),
        &["probabilities of component 1", "sum to"],
    );
    let mut v = json("hmm_multinomial.json");
    let p = cells(&mut v, "/model/emission/probs");
    p[0] = (num(&p[0]) + 0.5).into();
    assert!(load_json::<MultinomialHmm>(&v).is_err());
}

#[test]
fn hmm_emission_parameters_are_checked_like_a_mixture_s() {
    let mut v = json("hmm_gaussian.json");
    cells(&mut v, "/model/emission/covariances/values")[0] = (-3.0).into();
    assert_invalid(
        load_json::<GaussianHmm>(&v),
        &["covariance of component 0", "not positive definite"],
    );
    let mut v = json("hmm_gmm.json");
    let c = cells(&mut v, "/model/emission/components/covariances/values");
    c[0] = (num(&c[0]) * 3.0).into();
    assert_invalid(
        load_json::<GmmHmm>(&v),
        &["variance of feature 0 in component 0", "implies"],
    );
    let mut v = json("hmm_poisson.json");
    cells(&mut v, "/model/emission/rates")[1] = (-1.0).into();
    assert_invalid(
        load_json::<PoissonHmm>(&v),
        &["Poisson rate of feature 0 in component 1 is -1"],
    );
}

#[test]
fn hmm_names_must_match_the_model() {
    let mut v = json("hmm_categorical.json");
    v["model"]["symbols"] = serde_json::json!(["0", "1", "2"]);
    assert_invalid(
        load_json::<CategoricalHmm>(&v),
        &["3 symbol names for 2 symbols"],
    );
    let mut v = json("hmm_gaussian.json");
    v["model"]["feature_names"] = serde_json::json!(["waiting"]);
    assert_invalid(
        load_json::<GaussianHmm>(&v),
        &["1 feature names for 2 features"],
    );
    let mut v = json("hmm_gaussian.json");
    *v.pointer_mut("/model/transmat/dim").unwrap() = serde_json::json!([1, 4]);
    assert_invalid(
        load_json::<GaussianHmm>(&v),
        &["transition matrix", "expected 2×2"],
    );
}

// -------------------------------------------------------------------------------------------
// Classifier and network
// -------------------------------------------------------------------------------------------

#[test]
fn classifier_priors_and_class_models_are_checked() {
    let check = |v: &Value| classifier_of(v).validate_with(|m| m.validate());
    let mut v = json("classifier_gmm.json");
    let half = Value::from(0.5f64.ln());
    *cells(&mut v, "/model/classifier/log_priors") = vec![half.clone(), half.clone(), half];
    let e = check(&v).unwrap_err();
    assert!(e.contains("class priors") && e.contains("sum to"), "{e}");
    let mut v = json("classifier_gmm.json");
    cells(&mut v, "/model/classifier/log_priors")[1] = 0.5.into();
    let e = check(&v).unwrap_err();
    assert!(
        e.contains("log prior of class \"versicolor\" is 0.5"),
        "{e}"
    );
    let mut v = json("classifier_gmm.json");
    cells(
        &mut v,
        "/model/classifier/models/2/components/covariances/values",
    )[0] = (-1.0).into();
    let e = check(&v).unwrap_err();
    assert!(
        e.contains("model of class \"virginica\"") && e.contains("not positive definite"),
        "{e}"
    );
    let mut v = json("classifier_gmm.json");
    v["model"]["classifier"]["classes"][2] = "setosa".into();
    let e = check(&v).unwrap_err();
    assert!(e.contains("\"setosa\" is listed twice"), "{e}");
}

#[test]
fn network_tables_that_are_not_distributions_are_refused() {
    let text = std::fs::read_to_string(fixture("bn_asia.bif")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // The first table row's first probability, replaced.
    let at = text.find("table ").expect("a table row") + "table ".len();
    let end = at + text[at..].find(',').unwrap();
    for (bad, needle) in [("1.5", "not a probability"), ("1e999", "inf"), ("nan", "")] {
        let damaged = format!("{}{bad}{}", &text[..at], &text[end..]);
        let p = dir.path().join("damaged.bif");
        std::fs::write(&p, damaged).unwrap();
        let e = read_network(&p).expect_err(bad).to_string();
        assert!(
            e.contains("damaged.bif") && e.contains(needle),
            "{bad}: {e}"
        );
    }
}

// -------------------------------------------------------------------------------------------
// Checkpoints
// -------------------------------------------------------------------------------------------

#[cfg(feature = "neural")]
mod checkpoints {
    use super::*;
    use genmodels::neural::cpu;
    use genmodels::neural::gan::Gan;
    use genmodels::neural::rbm::recommend::Recommender;
    use genmodels::neural::rbm::Rbm;
    use genmodels::neural::vae::Vae;

    /// A safetensors file: its header (JSON) and data, to damage and put back together.
    struct Checkpoint {
        header: Value,
        data: Vec<u8>,
    }

    impl Checkpoint {
        fn read(name: &str) -> Checkpoint {
            let b = std::fs::read(fixture(name)).unwrap();
            let n = u64::from_le_bytes(b[..8].try_into().unwrap()) as usize;
            Checkpoint {
                header: serde_json::from_slice(&b[8..8 + n]).unwrap(),
                data: b[8 + n..].to_vec(),
            }
        }

        /// Changes the genmodels metadata (`config`, `report`...).
        fn meta(&mut self, f: impl FnOnce(&mut Value)) {
            let m = &mut self.header["__metadata__"]["genmodels"];
            let mut meta: Value = serde_json::from_str(m.as_str().unwrap()).unwrap();
            f(&mut meta);
            *m = meta.to_string().into();
        }

        /// Writes `v` (f32) into element `i` of tensor `name`.
        fn set(&mut self, name: &str, i: usize, v: f32) {
            let start = self.header[name]["data_offsets"][0].as_u64().unwrap() as usize;
            self.data[start + 4 * i..start + 4 * i + 4].copy_from_slice(&v.to_le_bytes());
        }

        /// The file, written into `dir`.
        fn write(&self, dir: &Path) -> PathBuf {
            let mut h = self.header.to_string().into_bytes();
            while h.len() % 8 != 0 {
                h.push(b' ');
            }
            let mut b = (h.len() as u64).to_le_bytes().to_vec();
            b.extend(h);
            b.extend(&self.data);
            let p = dir.join("damaged.safetensors");
            std::fs::write(&p, b).unwrap();
            p
        }
    }

    #[test]
    fn the_untouched_round_trip_loads() {
        // The helper itself changes nothing: a rewritten fixture still loads.
        let dir = tempfile::tempdir().unwrap();
        let p = Checkpoint::read("vae.safetensors").write(dir.path());
        Vae::load(&p, &cpu()).unwrap();
    }

    #[test]
    fn nan_weights_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Checkpoint::read("vae.safetensors");
        c.set("mu.weight", 3, f32::NAN);
        let p = c.write(dir.path());
        assert_invalid(
            Vae::load(&p, &cpu()),
            &[
                "damaged.safetensors",
                "tensor `mu.weight`",
                "non-finite",
                "index 3",
            ],
        );
        let mut c = Checkpoint::read("gan_conv.safetensors");
        c.set("g_ema.convt.0.weight", 0, f32::INFINITY);
        assert_invalid(
            Gan::load(&c.write(dir.path()), &cpu()),
            &["tensor `g_ema.convt.0.weight`", "non-finite"],
        );
        let mut c = Checkpoint::read("rbm.safetensors");
        c.set("w", 10, f32::NAN);
        assert_invalid(
            Rbm::load(&c.write(dir.path())),
            &["tensor `w`", "non-finite"],
        );
        let mut c = Checkpoint::read("rbm_recommender.safetensors");
        c.set("c", 0, f32::NEG_INFINITY);
        assert_invalid(
            Recommender::load(&c.write(dir.path())),
            &["tensor `c`", "non-finite"],
        );
    }

    #[test]
    fn an_absurd_latent_size_is_an_error_not_an_abort() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Checkpoint::read("vae.safetensors");
        c.meta(|m| m["config"]["latent"] = 1_000_000_000_000u64.into());
        assert_invalid(
            Vae::load(&c.write(dir.path()), &cpu()),
            &[
                "tensor `mu.weight` has shape [8, 2]",
                "needs [8, 1000000000000]",
            ],
        );
        let mut c = Checkpoint::read("gan.safetensors");
        c.meta(|m| m["config"]["latent"] = 1_000_000_000_000u64.into());
        assert_invalid(
            Gan::load(&c.write(dir.path()), &cpu()),
            &["tensor `g.lin.0.weight`", "needs [1000000000000, 8]"],
        );
    }

    #[test]
    fn metadata_sizes_that_disagree_with_the_tensors_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        // Another hidden width.
        let mut c = Checkpoint::read("vae.safetensors");
        c.meta(|m| m["config"]["hidden"] = serde_json::json!([9]));
        assert_invalid(
            Vae::load(&c.write(dir.path()), &cpu()),
            &["tensor `", "has shape", "the VAE configuration"],
        );
        // A Gaussian likelihood needs a `log_sigma` the file does not hold.
        let mut c = Checkpoint::read("vae.safetensors");
        c.meta(|m| m["config"]["likelihood"] = "gaussian".into());
        assert_invalid(
            Vae::load(&c.write(dir.path()), &cpu()),
            &["`log_sigma`", "does not hold"],
        );
        // An image shape whose product overflows.
        let mut c = Checkpoint::read("vae.safetensors");
        c.meta(|m| m["config"]["image_shape"] = serde_json::json!([1u64 << 33, 1u64 << 33]));
        let e = Vae::load(&c.write(dir.path()), &cpu())
            .unwrap_err()
            .to_string();
        assert!(e.contains("image_shape"), "{e}");
        // A conv GAN twice as wide: every conv tensor disagrees.
        let mut c = Checkpoint::read("gan_conv.safetensors");
        c.meta(|m| m["config"]["conv_width"] = 1_000_000_000u64.into());
        assert_invalid(
            Gan::load(&c.write(dir.path()), &cpu()),
            &["has shape", "the GAN configuration"],
        );
        // A GAN without the weight average the file holds.
        let mut c = Checkpoint::read("gan_conv.safetensors");
        c.meta(|m| m["config"]["ema"] = 0.0.into());
        assert_invalid(
            Gan::load(&c.write(dir.path()), &cpu()),
            &["tensor `g_ema.", "does not describe"],
        );
        // RBM: more hidden units than stored.
        let mut c = Checkpoint::read("rbm.safetensors");
        c.meta(|m| {
            m["config"]["n_hidden"] = 1_000_000_000_000u64.into();
            m["config"]["params"]["n_hidden"] = 1_000_000_000_000u64.into();
        });
        assert_invalid(
            Rbm::load(&c.write(dir.path())),
            &["tensor `w` has shape [64, 8]", "needs [64, 1000000000000]"],
        );
        let mut c = Checkpoint::read("rbm.safetensors");
        c.meta(|m| m["config"]["image_shape"] = serde_json::json!([4, 4]));
        assert_invalid(
            Rbm::load(&c.write(dir.path())),
            &["4×4", "64 visible units"],
        );
        // Recommender: more hidden units than stored.
        let mut c = Checkpoint::read("rbm_recommender.safetensors");
        c.meta(|m| m["config"]["params"]["n_hidden"] = 1_000_000_000_000u64.into());
        assert_invalid(
            Recommender::load(&c.write(dir.path())),
            &[
                "tensor `w` has shape [320, 4]",
                "needs [320, 1000000000000]",
            ],
        );
    }

    #[test]
    fn values_outside_their_range_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Checkpoint::read("gan_conv.safetensors");
        c.set("g.bn.1.running_var", 2, -1.0);
        assert_invalid(
            Gan::load(&c.write(dir.path()), &cpu()),
            &["tensor `g.bn.1.running_var` holds -1", "non-negative"],
        );
        // Ratings that refer to an item that does not exist.
        let mut c = Checkpoint::read("rbm_recommender.safetensors");
        c.meta(|m| m["config"]["ratings"]["entries"][0][1] = 100_000u64.into());
        assert_invalid(
            Recommender::load(&c.write(dir.path())),
            &["rating entry 0", "item 100000"],
        );
        let mut c = Checkpoint::read("rbm_recommender.safetensors");
        c.meta(|m| m["config"]["ratings"]["levels"][0] = 99.0.into());
        assert_invalid(
            Recommender::load(&c.write(dir.path())),
            &["rating levels must increase"],
        );
    }
}
