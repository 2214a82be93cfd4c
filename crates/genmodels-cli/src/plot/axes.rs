//! Axes and legends: nice 1-2-5 ticks, padded ranges, the white framed chart both line and
//! scatter charts draw into, and the corner that hides the fewest points under the legend.

use anyhow::Result;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::CHART_SIZE;

/// Compact tick label: integers without decimals, at most 4 decimals
/// otherwise, scientific notation for very large or very small magnitudes.
pub(super) fn fmt_tick(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 {
        return "0".to_string();
    }
    if !(1e-3..1e6).contains(&a) {
        return format!("{v:.2e}");
    }
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// `[lo, hi]` of the finite values, widened by `margin` × span on each side
/// (and to a unit-ish interval when all values are equal). `None` when there
/// is no finite value.
pub(super) fn padded_range(
    values: impl IntoIterator<Item = f64>,
    margin: f64,
) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return None;
    }
    let span = hi - lo;
    if span > 0.0 && span.is_finite() {
        Some((lo - margin * span, hi + margin * span))
    } else {
        let half = if lo.abs() > 0.0 { 0.1 * lo.abs() } else { 1.0 };
        Some((lo - half, hi + half))
    }
}

/// Largest number of ticks searched for one axis (guards degenerate inputs).
pub(super) const MAX_TICKS: usize = 1000;

/// The step in the 1-2-5 sequence giving the most ticks, at most `max`, on
/// `[lo, hi]`.
pub(super) fn nice_step(lo: f64, hi: f64, max: usize) -> Option<f64> {
    let span = hi - lo;
    if max == 0 || !(span.is_finite() && span > 0.0) {
        return None;
    }
    let max = max.min(MAX_TICKS) as f64;
    let mut base = 10f64.powf((span / max).log10().floor() - 1.0);
    for _ in 0..64 {
        for m in [1.0, 2.0, 5.0] {
            let step = m * base;
            if tick_range(lo, hi, step).map(|(a, b)| b - a + 1.0) <= Some(max) {
                return Some(step);
            }
        }
        base *= 10.0;
    }
    None
}

/// First and last multiple index `k` with `k·step` in `[lo, hi]`.
pub(super) fn tick_range(lo: f64, hi: f64, step: f64) -> Option<(f64, f64)> {
    let (a, b) = ((lo / step - 1e-9).ceil(), (hi / step + 1e-9).floor());
    (a.is_finite() && b.is_finite() && a <= b).then_some((a, b))
}

pub(super) fn ticks(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    match tick_range(lo, hi, step) {
        Some((a, b)) => (a as i64..=b as i64).map(|k| k as f64 * step).collect(),
        None => Vec::new(),
    }
}

/// A linear `f64` axis like plotters' `RangedCoordf64`, but with tick
/// positions computed as exact multiples of a 1-2-5 step (plotters 0.3.7
/// accumulates round-off and can drop the last tick on negative ranges), and
/// light grid lines that subdivide the bold ones.
#[derive(Clone)]
pub(super) struct NiceAxis {
    inner: RangedCoordf64,
    lo: f64,
    hi: f64,
}

impl NiceAxis {
    pub(super) fn new((lo, hi): (f64, f64)) -> Self {
        NiceAxis {
            inner: (lo..hi).into(),
            lo,
            hi,
        }
    }
}

impl Ranged for NiceAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        let Some(bold) = nice_step(self.lo, self.hi, hint.bold_points()) else {
            return Vec::new();
        };
        if !hint.weight().allow_light_points() {
            return ticks(self.lo, self.hi, bold);
        }
        let max = hint.max_num_points().min(MAX_TICKS) as f64;
        for div in [10.0, 5.0, 2.0] {
            let step = bold / div;
            if tick_range(self.lo, self.hi, step).map(|(a, b)| b - a + 1.0) <= Some(max) {
                return ticks(self.lo, self.hi, step);
            }
        }
        ticks(self.lo, self.hi, bold)
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// The plot corner whose legend-sized box (`box_w` × `box_h`, as fractions of
/// the plot) covers the fewest of `points`; ties go to upper right, upper
/// left, lower right, lower left in that order.
pub(super) fn legend_corner(
    points: impl IntoIterator<Item = (f64, f64)>,
    x_range: (f64, f64),
    y_range: (f64, f64),
    box_w: f64,
    box_h: f64,
) -> SeriesLabelPosition {
    let mut counts = [0usize; 4];
    for (x, y) in points {
        let u = (x - x_range.0) / (x_range.1 - x_range.0);
        let v = (y - y_range.0) / (y_range.1 - y_range.0);
        let (right, left) = (u >= 1.0 - box_w, u <= box_w);
        let (top, bottom) = (v >= 1.0 - box_h, v <= box_h);
        counts[0] += usize::from(right && top);
        counts[1] += usize::from(left && top);
        counts[2] += usize::from(right && bottom);
        counts[3] += usize::from(left && bottom);
    }
    match (0..4).min_by_key(|&i| counts[i]) {
        Some(1) => SeriesLabelPosition::UpperLeft,
        Some(2) => SeriesLabelPosition::LowerRight,
        Some(3) => SeriesLabelPosition::LowerLeft,
        _ => SeriesLabelPosition::UpperRight,
    }
}

/// Rough legend box size as fractions of the plotting area, for `labels`
/// drawn at 15 px.
pub(super) fn legend_box<'s>(labels: impl IntoIterator<Item = &'s str>) -> (f64, f64) {
    let (n, chars) = labels.into_iter().fold((0usize, 0usize), |(n, c), l| {
        (n + 1, c.max(l.chars().count()))
    });
    let (w, h) = (CHART_SIZE.0 as f64 - 130.0, CHART_SIZE.1 as f64 - 110.0);
    (
        (60.0 + 8.5 * chars as f64) / w,
        (20.0 + 21.0 * n as f64) / h,
    )
}

/// `n` points evenly spaced along each segment of the polyline `pts`
/// (used to weigh lines, not just their vertices, when placing the legend).
pub(super) fn densify(pts: &[(f64, f64)], n: usize) -> impl Iterator<Item = (f64, f64)> + '_ {
    pts.windows(2).flat_map(move |w| {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        (0..n).map(move |i| {
            let t = i as f64 / n as f64;
            (x0 + t * (x1 - x0), y0 + t * (y1 - y0))
        })
    })
}

/// A white chart with a title, axis descriptions, nice ticks and a light grid: the frame both
/// chart kinds draw into.
#[allow(clippy::too_many_arguments)]
pub(super) fn framed_chart<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    x_range: (f64, f64),
    y_range: (f64, f64),
    y_label_area: u32,
) -> Result<ChartContext<'a, DB, Cartesian2d<NiceAxis, NiceAxis>>>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 26))
        .margin(15)
        .x_label_area_size(50)
        .y_label_area_size(y_label_area)
        .build_cartesian_2d(NiceAxis::new(x_range), NiceAxis::new(y_range))?;
    let tick = |v: &f64| fmt_tick(*v);
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .axis_desc_style(("sans-serif", 18))
        .label_style(("sans-serif", 14))
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .max_light_lines(5)
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    Ok(chart)
}
