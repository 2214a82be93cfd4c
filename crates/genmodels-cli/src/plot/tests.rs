//! The charts drawn to files and checked: ellipses, ticks, legends, PNG and SVG output.

use super::axes::*;
use super::scatter::*;
use super::*;
use std::fs;

fn max_abs_dev(pts: &[(f64, f64)], mean: (f64, f64)) -> (f64, f64) {
    pts.iter().fold((0.0_f64, 0.0_f64), |(mx, my), &(x, y)| {
        (mx.max((x - mean.0).abs()), my.max((y - mean.1).abs()))
    })
}

fn assert_nonempty(path: &Path) {
    let meta = fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(meta.len() > 0, "{} is empty", path.display());
}

/// Only `expected` (no leftover temporary files) in `dir`.
fn assert_dir_contains_only(dir: &Path, expected: &[&str]) {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expected: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(names, expected);
}

/// A 3-component 2-D mixture and 600 points drawn from it.
struct Sample {
    points: Vec<(f64, f64)>,
    labels: Vec<usize>,
    means: Vec<(f64, f64)>,
    covs: Vec<[[f64; 2]; 2]>,
    weights: Vec<f64>,
}

fn sample_gmm() -> Sample {
    use rand::{Rng, SeedableRng};
    let means = vec![(-3.0, 0.0), (2.0, 2.0), (1.5, -3.0)];
    let covs = vec![
        [[1.0, 0.0], [0.0, 0.25]],
        [[0.8, 0.6], [0.6, 0.8]],
        [[0.3, -0.2], [-0.2, 1.2]],
    ];
    let weights = vec![0.36, 0.4, 0.24];
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut points = Vec::new();
    let mut labels = Vec::new();
    for _ in 0..600 {
        let u: f64 = rng.random();
        let k = if u < 0.36 {
            0
        } else if u < 0.76 {
            1
        } else {
            2
        };
        // Sample via Cholesky of the 2×2 covariance.
        let [[a, b], [_, c]] = covs[k];
        let l11 = f64::sqrt(a);
        let l21 = b / l11;
        let l22 = (c - l21 * l21).sqrt();
        let z1 = normal(&mut rng);
        let z2 = normal(&mut rng);
        points.push((means[k].0 + l11 * z1, means[k].1 + l21 * z1 + l22 * z2));
        labels.push(k);
    }
    Sample {
        points,
        labels,
        means,
        covs,
        weights,
    }
}

fn normal(rng: &mut impl rand::Rng) -> f64 {
    // Box–Muller.
    let u1: f64 = rng.random::<f64>().max(1e-12);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

#[test]
fn plot_ellipse_diagonal_semi_axes() {
    let mean = (1.0, -2.0);
    let pts = ellipse_points(mean, [[4.0, 0.0], [0.0, 1.0]], 1.0, 100);
    assert_eq!(pts.len(), 100);
    assert_eq!(pts[0], pts[99]);
    let (mx, my) = max_abs_dev(&pts, mean);
    assert!((mx - 2.0).abs() < 1e-9, "mx = {mx}");
    assert!((my - 1.0).abs() < 2e-3, "my = {my}");

    let pts = ellipse_points(mean, [[4.0, 0.0], [0.0, 1.0]], 2.0, 100);
    let (mx, my) = max_abs_dev(&pts, mean);
    assert!((mx - 4.0).abs() < 1e-9, "mx = {mx}");
    assert!((my - 2.0).abs() < 4e-3, "my = {my}");

    // Larger variance along y: major axis vertical.
    let pts = ellipse_points((0.0, 0.0), [[1.0, 0.0], [0.0, 9.0]], 1.0, 400);
    let (mx, my) = max_abs_dev(&pts, (0.0, 0.0));
    assert!((mx - 1.0).abs() < 1e-3, "mx = {mx}");
    assert!((my - 3.0).abs() < 1e-3, "my = {my}");
}

#[test]
fn plot_ellipse_rotated_semi_axes() {
    // cov = R diag(4, 1) Rᵀ with R a rotation by 30°.
    let t = 30f64.to_radians();
    let (s, c) = t.sin_cos();
    let (l1, l2) = (4.0, 1.0);
    let cov = [
        [l1 * c * c + l2 * s * s, (l1 - l2) * s * c],
        [(l1 - l2) * s * c, l1 * s * s + l2 * c * c],
    ];
    let mean = (0.5, 0.25);
    let pts = ellipse_points(mean, cov, 1.0, 2000);
    let radii: Vec<f64> = pts
        .iter()
        .map(|&(x, y)| (x - mean.0).hypot(y - mean.1))
        .collect();
    let rmax = radii.iter().cloned().fold(0.0, f64::max);
    let rmin = radii.iter().cloned().fold(f64::INFINITY, f64::min);
    assert!((rmax - 2.0).abs() < 1e-4, "rmax = {rmax}");
    assert!((rmin - 1.0).abs() < 1e-4, "rmin = {rmin}");
    // The farthest point lies along the rotated major axis (±30°).
    let far = pts[radii.iter().position(|&r| r == rmax).unwrap()];
    let ang = (far.1 - mean.1).atan2(far.0 - mean.0);
    let ang = if ang < 0.0 {
        ang + std::f64::consts::PI
    } else {
        ang
    };
    assert!((ang - t).abs() < 1e-2, "angle = {ang}");
    // Bounding box half-widths are n_sigma * sqrt(cov_ii).
    let (mx, my) = max_abs_dev(&pts, mean);
    assert!((mx - cov[0][0].sqrt()).abs() < 1e-4, "mx = {mx}");
    assert!((my - cov[1][1].sqrt()).abs() < 1e-4, "my = {my}");
    // Every point satisfies (p-μ)ᵀ Σ⁻¹ (p-μ) = n_sigma².
    let det = cov[0][0] * cov[1][1] - cov[0][1] * cov[1][0];
    for &(x, y) in &ellipse_points(mean, cov, 2.0, 50) {
        let (dx, dy) = (x - mean.0, y - mean.1);
        let m = (cov[1][1] * dx * dx - 2.0 * cov[0][1] * dx * dy + cov[0][0] * dy * dy) / det;
        assert!((m - 4.0).abs() < 1e-9, "mahalanobis² = {m}");
    }
}

#[test]
fn plot_ellipse_degenerate_covariance() {
    let pts = ellipse_points((0.0, 0.0), [[0.0, 0.0], [0.0, 0.0]], 2.0, 10);
    assert!(pts.iter().all(|&p| p == (0.0, 0.0)));
    // Slightly negative eigenvalue from round-off: clamped, no NaN.
    let pts = ellipse_points((0.0, 0.0), [[1.0, 1.0], [1.0, 1.0 - 1e-15]], 1.0, 10);
    assert!(pts.iter().all(|p| p.0.is_finite() && p.1.is_finite()));
    assert_eq!(
        ellipse_points((0.0, 0.0), [[1.0, 0.0], [0.0, 1.0]], 1.0, 0).len(),
        2
    );
}

#[test]
fn plot_register_fonts_is_idempotent() {
    register_fonts();
    register_fonts();
}

#[test]
fn plot_gmm_scatter_png_and_svg() {
    let dir = tempfile::tempdir().unwrap();
    let Sample {
        points,
        labels,
        means,
        covs,
        weights,
    } = sample_gmm();
    for name in ["gmm.png", "gmm.svg", "GMM.PNG"] {
        let path = dir.path().join(name);
        gmm_scatter(
            &path,
            "GMM fit (K = 3)",
            "feature x",
            "feature y",
            Some((&points, &labels)),
            &means,
            &covs,
            &weights,
        )
        .unwrap();
        assert_nonempty(&path);
    }
    // Without points, and overwriting an existing file.
    let path = dir.path().join("gmm.png");
    gmm_scatter(&path, "means only", "x", "y", None, &means, &covs, &weights).unwrap();
    assert_nonempty(&path);
    let svg = fs::read_to_string(dir.path().join("gmm.svg")).unwrap();
    assert!(svg.contains("component 1 (w=0.40)"), "legend missing");
    assert_dir_contains_only(dir.path(), &["gmm.png", "gmm.svg", "GMM.PNG"]);
}

#[test]
fn plot_gmm_scatter_errors() {
    let dir = tempfile::tempdir().unwrap();
    let Sample {
        points,
        labels,
        means,
        covs,
        weights,
    } = sample_gmm();
    let bad = dir.path().join("gmm.jpg");
    let err = gmm_scatter(
        &bad,
        "t",
        "x",
        "y",
        Some((&points, &labels)),
        &means,
        &covs,
        &weights,
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("plot output must end in .png or .svg"),
        "{err}"
    );
    let noext = dir.path().join("gmm");
    assert!(gmm_scatter(&noext, "t", "x", "y", None, &means, &covs, &weights).is_err());
    let ok = dir.path().join("gmm.png");
    // Mismatched lengths.
    assert!(gmm_scatter(&ok, "t", "x", "y", None, &means, &covs[..2], &weights).is_err());
    assert!(gmm_scatter(
        &ok,
        "t",
        "x",
        "y",
        Some((&points, &labels[1..])),
        &means,
        &covs,
        &weights
    )
    .is_err());
    // Nothing to plot.
    assert!(gmm_scatter(&ok, "t", "x", "y", None, &[], &[], &[]).is_err());
    // Missing directory: error, and nothing left behind.
    let missing = dir.path().join("no-such-dir").join("gmm.png");
    assert!(gmm_scatter(&missing, "t", "x", "y", None, &means, &covs, &weights).is_err());
    assert_dir_contains_only(dir.path(), &[]);
}

#[test]
fn plot_line_chart_png_and_svg() {
    let dir = tempfile::tempdir().unwrap();
    let bic: Vec<(f64, f64)> = (1..=8)
        .map(|k| (k as f64, 12000.0 - 3000.0 / k as f64 + 150.0 * k as f64))
        .collect();
    let aic: Vec<(f64, f64)> = bic.iter().map(|&(k, v)| (k, v - 90.0 * k)).collect();
    let series = [("BIC", bic), ("AIC", aic)];
    for name in ["criteria.png", "criteria.svg"] {
        let path = dir.path().join(name);
        line_chart(&path, "Model selection", "K", "criterion", &series).unwrap();
        assert_nonempty(&path);
    }
    // Single unnamed series with a non-finite value and a constant y.
    let path = dir.path().join("flat.png");
    let s = [("", vec![(0.0, 1.0), (1.0, 1.0), (2.0, f64::NAN)])];
    line_chart(&path, "flat", "iteration", "objective", &s).unwrap();
    assert_nonempty(&path);

    let bad = dir.path().join("criteria.pdf");
    let err = line_chart(&bad, "t", "x", "y", &series).unwrap_err();
    assert!(
        err.to_string()
            .contains("plot output must end in .png or .svg"),
        "{err}"
    );
    let empty = dir.path().join("empty.png");
    assert!(line_chart(&empty, "t", "x", "y", &[]).is_err());
    assert!(line_chart(&empty, "t", "x", "y", &[("a", vec![])]).is_err());
    assert_dir_contains_only(dir.path(), &["criteria.png", "criteria.svg", "flat.png"]);
}

#[test]
fn plot_image_grid_png() {
    let dir = tempfile::tempdir().unwrap();
    let (h, w) = (8, 6);
    let images: Vec<Vec<f64>> = (0..7)
        .map(|i| {
            (0..h * w)
                .map(|p| ((p + i) % 5) as f64 / 4.0 * 1.2 - 0.1)
                .collect()
        })
        .collect();
    let path = dir.path().join("grid.png");
    image_grid(&path, &images, h, w, 3).unwrap();
    assert_nonempty(&path);
    // cols larger than the number of images.
    image_grid(&path, &images[..2], h, w, 10).unwrap();
    assert_nonempty(&path);

    let svg = dir.path().join("grid.svg");
    assert!(image_grid(&svg, &images, h, w, 3).is_err());
    let bad = dir.path().join("grid.txt");
    let err = image_grid(&bad, &images, h, w, 3).unwrap_err();
    assert!(
        err.to_string()
            .contains("plot output must end in .png or .svg"),
        "{err}"
    );
    assert!(image_grid(&path, &[], h, w, 3).is_err());
    assert!(image_grid(&path, &images, h, w + 1, 3).is_err());
    assert!(image_grid(&path, &images, h, w, 0).is_err());
    assert_dir_contains_only(dir.path(), &["grid.png"]);
}

#[test]
fn plot_nice_axis_ticks() {
    use plotters::coord::ranged1d::{BoldPoints, LightPoints};
    // plotters 0.3.7's own f64 axis drops -2.4 here.
    let axis = NiceAxis::new((-3.559975415901261, -2.2405162660735147));
    let bold = axis.key_points(BoldPoints(10));
    let labels: Vec<String> = bold.iter().map(|&v| fmt_tick(v)).collect();
    assert_eq!(labels, ["-3.4", "-3.2", "-3", "-2.8", "-2.6", "-2.4"]);
    let light = axis.key_points(LightPoints::new(10, 50));
    assert!(light.len() <= 50 && light.len() > bold.len());
    // Every bold tick is also a light tick.
    for b in &bold {
        assert!(
            light.iter().any(|l| (l - b).abs() < 1e-9),
            "{b} not in {light:?}"
        );
    }
    let axis = NiceAxis::new((0.55, 8.45));
    let labels: Vec<String> = axis
        .key_points(BoldPoints(10))
        .iter()
        .map(|&v| fmt_tick(v))
        .collect();
    assert_eq!(labels, ["1", "2", "3", "4", "5", "6", "7", "8"]);
    let axis = NiceAxis::new((-1234.0, 98765.0));
    let kp = axis.key_points(BoldPoints(10));
    assert!(kp.len() <= 10 && kp.len() >= 4, "{kp:?}");
    assert!(NiceAxis::new((1.0, 1.0))
        .key_points(BoldPoints(10))
        .is_empty());
    assert!(NiceAxis::new((0.0, 1.0))
        .key_points(BoldPoints(0))
        .is_empty());
}

#[test]
fn plot_legend_corner() {
    let r = (0.0, 1.0);
    let upper_right = [(0.9, 0.9), (0.95, 0.95)];
    assert_eq!(
        legend_corner(upper_right, r, r, 0.3, 0.2),
        SeriesLabelPosition::UpperLeft
    );
    assert_eq!(
        legend_corner([], r, r, 0.3, 0.2),
        SeriesLabelPosition::UpperRight
    );
    let top = [(0.1, 0.9), (0.9, 0.9)];
    assert_eq!(
        legend_corner(top, r, r, 0.3, 0.2),
        SeriesLabelPosition::LowerRight
    );
}

#[test]
fn plot_fmt_tick() {
    assert_eq!(fmt_tick(0.0), "0");
    assert_eq!(fmt_tick(3.0), "3");
    assert_eq!(fmt_tick(-2.5), "-2.5");
    assert_eq!(fmt_tick(12345.0), "12345");
    assert_eq!(fmt_tick(0.125), "0.125");
    assert_eq!(fmt_tick(2.5e7), "2.50e7");
}
