//! Model files written by earlier binaries keep loading. `tests/fixtures/model_files/` holds
//! one small model per family written by the genmodels binary (`make_fixtures.sh` there says
//! how); each must keep loading through the library.

use std::path::{Path, PathBuf};

use genmodels::bayesnet::formats::read_network;
use genmodels::classifier::GenerativeClassifier;
use genmodels::hmm::{CategoricalHmm, GaussianHmm, GmmHmm, MultinomialHmm, PoissonHmm};
use genmodels::io::{load_model, read_matrix};
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

/// The Old Faithful data, as the GMM fixtures were fitted on it.
fn faithful() -> ndarray::Array2<f64> {
    let cols = ["eruptions".to_string(), "waiting".to_string()];
    read_matrix(&data("old_faithful.csv"), Some(&cols))
        .unwrap()
        .data
}

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
/// `classifier` part is read through the library.
fn classifier_of(v: &Value) -> GenerativeClassifier<GaussianMixture> {
    serde_json::from_value(v["model"]["classifier"].clone()).unwrap()
}

#[test]
fn the_classifier_fixture_loads_and_classifies() {
    let c = classifier_of(&json("classifier_gmm.json"));
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
    use genmodels::neural::gan::Gan;
    use genmodels::neural::rbm::recommend::Recommender;
    use genmodels::neural::rbm::Rbm;
    use genmodels::neural::vae::Vae;
    use genmodels::neural::{cpu, neural_rng};
    let dev = cpu();
    let v = Vae::load(&fixture("vae.safetensors"), &dev).unwrap();
    let s = v.sample(3, None, &mut neural_rng(1)).unwrap();
    assert!(s.iter().all(|p| p.is_finite() && (0.0..=1.0).contains(p)));
    for name in ["gan.safetensors", "gan_conv.safetensors"] {
        let g = Gan::load(&fixture(name), &dev).unwrap();
        let labels = g.config.n_classes.map(|_| vec![3usize; 2]);
        let s = g
            .sample(2, labels.as_deref(), None, &mut neural_rng(1))
            .unwrap();
        assert!(s.iter().all(|p| p.is_finite()), "{name}");
    }
    let r = Rbm::load(&fixture("rbm.safetensors")).unwrap();
    assert_eq!((r.n_visible(), r.n_hidden()), (64, 8));
    let rec = Recommender::load(&fixture("rbm_recommender.safetensors")).unwrap();
    let p = rec.predict("u0", "p1", &[]).unwrap();
    assert!(p.rating.is_finite(), "{p:?}");
}
