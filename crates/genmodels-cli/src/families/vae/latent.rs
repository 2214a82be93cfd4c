//! `genmodels vae interpolate|shift`: walks in a VAE's latent space.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::{Args, Subcommand};
use genmodels::neural::vae::{Vae, VaeConfig};

use crate::common::{usage, OutputFlags};
use crate::input::images::{in_images, read_images};
use crate::input::labels::read_labels_for;
use crate::output::images::{image_grid_layout, write_images};

/// `genmodels vae ...`: latent-space tools.
#[derive(Subcommand, Debug)]
pub enum VaeCmd {
    /// Decode the straight line between the latent codes of two images.
    Interpolate(InterpolateArgs),
    /// Move images along a latent attribute vector (mean code of one class minus another's).
    Shift(ShiftArgs),
}

/// `genmodels vae interpolate MODEL A B -o path.png`
#[derive(Args, Debug, Clone)]
#[command(
    after_help = "An image is a PNG file of one grey image of the model's size, or IMAGES#INDEX: image INDEX (0-based) of an image file.\n\nExamples:\n  genmodels vae interpolate vae.st a.png b.png --steps 10 -o path.png\n  genmodels vae interpolate vae.st t10k.gz#0 t10k.gz#1 -o path.png"
)]
pub struct InterpolateArgs {
    /// The VAE.
    pub model: PathBuf,
    /// The first image.
    pub a: String,
    /// The last image.
    pub b: String,
    /// Pictures on the path, both ends included.
    #[arg(long, default_value_t = 10)]
    pub steps: usize,
    /// A conditional VAE decodes the path with this label.
    #[arg(long)]
    pub label: Option<usize>,
    /// The picture (.png), or .csv/.npy of the pixels.
    #[arg(short, long)]
    pub output: PathBuf,
}

/// `genmodels vae shift MODEL IMAGES --labels L --from A --to B -o shifted.png`
#[derive(Args, Debug, Clone)]
#[command(
    after_help = "The direction is the mean latent code of the images labelled --to minus that of those labelled --from; the first --n images labelled --from are drawn (top row) and shifted (bottom row).\n\nExample:\n  genmodels vae shift vae.st t10k-images-idx3-ubyte.gz --labels t10k-labels-idx1-ubyte.gz --from 4 --to 9 --amount 1.5 -o shifted.png"
)]
pub struct ShiftArgs {
    /// The VAE (unconditional).
    pub model: PathBuf,
    /// Images with labels, to find the direction and the images to shift.
    pub images: PathBuf,
    /// Labels of the images.
    #[arg(long)]
    pub labels: PathBuf,
    /// The class to move away from.
    #[arg(long)]
    pub from: usize,
    /// The class to move toward.
    #[arg(long)]
    pub to: usize,
    /// How far along the direction (1: the full difference of the class means).
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub amount: f32,
    /// How many images to shift.
    #[arg(long, default_value_t = 8)]
    pub n: usize,
    /// The picture (.png), or .csv/.npy of the shifted pixels.
    #[arg(short, long)]
    pub output: PathBuf,
}

fn read_one_image(spec: &str, c: &VaeConfig) -> Result<Vec<f32>> {
    if let Some((file, idx)) = spec.rsplit_once('#') {
        let i: usize = idx
            .parse()
            .map_err(|_| usage(format!("{spec}: expected IMAGES#INDEX with a number")))?;
        let im = read_images(Path::new(file), None)?;
        if i >= im.len() {
            return Err(usage(format!(
                "{spec}: index {i} but {file} holds {} images",
                im.len()
            )));
        }
        im.check_dim(c.input_dim, c.image_shape)
            .map_err(|e| in_images(e, Path::new(file)))?;
        return Ok(im.pixels.row(i).to_vec());
    }
    let path = Path::new(spec);
    let file = std::fs::File::open(path).map_err(|e| usage(format!("{spec}: {e}")))?;
    let dec = png::Decoder::new(std::io::BufReader::new(file));
    let mut reader = dec
        .read_info()
        .map_err(|e| usage(format!("{spec}: not a readable PNG ({e})")))?;
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader
        .next_frame(&mut buf)
        .map_err(|e| usage(format!("{spec}: not a readable PNG ({e})")))?;
    let (w, h) = (info.width as usize, info.height as usize);
    if (h, w) != c.image_shape {
        return Err(usage(format!(
            "{spec}: a {h}×{w} picture, the model was trained on {}×{} images",
            c.image_shape.0, c.image_shape.1
        )));
    }
    if info.bit_depth != png::BitDepth::Eight {
        return Err(usage(format!("{spec}: only 8-bit PNGs are read")));
    }
    let ch = match info.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        png::ColorType::Indexed => {
            return Err(usage(format!(
                "{spec}: palette PNGs are not read; save it as grey"
            )))
        }
    };
    let bytes = &buf[..info.buffer_size()];
    Ok((0..h * w)
        .map(|p| {
            let px = &bytes[p * ch..p * ch + ch];
            let grey = if ch >= 3 {
                (f32::from(px[0]) + f32::from(px[1]) + f32::from(px[2])) / 3.0
            } else {
                f32::from(px[0])
            };
            grey / 255.0
        })
        .collect())
}

/// Runs `genmodels vae ...`.
pub fn run(cmd: &VaeCmd, out: &OutputFlags) -> Result<()> {
    match cmd {
        VaeCmd::Interpolate(a) => {
            let v = Vae::load(&a.model, &genmodels::neural::cpu())?;
            let c = &v.config;
            if c.n_classes.is_some() && a.label.is_none() {
                return Err(usage(
                    "a conditional VAE decodes the path with a class: add --label N",
                ));
            }
            image_grid_layout(&a.output, a.steps, c.image_shape, Some(a.steps))?;
            let xa = read_one_image(&a.a, c)?;
            let xb = read_one_image(&a.b, c)?;
            let path = v
                .interpolate(&xa, &xb, a.steps, a.label)
                .map_err(|e| usage(e.to_string()))?;
            write_images(&a.output, &path, c.image_shape, Some(a.steps))?;
            if !out.quiet {
                eprintln!("wrote {}", a.output.display());
            }
        }
        VaeCmd::Shift(a) => {
            let v = Vae::load(&a.model, &genmodels::neural::cpu())?;
            let c = &v.config;
            if c.n_classes.is_some() {
                return Err(usage(
                    "vae shift needs an unconditional VAE (a conditional VAE's latent space does not carry the class)",
                ));
            }
            let im = read_images(&a.images, None)?;
            im.check_dim(c.input_dim, c.image_shape)
                .map_err(|e| in_images(e, &a.images))?;
            let labels = read_labels_for(&a.labels, im.len(), &a.images)?;
            let dir = v
                .attribute_vector(&im.pixels, &labels, a.from, a.to)
                .map_err(|e| in_images(e, &a.images))?;
            let rows: Vec<usize> = (0..im.len())
                .filter(|&i| labels[i] == a.from)
                .take(a.n.max(1))
                .collect();
            let x = im.pixels.select(ndarray::Axis(0), &rows);
            let shifted = v.shift(&x, &dir, a.amount)?;
            let is_png = a
                .output
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("png"));
            if is_png {
                let both = ndarray::concatenate(ndarray::Axis(0), &[x.view(), shifted.view()])
                    .expect("same width");
                write_images(&a.output, &both, c.image_shape, Some(rows.len()))?;
            } else {
                write_images(&a.output, &shifted, c.image_shape, None)?;
            }
            if !out.quiet {
                eprintln!(
                    "wrote {} ({} images labelled {} moved by {} × (mean code of {} − mean code of {}))",
                    a.output.display(),
                    rows.len(),
                    a.from,
                    a.amount,
                    a.to,
                    a.from
                );
            }
        }
    }
    Ok(())
}
