//! JSON has no NaN: these helpers write NaN as `null` and read `null` back as NaN, so a
//! report holding "not available" numbers (a failed candidate's BIC) still loads.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// For `f64` fields: `#[serde(with = "crate::core::serde_nan")]`.
pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    if v.is_finite() {
        s.serialize_f64(*v)
    } else {
        s.serialize_none()
    }
}

/// Reads a number or `null` (as NaN).
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// For `Vec<f64>` fields: `#[serde(with = "crate::core::serde_nan::vec")]`.
pub mod vec {
    use super::*;

    /// Writes non-finite entries as `null`.
    pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        let o: Vec<Option<f64>> = v.iter().map(|x| x.is_finite().then_some(*x)).collect();
        o.serialize(s)
    }

    /// Reads `null` entries as NaN.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        Ok(Vec::<Option<f64>>::deserialize(d)?
            .into_iter()
            .map(|x| x.unwrap_or(f64::NAN))
            .collect())
    }
}
