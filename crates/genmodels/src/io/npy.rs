//! `.npy` files (through `ndarray-npy`): f64, f32 and integer arrays, C or Fortran order,
//! 1-D (one column) or 2-D.

use std::path::Path;

use ndarray::{Array1, Array2, Ix1, Ix2};
use ndarray_npy::{ReadNpyExt, ReadableElement, WriteNpyExt};

use super::atomic::write_atomic;
use crate::core::{ReadError, Result};

fn try_read<T: ReadableElement + Copy>(
    bytes: &[u8],
    conv: fn(T) -> f64,
) -> Option<std::result::Result<Array2<f64>, String>> {
    match ndarray::ArrayBase::<ndarray::OwnedRepr<T>, Ix2>::read_npy(bytes) {
        Ok(a) => return Some(Ok(a.mapv(conv))),
        Err(ndarray_npy::ReadNpyError::WrongDescriptor(_)) => {}
        Err(ndarray_npy::ReadNpyError::WrongNdim(..)) => {
            return match ndarray::ArrayBase::<ndarray::OwnedRepr<T>, Ix1>::read_npy(bytes) {
                Ok(a) => {
                    let a: Array1<f64> = a.mapv(conv);
                    let n = a.len();
                    Some(Ok(a.into_shape_with_order((n, 1)).expect("same length")))
                }
                Err(ndarray_npy::ReadNpyError::WrongDescriptor(_)) => None,
                Err(e) => Some(Err(format!("{e} (only 1-D and 2-D arrays are supported)"))),
            }
        }
        Err(e) => return Some(Err(e.to_string())),
    }
    None
}

/// Reads a 1-D or 2-D numeric `.npy` array as f64 (a 1-D array becomes one column).
pub fn read_npy(path: &Path) -> Result<Array2<f64>> {
    let bytes = std::fs::read(path).map_err(|source| ReadError::Io {
        path: path.into(),
        source,
    })?;
    let fail = |message: String| ReadError::Format {
        path: path.into(),
        line: None,
        column: None,
        message,
    };
    let r = try_read::<f64>(&bytes, |v| v)
        .or_else(|| try_read::<f32>(&bytes, f64::from))
        .or_else(|| try_read::<i64>(&bytes, |v| v as f64))
        .or_else(|| try_read::<i32>(&bytes, f64::from))
        .or_else(|| try_read::<i16>(&bytes, f64::from))
        .or_else(|| try_read::<i8>(&bytes, f64::from))
        .or_else(|| try_read::<u64>(&bytes, |v| v as f64))
        .or_else(|| try_read::<u32>(&bytes, f64::from))
        .or_else(|| try_read::<u16>(&bytes, f64::from))
        .or_else(|| try_read::<u8>(&bytes, f64::from))
        .or_else(|| try_read::<bool>(&bytes, |b| if b { 1.0 } else { 0.0 }));
    match r {
        Some(Ok(a)) => Ok(a),
        Some(Err(e)) => Err(fail(format!("not a readable .npy array: {e}")).into()),
        None => Err(fail(
            "unsupported .npy element type: use float64, float32, integers or bool".into(),
        )
        .into()),
    }
}

/// Writes a 2-D f64 array as `.npy`, atomically.
pub fn write_npy(path: &Path, a: &Array2<f64>) -> Result<()> {
    write_atomic(path, |w| a.write_npy(w).map_err(std::io::Error::other)).map_err(|source| {
        ReadError::Io {
            path: path.into(),
            source,
        }
        .into()
    })
}
