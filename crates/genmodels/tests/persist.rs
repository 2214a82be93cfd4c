//! One persistence contract (`genmodels::io::Persist`, `ModelBytes`, `open`): every fixture
//! model file of `tests/fixtures/model_files/` is identified by reading it once, loads through
//! `open` when its family is the library's, and a JSON model turned back into bytes gives the
//! very bytes the binary wrote.

use std::path::{Path, PathBuf};

use genmodels::bayesnet::BayesNet;
use genmodels::hmm::{CategoricalHmm, GaussianHmm, GmmHmm, MultinomialHmm, PoissonHmm};
use genmodels::io::{open, Codec, Model, ModelBytes, Persist};
use genmodels::mixture::{BernoulliMixture, GaussianMixture};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/model_files")
        .join(name)
}

#[test]
fn every_fixture_is_identified_from_one_read() {
    let cases = [
        ("bernoulli_mixture.json", Codec::Json, "bernoulli-mixture"),
        ("bn_asia.bif", Codec::Network, "bayesnet"),
        ("classifier_gmm.json", Codec::Json, "classifier-gmm"),
        ("gmm_full.json", Codec::Json, "gmm"),
        ("hmm_categorical.json", Codec::Json, "hmm-categorical"),
        ("hmm_gaussian.json", Codec::Json, "hmm-gaussian"),
        ("hmm_gmm.json", Codec::Json, "hmm-gmm"),
        ("hmm_multinomial.json", Codec::Json, "hmm-multinomial"),
        ("hmm_poisson.json", Codec::Json, "hmm-poisson"),
        ("gan.safetensors", Codec::Safetensors, "gan"),
        ("rbm.safetensors", Codec::Safetensors, "rbm"),
        (
            "rbm_recommender.safetensors",
            Codec::Safetensors,
            "rbm-recommender",
        ),
        ("vae.safetensors", Codec::Safetensors, "vae"),
    ];
    for (name, codec, format) in cases {
        let file = ModelBytes::read(&fixture(name)).unwrap();
        assert_eq!((file.codec(), file.format()), (codec, format), "{name}");
        assert_eq!(file.version(), if codec == Codec::Network { 0 } else { 1 });
    }
}

/// Decodes `name` as `M`, checks that its bytes are those on disk, and that `open` agrees.
fn round_trip<M: Persist>(name: &str) -> Model {
    let path = fixture(name);
    let on_disk = std::fs::read(&path).unwrap();
    let model = M::load(&path).unwrap();
    assert_eq!(model.to_bytes().unwrap(), on_disk, "{name}: bytes differ");
    let again = M::from_bytes(&on_disk, Path::new("memory")).unwrap();
    assert_eq!(again.to_bytes().unwrap(), on_disk);
    open(&path).unwrap()
}

#[test]
fn json_models_give_back_the_bytes_they_were_read_from() {
    for name in [
        "gmm_full.json",
        "gmm_diag.json",
        "gmm_tied.json",
        "gmm_spherical.json",
    ] {
        assert!(matches!(
            round_trip::<GaussianMixture>(name),
            Model::GaussianMixture(_)
        ));
    }
    assert!(matches!(
        round_trip::<BernoulliMixture>("bernoulli_mixture.json"),
        Model::BernoulliMixture(_)
    ));
    assert!(matches!(
        round_trip::<GaussianHmm>("hmm_gaussian.json"),
        Model::GaussianHmm(_)
    ));
    assert!(matches!(
        round_trip::<GmmHmm>("hmm_gmm.json"),
        Model::GmmHmm(_)
    ));
    assert!(matches!(
        round_trip::<CategoricalHmm>("hmm_categorical.json"),
        Model::CategoricalHmm(_)
    ));
    assert!(matches!(
        round_trip::<MultinomialHmm>("hmm_multinomial.json"),
        Model::MultinomialHmm(_)
    ));
    assert!(matches!(
        round_trip::<PoissonHmm>("hmm_poisson.json"),
        Model::PoissonHmm(_)
    ));
}

#[test]
fn a_network_survives_its_bytes_and_open_refuses_foreign_formats() {
    let net = BayesNet::load(&fixture("bn_asia.bif")).unwrap();
    let back = BayesNet::from_bytes(&net.to_bytes().unwrap(), Path::new("memory")).unwrap();
    assert_eq!(back.cpts(), net.cpts());
    assert_eq!(back.variables(), net.variables());
    // A classifier file is the command line's format, not the library's: a clear error.
    let err = open(&fixture("classifier_gmm.json")).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("classifier-gmm") && msg.contains("gmm, "),
        "{msg}"
    );
    // And a family mismatch names both families.
    let err = ModelBytes::read(&fixture("gmm_full.json"))
        .unwrap()
        .decode::<GaussianHmm>()
        .unwrap_err();
    assert!(err.to_string().contains("`gmm` model"), "{err}");
}

#[test]
fn checkpoints_round_trip_through_their_bytes_and_open() {
    use genmodels::neural::gan::Gan;
    use genmodels::neural::rbm::recommend::Recommender;
    use genmodels::neural::rbm::Rbm;
    use genmodels::neural::vae::Vae;
    fn again<M: Persist>(name: &str) -> Model {
        let path = fixture(name);
        let m = M::load(&path).unwrap();
        let bytes = m.to_bytes().unwrap();
        let back = M::from_bytes(&bytes, Path::new("memory")).unwrap();
        // burn-store writes the header's metadata map in hash order, so equal checkpoints
        // are compared as what they hold: the same metadata and the same tensors.
        assert_same_checkpoint(&back.to_bytes().unwrap(), &bytes, name);
        // A damaged copy is an error, never a panic.
        let cut = &bytes[..bytes.len() / 2];
        assert!(M::from_bytes(cut, Path::new("memory")).is_err(), "{name}");
        open(&path).unwrap()
    }
    assert!(matches!(again::<Rbm>("rbm.safetensors"), Model::Rbm(_)));
    assert!(matches!(
        again::<Recommender>("rbm_recommender.safetensors"),
        Model::Recommender(_)
    ));
    assert!(matches!(again::<Vae>("vae.safetensors"), Model::Vae(_)));
    assert!(matches!(again::<Gan>("gan.safetensors"), Model::Gan(_)));
    assert!(matches!(
        again::<Gan>("gan_conv.safetensors"),
        Model::Gan(_)
    ));
}

/// Two safetensors files with the same metadata (as a map) and the same tensors.
fn assert_same_checkpoint(a: &[u8], b: &[u8], name: &str) {
    let (_, ma) = safetensors::SafeTensors::read_metadata(a).unwrap();
    let (_, mb) = safetensors::SafeTensors::read_metadata(b).unwrap();
    assert_eq!(ma.metadata(), mb.metadata(), "{name}: metadata");
    let (ta, tb) = (
        safetensors::SafeTensors::deserialize(a).unwrap(),
        safetensors::SafeTensors::deserialize(b).unwrap(),
    );
    let mut names: Vec<String> = ta.names().into_iter().map(str::to_owned).collect();
    names.sort();
    let mut names_b: Vec<String> = tb.names().into_iter().map(str::to_owned).collect();
    names_b.sort();
    assert_eq!(names, names_b, "{name}: tensor names");
    for n in &names {
        let (x, y) = (ta.tensor(n).unwrap(), tb.tensor(n).unwrap());
        assert_eq!(
            (x.dtype(), x.shape(), x.data()),
            (y.dtype(), y.shape(), y.data()),
            "{name}: tensor {n}"
        );
    }
}
