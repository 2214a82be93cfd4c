//! Questions to a network: exact marginals, joints and MPE; approximate answers by sampling.
