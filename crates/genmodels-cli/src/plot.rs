//! Plot rendering for the CLI (PNG and SVG) on top of `plotters`.
//!
//! Every public function picks the backend from the output extension
//! (`.png` → 900×700 bitmap, `.svg` → vector), renders into memory and writes
//! the file through [`genmodels::io::write_atomic`], so a failed or interrupted
//! render never leaves a truncated plot behind.
//!
//! Text is drawn with DejaVu Sans, embedded in the binary (see
//! `assets/DejaVuSans-LICENSE.txt`) and registered with [`register_fonts`].

use std::path::Path;
use std::sync::Once;

use anyhow::{bail, ensure, Context, Result};
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

/// DejaVu Sans (Bitstream Vera license, see `assets/DejaVuSans-LICENSE.txt`).
static DEJAVU_SANS: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// Bitmap size (pixels) of the PNG charts; also the nominal SVG size.
const CHART_SIZE: (u32, u32) = (900, 700);

/// Tableau 10 palette, used in order for components / series.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// Colour of the gaps between images in [`image_grid`] (not a grey, so the
/// tiles stay distinguishable whatever their content).
const GRID_GAP_COLOR: RGBColor = RGBColor(31, 119, 180);

/// Number of vertices of each drawn ellipse polyline.
const ELLIPSE_POINTS: usize = 100;

fn palette(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Registers the embedded DejaVu Sans font with plotters' `ab_glyph` text
/// renderer, under the families `"sans-serif"`, `"serif"` and `"monospace"`
/// (all the same face). Idempotent: only the first call does anything.
///
/// Every plotting function in this module calls it, so callers normally do
/// not need to.
pub fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for family in ["sans-serif", "serif", "monospace"] {
            // `InvalidFont` implements neither Debug nor Display; the font is
            // a compile-time constant covered by the tests, so this is a bug.
            assert!(
                register_font(family, FontStyle::Normal, DEJAVU_SANS).is_ok(),
                "embedded DejaVu Sans font could not be parsed"
            );
        }
    });
}

/// Output format, chosen from the file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Png,
    Svg,
}

impl Format {
    fn from_path(path: &Path) -> Result<Self> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("png") => Ok(Format::Png),
            Some("svg") => Ok(Format::Svg),
            _ => Err(crate::common::usage(format!(
                "plot output must end in .png or .svg (got {})",
                path.display()
            ))),
        }
    }
}

/// Encodes 8-bit RGB pixels as PNG (the `png` crate; plotters' own encoder writes to a path
/// only, and a plot is written through [`genmodels::io::write_atomic`] like every output).
fn encode_png(rgb: &[u8], (w, h): (u32, u32)) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().context("encoding the plot as PNG")?;
        wr.write_image_data(rgb)
            .context("encoding the plot as PNG")?;
    }
    Ok(out)
}

/// Writes a rendered picture to `path`, atomically (see [`genmodels::io::write_atomic`]).
pub fn write_picture(path: &Path, bytes: &[u8]) -> Result<()> {
    genmodels::io::write_atomic(path, |w| w.write_all(bytes))
        .with_context(|| format!("failed to write plot {}", path.display()))
}

/// A bitmap canvas of `size` pixels, checked against the memory this process can have.
fn canvas(size: (u32, u32)) -> Result<Vec<u8>> {
    let bytes = genmodels::core::memory::bytes_for(&[size.0 as usize, size.1 as usize], 3);
    genmodels::core::memory::check_memory(
        &format!("a picture of {}×{} pixels", size.0, size.1),
        bytes,
    )?;
    Ok(vec![0u8; bytes as usize])
}

/// A chart that can be drawn on any plotters backend.
trait Chart {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static;
}

/// Renders `chart` as the bytes of a PNG or SVG file.
fn chart_bytes(format: Format, chart: &impl Chart) -> Result<Vec<u8>> {
    register_fonts();
    match format {
        Format::Png => {
            let mut buf = canvas(CHART_SIZE)?;
            {
                let root = BitMapBackend::with_buffer(&mut buf, CHART_SIZE).into_drawing_area();
                chart.draw(&root)?;
                root.present()?;
            }
            encode_png(&buf, CHART_SIZE)
        }
        Format::Svg => {
            let mut text = String::new();
            {
                let root = SVGBackend::with_string(&mut text, CHART_SIZE).into_drawing_area();
                chart.draw(&root)?;
                root.present()?;
            }
            Ok(text.into_bytes())
        }
    }
}

/// Renders `chart` to `path` (PNG or SVG by extension), atomically.
fn render_chart(path: &Path, chart: &impl Chart) -> Result<()> {
    let format = Format::from_path(path)?;
    write_picture(path, &chart_bytes(format, chart)?)
}

/// Compact tick label: integers without decimals, at most 4 decimals
/// otherwise, scientific notation for very large or very small magnitudes.
fn fmt_tick(v: f64) -> String {
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
fn padded_range(values: impl IntoIterator<Item = f64>, margin: f64) -> Option<(f64, f64)> {
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
const MAX_TICKS: usize = 1000;

/// The step in the 1-2-5 sequence giving the most ticks, at most `max`, on
/// `[lo, hi]`.
fn nice_step(lo: f64, hi: f64, max: usize) -> Option<f64> {
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
fn tick_range(lo: f64, hi: f64, step: f64) -> Option<(f64, f64)> {
    let (a, b) = ((lo / step - 1e-9).ceil(), (hi / step + 1e-9).floor());
    (a.is_finite() && b.is_finite() && a <= b).then_some((a, b))
}

fn ticks(lo: f64, hi: f64, step: f64) -> Vec<f64> {
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
struct NiceAxis {
    inner: RangedCoordf64,
    lo: f64,
    hi: f64,
}

impl NiceAxis {
    fn new((lo, hi): (f64, f64)) -> Self {
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
fn legend_corner(
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
fn legend_box<'s>(labels: impl IntoIterator<Item = &'s str>) -> (f64, f64) {
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
fn densify(pts: &[(f64, f64)], n: usize) -> impl Iterator<Item = (f64, f64)> + '_ {
    pts.windows(2).flat_map(move |w| {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        (0..n).map(move |i| {
            let t = i as f64 / n as f64;
            (x0 + t * (x1 - x0), y0 + t * (y1 - y0))
        })
    })
}

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

struct GmmScatter<'a> {
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

/// A white chart with a title, axis descriptions, nice ticks and a light grid: the frame both
/// chart kinds draw into.
#[allow(clippy::too_many_arguments)]
fn framed_chart<'a, DB: DrawingBackend>(
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

struct LineChart<'a> {
    title: &'a str,
    x_label: &'a str,
    y_label: &'a str,
    series: &'a [(&'a str, Vec<(f64, f64)>)],
    x_range: (f64, f64),
    y_range: (f64, f64),
}

impl Chart for LineChart<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<()>
    where
        DB::ErrorType: 'static,
    {
        let mut chart = framed_chart(
            root,
            self.title,
            self.x_label,
            self.y_label,
            self.x_range,
            self.y_range,
            90,
        )?;

        let mut any_label = false;
        for (i, (name, data)) in self.series.iter().enumerate() {
            let color = palette(i);
            let finite: Vec<(f64, f64)> = data
                .iter()
                .copied()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect();
            let anno = chart.draw_series(LineSeries::new(
                finite.iter().copied(),
                color.stroke_width(2),
            ))?;
            if !name.is_empty() {
                any_label = true;
                anno.label(*name).legend(move |(x, y)| {
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(0, 0), (22, 0)], color.stroke_width(2))
                        + Circle::new((11, 0), 4, color.filled())
                });
            }
            chart.draw_series(finite.iter().map(|&p| Circle::new(p, 4, color.filled())))?;
        }

        if any_label {
            let (box_w, box_h) = legend_box(
                self.series
                    .iter()
                    .map(|(name, _)| *name)
                    .filter(|name| !name.is_empty()),
            );
            let position = legend_corner(
                self.series
                    .iter()
                    .flat_map(|(_, data)| densify(data, 20).chain(data.iter().copied())),
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

/// Line chart of one or more `(name, points)` series, written to `path`
/// (`.png` or `.svg`): e.g. BIC and AIC against K, or the objective per EM
/// iteration. Each series gets a line with a marker at every point and, when
/// its name is non-empty, a legend entry. Points are drawn in the given order;
/// non-finite points are skipped. The axes cover all points plus a 5% margin.
///
/// Errors when there is no finite point at all, on an output extension other
/// than `.png`/`.svg`, or on an I/O failure; on error no file is left at
/// `path`.
pub fn line_chart(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(&str, Vec<(f64, f64)>)],
) -> Result<()> {
    write_picture(
        path,
        &line_chart_bytes(path, title, x_label, y_label, series)?,
    )
}

/// The file [`line_chart`] writes, as bytes (PNG or SVG by the extension of `path`, which
/// is not written), for a command that writes it together with other files.
pub fn line_chart_bytes(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(&str, Vec<(f64, f64)>)],
) -> Result<Vec<u8>> {
    let format = Format::from_path(path)?;
    let finite = || {
        series
            .iter()
            .flat_map(|(_, s)| s.iter().copied())
            .filter(|(x, y)| x.is_finite() && y.is_finite())
    };
    let x_range = padded_range(finite().map(|p| p.0), 0.05);
    let y_range = padded_range(finite().map(|p| p.1), 0.05);
    let (Some(x_range), Some(y_range)) = (x_range, y_range) else {
        bail!("line_chart: no finite points to plot");
    };
    let chart = LineChart {
        title,
        x_label,
        y_label,
        series,
        x_range,
        y_range,
    };
    chart_bytes(format, &chart)
}

/// Refuses a picture path whose extension is neither `.png` nor `.svg` (before any work).
pub fn check_picture_path(path: &Path) -> Result<()> {
    Format::from_path(path).map(|_| ())
}

/// Writes a grid of grey-scale images to `path`, which must be a `.png`.
///
/// Each image is `height × width` values in row-major order, mapped
/// 0 → black, 1 → white (values are clamped to `[0, 1]`; NaN is drawn black).
/// Every image pixel becomes a square block, at least 3×3 and large enough that a tile is
/// about 84 pixels across (8×8 digits get 10×10 blocks); images are laid out left to right,
/// top to bottom, in `cols` columns (fewer if there are fewer images),
/// separated and surrounded by 2-pixel blue gaps.
///
/// Errors when `images` is empty, an image has the wrong length, `height`,
/// `width` or `cols` is zero, the path does not end in `.png` (SVG is not
/// supported), or on an I/O failure; on error no file is left at `path`.
pub fn image_grid(
    path: &Path,
    images: &[Vec<f64>],
    height: usize,
    width: usize,
    cols: usize,
) -> Result<()> {
    let scale: usize = (84 / height.max(width).max(1)).max(3);
    const GAP: usize = 2;
    register_fonts();
    let format = Format::from_path(path)?;
    ensure!(
        format == Format::Png,
        "image_grid supports only .png output (got {})",
        path.display()
    );
    ensure!(!images.is_empty(), "image_grid: no images to draw");
    ensure!(
        height > 0 && width > 0 && cols > 0,
        "image_grid: height, width and cols must be positive (got {height}, {width}, {cols})"
    );
    for (i, img) in images.iter().enumerate() {
        ensure!(
            img.len() == height * width,
            "image_grid: image {i} has {} values, expected {height}×{width} = {}",
            img.len(),
            height * width
        );
    }
    let cols = cols.min(images.len());
    let rows = images.len().div_ceil(cols);
    let tile_w = width * scale;
    let tile_h = height * scale;
    let canvas_w = cols * tile_w + (cols + 1) * GAP;
    let canvas_h = rows * tile_h + (rows + 1) * GAP;
    let size = (
        u32::try_from(canvas_w).context("image_grid: image too wide")?,
        u32::try_from(canvas_h).context("image_grid: image too tall")?,
    );

    let mut buf = canvas(size)?;
    {
        let root = BitMapBackend::with_buffer(&mut buf, size).into_drawing_area();
        root.fill(&GRID_GAP_COLOR)?;
        for (idx, img) in images.iter().enumerate() {
            let x0 = GAP + (idx % cols) * (tile_w + GAP);
            let y0 = GAP + (idx / cols) * (tile_h + GAP);
            for r in 0..height {
                for c in 0..width {
                    let v = img[r * width + c];
                    let v = if v.is_nan() { 0.0 } else { v.clamp(0.0, 1.0) };
                    let g = (v * 255.0).round() as u8;
                    let color = RGBColor(g, g, g);
                    for dy in 0..scale {
                        for dx in 0..scale {
                            let px = (x0 + c * scale + dx) as i32;
                            let py = (y0 + r * scale + dy) as i32;
                            root.draw_pixel((px, py), &color)?;
                        }
                    }
                }
            }
        }
        root.present()?;
    }
    write_picture(path, &encode_png(&buf, size)?)
}

#[cfg(test)]
mod tests {
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
}
