//! Images out: a PNG grid, or a CSV/.npy table of pixels, or pixels printed as CSV.

use std::path::Path;

use anyhow::Result;
use genmodels::io::images::write_png_grid;
use ndarray::Array2;

use crate::common::OutputFlags;
use crate::verbs::SampleArgs;

/// Writes images as a PNG grid, or as a CSV/.npy table of pixels.
pub fn write_images(
    out: &Path,
    x: &Array2<f32>,
    shape: (usize, usize),
    columns: Option<usize>,
) -> Result<()> {
    if let Some((cols, scale)) = image_grid_layout(out, x.nrows(), shape, columns)? {
        write_png_grid(out, x.view(), shape, cols, scale)?;
        return Ok(());
    }
    let header: Vec<String> = (1..=x.ncols()).map(|i| format!("p{i}")).collect();
    crate::common::write_table(out, &header, &x.mapv(f64::from), None)
}

/// The columns and scale of the picture [`write_images`] draws of `n` images to `out` (`None`
/// for a table), checked (size, memory) before the images are computed.
pub fn image_grid_layout(
    out: &Path,
    n: usize,
    shape: (usize, usize),
    columns: Option<usize>,
) -> Result<Option<(usize, usize)>> {
    let ext = out
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ext != "png" {
        // A table: the images (f32), their f64 copy, and some text per value on the way out.
        genmodels::core::memory::check_memory(
            &format!("{n} images of {}×{} as a table", shape.0, shape.1),
            genmodels::core::memory::bytes_for(&[n, shape.0, shape.1], 4 + 8 + 20),
        )?;
        return Ok(None);
    }
    let cols = columns
        .unwrap_or_else(|| (n as f64).sqrt().ceil() as usize)
        .max(1);
    let scale = (84 / shape.0.max(shape.1).max(1)).clamp(1, 3);
    genmodels::io::images::grid_size(n, shape, cols, scale)?;
    Ok(Some((cols, scale)))
}

/// Writes sampled images (PNG grid, CSV or .npy) or prints them.
pub fn sample_out(
    x: &Array2<f32>,
    shape: (usize, usize),
    a: &SampleArgs,
    out: &OutputFlags,
) -> Result<()> {
    match &a.output {
        Some(o) => {
            write_images(o, x, shape, a.columns)?;
            if !out.quiet && !out.json {
                eprintln!("wrote {}", o.display());
            }
        }
        None => {
            let header: Vec<String> = (1..=x.ncols()).map(|i| format!("p{i}")).collect();
            println!("{}", header.join(","));
            for r in x.outer_iter() {
                let v: Vec<String> = r
                    .iter()
                    .map(|&p| genmodels::io::csv::fmt_number(f64::from(p)))
                    .collect();
                println!("{}", v.join(","));
            }
        }
    }
    Ok(())
}
