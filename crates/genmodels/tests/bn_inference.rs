//! Inference on Bayesian networks: exact methods against the brute-force joint, approximate
//! methods against the exact answers, sampling, likelihood with missing cells, and EM.

// Index loops read more clearly than zipped iterators when several tables share the index.
#![allow(clippy::needless_range_loop)]

use genmodels::bayesnet::inference::{
    gibbs_sampling, likelihood_weighting, map, mpe, rejection_sampling, Gibbs, JunctionTree,
    VariableElimination,
};
use genmodels::bayesnet::learn::em::ParameterEm;
use genmodels::bayesnet::{BayesNet, Cpt, DiscreteData, Factor, Variable, MISSING};
use genmodels::core::{
    rng_from_seed, Error, LogLikelihood, NetworkError, Recorder, Sample, SampleGiven, SeededRng,
};
use rand::Rng;

fn load_bif(name: &str) -> BayesNet {
    genmodels::bayesnet::formats::read_bif(std::path::Path::new(&format!(
        "{}/../../data/bayesnets/{name}.bif",
        env!("CARGO_MANIFEST_DIR")
    )))
    .unwrap()
}

/// A random DAG on `n` nodes (parents among earlier nodes, at most 3), 2–4 states, random
/// CPT rows; with `zeros`, about one entry in eight is set to zero (rows keep one positive).
fn random_net(rng: &mut SeededRng, n: usize, zeros: bool) -> BayesNet {
    let cards: Vec<usize> = (0..n).map(|_| rng.random_range(2..=4)).collect();
    // Shuffle the file order so that it is not topological.
    let mut perm: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.random_range(0..=i);
        perm.swap(i, j);
    }
    let mut cpts: Vec<Option<Cpt>> = vec![None; n];
    for i in 0..n {
        let mut parents = Vec::new();
        for j in 0..i {
            if parents.len() < 3 && rng.random_bool(0.45) {
                parents.push(perm[j]);
            }
        }
        let rows: usize = parents.iter().map(|&p| cards[p]).product();
        let k = cards[perm[i]];
        let mut values = Vec::with_capacity(rows * k);
        for _ in 0..rows {
            let mut row: Vec<f64> = (0..k).map(|_| rng.random::<f64>() + 0.05).collect();
            if zeros {
                for x in row.iter_mut() {
                    if rng.random_bool(0.125) {
                        *x = 0.0;
                    }
                }
                if row.iter().all(|&x| x == 0.0) {
                    row[rng.random_range(0..k)] = 1.0;
                }
            }
            let z: f64 = row.iter().sum();
            values.extend(row.iter().map(|x| x / z));
        }
        cpts[perm[i]] = Some(Cpt { parents, values });
    }
    let vars = (0..n)
        .map(|v| {
            let states: Vec<String> = (0..cards[v]).map(|s| format!("s{s}")).collect();
            let refs: Vec<&str> = states.iter().map(String::as_str).collect();
            Variable::new(format!("x{v}"), &refs)
        })
        .collect();
    BayesNet::new(vars, cpts.into_iter().map(Option::unwrap).collect()).unwrap()
}

/// Random evidence on `m` distinct variables.
fn random_evidence(rng: &mut SeededRng, net: &BayesNet, m: usize) -> Vec<(usize, usize)> {
    let n = net.n_variables();
    let mut ev: Vec<(usize, usize)> = Vec::new();
    while ev.len() < m.min(n) {
        let v = rng.random_range(0..n);
        if ev.iter().all(|&(u, _)| u != v) {
            ev.push((v, rng.random_range(0..net.cardinality(v))));
        }
    }
    ev
}

/// Whether entry `i` of the full joint (variables 0..n in order) agrees with the evidence.
fn agrees(joint: &Factor, strides: &[usize], i: usize, ev: &[(usize, usize)]) -> bool {
    ev.iter()
        .all(|&(v, s)| (i / strides[v]) % joint.cards()[v] == s)
}

/// The joint with the entries that disagree with the evidence zeroed (not normalised).
fn restrict(joint: &Factor, ev: &[(usize, usize)]) -> Factor {
    let strides = joint.strides();
    let mut f = joint.clone();
    for (i, x) in f.values_mut().iter_mut().enumerate() {
        if !agrees(joint, &strides, i, ev) {
            *x = 0.0;
        }
    }
    f
}

/// The brute-force posterior over `targets` (in that order), or `None` when P(e) = 0.
fn brute_posterior(joint: &Factor, targets: &[usize], ev: &[(usize, usize)]) -> Option<Factor> {
    let mut f = restrict(joint, ev);
    if f.normalize() <= 0.0 {
        return None;
    }
    let others: Vec<usize> = (0..joint.vars().len())
        .filter(|v| !targets.contains(v))
        .collect();
    Some(f.sum_out(&others).reorder(targets))
}

fn brute_evidence(joint: &Factor, ev: &[(usize, usize)]) -> f64 {
    restrict(joint, ev).total()
}

fn is_impossible<T: std::fmt::Debug>(r: genmodels::core::Result<T>) -> bool {
    matches!(
        r,
        Err(Error::Network(NetworkError::ImpossibleEvidence { .. }))
    )
}

fn assert_close_slices(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    for (x, y) in a.iter().zip(b) {
        assert!(x.is_finite() && y.is_finite(), "{what}: {a:?} vs {b:?}");
        assert!((x - y).abs() <= tol, "{what}: {a:?} vs {b:?}");
    }
}

#[test]
fn ve_jt_and_brute_force_marginals_agree_on_random_networks() {
    let mut rng = rng_from_seed(11);
    let mut impossible_seen = 0;
    for case in 0..40 {
        let n = rng.random_range(6..=9);
        let net = random_net(&mut rng, n, case % 2 == 1);
        let joint = net.joint().unwrap();
        let ve = VariableElimination::new(&net);
        let jt = JunctionTree::new(&net).unwrap();
        for m in 0..4 {
            let ev = random_evidence(&mut rng, &net, m);
            let mut cond = restrict(&joint, &ev);
            if cond.normalize() <= 0.0 {
                impossible_seen += 1;
                assert!(is_impossible(ve.marginal(0, &ev)), "case {case}");
                assert!(is_impossible(jt.calibrate(&ev)), "case {case}");
                assert!(is_impossible(ve.log_probability_of_evidence(&ev)));
                assert_eq!(ve.probability_of_evidence(&ev).unwrap(), 0.0);
                continue;
            }
            let cal = jt.calibrate(&ev).unwrap();
            let all = cal.all_marginals();
            for v in 0..n {
                let others: Vec<usize> = (0..n).filter(|&u| u != v).collect();
                let exact = cond.sum_out(&others);
                let by_ve = ve.marginal(v, &ev).unwrap();
                let what = format!("case {case}, evidence {ev:?}, variable {v}");
                assert_close_slices(&by_ve, exact.values(), 1e-12, &what);
                assert_close_slices(&all[v], exact.values(), 1e-12, &what);
                assert_close_slices(&cal.marginal(v), exact.values(), 1e-12, &what);
            }
            let pe = brute_evidence(&joint, &ev);
            assert!(
                (ve.probability_of_evidence(&ev).unwrap() - pe).abs()
                    < 1e-12 * pe.max(1e-300) + 1e-15
            );
            assert!((cal.log_evidence() - pe.ln()).abs() < 1e-10);
            assert!((ve.log_probability_of_evidence(&ev).unwrap() - pe.ln()).abs() < 1e-10);
        }
    }
    assert!(
        impossible_seen > 0,
        "the zero entries should make some evidence impossible"
    );
}

#[test]
fn joint_queries_match_the_brute_force_joint() {
    let mut rng = rng_from_seed(12);
    for case in 0..30 {
        let n = rng.random_range(6..=9);
        let net = random_net(&mut rng, n, false);
        let joint = net.joint().unwrap();
        let ve = VariableElimination::new(&net);
        let jt = JunctionTree::new(&net).unwrap();
        let ev = random_evidence(&mut rng, &net, case % 3);
        let cal = jt.calibrate(&ev).unwrap();
        for _ in 0..4 {
            let m = rng.random_range(1..=3);
            let mut targets: Vec<usize> = Vec::new();
            while targets.len() < m {
                let t = rng.random_range(0..n);
                if !targets.contains(&t) {
                    targets.push(t);
                }
            }
            let exact = brute_posterior(&joint, &targets, &ev).unwrap();
            let q = ve.query(&targets, &ev).unwrap();
            assert_eq!(q.vars(), &targets[..]);
            assert_close_slices(q.values(), exact.values(), 1e-12, "VE joint");
            let j = cal.joint(&targets).unwrap();
            assert_eq!(j.vars(), &targets[..]);
            assert_close_slices(j.values(), exact.values(), 1e-12, "JT joint");
        }
        // Pairs inside one clique are read from the tree.
        for c in 0..jt.n_cliques() {
            let vars = jt.clique(c).to_vec();
            let exact = brute_posterior(&joint, &vars, &ev).unwrap();
            assert_close_slices(
                cal.joint(&vars).unwrap().values(),
                exact.values(),
                1e-12,
                "clique",
            );
        }
    }
}

#[test]
fn junction_tree_has_the_running_intersection_property() {
    let mut rng = rng_from_seed(13);
    for _ in 0..20 {
        let net = random_net(&mut rng, 9, false);
        let jt = JunctionTree::new(&net).unwrap();
        let edges = jt.edges();
        assert_eq!(edges.len() + 1, jt.n_cliques());
        // For every variable, the cliques holding it form a connected subtree.
        for v in 0..net.n_variables() {
            let holding: Vec<usize> = (0..jt.n_cliques())
                .filter(|&c| jt.clique(c).contains(&v))
                .collect();
            assert!(!holding.is_empty());
            let inner_edges = edges
                .iter()
                .filter(|(a, b)| holding.contains(a) && holding.contains(b))
                .count();
            assert_eq!(inner_edges + 1, holding.len(), "variable {v}");
        }
        // Every family lies in a clique.
        for v in 0..net.n_variables() {
            let mut fam = net.parents(v).to_vec();
            fam.push(v);
            assert!((0..jt.n_cliques()).any(|c| fam.iter().all(|u| jt.clique(c).contains(u))));
        }
    }
}

#[test]
fn mpe_and_map_are_the_brute_force_maxima() {
    let mut rng = rng_from_seed(14);
    for case in 0..40 {
        let n = rng.random_range(6..=9);
        let net = random_net(&mut rng, n, case % 2 == 1);
        let joint = net.joint().unwrap();
        let ev = random_evidence(&mut rng, &net, case % 3);
        let pe = brute_evidence(&joint, &ev);
        if pe == 0.0 {
            assert!(is_impossible(mpe(&net, &ev)));
            assert!(is_impossible(map(&net, &[0], &ev)));
            continue;
        }
        // Brute-force MPE: the best entry agreeing with the evidence.
        let (mut best, mut second, mut arg) = (-1.0, -1.0, 0);
        let restricted = restrict(&joint, &ev);
        for (i, &x) in restricted.values().iter().enumerate() {
            if x > best {
                second = best;
                best = x;
                arg = i;
            } else if x > second {
                second = x;
            }
        }
        let (x, logp) = mpe(&net, &ev).unwrap();
        assert!((logp - best.ln()).abs() < 1e-10, "case {case}");
        assert!(ev.iter().all(|&(v, s)| x[v] == s));
        if best - second > 1e-12 {
            assert_eq!(x, joint.assignment(arg), "case {case}");
        }
        // MAP over two variables: max of the brute-force marginal P(targets, e).
        let targets = [n - 1, 0];
        let f = restricted;
        let others: Vec<usize> = (1..n - 1).collect();
        let marg = f.sum_out(&others).reorder(&targets);
        let mbest = marg.values().iter().copied().fold(0.0, f64::max);
        let (mx, mlogp) = map(&net, &targets, &ev).unwrap();
        assert!((mlogp - mbest.ln()).abs() < 1e-10, "case {case}");
        assert!((marg.get(&mx) - mbest).abs() < 1e-12 * mbest.max(1e-300));
    }
}

#[test]
fn do_queries_match_the_cut_graph_brute_force() {
    let mut rng = rng_from_seed(15);
    for case in 0..25 {
        let n = rng.random_range(6..=9);
        let net = random_net(&mut rng, n, false);
        let iv = random_evidence(&mut rng, &net, 1 + case % 2);
        // The cut network by hand: intervened variables lose their parents, fixed to a state.
        let cpts: Vec<Cpt> = (0..n)
            .map(|v| match iv.iter().find(|&&(u, _)| u == v) {
                Some(&(_, s)) => {
                    let mut values = vec![0.0; net.cardinality(v)];
                    values[s] = 1.0;
                    Cpt {
                        parents: vec![],
                        values,
                    }
                }
                None => net.cpt(v).clone(),
            })
            .collect();
        let cut = net.with_cpts(cpts).unwrap();
        let joint = cut.joint().unwrap();
        let ve = VariableElimination::new(&net);
        let ev: Vec<(usize, usize)> = random_evidence(&mut rng, &net, 1)
            .into_iter()
            .filter(|&(v, _)| iv.iter().all(|&(u, _)| u != v))
            .collect();
        for t in 0..n {
            let got = ve.query_do(&[t], &ev, &iv);
            match brute_posterior(&joint, &[t], &ev) {
                Some(exact) => {
                    assert_close_slices(got.unwrap().values(), exact.values(), 1e-12, "do")
                }
                None => assert!(is_impossible(got)),
            }
        }
        // do(X = x) differs from conditioning on X = x in general, but not for a root.
        let roots: Vec<usize> = (0..n).filter(|&v| net.parents(v).is_empty()).collect();
        let r = roots[0];
        let leaf = net.topological_order()[n - 1];
        if leaf != r {
            let a = ve.query_do(&[leaf], &[], &[(r, 0)]).unwrap();
            let b = ve.query(&[leaf], &[(r, 0)]).unwrap();
            assert_close_slices(a.values(), b.values(), 1e-12, "root");
        }
    }
}

/// a → b with P(a = 1) = 0 and P(b = 1 | a = 0) = 0; c independent.
fn contradiction_net() -> BayesNet {
    BayesNet::new(
        vec![
            Variable::new("a", &["0", "1"]),
            Variable::new("b", &["0", "1"]),
            Variable::new("c", &["0", "1"]),
        ],
        vec![
            Cpt {
                parents: vec![],
                values: vec![1.0, 0.0],
            },
            Cpt {
                parents: vec![0],
                values: vec![1.0, 0.0, 0.3, 0.7],
            },
            Cpt {
                parents: vec![],
                values: vec![0.4, 0.6],
            },
        ],
    )
    .unwrap()
}

#[test]
fn contradictory_evidence_is_impossible_evidence_not_nan() {
    let net = contradiction_net();
    let ve = VariableElimination::new(&net);
    let jt = JunctionTree::new(&net).unwrap();
    let mut rng = rng_from_seed(16);
    for ev in [
        vec![(1usize, 1usize)],
        vec![(0, 1)],
        vec![(0, 0), (1, 1)],
        vec![(2, 0), (1, 1)],
    ] {
        assert!(is_impossible(ve.query(&[2], &ev)), "{ev:?}");
        assert!(is_impossible(ve.marginal(0, &ev)));
        assert!(is_impossible(ve.log_probability_of_evidence(&ev)));
        assert_eq!(ve.probability_of_evidence(&ev).unwrap(), 0.0);
        assert!(is_impossible(jt.calibrate(&ev)));
        assert!(is_impossible(mpe(&net, &ev)));
        assert!(is_impossible(map(&net, &[2], &ev)));
        assert!(is_impossible(rejection_sampling(
            &net,
            &[2],
            &ev,
            1000,
            &mut rng
        )));
        assert!(is_impossible(likelihood_weighting(
            &net,
            &[2],
            &ev,
            1000,
            &mut rng
        )));
        let g = Gibbs {
            n_samples: 100,
            burn_in: 10,
            thin: 1,
        };
        assert!(is_impossible(gibbs_sampling(&net, &[2], &ev, &g, &mut rng)));
        assert!(is_impossible(net.sample_given(&ev[..], 10, &mut rng)));
    }
    // The same variable given two states.
    assert!(is_impossible(ve.query(&[2], &[(2, 0), (2, 1)])));
    assert!(is_impossible(net.evidence(&[("c", "0"), ("c", "1")])));
    // Bad indices are errors, not panics.
    assert!(ve.query(&[7], &[]).is_err());
    assert!(ve.query(&[0], &[(9, 0)]).is_err());
    assert!(ve.query(&[0], &[(1, 5)]).is_err());
    assert!(ve.query_do(&[0], &[], &[(9, 0)]).is_err());
    assert!(jt.calibrate(&[(3, 0)]).is_err());
    assert!(mpe(&net, &[(0, 2)]).is_err());
    // Possible evidence next to a zero entry is fine, and its posterior is exact.
    let p = ve.marginal(1, &[(2, 0)]).unwrap();
    assert_eq!(p, vec![1.0, 0.0]);
}

#[test]
fn too_large_exact_inference_is_an_error_not_an_abort() {
    // An 8 × 8 grid (parents: up and left) of 16-state variables: treewidth about 8, so the
    // cliques would need 16^9 entries.
    let side = 8;
    let k: usize = 16;
    let states: Vec<String> = (0..k).map(|s| s.to_string()).collect();
    let refs: Vec<&str> = states.iter().map(String::as_str).collect();
    let mut vars = Vec::new();
    let mut cpts = Vec::new();
    for r in 0..side {
        for c in 0..side {
            vars.push(Variable::new(format!("g{r}_{c}"), &refs));
            let mut parents = Vec::new();
            if r > 0 {
                parents.push((r - 1) * side + c);
            }
            if c > 0 {
                parents.push(r * side + c - 1);
            }
            let rows = k.pow(parents.len() as u32);
            cpts.push(Cpt {
                parents,
                values: vec![1.0 / k as f64; rows * k],
            });
        }
    }
    let net = BayesNet::new(vars, cpts).unwrap();
    let too_large = |r: genmodels::core::Result<()>| {
        matches!(r, Err(Error::Network(NetworkError::TooLarge { .. })))
    };
    assert!(too_large(JunctionTree::new(&net).map(|_| ())));
    let ve = VariableElimination::new(&net);
    let last = side * side - 1;
    assert!(too_large(ve.marginal(last, &[(0, 1)]).map(|_| ())));
    assert!(too_large(mpe(&net, &[]).map(|_| ())));
    // Sampling still works.
    let r = likelihood_weighting(&net, &[last], &[(0, 1)], 200, &mut rng_from_seed(1)).unwrap();
    assert_eq!(r.marginals[0].len(), k);
    // A corner's marginal without evidence needs only its ancestors... which here is the grid
    // above-left of it; the first row is a chain and stays small.
    assert_eq!(ve.marginal(side - 1, &[]).unwrap().len(), k);
}

/// A positive random network and evidence, for the samplers.
fn sampler_case() -> (BayesNet, Vec<(usize, usize)>) {
    let mut rng = rng_from_seed(21);
    let net = random_net(&mut rng, 8, false);
    let ev = vec![
        (net.topological_order()[7], 0),
        (net.topological_order()[4], 1),
    ];
    (net, ev)
}

#[test]
fn approximate_methods_converge_to_the_exact_answer() {
    let (net, ev) = sampler_case();
    let targets: Vec<usize> = (0..net.n_variables()).collect();
    let ve = VariableElimination::new(&net);
    let exact: Vec<Vec<f64>> = targets
        .iter()
        .map(|&t| ve.marginal(t, &ev).unwrap())
        .collect();
    let check = |name: &str, marg: &[Vec<f64>], ess: f64| {
        for (t, (m, e)) in marg.iter().zip(&exact).enumerate() {
            for (s, (&p, &q)) in m.iter().zip(e).enumerate() {
                let se = (q * (1.0 - q) / ess).sqrt();
                assert!(
                    (p - q).abs() <= 5.0 * se + 1e-9,
                    "{name}: target {t} state {s}: {p} vs exact {q} (se {se}, ess {ess})"
                );
            }
        }
    };
    let mut rng = rng_from_seed(22);
    let lw = likelihood_weighting(&net, &targets, &ev, 50_000, &mut rng).unwrap();
    assert!(lw.effective_sample_size > 1000.0 && lw.effective_sample_size <= 50_000.0);
    check(
        "likelihood weighting",
        &lw.marginals,
        lw.effective_sample_size,
    );
    let rj = rejection_sampling(&net, &targets, &ev, 50_000, &mut rng).unwrap();
    assert_eq!(rj.effective_sample_size, rj.n_used as f64);
    check("rejection", &rj.marginals, rj.effective_sample_size);
    let settings = Gibbs {
        n_samples: 40_000,
        burn_in: 1_000,
        thin: 1,
    };
    let gb = gibbs_sampling(&net, &targets, &ev, &settings, &mut rng).unwrap();
    assert_eq!(gb.n_used, 40_000);
    assert_eq!(gb.n_drawn, 41_000);
    assert!(gb.effective_sample_size > 100.0 && gb.effective_sample_size <= 40_000.0);
    check("Gibbs", &gb.marginals, gb.effective_sample_size);
    // Evidence targets give their point mass.
    let (v, s) = ev[0];
    assert_eq!(lw.marginals[v][s], 1.0);
    assert_eq!(gb.marginals[v][s], 1.0);
    // The error shrinks with n (likelihood weighting, same seed family).
    let err = |n: usize| {
        let r = likelihood_weighting(&net, &targets, &ev, n, &mut rng_from_seed(5)).unwrap();
        r.marginals
            .iter()
            .zip(&exact)
            .flat_map(|(a, b)| a.iter().zip(b).map(|(x, y)| (x - y).abs()))
            .fold(0.0, f64::max)
    };
    assert!(err(40_000) < err(400));
    // Thinning keeps one sweep in `thin`.
    let thin = Gibbs {
        n_samples: 1000,
        burn_in: 10,
        thin: 3,
    };
    let t = gibbs_sampling(&net, &[0], &ev, &thin, &mut rng).unwrap();
    assert_eq!(t.n_drawn, 10 + 3000);
}

#[test]
fn forward_samples_reproduce_the_cpts() {
    let net = load_bif("alarm");
    let n = 200_000;
    let data = net.sample(n, &mut rng_from_seed(31)).unwrap();
    assert_eq!(data.n_rows(), n);
    assert_eq!(data.names[0], net.variable(0).name);
    // Same seed, same rows.
    assert_eq!(net.sample(n, &mut rng_from_seed(31)).unwrap(), data);
    let mut worst: f64 = 0.0;
    let mut cells = 0;
    for v in 0..net.n_variables() {
        let k = net.cardinality(v);
        let ps = net.parents(v);
        let rows: usize = ps.iter().map(|&p| net.cardinality(p)).product();
        let mut counts = vec![0.0; rows * k];
        for i in 0..n {
            let mut r = 0;
            for &p in ps {
                r = r * net.cardinality(p) + data.columns[p][i] as usize;
            }
            counts[r * k + data.columns[v][i] as usize] += 1.0;
        }
        for r in 0..rows {
            let nu: f64 = counts[r * k..(r + 1) * k].iter().sum();
            for s in 0..k {
                let p = net.cpt(v).values[r * k + s];
                if p == 0.0 {
                    assert_eq!(counts[r * k + s], 0.0, "a zero-probability state was drawn");
                    continue;
                }
                if nu < 50.0 {
                    continue;
                }
                let z = (counts[r * k + s] / nu - p) / (p * (1.0 - p) / nu).sqrt().max(1e-12);
                worst = worst.max(z.abs());
                cells += 1;
            }
        }
    }
    assert!(cells > 300);
    // Several hundred cells: the largest |z| stays well under 5.5 with overwhelming probability.
    assert!(worst < 5.5, "largest |z| {worst}");
}

#[test]
fn exact_samples_given_evidence_match_the_posterior() {
    let (net, ev) = sampler_case();
    let n = 100_000;
    let data = net
        .sample_given(&ev[..], n, &mut rng_from_seed(41))
        .unwrap();
    assert_eq!(data.n_rows(), n);
    for &(v, s) in &ev {
        assert!(
            data.columns[v].iter().all(|&c| c as usize == s),
            "evidence kept in every row"
        );
    }
    let ve = VariableElimination::new(&net);
    for v in 0..net.n_variables() {
        let exact = ve.marginal(v, &ev).unwrap();
        for (s, &q) in exact.iter().enumerate() {
            let p = data.columns[v].iter().filter(|&&c| c as usize == s).count() as f64 / n as f64;
            let se = (q * (1.0 - q) / n as f64).sqrt();
            assert!(
                (p - q).abs() <= 5.0 * se + 1e-12,
                "variable {v} state {s}: {p} vs {q}"
            );
        }
    }
    // A pairwise joint as well (two variables not in one family).
    let (a, b) = (0, net.n_variables() - 1);
    let exact = ve.query(&[a, b], &ev).unwrap();
    for i in 0..net.cardinality(a) {
        for j in 0..net.cardinality(b) {
            let q = exact.get(&[i, j]);
            let p = (0..n)
                .filter(|&r| data.columns[a][r] as usize == i && data.columns[b][r] as usize == j)
                .count() as f64
                / n as f64;
            let se = (q * (1.0 - q) / n as f64).sqrt();
            assert!(
                (p - q).abs() <= 5.0 * se + 1e-12,
                "pair ({i}, {j}): {p} vs {q}"
            );
        }
    }
    // Alarm: every row agrees with the evidence, and without evidence it is forward sampling.
    let alarm = load_bif("alarm");
    let ev = alarm.evidence(&[("HRBP", "HIGH"), ("CO", "LOW")]).unwrap();
    let d = alarm
        .sample_given(&ev[..], 2000, &mut rng_from_seed(2))
        .unwrap();
    for &(v, s) in &ev {
        assert!(d.columns[v].iter().all(|&c| c as usize == s));
    }
    let ll = alarm.log_likelihood(&d).unwrap();
    assert!(
        ll.iter().all(|l| l.is_finite()),
        "every exact sample has positive probability"
    );
}

#[test]
fn log_likelihood_with_missing_cells_is_the_brute_force_marginal() {
    let mut rng = rng_from_seed(51);
    for _ in 0..10 {
        let net = random_net(&mut rng, 7, true);
        let joint = net.joint().unwrap();
        let mut data = net.sample(300, &mut rng).unwrap();
        for col in data.columns.iter_mut() {
            for c in col.iter_mut() {
                if rng.random_bool(0.3) {
                    *c = MISSING;
                }
            }
        }
        let ll = net.log_likelihood(&data).unwrap();
        assert_eq!(ll.len(), data.n_rows());
        for i in 0..data.n_rows() {
            let ev: Vec<(usize, usize)> = (0..net.n_variables())
                .filter(|&v| data.columns[v][i] != MISSING)
                .map(|v| (v, data.columns[v][i] as usize))
                .collect();
            let p = brute_evidence(&joint, &ev);
            assert!(
                (ll[i] - p.ln()).abs() < 1e-10,
                "row {i}: {} vs {}",
                ll[i],
                p.ln()
            );
        }
    }
    // Impossible rows score −∞.
    let net = contradiction_net();
    let states = vec![vec!["0".to_string(), "1".to_string()]; 3];
    let data = DiscreteData::new(
        vec!["a".into(), "b".into(), "c".into()],
        states,
        vec![vec![MISSING, 0], vec![1, 0], vec![MISSING, 1]],
    )
    .unwrap();
    let ll = net.log_likelihood(&data).unwrap();
    assert_eq!(ll[0], f64::NEG_INFINITY);
    assert!((ll[1] - 0.6f64.ln()).abs() < 1e-12);
}

#[test]
fn em_never_decreases_the_likelihood_and_recovers_the_parameters() {
    let mut rng = rng_from_seed(61);
    let truth = random_net(&mut rng, 6, false);
    let mut data = truth.sample(20_000, &mut rng).unwrap();
    for col in data.columns.iter_mut() {
        for c in col.iter_mut() {
            if rng.random_bool(0.2) {
                *c = MISSING;
            }
        }
    }
    // Start from uniform CPTs with the true structure.
    let start = truth
        .with_cpts(
            (0..truth.n_variables())
                .map(|v| {
                    let k = truth.cardinality(v);
                    Cpt {
                        parents: truth.parents(v).to_vec(),
                        values: vec![1.0 / k as f64; truth.cpt(v).values.len()],
                    }
                })
                .collect(),
        )
        .unwrap();
    let mut rec = Recorder::default();
    let fit = ParameterEm::new()
        .tol(1e-9)
        .max_iter(300)
        .fit(&start, &data, &mut rec)
        .unwrap();
    let ll = &fit.log_likelihoods;
    assert!(ll.len() >= 3);
    assert_eq!(rec.steps.len() + 1, ll.len());
    for w in ll.windows(2) {
        assert!(
            w[1] >= w[0] - 1e-8 * w[0].abs(),
            "log-likelihood decreased: {} -> {}",
            w[0],
            w[1]
        );
    }
    assert!(fit.converged);
    // The final value is the observed-data log-likelihood of the fitted network.
    let direct: f64 = fit.network.log_likelihood(&data).unwrap().sum();
    assert!((direct - ll[ll.len() - 1]).abs() < 1e-6 * direct.abs());
    // Parameters within sampling error where the parent configuration is well represented.
    let mut worst: f64 = 0.0;
    for v in 0..truth.n_variables() {
        let k = truth.cardinality(v);
        let rows = truth.cpt(v).values.len() / k;
        // Expected parent-configuration counts from the truth.
        let ve = VariableElimination::new(&truth);
        let ps = truth.parents(v).to_vec();
        let pu = if ps.is_empty() {
            Factor::new(vec![], vec![], vec![1.0]).unwrap()
        } else {
            ve.query(&ps, &[]).unwrap()
        };
        for r in 0..rows {
            let nu = pu.values()[r] * 20_000.0 * 0.8f64.powi(ps.len() as i32 + 1);
            if nu < 200.0 {
                continue;
            }
            for s in 0..k {
                let p = truth.cpt(v).values[r * k + s];
                let q = fit.network.cpt(v).values[r * k + s];
                let se = (p * (1.0 - p) / nu).sqrt();
                worst = worst.max((q - p).abs() / se);
            }
        }
    }
    assert!(worst < 6.0, "largest standardised error {worst}");
    // A pseudo-count keeps unseen cells positive, and rows sum to one.
    let smooth = ParameterEm::new()
        .alpha(1.0)
        .max_iter(5)
        .fit(&start, &data, &mut Recorder::default())
        .unwrap();
    for v in 0..truth.n_variables() {
        let k = truth.cardinality(v);
        for row in smooth.network.cpt(v).values.chunks(k) {
            assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            assert!(row.iter().all(|&x| x > 0.0));
        }
    }
    assert!(ParameterEm::new()
        .alpha(-1.0)
        .fit(&start, &data, &mut Recorder::default())
        .is_err());
}

#[test]
fn alarm_ve_and_junction_tree_agree() {
    let net = load_bif("alarm");
    let ve = VariableElimination::new(&net);
    let jt = JunctionTree::new(&net).unwrap();
    assert!(
        jt.width() <= 5,
        "alarm's treewidth is 4; min-fill found {}",
        jt.width()
    );
    let data = net.sample(20, &mut rng_from_seed(71)).unwrap();
    let mut rng = rng_from_seed(72);
    for i in 0..20 {
        let m = 1 + i % 6;
        let mut ev: Vec<(usize, usize)> = Vec::new();
        while ev.len() < m {
            let v = rng.random_range(0..net.n_variables());
            if ev.iter().all(|&(u, _)| u != v) {
                ev.push((v, data.columns[v][i] as usize));
            }
        }
        let cal = jt.calibrate(&ev).unwrap();
        let all = cal.all_marginals();
        for v in 0..net.n_variables() {
            assert_close_slices(&ve.marginal(v, &ev).unwrap(), &all[v], 1e-10, "alarm");
        }
        assert!((cal.log_evidence() - ve.log_probability_of_evidence(&ev).unwrap()).abs() < 1e-9);
        let (x, logp) = mpe(&net, &ev).unwrap();
        assert!((net.log_prob(&x) - logp).abs() < 1e-12);
    }
}

/// CPU seconds of this process so far (all threads), from /proc/self/stat (Linux; 0 elsewhere).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    // Fields 14 and 15 of the file (utime, stime) are 11 and 12 after the command.
    (f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap()) / 100.0
}

/// Runs `f` `reps` times; wall and CPU milliseconds per run.
fn time_it(reps: usize, mut f: impl FnMut()) -> (f64, f64) {
    let (w, c) = (std::time::Instant::now(), cpu_seconds());
    for _ in 0..reps {
        f();
    }
    (
        w.elapsed().as_secs_f64() * 1e3 / reps as f64,
        (cpu_seconds() - c) * 1e3 / reps as f64,
    )
}

/// Timings on alarm (no assertions): wall time and process CPU time per run, since a loaded
/// machine inflates the wall time. Run with
/// `cargo test --release -p genmodels --test bn_inference -- --ignored --nocapture timing`.
#[test]
#[ignore]
fn timing_on_alarm() {
    let net = load_bif("alarm");
    let n = net.n_variables();
    let data = net.sample(100, &mut rng_from_seed(81)).unwrap();
    let mut rng = rng_from_seed(82);
    let queries: Vec<(usize, Vec<(usize, usize)>)> = (0..100)
        .map(|i| {
            let mut ev: Vec<(usize, usize)> = Vec::new();
            while ev.len() < 3 {
                let v = rng.random_range(0..n);
                if ev.iter().all(|&(u, _)| u != v) {
                    ev.push((v, data.columns[v][i] as usize));
                }
            }
            let mut t = rng.random_range(0..n);
            while ev.iter().any(|&(u, _)| u == t) {
                t = rng.random_range(0..n);
            }
            (t, ev)
        })
        .collect();
    let ve = VariableElimination::new(&net);
    let (w, c) = time_it(100, || {
        for (t, ev) in &queries {
            std::hint::black_box(ve.marginal(*t, ev).unwrap());
        }
    });
    println!("alarm: 100 VE single-target queries with 3 evidence each: {w:.3} ms wall, {c:.3} ms CPU (total per 100)");
    let (w, c) = time_it(200, || {
        std::hint::black_box(JunctionTree::new(&net).unwrap());
    });
    println!("junction tree build: {w:.4} ms wall, {c:.4} ms CPU");
    let jt = JunctionTree::new(&net).unwrap();
    let (w, c) = time_it(100, || {
        for (_, ev) in &queries {
            std::hint::black_box(jt.calibrate(ev).unwrap().all_marginals());
        }
    });
    println!(
        "calibrate + all 37 marginals: {:.4} ms wall, {:.4} ms CPU per evidence set (width {})",
        w / 100.0,
        c / 100.0,
        jt.width()
    );
    let mut seed = 0;
    let (w, c) = time_it(30, || {
        seed += 1;
        std::hint::black_box(net.sample(100_000, &mut rng_from_seed(seed)).unwrap());
    });
    println!(
        "100,000 forward samples: {w:.2} ms wall, {c:.2} ms CPU (all threads; {} threads)",
        rayon::current_num_threads()
    );
    let ev = &queries[0].1;
    let (w, c) = time_it(3, || {
        std::hint::black_box(
            net.sample_given(&ev[..], 100_000, &mut rng_from_seed(3))
                .unwrap(),
        );
    });
    println!("100,000 exact samples given 3 evidence: {w:.2} ms wall, {c:.2} ms CPU");
    let (w, c) = time_it(10, || {
        for (_, ev) in &queries {
            std::hint::black_box(mpe(&net, ev).unwrap());
        }
    });
    println!("100 MPE queries with 3 evidence: {w:.3} ms wall, {c:.3} ms CPU");
    let mut rows = net.sample(10_000, &mut rng_from_seed(7)).unwrap();
    let mut r = rng_from_seed(8);
    for col in rows.columns.iter_mut() {
        for c in col.iter_mut() {
            if r.random_bool(0.2) {
                *c = MISSING;
            }
        }
    }
    let (w, c) = time_it(1, || {
        std::hint::black_box(net.log_likelihood(&rows).unwrap());
    });
    println!("log-likelihood of 10,000 rows with 20% missing cells: {w:.1} ms wall, {c:.1} ms CPU");
    let (w, c) = time_it(1, || {
        let fit = ParameterEm::new()
            .max_iter(5)
            .tol(0.0)
            .fit(&net, &rows, &mut Recorder::default())
            .unwrap();
        std::hint::black_box(fit);
    });
    println!("EM, 5 iterations (6 E-steps) on those rows: {w:.1} ms wall, {c:.1} ms CPU");
}

#[test]
fn bundled_networks_ve_and_junction_tree_agree() {
    for name in [
        "asia",
        "cancer",
        "child",
        "earthquake",
        "insurance",
        "sachs",
        "survey",
        "water",
        "hepar2",
        "andes",
        "sprinkler",
    ] {
        let net = load_bif(name);
        let n = net.n_variables();
        let jt = JunctionTree::new(&net).unwrap();
        let ve = VariableElimination::new(&net);
        let data = net.sample(3, &mut rng_from_seed(91)).unwrap();
        let mut rng = rng_from_seed(92);
        for i in 0..3 {
            let mut ev: Vec<(usize, usize)> = Vec::new();
            while ev.len() < 3.min(n - 1) {
                let v = rng.random_range(0..n);
                if ev.iter().all(|&(u, _)| u != v) {
                    ev.push((v, data.columns[v][i] as usize));
                }
            }
            let cal = jt.calibrate(&ev).unwrap();
            for _ in 0..5 {
                let t = rng.random_range(0..n);
                let what = format!("{name}: variable {t} given {ev:?}");
                assert_close_slices(&ve.marginal(t, &ev).unwrap(), &cal.marginal(t), 1e-9, &what);
            }
            let lp = ve.log_probability_of_evidence(&ev).unwrap();
            assert!((cal.log_evidence() - lp).abs() < 1e-9, "{name}");
        }
    }
}
