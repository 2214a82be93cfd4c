//! Image grids: grey-scale pictures (digits, samples, reconstructions) tiled in a PNG.

use std::path::Path;

use anyhow::{ensure, Context, Result};
use plotters::prelude::*;

use super::{canvas, encode_png, register_fonts, write_picture, Format, GRID_GAP_COLOR};

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
