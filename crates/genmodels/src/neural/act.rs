//! The activation of a dense layer of the hand-written CPU trainers: what the kernels fuse
//! after a product ([`super::kernels`]) and the layers name ([`super::mlp_cpu`]).

/// A layer's activation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Act {
    /// None (a linear output).
    Linear,
    /// `max(0, a)`.
    Relu,
    /// `a` if `a > 0`, else `slope · a`.
    Leaky(f32),
}
