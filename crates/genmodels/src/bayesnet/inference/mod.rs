//! Questions to a network: exact marginals, joints and MPE; approximate answers by sampling.
//!
//! * [`VariableElimination`]: one query at a time (posterior marginals and joints, the
//!   probability of evidence, queries under interventions), pruned to the part of the network
//!   the query needs.
//! * [`JunctionTree`]: built once per network, [calibrated](JunctionTree::calibrate) once per
//!   evidence set, then every marginal is a table lookup; also exact sampling given evidence.
//! * [`mpe`] and [`map`]: the most probable explanation (max-product elimination with
//!   traceback) and maximum a posteriori assignments of a subset.
//! * [`rejection_sampling`], [`likelihood_weighting`], [`gibbs_sampling`]: seeded approximate
//!   marginals that report an effective sample size.
//!
//! The network itself samples ([`Sample`](crate::core::Sample) forward,
//! [`SampleGiven`](crate::core::SampleGiven) evidence exactly) and scores rows with missing
//! cells ([`LogLikelihood`](crate::core::LogLikelihood)).
//!
//! Evidence is a list of `(variable, state)` index pairs (see
//! [`BayesNet::evidence`](super::BayesNet::evidence) for names). Evidence of probability zero
//! is always the error [`NetworkError::ImpossibleEvidence`], never NaN; an exact computation
//! whose tables would exceed [`MAX_TABLE_ENTRIES`](super::network::MAX_TABLE_ENTRIES) is
//! [`NetworkError::TooLarge`].
//!
//! Every method works on the CPTs with each row renormalised to sum to exactly 1 (a network
//! accepts rows within [`ROW_SUM_TOLERANCE`](super::network::ROW_SUM_TOLERANCE) of 1, as BIF
//! files written with three decimals need): otherwise pruning barren nodes, which assumes
//! that rows sum to 1, would change answers in the tenth decimal, and the methods would
//! disagree with one another.

mod elimination;
mod junction_tree;
mod likelihood;
mod mpe;
pub(crate) mod order;
mod sampling;

pub use elimination::VariableElimination;
pub use junction_tree::{Calibrated, JunctionTree};
pub use mpe::{map, mpe};
pub use sampling::{
    gibbs_sampling, likelihood_weighting, rejection_sampling, ApproximateMarginals, Gibbs,
};

use super::network::BayesNet;
use crate::core::{Error, NetworkError, Result};

/// Checks evidence against the network: variables and states in range, a variable given twice
/// only with the same state. Returns it without duplicates, in the given order.
pub(crate) fn check_evidence(
    net: &BayesNet,
    evidence: &[(usize, usize)],
) -> Result<Vec<(usize, usize)>> {
    let n = net.n_variables();
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(evidence.len());
    for &(v, s) in evidence {
        if v >= n {
            return Err(NetworkError::Other(format!(
                "evidence on variable index {v}, but the network has only {n} variables"
            ))
            .into());
        }
        let k = net.cardinality(v);
        if s >= k {
            return Err(NetworkError::Other(format!(
                "evidence state index {s} for `{}`, which has only {k} states",
                net.variable(v).name
            ))
            .into());
        }
        if let Some(&(_, s0)) = out.iter().find(|(u, _)| *u == v) {
            if s0 != s {
                let var = net.variable(v);
                return Err(NetworkError::ImpossibleEvidence {
                    evidence: format!(
                        "{n}={} and {n}={}",
                        var.states[s0],
                        var.states[s],
                        n = var.name
                    ),
                }
                .into());
            }
            continue;
        }
        out.push((v, s));
    }
    Ok(out)
}

/// Checks query targets: in range and distinct.
pub(crate) fn check_targets(net: &BayesNet, targets: &[usize]) -> Result<()> {
    let n = net.n_variables();
    for (k, &t) in targets.iter().enumerate() {
        if t >= n {
            return Err(NetworkError::Other(format!(
                "query variable index {t}, but the network has only {n} variables"
            ))
            .into());
        }
        if targets[..k].contains(&t) {
            return Err(NetworkError::Other(format!(
                "`{}` is asked for twice in one query",
                net.variable(t).name
            ))
            .into());
        }
    }
    Ok(())
}

/// The error for evidence of probability zero.
pub(crate) fn impossible(net: &BayesNet, evidence: &[(usize, usize)]) -> Error {
    NetworkError::ImpossibleEvidence {
        evidence: if evidence.is_empty() {
            "(none)".into()
        } else {
            net.describe_evidence(evidence)
        },
    }
    .into()
}

/// The error for a table too large for exact inference.
pub(crate) fn too_large(what: impl Into<String>, size: f64) -> Error {
    NetworkError::TooLarge {
        what: what.into(),
        size,
        limit: super::network::MAX_TABLE_ENTRIES,
        hint: "; use approximate inference (likelihood weighting or Gibbs sampling) instead".into(),
    }
    .into()
}

/// The network with its CPT rows renormalised (a copy only when some row is off).
pub(crate) fn normalized_network(net: &BayesNet) -> Result<std::borrow::Cow<'_, BayesNet>> {
    let exact = (0..net.n_variables()).all(|v| {
        net.cpt(v)
            .values
            .chunks_exact(net.cardinality(v))
            .all(|r| r.iter().sum::<f64>() == 1.0)
    });
    if exact {
        return Ok(std::borrow::Cow::Borrowed(net));
    }
    let cpts = (0..net.n_variables())
        .map(|v| super::network::Cpt {
            parents: net.parents(v).to_vec(),
            values: net.normalized_cpt(v),
        })
        .collect();
    Ok(std::borrow::Cow::Owned(net.with_cpts(cpts)?))
}

/// xoshiro256++ (Blackman & Vigna, 2021): the generator of the sampling inner loops, seeded
/// from the caller's generator (so results stay reproducible from its seed), about a
/// nanosecond per word against several for ChaCha8 behind `dyn RngCore`.
#[derive(Debug, Clone)]
pub(crate) struct FastRng {
    s: [u64; 4],
}

impl FastRng {
    /// Seeded by SplitMix64 from `seed` and `stream` (independent streams per block).
    pub(crate) fn new(seed: u64, stream: u64) -> Self {
        let mut x = seed ^ stream.wrapping_mul(0xD1B5_4A32_D192_ED03);
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Self {
            s: [next(), next(), next(), next()],
        }
    }

    /// Seeded by one word of `rng`.
    pub(crate) fn from_rng(rng: &mut dyn rand::RngCore) -> Self {
        Self::new(rng.next_u64(), 0)
    }

    #[inline(always)]
    pub(crate) fn next(&mut self) -> u64 {
        let s = &mut self.s;
        let out = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        out
    }
}

impl rand::RngCore for FastRng {
    fn next_u32(&mut self) -> u32 {
        (self.next() >> 32) as u32
    }

    fn next_u64(&mut self) -> u64 {
        self.next()
    }

    fn fill_bytes(&mut self, dst: &mut [u8]) {
        for chunk in dst.chunks_mut(8) {
            let w = self.next().to_le_bytes();
            chunk.copy_from_slice(&w[..chunk.len()]);
        }
    }
}

/// A uniform number in [0, 1) from 53 random bits.
#[inline]
pub(crate) fn uniform(rng: &mut (impl rand::RngCore + ?Sized)) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}
