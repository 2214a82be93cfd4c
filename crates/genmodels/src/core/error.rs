//! Errors: one enum per concern, each message telling the user what to change.

use std::path::PathBuf;

/// A hyper-parameter that cannot be used, caught before any work is done.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamError {
    /// A numeric or categorical hyper-parameter outside its valid range.
    #[error("invalid value {value} for `{name}`: {expected}")]
    Invalid {
        /// Name of the hyper-parameter, as the builder method spells it.
        name: &'static str,
        /// The offending value, formatted.
        value: String,
        /// What would be accepted.
        expected: String,
    },
    /// User-given initial parameters whose shape does not match the model.
    #[error("initial `{name}` has shape {found}, expected {expected}")]
    InitShape {
        /// Which initial parameter.
        name: &'static str,
        /// The shape given.
        found: String,
        /// The shape required.
        expected: String,
    },
}

/// Data that cannot be used by the model it was given to.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DataError {
    /// No rows (or no columns) at all.
    #[error("{what} is empty: at least one row with at least one column is needed")]
    Empty {
        /// What was empty ("the data", a file name, ...).
        what: String,
    },
    /// A NaN or infinite value where the model cannot use one.
    #[error("row {row}, column {column}: value {value} is not a finite number (NaN/inf are not allowed here{hint})")]
    NonFinite {
        /// 1-based row number.
        row: usize,
        /// 1-based column number or name.
        column: String,
        /// The value, formatted.
        value: String,
        /// Extra advice, starting with "; " when present.
        hint: String,
    },
    /// A finite value too large in magnitude for the model's arithmetic (its square, or its
    /// distance to the model in standard deviations, overflows), so that no finite
    /// log-likelihood can be computed for its row.
    #[error("row {row}, column {column}: value {value} is too large for this model ({reason})")]
    TooLarge {
        /// 1-based row number.
        row: usize,
        /// 1-based column number or name.
        column: String,
        /// The value, formatted.
        value: String,
        /// Why it cannot be used, and what to do.
        reason: String,
    },
    /// The number of columns does not match the model.
    #[error("the data has {found} columns but the model expects {expected}{hint}")]
    Columns {
        /// Columns the model was fitted on.
        expected: usize,
        /// Columns in the data.
        found: usize,
        /// Extra advice, starting with "; " when present.
        hint: String,
    },
    /// Fewer rows than the model needs.
    #[error("{found} rows are too few: {why} needs at least {needed}")]
    TooFewRows {
        /// Rows present.
        found: usize,
        /// Rows needed.
        needed: usize,
        /// What needs them.
        why: String,
    },
    /// A value outside the model's support (e.g. not 0/1 for a Bernoulli model).
    #[error(
        "row {row}, column {column}: value {value} is outside the model's support ({support})"
    )]
    Support {
        /// 1-based row number.
        row: usize,
        /// 1-based column number.
        column: usize,
        /// The value, formatted.
        value: String,
        /// The accepted values.
        support: String,
    },
    /// A length that does not match (weights, labels, conditions).
    #[error("{what} has length {found}, expected {expected}")]
    Length {
        /// What has the wrong length.
        what: String,
        /// Its length.
        found: usize,
        /// The required length.
        expected: usize,
    },
    /// Anything else about the data, with a message that says what to do.
    #[error("{0}")]
    Other(String),
}

/// A problem reading a data file: always names the file, and the line and column when known.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The content is not what the format requires.
    #[error("{path}{}{}: {message}", .line.map(|l| format!(", line {l}")).unwrap_or_default(), .column.as_ref().map(|c| format!(", column {c}")).unwrap_or_default())]
    Format {
        /// The file.
        path: PathBuf,
        /// 1-based line (CSV) when known.
        line: Option<usize>,
        /// Column name or number when known.
        column: Option<String>,
        /// What is wrong and what to do.
        message: String,
    },
}

/// A problem loading or saving a model file.
#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Not valid JSON, or truncated.
    #[error("{path}: not a readable genmodels model file ({reason})")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What the parser said.
        reason: String,
    },
    /// A genmodels file of another family.
    #[error("{path}: this is a `{found}` model, but a `{expected}` model was expected")]
    WrongFamily {
        /// The file.
        path: PathBuf,
        /// The family the caller expected.
        expected: String,
        /// The family found in the file.
        found: String,
    },
    /// Written by a newer genmodels than this one.
    #[error("{path}: model format version {found} is newer than this genmodels supports ({supported}); upgrade genmodels")]
    NewerVersion {
        /// The file.
        path: PathBuf,
        /// Version in the file.
        found: u32,
        /// Newest version this build reads.
        supported: u32,
    },
    /// Parsed, but the parameters are inconsistent (wrong shapes, weights not summing to one, ...).
    #[error("{path}: invalid model parameters: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is inconsistent.
        reason: String,
    },
}

/// A numerical failure during fitting that the user can fix by changing a hyper-parameter.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NumericalError {
    /// A covariance matrix lost positive definiteness.
    #[error("the covariance of component {component} is not positive definite (pivot {pivot}); the data may be degenerate (constant or duplicated columns, or too few points per component): increase reg_covar, reduce the number of components, or remove the degenerate columns")]
    NotPositiveDefinite {
        /// The component (0-based).
        component: usize,
        /// The failing pivot (0-based).
        pivot: usize,
    },
    /// A non-finite objective appeared.
    #[error("the objective became {value} at iteration {iteration}; check the data's scale or increase reg_covar")]
    NonFiniteObjective {
        /// The iteration.
        iteration: usize,
        /// The value.
        value: f64,
    },
    /// A neural fit diverged (its loss became NaN or infinite).
    #[error("the fit diverged at epoch {iteration}: {detail}")]
    Diverged {
        /// The epoch (1-based).
        iteration: usize,
        /// What happened and what to change.
        detail: String,
    },
}

/// A Bayesian network, a query on one, or discrete data for one that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum NetworkError {
    /// The graph has a directed cycle.
    #[error("the graph has a directed cycle: {}; a Bayesian network must be acyclic", .path.join(" -> "))]
    Cycle {
        /// The variables on the cycle, the first repeated at the end.
        path: Vec<String>,
    },
    /// Two variables share a name, or a variable lists a state twice.
    #[error("duplicate {what} `{name}`")]
    Duplicate {
        /// "variable", or "state of X".
        what: String,
        /// The repeated name.
        name: String,
    },
    /// A variable name the network does not have.
    #[error("unknown variable `{name}`{hint}")]
    UnknownVariable {
        /// The name asked for.
        name: String,
        /// "; did you mean ...?" or the list of variables, starting with "; ".
        hint: String,
    },
    /// A state that the variable does not have.
    #[error("`{state}` is not a state of `{variable}` (its states are: {states})")]
    UnknownState {
        /// The variable.
        variable: String,
        /// The state given.
        state: String,
        /// The variable's states, comma-separated.
        states: String,
    },
    /// A conditional probability table with the wrong number of entries.
    #[error("the table of `{variable}` has {found} entries, but {expected} are needed ({why})")]
    CptShape {
        /// The child variable.
        variable: String,
        /// Entries given.
        found: usize,
        /// Entries needed.
        expected: usize,
        /// How the expected number comes about.
        why: String,
    },
    /// A conditional probability table row that is not a distribution.
    #[error("the table of `{variable}`{row}: {problem}")]
    CptRow {
        /// The child variable.
        variable: String,
        /// " given A=a, B=b" (empty for a node without parents).
        row: String,
        /// What is wrong ("sums to 0.9, not 1", "has a negative entry").
        problem: String,
    },
    /// Evidence that the model says cannot happen.
    #[error("the evidence {evidence} has probability zero under the model, so nothing can be conditioned on it")]
    ImpossibleEvidence {
        /// The evidence, as `A=a, B=b`.
        evidence: String,
    },
    /// A computation too large to carry out exactly.
    #[error("{what} would need {size} table entries, more than the limit of {limit}{hint}")]
    TooLarge {
        /// What was asked.
        what: String,
        /// Entries it would need.
        size: f64,
        /// The limit.
        limit: usize,
        /// What to do instead, starting with "; ".
        hint: String,
    },
    /// Anything else, with a message that says what to do.
    #[error("{0}")]
    Other(String),
}

/// A size that this process cannot hold in memory, or an output that its disk cannot hold:
/// refused before anything is allocated or written (see [`crate::core::memory`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ResourceError {
    /// More memory than the process can have.
    #[error("{what} would need {} of memory, but this process can have {}", crate::core::memory::human_bytes(*.needed), .available.map(|a| crate::core::memory::human_bytes(a as u128)).unwrap_or_else(|| "far less".into()))]
    Memory {
        /// What needs it ("10^12 samples of 2 features").
        what: String,
        /// Bytes needed.
        needed: u128,
        /// Bytes available, when the system says.
        available: Option<u64>,
    },
    /// An output file larger than the free space of its file system.
    #[error("{path}: the output would take at least {}, but its file system has {} free", crate::core::memory::human_bytes(*.needed), crate::core::memory::human_bytes(*.available as u128))]
    Disk {
        /// The output file.
        path: PathBuf,
        /// Bytes the output needs at least.
        needed: u128,
        /// Free bytes.
        available: u64,
    },
}

/// Every error the library returns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Invalid hyper-parameters.
    #[error(transparent)]
    Param(#[from] ParamError),
    /// Unusable data.
    #[error(transparent)]
    Data(#[from] DataError),
    /// A data file that cannot be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// A model file that cannot be loaded or saved.
    #[error(transparent)]
    ModelFile(#[from] ModelFileError),
    /// A numerical failure while fitting.
    #[error(transparent)]
    Numerical(#[from] NumericalError),
    /// A Bayesian network, a query on it, or data for it that cannot be used.
    #[error(transparent)]
    Network(#[from] NetworkError),
    /// A size too large for this process's memory or an output too large for its disk.
    #[error(transparent)]
    Resource(#[from] ResourceError),
    /// A fit cancelled by its monitor ([`Flow::Cancel`](super::monitor::Flow::Cancel)) between
    /// two steps: no model is returned and nothing was written.
    #[error("interrupted {at}; nothing was written")]
    Interrupted {
        /// Where the fit was: "after iteration 2 of 100", "in epoch 3 of 10, after batch 2 of 8".
        at: String,
    },
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
