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

/// The shape and element size a `.npy` header declares, when it can be read.
///
/// `ndarray-npy` allocates the array its header declares before it reads the data, so a
/// header that claims 10¹² rows aborts the process. It does not expose its header parser, so
/// the two fields that bound the allocation (`shape` and the size in `descr`) are read here
/// first and checked against the file's length.
fn declared_size(bytes: &[u8]) -> Option<(Vec<u64>, u64, usize)> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return None;
    }
    let (len, start): (usize, usize) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        _ => return None,
    };
    let end = start.checked_add(len)?;
    let header = std::str::from_utf8(bytes.get(start..end)?).ok()?;
    let after = |key: &str| header.find(key).map(|i| &header[i + key.len()..]);
    let shape_text = after("'shape':")?.trim_start().strip_prefix('(')?;
    let shape_text = &shape_text[..shape_text.find(')')?];
    let shape = shape_text
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| t.trim_end_matches('L').parse::<u64>().ok())
        .collect::<Option<Vec<u64>>>()?;
    let descr = after("'descr':")?.trim_start();
    let descr = descr.strip_prefix('\'')?;
    let descr = &descr[..descr.find('\'')?];
    let item: u64 = descr
        .trim_start_matches(['<', '>', '|', '='])
        .get(1..)?
        .parse()
        .ok()?;
    Some((shape, item, end))
}

/// Refuses a `.npy` whose header declares more data than the file holds; returns the declared
/// shape when the header could be read.
fn check_declared_size(bytes: &[u8]) -> std::result::Result<Option<Vec<usize>>, String> {
    let Some((shape, item, data_start)) = declared_size(bytes) else {
        return Ok(None); // ndarray-npy explains a header it cannot read
    };
    let shape: Vec<usize> = shape
        .iter()
        .map(|&d| usize::try_from(d).unwrap_or(usize::MAX))
        .collect();
    let needed = crate::core::memory::bytes_for(&shape, item as usize);
    let held = bytes.len().saturating_sub(data_start) as u128;
    if needed > held {
        let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
        return Err(format!(
            "the header declares shape ({}) of {item}-byte values, {}, but the file holds {} \
             after the header; was it truncated?",
            dims.join(", "),
            crate::core::memory::human_bytes(needed),
            crate::core::memory::human_bytes(held),
        ));
    }
    Ok(Some(shape))
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
    // As f64, the array may take up to 8 times the file's bytes (for 1-byte elements).
    if let Some(shape) = check_declared_size(&bytes).map_err(fail)? {
        crate::core::memory::check_memory(
            &format!("{}: the array", path.display()),
            crate::core::memory::bytes_for(&shape, 8),
        )?;
    }
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

/// Writes the header of a version-1 `.npy` file of little-endian f64 in C order with this
/// `shape`, for a writer that streams the values after it. `ndarray-npy` writes whole arrays
/// only; the format fixes every byte of this header (magic, version, length, a dict padded to a
/// multiple of 64 bytes).
///
/// ```
/// let mut b = Vec::new();
/// genmodels::io::npy::write_header(&mut b, &[2, 1]).unwrap();
/// b.extend_from_slice(&1.5f64.to_le_bytes());
/// b.extend_from_slice(&2.5f64.to_le_bytes());
/// let dir = tempfile::tempdir().unwrap();
/// let p = dir.path().join("a.npy");
/// std::fs::write(&p, b).unwrap();
/// assert_eq!(genmodels::io::read_npy(&p).unwrap()[[1, 0]], 2.5);
/// ```
pub fn write_header(w: &mut dyn std::io::Write, shape: &[usize]) -> std::io::Result<()> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let dims = if dims.len() == 1 {
        format!("{},", dims[0])
    } else {
        dims.join(", ")
    };
    let mut dict = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({dims}), }}");
    // Magic (6) + version (2) + length (2) + dict + newline, padded to a multiple of 64.
    while (10 + dict.len() + 1) % 64 != 0 {
        dict.push(' ');
    }
    dict.push('\n');
    w.write_all(b"\x93NUMPY\x01\x00")?;
    let len = u16::try_from(dict.len()).map_err(std::io::Error::other)?;
    w.write_all(&len.to_le_bytes())?;
    w.write_all(dict.as_bytes())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A version-1 `.npy` with this header text and `data_bytes` zero bytes of data.
    fn npy_with(header: &str, data_bytes: usize) -> Vec<u8> {
        let mut h = header.to_string();
        while (10 + h.len() + 1) % 64 != 0 {
            h.push(' ');
        }
        h.push('\n');
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend_from_slice(&(h.len() as u16).to_le_bytes());
        b.extend_from_slice(h.as_bytes());
        b.extend(std::iter::repeat_n(0u8, data_bytes));
        b
    }

    #[test]
    fn a_header_claiming_more_than_the_file_holds_is_refused_before_allocating() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("huge.npy");
        let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000, 2), }";
        std::fs::write(&p, npy_with(header, 160)).unwrap();
        let e = read_npy(&p).unwrap_err().to_string();
        assert!(e.contains("huge.npy"), "{e}");
        assert!(
            e.contains("(1000000000000, 2)") && e.contains("truncated"),
            "{e}"
        );
    }

    #[test]
    fn an_honest_header_still_reads() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ok.npy");
        let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (10, 2), }";
        std::fs::write(&p, npy_with(header, 160)).unwrap();
        assert_eq!(read_npy(&p).unwrap().dim(), (10, 2));
        let a = Array2::from_shape_fn((3, 2), |(i, j)| (i * 2 + j) as f64);
        let q = dir.path().join("w.npy");
        write_npy(&q, &a).unwrap();
        let written = std::fs::read(&q).unwrap();
        assert_eq!(declared_size(&written).unwrap().0, vec![3, 2]);
        // The streamed header reads the same as ndarray-npy's whole-array file.
        let mut streamed = Vec::new();
        write_header(&mut streamed, &[3, 2]).unwrap();
        for v in a.iter() {
            streamed.extend_from_slice(&v.to_le_bytes());
        }
        let r = dir.path().join("s.npy");
        std::fs::write(&r, &streamed).unwrap();
        assert_eq!(read_npy(&r).unwrap(), a);
        assert_eq!(streamed.len(), written.len());
        assert_eq!(read_npy(&q).unwrap(), a);
    }
}
