//! Scatter charts: data points coloured by component under each Gaussian's 1σ and 2σ ellipses.

use std::path::Path;

use anyhow::{bail, ensure, Result};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::axes::{densify, framed_chart, legend_box, legend_corner, padded_range};
use super::{palette, register_fonts, render_chart, Chart, Format, ELLIPSE_POINTS};

/// Points of the `n_sigma` contour of the 2-D Gaussian with the given mean and
/// (symmetric) covariance: the closed curve
/// `mean + n_sigma · (√λ₁ cos φ · u₁ + √λ₂ sin φ · u₂)` where `λᵢ, uᵢ` are the
/// eigenpairs of `cov` (closed-form 2×2 eigen-decomposition; negative
/// eigenvalues from round-off are clamped to 0).
///
/// Returns `n_points` points (at least 2) with the last equal to the first, so
/// the polyline is closed. The off-diagonal used is the mean of `cov[0][1]`
/// and `cov[1][0]`.
pub fn ellipse_points(
    mean: (f64, f64),
    cov: [[f64; 2]; 2],
    n_sigma: f64,
    n_points: usize,
) -> Vec<(f64, f64)> {
    let n_points = n_points.max(2);
    let a = cov[0][0];
    let b = 0.5 * (cov[0][1] + cov[1][0]);
    let c = cov[1][1];
    let half_trace = 0.5 * (a + c);
    let disc = (0.25 * (a - c) * (a - c) + b * b).sqrt();
    let l1 = (half_trace + disc).max(0.0);
    let l2 = (half_trace - disc).max(0.0);
    // Angle of the major axis (eigenvector of l1).
    let theta = 0.5 * (2.0 * b).atan2(a - c);
    let (st, ct) = theta.sin_cos();
    let (r1, r2) = (n_sigma * l1.sqrt(), n_sigma * l2.sqrt());
    (0..n_points)
        .map(|i| {
            let phi = if i + 1 == n_points {
                0.0 // close the curve exactly
            } else {
                std::f64::consts::TAU * i as f64 / (n_points - 1) as f64
            };
            let (sp, cp) = phi.sin_cos();
            let (u, v) = (r1 * cp, r2 * sp);
            (mean.0 + u * ct - v * st, mean.1 + u * st + v * ct)
        })
        .collect()
}

/// Data points with one component label each: `(points, labels)`, used by
/// [`gmm_scatter`].
pub type LabelledPoints<'a> = (&'a [(f64, f64)], &'a [usize]);

pub(super) struct GmmScatter<'a> {
    title: &'a str,
    x_name: &'a str,
    y_name: &'a str,
    points: Option<LabelledPoints<'a>>,
    means: &'a [(f64, f64)],
    weights: &'a [f64],
    ellipses1: Vec<Vec<(f64, f64)>>,
    ellipses2: Vec<Vec<(f64, f64)>>,
    x_range: (f64, f64),
    y_range: (f64, f64),
}

impl Chart for GmmScatter<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let mut chart = framed_chart(
            root,
            self.title,
            self.x_name,
            self.y_name,
            self.x_range,
            self.y_range,
            70,
        )?;

        if let Some((pts, labels)) = self.points {
            chart.draw_series(
                pts.iter()
                    .zip(labels)
                    .filter(|((x, y), _)| x.is_finite() && y.is_finite())
                    .map(|(&p, &k)| Circle::new(p, 2, palette(k).mix(0.45).filled())),
            )?;
        }

        for (k, ((mean, w), (e1, e2))) in self
            .means
            .iter()
            .zip(self.weights)
            .zip(self.ellipses1.iter().zip(&self.ellipses2))
            .enumerate()
        {
            let color = palette(k);
            chart.draw_series(DashedLineSeries::new(
                e2.iter().copied(),
                8,
                5,
                color.mix(0.7).stroke_width(2),
            ))?;
            chart
                .draw_series(LineSeries::new(e1.iter().copied(), color.stroke_width(3)))?
                .label(format!("component {k} (w={w:.2})"))
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 6), (x + 18, y + 6)], color.filled())
                });
            if mean.0.is_finite() && mean.1.is_finite() {
                chart.draw_series([
                    Cross::new(*mean, 8, BLACK.stroke_width(5)),
                    Cross::new(*mean, 7, color.stroke_width(3)),
                ])?;
            }
        }

        if !self.means.is_empty() {
            let labels: Vec<String> = (0..self.means.len())
                .map(|k| format!("component {k} (w=0.00)"))
                .collect();
            let (box_w, box_h) = legend_box(labels.iter().map(String::as_str));
            let pts = self.points.map(|(p, _)| p).unwrap_or(&[]);
            let curves = self.ellipses1.iter().chain(&self.ellipses2);
            let position = legend_corner(
                pts.iter()
                    .copied()
                    .chain(curves.flat_map(|e| densify(e, 3)))
                    .chain(
                        self.means
                            .iter()
                            .copied()
                            .cycle()
                            .take(50 * self.means.len()),
                    ),
                self.x_range,
                self.y_range,
                box_w,
                box_h,
            );
            chart
                .configure_series_labels()
                .position(position)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.5))
                .label_font(("sans-serif", 15))
                .draw()?;
        }
        Ok(())
    }
}

/// Scatter plot of a 2-D Gaussian mixture, written to `path` (`.png` or
/// `.svg`).
///
/// * `points`: optional data points with one component label each (labels
///   index the palette, so they should be component indices `0..K`); drawn as
///   small semi-transparent dots in the colour of their component.
/// * `means`, `covs`, `weights`: one entry per component (the lengths must
///   agree). Each mean is drawn as a cross, with the 1σ ellipse of its
///   covariance as a solid line and the 2σ ellipse dashed and lighter.
///
/// The legend lists `component k (w=0.36)` per component (k is 0-based). The
/// axes cover the points, means and 2σ ellipses plus a 5% margin.
///
/// Errors on mismatched lengths, an output extension other than
/// `.png`/`.svg`, nothing finite to plot, or an I/O failure; on error no file
/// is left at `path` (an existing file there is kept unchanged).
#[allow(clippy::too_many_arguments)]
pub fn gmm_scatter(
    path: &Path,
    title: &str,
    x_name: &str,
    y_name: &str,
    points: Option<LabelledPoints<'_>>,
    means: &[(f64, f64)],
    covs: &[[[f64; 2]; 2]],
    weights: &[f64],
) -> Result<()> {
    register_fonts();
    Format::from_path(path)?;
    ensure!(
        means.len() == covs.len() && means.len() == weights.len(),
        "gmm_scatter: {} means, {} covariances and {} weights",
        means.len(),
        covs.len(),
        weights.len()
    );
    if let Some((pts, labels)) = points {
        ensure!(
            pts.len() == labels.len(),
            "gmm_scatter: {} points but {} labels",
            pts.len(),
            labels.len()
        );
    }
    let ellipses1: Vec<_> = means
        .iter()
        .zip(covs)
        .map(|(&m, &c)| ellipse_points(m, c, 1.0, ELLIPSE_POINTS))
        .collect();
    let ellipses2: Vec<_> = means
        .iter()
        .zip(covs)
        .map(|(&m, &c)| ellipse_points(m, c, 2.0, ELLIPSE_POINTS))
        .collect();
    let all = || {
        points
            .map(|(p, _)| p)
            .unwrap_or(&[])
            .iter()
            .chain(means)
            .chain(ellipses2.iter().flatten())
            .copied()
    };
    let x_range = padded_range(all().map(|p| p.0), 0.05);
    let y_range = padded_range(all().map(|p| p.1), 0.05);
    let (Some(x_range), Some(y_range)) = (x_range, y_range) else {
        bail!("gmm_scatter: nothing finite to plot");
    };
    let chart = GmmScatter {
        title,
        x_name,
        y_name,
        points,
        means,
        weights,
        ellipses1,
        ellipses2,
        x_range,
        y_range,
    };
    render_chart(path, &chart)
}
