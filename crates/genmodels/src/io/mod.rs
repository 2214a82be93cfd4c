//! Data in and out: CSV and `.npy` readers and writers, versioned model files, atomic writes.

pub mod atomic;
pub mod csv;
pub mod idx;
pub mod images;
pub mod model_file;
pub mod npy;
pub mod open;
pub mod persist;

pub use self::csv::{read_csv, write_csv, CsvTable, NumericTable};
pub use atomic::write_atomic;
pub use model_file::{load_model, peek_format, save_model, ModelFile};
pub use npy::{read_npy, write_npy};
pub use open::{open, Model};
pub use persist::{Codec, ModelBytes, Persist};

use std::path::Path;

use crate::core::{ReadError, Result};

/// Reads a numeric matrix from a `.npy` file or a CSV file (by extension), selecting CSV
/// columns by name when `columns` is given. Empty / `NA` / `nan` CSV cells become NaN.
pub fn read_matrix(path: &Path, columns: Option<&[String]>) -> Result<NumericTable> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ext == "npy" {
        if columns.is_some() {
            return Err(ReadError::Format {
                path: path.into(),
                line: None,
                column: None,
                message: "--columns selects CSV columns by name; a .npy file has no names".into(),
            }
            .into());
        }
        let data = read_npy(path)?;
        let names = (1..=data.ncols()).map(|j| format!("x{j}")).collect();
        return Ok(NumericTable { names, data });
    }
    read_csv(path)?.numeric(columns)
}
