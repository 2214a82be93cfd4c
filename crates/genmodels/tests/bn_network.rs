//! The network model: validation, probabilities, graph queries.

use genmodels::bayesnet::{BayesNet, Cpt, DiscreteData, Variable, MISSING};
use genmodels::core::{Error, NetworkError};

fn sprinkler() -> BayesNet {
    BayesNet::new(
        vec![
            Variable::new("rain", &["yes", "no"]),
            Variable::new("sprinkler", &["on", "off"]),
            Variable::new("wet", &["yes", "no"]),
        ],
        vec![
            Cpt {
                parents: vec![],
                values: vec![0.2, 0.8],
            },
            Cpt {
                parents: vec![0],
                values: vec![0.01, 0.99, 0.4, 0.6],
            },
            Cpt {
                parents: vec![0, 1],
                values: vec![0.99, 0.01, 0.8, 0.2, 0.9, 0.1, 0.0, 1.0],
            },
        ],
    )
    .unwrap()
}

fn network_error(r: genmodels::core::Result<BayesNet>) -> NetworkError {
    match r {
        Err(Error::Network(e)) => e,
        other => panic!("expected a network error, got {other:?}"),
    }
}

#[test]
fn joint_is_a_distribution_and_matches_the_chain_rule() {
    let net = sprinkler();
    let joint = net.joint().unwrap();
    assert!((joint.total() - 1.0).abs() < 1e-12);
    // P(rain=no, sprinkler=on, wet=yes) = 0.8 * 0.4 * 0.9
    assert!((joint.get(&[1, 0, 0]) - 0.8 * 0.4 * 0.9).abs() < 1e-15);
    // P(wet=yes) = Σ over rain, sprinkler.
    let wet = joint.sum_out(&[0, 1]);
    let expected = 0.2 * (0.01 * 0.99 + 0.99 * 0.8) + 0.8 * (0.4 * 0.9 + 0.6 * 0.0);
    assert!((wet.values()[0] - expected).abs() < 1e-12);
    assert_eq!(net.n_parameters(), 7);
    assert_eq!(net.topological_order(), &[0, 1, 2]);
}

#[test]
fn a_cycle_is_named() {
    let e = network_error(BayesNet::new(
        vec![
            Variable::new("a", &["0", "1"]),
            Variable::new("b", &["0", "1"]),
            Variable::new("c", &["0", "1"]),
        ],
        vec![
            Cpt {
                parents: vec![2],
                values: vec![0.5; 4],
            },
            Cpt {
                parents: vec![0],
                values: vec![0.5; 4],
            },
            Cpt {
                parents: vec![1],
                values: vec![0.5; 4],
            },
        ],
    ));
    let msg = e.to_string();
    assert!(matches!(e, NetworkError::Cycle { .. }), "{msg}");
    assert!(
        msg.contains("a -> b -> c -> a")
            || msg.contains("b -> c -> a -> b")
            || msg.contains("c -> a -> b -> c"),
        "{msg}"
    );
}

#[test]
fn bad_tables_are_refused_with_the_row_named() {
    let vars = || {
        vec![
            Variable::new("a", &["x", "y"]),
            Variable::new("b", &["u", "v", "w"]),
        ]
    };
    let e = network_error(BayesNet::new(
        vars(),
        vec![
            Cpt {
                parents: vec![],
                values: vec![0.5, 0.5],
            },
            Cpt {
                parents: vec![0],
                values: vec![0.2, 0.3, 0.5, 0.2, 0.3, 0.4],
            },
        ],
    ));
    let msg = e.to_string();
    assert!(msg.contains("given a=y") && msg.contains("0.9"), "{msg}");
    let e = network_error(BayesNet::new(
        vars(),
        vec![
            Cpt {
                parents: vec![],
                values: vec![0.5, 0.5],
            },
            Cpt {
                parents: vec![0],
                values: vec![0.2, 0.3, 0.5],
            },
        ],
    ));
    assert!(
        matches!(
            e,
            NetworkError::CptShape {
                expected: 6,
                found: 3,
                ..
            }
        ),
        "{e}"
    );
    let e = network_error(BayesNet::new(
        vars(),
        vec![
            Cpt {
                parents: vec![],
                values: vec![1.5, -0.5],
            },
            Cpt {
                parents: vec![],
                values: vec![0.2, 0.3, 0.5],
            },
        ],
    ));
    assert!(e.to_string().contains("not a probability"), "{e}");
    let e = network_error(BayesNet::new(
        vec![Variable::new("a", &["x", "x"])],
        vec![Cpt {
            parents: vec![],
            values: vec![0.5, 0.5],
        }],
    ));
    assert!(matches!(e, NetworkError::Duplicate { .. }), "{e}");
}

#[test]
fn names_resolve_with_helpful_errors() {
    let net = sprinkler();
    assert_eq!(net.index_of("wet").unwrap(), 2);
    let e = net.index_of("Rain").unwrap_err().to_string();
    assert!(e.contains("did you mean rain"), "{e}");
    let e = net.evidence(&[("rain", "maybe")]).unwrap_err().to_string();
    assert!(
        e.contains("`maybe` is not a state of `rain`") && e.contains("yes, no"),
        "{e}"
    );
    let e = net
        .evidence(&[("rain", "yes"), ("rain", "no")])
        .unwrap_err()
        .to_string();
    assert!(e.contains("probability zero"), "{e}");
    assert_eq!(
        net.evidence(&[("wet", "no"), ("rain", "yes")]).unwrap(),
        vec![(2, 1), (0, 0)]
    );
}

#[test]
fn d_separation_and_markov_blanket() {
    let net = sprinkler();
    // rain -> sprinkler -> wet, rain -> wet: nothing is d-separated without the collider...
    assert!(!net.d_separated(&[0], &[2], &[]));
    assert!(!net.d_separated(&[0], &[2], &[1]));
    assert_eq!(net.markov_blanket(1), vec![0, 2]);
    // A classic collider: a -> c <- b.
    let v = BayesNet::new(
        vec![
            Variable::new("a", &["0", "1"]),
            Variable::new("b", &["0", "1"]),
            Variable::new("c", &["0", "1"]),
            Variable::new("d", &["0", "1"]),
        ],
        vec![
            Cpt {
                parents: vec![],
                values: vec![0.5; 2],
            },
            Cpt {
                parents: vec![],
                values: vec![0.5; 2],
            },
            Cpt {
                parents: vec![0, 1],
                values: vec![0.5; 8],
            },
            Cpt {
                parents: vec![2],
                values: vec![0.5; 4],
            },
        ],
    )
    .unwrap();
    assert!(v.d_separated(&[0], &[1], &[]));
    assert!(!v.d_separated(&[0], &[1], &[2]));
    // Observing a descendant of the collider also opens it.
    assert!(!v.d_separated(&[0], &[1], &[3]));
    assert!(!v.d_separated(&[0], &[3], &[]));
    assert!(v.d_separated(&[0], &[3], &[2]));
    assert_eq!(v.markov_blanket(0), vec![1, 2]);
}

#[test]
fn intervention_cuts_the_parents() {
    let net = sprinkler();
    let cut = net.intervene(&[(1, 0)]).unwrap(); // do(sprinkler = on)
    assert!(cut.parents(1).is_empty());
    let joint = cut.joint().unwrap();
    // P(rain) is unchanged by do(sprinkler).
    let rain = joint.sum_out(&[1, 2]);
    assert!((rain.values()[0] - 0.2).abs() < 1e-12);
    // P(wet=yes | do(sprinkler=on)) = 0.2*0.99 + 0.8*0.9
    let wet = joint.sum_out(&[0, 1]);
    assert!((wet.values()[0] - (0.2 * 0.99 + 0.8 * 0.9)).abs() < 1e-12);
}

#[test]
fn rows_are_scored_and_unknown_states_refused() {
    let net = sprinkler();
    let data = DiscreteData::new(
        vec!["wet".into(), "rain".into(), "sprinkler".into()],
        vec![
            vec!["no".into(), "yes".into()],
            vec!["no".into(), "yes".into()],
            vec!["off".into(), "on".into()],
        ],
        vec![vec![1, 0], vec![1, 1], vec![0, 1]],
    )
    .unwrap();
    let ll = net.log_likelihood_rows(&data).unwrap();
    // Row 1: wet=yes, rain=yes, sprinkler=off.
    assert!((ll[0] - (0.2f64 * 0.99 * 0.8).ln()).abs() < 1e-12);
    // Row 2: wet=no, rain=yes, sprinkler=on.
    assert!((ll[1] - (0.2f64 * 0.01 * 0.01).ln()).abs() < 1e-12);
    let bad = DiscreteData::new(
        vec!["wet".into(), "rain".into(), "sprinkler".into()],
        vec![vec!["damp".into()], vec!["no".into()], vec!["on".into()]],
        vec![vec![0], vec![0], vec![0]],
    )
    .unwrap();
    let e = net.log_likelihood_rows(&bad).unwrap_err().to_string();
    assert!(
        e.contains("row 1") && e.contains("`damp` is not a state of `wet`"),
        "{e}"
    );
    let missing = DiscreteData::new(
        vec!["wet".into(), "rain".into(), "sprinkler".into()],
        vec![vec!["no".into()], vec!["no".into()], vec!["on".into()]],
        vec![vec![MISSING], vec![0], vec![0]],
    )
    .unwrap();
    assert!(net.log_likelihood_rows(&missing).is_err());
}

#[test]
fn rows_off_by_rounding_are_renormalised_everywhere() {
    // Rows written with three decimals: 0.333 + 0.333 + 0.333 = 0.999.
    let net = BayesNet::new(
        vec![Variable::new("a", &["x", "y", "z"])],
        vec![Cpt {
            parents: vec![],
            values: vec![0.333, 0.333, 0.333],
        }],
    )
    .unwrap();
    assert_eq!(
        net.cpt(0).values,
        vec![0.333, 0.333, 0.333],
        "stored as read"
    );
    assert!((net.log_prob(&[1]).exp() - 1.0 / 3.0).abs() < 1e-15);
    assert!((net.joint().unwrap().total() - 1.0).abs() < 1e-15);
}
