//! Helpers shared by the fixture tests: reading the committed JSON fixtures into arrays and
//! comparing numbers with a tolerance that is relative for large values, absolute near zero.
#![allow(dead_code)]

use genmodels::mixture::CovarianceParams;
use ndarray::{Array1, Array2, Array3};
use serde_json::Value;

/// Parses `tests/fixtures/<name>`.
pub fn load_fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// A JSON list of numbers.
pub fn vec1(v: &Value) -> Array1<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// A JSON list of rows.
pub fn mat2(v: &Value) -> Array2<f64> {
    let rows: Vec<Array1<f64>> = v.as_array().unwrap().iter().map(vec1).collect();
    Array2::from_shape_fn((rows.len(), rows[0].len()), |(i, j)| rows[i][j])
}

/// A JSON list of matrices.
pub fn mat3(v: &Value) -> Array3<f64> {
    let ms: Vec<Array2<f64>> = v.as_array().unwrap().iter().map(mat2).collect();
    Array3::from_shape_fn((ms.len(), ms[0].nrows(), ms[0].ncols()), |(i, j, l)| {
        ms[i][[j, l]]
    })
}

/// Every number of covariance-shaped parameters, in storage order.
pub fn flat(c: &CovarianceParams) -> Vec<f64> {
    match c {
        CovarianceParams::Full(a) => a.iter().copied().collect(),
        CovarianceParams::Tied(a) | CovarianceParams::Diag(a) => a.iter().copied().collect(),
        CovarianceParams::Spherical(a) => a.to_vec(),
    }
}

/// |a − b| ≤ tol · max(1, |b|): relative for large numbers, absolute near zero.
pub fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1.0)
}

/// Asserts that two equally long sequences are [`close`] element by element (`b` is the
/// reference).
pub fn assert_close(
    what: &str,
    a: impl IntoIterator<Item = f64>,
    b: impl IntoIterator<Item = f64>,
    tol: f64,
) {
    let (a, b): (Vec<f64>, Vec<f64>) = (a.into_iter().collect(), b.into_iter().collect());
    assert_eq!(a.len(), b.len(), "{what}: lengths differ");
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert!(
            close(*x, *y, tol),
            "{what}[{i}]: ours {x} vs reference {y} (tol {tol})"
        );
    }
}
