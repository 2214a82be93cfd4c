//! Images in and out: a set of same-sized grey images read from IDX (gzip'd or not, as MNIST
//! ships), `.npy` (`N × H × W` or `N × D`) or CSV (one image per row), binarised if asked, and
//! written as PNG grids (through the `png` crate) wherever a person would rather look than read.

use std::path::Path;

use ndarray::{Array2, ArrayView2, Axis};
use rand::Rng;

use super::atomic::write_atomic;
use crate::core::{DataError, ReadError, Result};

/// Same-sized grey images, one per row of `pixels` (row-major `height × width`), values in
/// `[0, 1]` for IDX and 8-bit `.npy` input, as given otherwise.
#[derive(Debug, Clone, PartialEq)]
pub struct Images {
    /// One image per row, `height · width` columns.
    pub pixels: Array2<f32>,
    /// Rows of each image (1 for plain feature vectors).
    pub height: usize,
    /// Columns of each image.
    pub width: usize,
}

fn bad(path: &Path, message: impl Into<String>) -> crate::core::Error {
    ReadError::Format {
        path: path.into(),
        line: None,
        column: None,
        message: message.into(),
    }
    .into()
}

impl Images {
    /// Wraps a matrix of images of the given shape (checked: `height · width` columns).
    pub fn new(pixels: Array2<f32>, height: usize, width: usize) -> Result<Self> {
        if height * width != pixels.ncols() {
            return Err(DataError::Other(format!(
                "images of {height}×{width} need {} values each, the rows have {}",
                height * width,
                pixels.ncols()
            ))
            .into());
        }
        Ok(Images {
            pixels,
            height,
            width,
        })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.pixels.nrows()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.pixels.nrows() == 0
    }

    /// Values per image.
    pub fn dim(&self) -> usize {
        self.pixels.ncols()
    }

    /// Reads images by extension: `.npy`, `.csv` (a header row, then one image per row; a
    /// square number of columns is taken as a square image), anything else as IDX. Every
    /// value must be finite and there must be at least one image.
    ///
    /// ```
    /// # fn main() -> genmodels::core::Result<()> {
    /// let path = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/mnist/t10k-images-idx3-ubyte.gz"));
    /// let im = genmodels::io::images::Images::read(path)?.binarize(0.5);
    /// assert_eq!((im.len(), im.height, im.width), (10_000, 28, 28));
    /// assert!(im.is_binary());
    /// # Ok(()) }
    /// ```
    pub fn read(path: &Path) -> Result<Self> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let (x, (h, w)) = match ext.as_str() {
            "npy" => read_npy_images(path)?,
            "csv" | "txt" => {
                let t = super::read_csv(path)?.numeric(None)?;
                let d = t.data.ncols();
                let side = (d as f64).sqrt().round() as usize;
                let shape = if side * side == d {
                    (side, side)
                } else {
                    (1, d)
                };
                (t.data, shape)
            }
            _ => super::idx::read_idx_images(path)?,
        };
        if x.nrows() == 0 || x.ncols() == 0 {
            return Err(DataError::Empty {
                what: format!("{}", path.display()),
            }
            .into());
        }
        for (r, row) in x.axis_iter(Axis(0)).enumerate() {
            if let Some((c, v)) = row.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(DataError::NonFinite {
                    row: r + 1,
                    column: format!("{}", c + 1),
                    value: v.to_string(),
                    hint: String::new(),
                }
                .into());
            }
        }
        Images::new(x.mapv(|v| v as f32), h, w)
    }

    /// Values above `threshold` become 1, the others 0.
    pub fn binarize(mut self, threshold: f32) -> Self {
        self.pixels
            .mapv_inplace(|v| if v > threshold { 1.0 } else { 0.0 });
        self
    }

    /// Each value `p` (which must lie in `[0, 1]`) becomes 1 with probability `p`: the
    /// stochastic binarisation of Salakhutdinov & Murray (2008).
    pub fn binarize_stochastic<R: Rng + ?Sized>(mut self, rng: &mut R) -> Result<Self> {
        self.check_unit_interval()?;
        self.pixels
            .mapv_inplace(|p| if rng.random::<f32>() < p { 1.0 } else { 0.0 });
        Ok(self)
    }

    /// Whether every value is 0 or 1.
    pub fn is_binary(&self) -> bool {
        self.pixels.iter().all(|&v| v == 0.0 || v == 1.0)
    }

    /// An error naming the first value outside `[0, 1]`, if any.
    pub fn check_unit_interval(&self) -> Result<()> {
        for (r, row) in self.pixels.axis_iter(Axis(0)).enumerate() {
            if let Some((c, v)) = row
                .iter()
                .enumerate()
                .find(|(_, v)| !(0.0..=1.0).contains(*v))
            {
                return Err(DataError::Support {
                    row: r + 1,
                    column: c + 1,
                    value: v.to_string(),
                    support: "[0, 1]; scale the data or pass --binarize".into(),
                }
                .into());
            }
        }
        Ok(())
    }

    /// An error naming the first value that is not 0 or 1, if any.
    pub fn check_binary(&self) -> Result<()> {
        for (r, row) in self.pixels.axis_iter(Axis(0)).enumerate() {
            if let Some((c, v)) = row
                .iter()
                .enumerate()
                .find(|(_, v)| **v != 0.0 && **v != 1.0)
            {
                return Err(DataError::Support {
                    row: r + 1,
                    column: c + 1,
                    value: v.to_string(),
                    support: "{0, 1} (binary units); binarise the data first (--binarize T)".into(),
                }
                .into());
            }
        }
        Ok(())
    }

    /// An error unless the images have `dim` values each (`shape` names the expected image
    /// size in the message).
    pub fn check_dim(&self, dim: usize, shape: (usize, usize)) -> Result<()> {
        if self.dim() != dim {
            return Err(DataError::Columns {
                found: self.dim(),
                expected: dim,
                hint: format!(
                    " ({}×{} images here, the model was trained on {}×{})",
                    self.height, self.width, shape.0, shape.1
                ),
            }
            .into());
        }
        Ok(())
    }

    /// The first `n` images (all of them if there are fewer).
    pub fn head(&self, n: usize) -> Images {
        let n = n.min(self.len());
        Images {
            pixels: self.pixels.slice(ndarray::s![..n, ..]).to_owned(),
            height: self.height,
            width: self.width,
        }
    }
}

fn read_npy_images(path: &Path) -> Result<(Array2<f64>, (usize, usize))> {
    use ndarray::{Array3, Ix3};
    use ndarray_npy::ReadNpyExt;
    let bytes = std::fs::read(path).map_err(|source| ReadError::Io {
        path: path.into(),
        source,
    })?;
    // A stack of 8-bit images is scaled to [0, 1] like IDX; 3-D float stacks are kept as given.
    if let Ok(a) = ndarray::ArrayBase::<ndarray::OwnedRepr<u8>, Ix3>::read_npy(&bytes[..]) {
        let (n, h, w) = a.dim();
        let x = a
            .mapv(|b| f64::from(b) / 255.0)
            .into_shape_with_order((n, h * w))
            .map_err(|e| bad(path, e.to_string()))?;
        return Ok((x, (h, w)));
    }
    if let Ok(a) = Array3::<f32>::read_npy(&bytes[..]) {
        let (n, h, w) = a.dim();
        let x = a.mapv(f64::from).into_shape_with_order((n, h * w));
        return Ok((x.map_err(|e| bad(path, e.to_string()))?, (h, w)));
    }
    if let Ok(a) = Array3::<f64>::read_npy(&bytes[..]) {
        let (n, h, w) = a.dim();
        let x = a.into_shape_with_order((n, h * w));
        return Ok((x.map_err(|e| bad(path, e.to_string()))?, (h, w)));
    }
    if let Ok(a) = ndarray::ArrayBase::<ndarray::OwnedRepr<u8>, ndarray::Ix2>::read_npy(&bytes[..])
    {
        let d = a.ncols();
        let side = (d as f64).sqrt().round() as usize;
        let shape = if side * side == d {
            (side, side)
        } else {
            (1, d)
        };
        return Ok((a.mapv(|b| f64::from(b) / 255.0), shape));
    }
    let x = super::read_npy(path)?;
    let d = x.ncols();
    let side = (d as f64).sqrt().round() as usize;
    let shape = if side * side == d {
        (side, side)
    } else {
        (1, d)
    };
    Ok((x, shape))
}

/// Writes images as one PNG grid, `columns` per row, each pixel drawn as a `scale × scale`
/// square with a 1-pixel grey border between images. Values are clamped to `[0, 1]` (black 0,
/// white 1). Written atomically.
pub fn write_png_grid(
    path: &Path,
    images: ArrayView2<'_, f32>,
    shape: (usize, usize),
    columns: usize,
    scale: usize,
) -> Result<()> {
    let bytes = png_grid_bytes(images, shape, columns, scale)?;
    write_atomic(path, |w| w.write_all(&bytes)).map_err(|source| {
        ReadError::Io {
            path: path.into(),
            source,
        }
        .into()
    })
}

/// The width and height in pixels of [`write_png_grid`]'s picture of `n` images of `(h, w)`
/// in `columns` columns at `scale`, refused when a PNG cannot be that large (2^31 − 1 pixels a
/// side) or when this process cannot hold its canvas: a caller checks this before computing
/// the images.
pub fn grid_size(
    n: usize,
    (h, w): (usize, usize),
    columns: usize,
    scale: usize,
) -> Result<(usize, usize)> {
    let cols = columns.min(n).max(1);
    let rows = n.div_ceil(cols);
    let side = |count: usize, px: usize| {
        px.checked_mul(scale)
            .and_then(|c| c.checked_add(1))
            .and_then(|c| c.checked_mul(count))
            .and_then(|c| c.checked_add(1))
            .filter(|&c| c < (1 << 31))
    };
    let (Some(pw), Some(ph)) = (side(cols, w), side(rows, h)) else {
        return Err(DataError::Other(format!(
            "a picture of {n} images of {h}×{w} in {cols} columns at scale {scale} is wider or \
             taller than a PNG can be (2^31 - 1 pixels); draw fewer images"
        ))
        .into());
    };
    // The canvas, and the encoded file (at most about as large).
    crate::core::memory::check_memory(
        &format!("a picture of {pw}×{ph} pixels"),
        crate::core::memory::bytes_for(&[pw, ph], 2),
    )?;
    Ok((pw, ph))
}

/// The PNG bytes of [`write_png_grid`]'s picture (for embedding in a report).
pub fn png_grid_bytes(
    images: ArrayView2<'_, f32>,
    (h, w): (usize, usize),
    columns: usize,
    scale: usize,
) -> Result<Vec<u8>> {
    let n = images.nrows();
    if n == 0 || h * w != images.ncols() || columns == 0 || scale == 0 {
        return Err(DataError::Other(format!(
            "a picture of {n} images of {h}×{w} ({} values each), {columns} per row, scale {scale}: nothing to draw",
            images.ncols()
        ))
        .into());
    }
    let cols = columns.min(n);
    let (pw, ph) = grid_size(n, (h, w), cols, scale)?;
    let cell_w = w * scale + 1;
    let cell_h = h * scale + 1;
    let mut buf = vec![128u8; pw * ph];
    for (k, img) in images.axis_iter(Axis(0)).enumerate() {
        let (gr, gc) = (k / cols, k % cols);
        for i in 0..h {
            for j in 0..w {
                let v = (img[i * w + j].clamp(0.0, 1.0) * 255.0).round() as u8;
                for di in 0..scale {
                    let y = gr * cell_h + 1 + i * scale + di;
                    let row = &mut buf[y * pw..(y + 1) * pw];
                    let x0 = gc * cell_w + 1 + j * scale;
                    row[x0..x0 + scale].fill(v);
                }
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, pw as u32, ph as u32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc
            .write_header()
            .map_err(|e| DataError::Other(format!("PNG encoding failed: {e}")))?;
        writer
            .write_image_data(&buf)
            .map_err(|e| DataError::Other(format!("PNG encoding failed: {e}")))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn grid_has_the_right_size_and_pixels() {
        let imgs = array![
            [0.0f32, 1.0, 1.0, 0.0],
            [1.0, 1.0, 1.0, 1.0],
            [0.0, 0.0, 0.0, 0.5]
        ];
        let bytes = png_grid_bytes(imgs.view(), (2, 2), 2, 3).unwrap();
        let dec = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut r = dec.read_info().unwrap();
        let mut px = vec![0; r.output_buffer_size()];
        let info = r.next_frame(&mut px).unwrap();
        assert_eq!((info.width, info.height), (2 * 7 + 1, 2 * 7 + 1));
        // First image: top-left pixel (value 0) is black, top-right (1) is white.
        assert_eq!(px[info.width as usize + 1], 0);
        assert_eq!(px[info.width as usize + 1 + 3], 255);
        // The border is grey.
        assert_eq!(px[0], 128);
    }

    #[test]
    fn bad_shapes_are_errors() {
        let imgs = array![[0.0f32, 1.0, 1.0]];
        assert!(png_grid_bytes(imgs.view(), (2, 2), 2, 1).is_err());
        assert!(Images::new(imgs, 2, 2).is_err());
    }

    #[test]
    fn binarisation_and_checks() {
        let im = Images::new(array![[0.2f32, 0.7], [0.5, 1.0]], 1, 2).unwrap();
        assert!(im.check_binary().is_err());
        let b = im.clone().binarize(0.5);
        assert_eq!(b.pixels, array![[0.0f32, 1.0], [0.0, 1.0]]);
        assert!(b.check_binary().is_ok());
        let bad = Images::new(array![[2.0f32]], 1, 1).unwrap();
        assert!(bad.check_unit_interval().is_err());
    }
}
