//! Checked parameters: an unchecked builder and a checked value.
//!
//! Every fit takes its hyper-parameters from a builder (`GaussianMixtureParams`, `HmmParams`,
//! `HillClimb`, …) whose methods consume and return `self`, so a user can set anything. Before
//! any work, a fit turns the builder into a [`Checked`] value with [`ParamGuard::checked`],
//! the only way to make one: the code after that point receives `Checked<&P>` and can rely on
//! every range having been checked once. One constructor, [`ParamError::invalid`], makes the
//! error, naming the parameter as its builder method spells it.
//!
//! Naming, written down once (ARCHITECTURE.md repeats it): `XParams` is the builder of a fit's
//! hyper-parameters; `XConfig` is the architecture stored with a fitted network's weights (what
//! the model *is*, saved in its checkpoint); `XInit` is how a family's parameters start (an
//! initialiser, possibly holding user-given values).
//!
//! ```
//! use genmodels::core::{Checked, ParamError, ParamGuard};
//!
//! #[derive(Debug, Clone)]
//! struct Smoothing { alpha: f64 }
//!
//! impl ParamGuard for Smoothing {
//!     fn check(&self) -> Result<(), ParamError> {
//!         if !(self.alpha.is_finite() && self.alpha >= 0.0) {
//!             return Err(ParamError::invalid("alpha", self.alpha, "a finite number >= 0"));
//!         }
//!         Ok(())
//!     }
//! }
//!
//! let ok: Checked<Smoothing> = Smoothing { alpha: 1.0 }.checked().unwrap();
//! assert_eq!(ok.alpha, 1.0);
//! let err = Smoothing { alpha: -1.0 }.checked().unwrap_err();
//! assert_eq!(err.to_string(), "invalid value -1 for `alpha`: a finite number >= 0");
//! ```

use std::ops::Deref;

use super::error::ParamError;

/// Hyper-parameters that can be checked before any work is done.
pub trait ParamGuard: Sized {
    /// Rejects unusable values, naming the first one found.
    fn check(&self) -> Result<(), ParamError>;

    /// The checked value, or why there is none.
    fn checked(self) -> Result<Checked<Self>, ParamError> {
        self.check()?;
        Ok(Checked(self))
    }
}

/// A reference to hyper-parameters checks as they do, so a fit can check `&self` without a copy.
impl<P: ParamGuard> ParamGuard for &P {
    fn check(&self) -> Result<(), ParamError> {
        (**self).check()
    }
}

/// Hyper-parameters that passed [`ParamGuard::check`]; made only by [`ParamGuard::checked`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Checked<P>(P);

impl<P> Checked<P> {
    /// The hyper-parameters, unwrapped (for changing them and checking again).
    pub fn into_inner(self) -> P {
        self.0
    }
}

impl<P> Deref for Checked<P> {
    type Target = P;
    fn deref(&self) -> &P {
        &self.0
    }
}

impl ParamError {
    /// The error of a hyper-parameter outside its range: its name (as the builder method
    /// spells it), the value given and what would be accepted.
    pub fn invalid(
        name: &'static str,
        value: impl std::fmt::Display,
        expected: impl Into<String>,
    ) -> ParamError {
        ParamError::Invalid {
            name,
            value: value.to_string(),
            expected: expected.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Positive(i32);
    impl ParamGuard for Positive {
        fn check(&self) -> Result<(), ParamError> {
            if self.0 <= 0 {
                return Err(ParamError::invalid("n", self.0, "at least 1"));
            }
            Ok(())
        }
    }

    #[test]
    fn only_checked_values_pass_and_references_check_the_same() {
        assert_eq!(Positive(3).checked().unwrap().into_inner(), Positive(3));
        assert!(matches!(
            Positive(0).checked(),
            Err(ParamError::Invalid { name: "n", .. })
        ));
        let p = Positive(-2);
        let err = (&p).checked().unwrap_err();
        assert_eq!(err.to_string(), "invalid value -2 for `n`: at least 1");
    }
}
