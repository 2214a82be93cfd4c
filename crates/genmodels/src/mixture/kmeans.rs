//! k-means (k-means++ seeding, then Lloyd's iterations), used to start EM.
//!
//! Written here rather than taken from `linfa-clustering` because that crate pins an older
//! `ndarray` than ours, and EM only needs this small, seeded, deterministic version.

use ndarray::{Array1, Array2, ArrayView2, Axis};
use rand::Rng;
use rayon::prelude::*;

use crate::core::{DataError, Result};

/// The result of a k-means run.
#[derive(Debug, Clone)]
pub struct KMeansResult {
    /// Cluster centres (K × d).
    pub centers: Array2<f64>,
    /// The centre each row is assigned to.
    pub labels: Array1<usize>,
    /// Sum of squared distances to the assigned centres.
    pub inertia: f64,
    /// Lloyd iterations run.
    pub n_iter: usize,
}

fn sq_dist(a: ndarray::ArrayView1<'_, f64>, b: ndarray::ArrayView1<'_, f64>) -> f64 {
    a.iter().zip(b.iter()).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Greedy k-means++ seeding (as scikit-learn: 2 + ln K candidates per step, keep the one
/// that lowers the potential most).
fn kmeans_pp(x: ArrayView2<'_, f64>, k: usize, rng: &mut impl Rng) -> Array2<f64> {
    let (n, d) = x.dim();
    let mut centers = Array2::zeros((k, d));
    let first = rng.random_range(0..n);
    centers.row_mut(0).assign(&x.row(first));
    let mut closest: Vec<f64> = x.outer_iter().map(|r| sq_dist(r, x.row(first))).collect();
    let trials = 2 + (k as f64).ln() as usize;
    for c in 1..k {
        let total: f64 = closest.iter().sum();
        let mut best: Option<(f64, usize, Vec<f64>)> = None;
        for _ in 0..trials {
            let cand = if total > 0.0 {
                let u = rng.random::<f64>() * total;
                let mut acc = 0.0;
                let mut pick = n - 1;
                for (i, v) in closest.iter().enumerate() {
                    acc += v;
                    if acc > u {
                        pick = i;
                        break;
                    }
                }
                pick
            } else {
                rng.random_range(0..n)
            };
            let new: Vec<f64> = x
                .outer_iter()
                .zip(closest.iter())
                .map(|(r, &old)| old.min(sq_dist(r, x.row(cand))))
                .collect();
            let pot: f64 = new.iter().sum();
            if best.as_ref().is_none_or(|b| pot < b.0) {
                best = Some((pot, cand, new));
            }
        }
        let (_, cand, new) = best.expect("at least one trial");
        centers.row_mut(c).assign(&x.row(cand));
        closest = new;
    }
    centers
}

fn assign(x: ArrayView2<'_, f64>, centers: &Array2<f64>) -> (Vec<usize>, Vec<f64>) {
    let cn: Vec<f64> = centers.outer_iter().map(|c| c.dot(&c)).collect();
    x.axis_chunks_iter(Axis(0), 4096)
        .into_par_iter()
        .flat_map_iter(|chunk| {
            let cross = chunk.dot(&centers.t());
            let cn = &cn;
            chunk
                .outer_iter()
                .zip(cross.outer_iter())
                .map(move |(r, cr)| {
                    let xn = r.dot(&r);
                    let mut best = (0, f64::INFINITY);
                    for (j, v) in cr.iter().enumerate() {
                        let dist = (xn - 2.0 * v + cn[j]).max(0.0);
                        if dist < best.1 {
                            best = (j, dist);
                        }
                    }
                    best
                })
                .collect::<Vec<_>>()
        })
        .unzip()
}

/// Runs k-means on `x` with k-means++ seeding. Empty clusters are re-seeded at the point
/// farthest from its centre. Converges when the centres move less than `tol` times the mean
/// feature variance (scikit-learn's rule) or the labels stop changing.
pub fn kmeans(
    x: ArrayView2<'_, f64>,
    k: usize,
    max_iter: usize,
    tol: f64,
    rng: &mut impl Rng,
) -> Result<KMeansResult> {
    let (n, d) = x.dim();
    if n < k || k == 0 {
        return Err(DataError::TooFewRows {
            found: n,
            needed: k.max(1),
            why: format!("k-means with {k} clusters"),
        }
        .into());
    }
    let var_mean = x.var_axis(Axis(0), 0.0).mean().unwrap_or(0.0);
    let tol = tol * var_mean;
    let mut centers = kmeans_pp(x, k, rng);
    let mut labels = vec![usize::MAX; n];
    let mut dists;
    let mut n_iter = 0;
    loop {
        n_iter += 1;
        let (new_labels, new_d) = assign(x, &centers);
        dists = new_d;
        let changed = new_labels != labels;
        labels = new_labels;
        let mut sums = Array2::<f64>::zeros((k, d));
        let mut counts = vec![0usize; k];
        for (r, &l) in x.outer_iter().zip(labels.iter()) {
            let mut s = sums.row_mut(l);
            s += &r;
            counts[l] += 1;
        }
        let mut new_centers = centers.clone();
        for (c, &count) in counts.iter().enumerate() {
            if count > 0 {
                new_centers
                    .row_mut(c)
                    .assign(&(&sums.row(c) / count as f64));
            } else {
                // Re-seed an empty cluster at the point farthest from its centre.
                let far = dists
                    .iter()
                    .enumerate()
                    .fold((0, -1.0), |b, (i, &v)| if v > b.1 { (i, v) } else { b })
                    .0;
                new_centers.row_mut(c).assign(&x.row(far));
                dists[far] = 0.0;
            }
        }
        let shift: f64 = centers
            .iter()
            .zip(new_centers.iter())
            .map(|(a, b)| (a - b) * (a - b))
            .sum();
        centers = new_centers;
        if !changed || shift <= tol || n_iter >= max_iter {
            break;
        }
    }
    let (labels, dists) = assign(x, &centers);
    Ok(KMeansResult {
        centers,
        labels: Array1::from(labels),
        inertia: dists.iter().sum(),
        n_iter,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn separates_two_blobs() {
        let x = array![
            [0.0, 0.0],
            [0.1, 0.0],
            [0.0, 0.1],
            [10.0, 10.0],
            [10.1, 10.0],
            [10.0, 10.1]
        ];
        let mut rng = crate::core::rng_from_seed(1);
        let r = kmeans(x.view(), 2, 100, 1e-4, &mut rng).unwrap();
        assert_eq!(r.labels[0], r.labels[1]);
        assert_eq!(r.labels[0], r.labels[2]);
        assert_eq!(r.labels[3], r.labels[4]);
        assert_ne!(r.labels[0], r.labels[3]);
    }

    #[test]
    fn duplicated_points_do_not_break_it() {
        let x = Array2::from_elem((10, 2), 3.0);
        let mut rng = crate::core::rng_from_seed(1);
        let r = kmeans(x.view(), 3, 100, 1e-4, &mut rng).unwrap();
        assert!(r.centers.iter().all(|v| *v == 3.0));
    }
}
