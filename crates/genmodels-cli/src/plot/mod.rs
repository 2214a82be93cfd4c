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

use anyhow::{Context, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

mod axes;
mod images;
mod lines;
mod scatter;
#[cfg(test)]
mod tests;

pub use images::image_grid;
pub use lines::{line_chart, line_chart_bytes};
pub use scatter::gmm_scatter;

/// DejaVu Sans (Bitstream Vera license, see `assets/DejaVuSans-LICENSE.txt`).
static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

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

/// Refuses a picture path whose extension is neither `.png` nor `.svg` (before any work).
pub fn check_picture_path(path: &Path) -> Result<()> {
    Format::from_path(path).map(|_| ())
}
