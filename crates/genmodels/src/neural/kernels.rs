//! Element-wise CPU kernels of the hand-written trainers ([`super::rbm`]'s binary RBM and
//! [`super::vae_cpu`]'s MLP VAE): branch-free `exp` and `ln` that vectorise, and the fused
//! loops built on them. Each loop is compiled for several instruction sets by `multiversion`
//! and picks the best one the processor has at run time.

use multiversion::multiversion;

use super::act::Act;

/// `e^x` for `x` in about [−87, 88] (clamped there), relative error under 2·10⁻⁷: `x = n ln 2
/// + r` with `|r| ≤ ln 2 / 2`, a degree-6 polynomial for `e^r` (Cephes' `expf` coefficients)
/// and `2ⁿ` built in the exponent bits. Branch-free, so the loops calling it vectorise; the
/// standard library's `f32::exp` is a call per element. No well-kept crate offers a
/// vectorisable `expf` on stable Rust.
#[inline(always)]
pub(crate) fn exp_f32(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Rounds to the nearest integer by the float format itself (no `round` instruction on the
    // baseline x86-64 target).
    const SHIFTER: f32 = 12_582_912.0; // 1.5 · 2²³
    let x = x.clamp(-87.0, 88.0);
    let n = (x * LOG2E + SHIFTER) - SHIFTER;
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = 1.987_569_1e-4;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 0.166_666_66;
    let p = p * r + 0.5;
    let er = p * r * r + r + 1.0;
    let scale = f32::from_bits(((n as i32 + 127) as u32) << 23);
    er * scale
}

/// `ln x` for a positive, normal `x`, absolute error under 2·10⁻⁷ on [1, 2]: `x = m 2ᵉ` with
/// `m` in [√½, √2) read off the float's bits, and Cephes' `logf` polynomial for `ln m`.
/// Branch-free for the same reason as [`exp_f32`].
#[inline(always)]
pub(crate) fn ln_f32(x: f32) -> f32 {
    const SQRT_HALF: f32 = std::f32::consts::FRAC_1_SQRT_2;
    let bits = x.to_bits();
    let mut e = ((bits >> 23) & 0xff) as i32 - 126;
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f00_0000); // in [0.5, 1)
    let small = m < SQRT_HALF;
    e -= small as i32;
    let m = if small { m + m - 1.0 } else { m - 1.0 };
    let e = e as f32;
    let z = m * m;
    let p = 7.037_683_6e-2;
    let p = p * m - 1.151_461e-1;
    let p = p * m + 1.167_699_9e-1;
    let p = p * m - 1.242_014_1e-1;
    let p = p * m + 1.424_932_3e-1;
    let p = p * m - 1.666_805_8e-1;
    let p = p * m + 2.000_071_4e-1;
    let p = p * m - 2.499_999_4e-1;
    let p = p * m + 3.333_333e-1;
    let y = p * m * z + e * -2.121_944_4e-4 - 0.5 * z;
    m + y + e * 0.693_359_4
}

/// `x ← σ(x)` element-wise.
#[multiversion(targets = "simd")]
pub(crate) fn sigmoid_in_place(x: &mut [f32]) {
    for v in x {
        *v = 1.0 / (1.0 + exp_f32(-*v));
    }
}

/// `y += a x`.
#[multiversion(targets = "simd")]
pub(crate) fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// `row ← act(row + b)`.
#[multiversion(targets = "simd")]
pub(crate) fn add_bias(row: &mut [f32], b: &[f32], act: Act) {
    match act {
        Act::Linear => {
            for (v, &b) in row.iter_mut().zip(b) {
                *v += b;
            }
        }
        Act::Relu => {
            for (v, &b) in row.iter_mut().zip(b) {
                *v = (*v + b).max(0.0);
            }
        }
        Act::Leaky(s) => {
            for (v, &b) in row.iter_mut().zip(b) {
                let a = *v + b;
                *v = if a > 0.0 { a } else { s * a };
            }
        }
    }
}

/// `d ← d · [h > 0]`: a ReLU's backward pass given its output `h`.
#[multiversion(targets = "simd")]
pub(crate) fn relu_backward(d: &mut [f32], h: &[f32]) {
    for (d, &h) in d.iter_mut().zip(h) {
        if h <= 0.0 {
            *d = 0.0;
        }
    }
}

/// `d ← d · (h > 0 ? 1 : slope)`: a leaky ReLU's backward pass given its output `h` (which has
/// the sign of its input).
#[multiversion(targets = "simd")]
pub(crate) fn leaky_relu_backward(d: &mut [f32], h: &[f32], slope: f32) {
    for (d, &h) in d.iter_mut().zip(h) {
        if h <= 0.0 {
            *d *= slope;
        }
    }
}

/// A sum in eight lanes (a plain running sum does not vectorise: float addition is not
/// reassociated by the compiler).
#[inline(always)]
fn lanes_sum(acc: [f32; 8]) -> f32 {
    acc.iter().sum()
}

/// Bernoulli pixels with logits `o` and targets `x`: returns `Σ x·o − softplus(o)` (the row's
/// `log p(x | z)`) and overwrites `o` with `scale · (σ(o) − x)`, the gradient of `−scale · log p`.
#[multiversion(targets = "simd")]
pub(crate) fn bernoulli_row(o: &mut [f32], x: &[f32], scale: f32) -> f32 {
    let mut acc = [0f32; 8];
    let n = o.len();
    let whole = n - n % 8;
    let (oh, ot) = o.split_at_mut(whole);
    let (xh, xt) = x.split_at(whole);
    for (oc, xc) in oh.chunks_exact_mut(8).zip(xh.chunks_exact(8)) {
        for k in 0..8 {
            let (l, g) = bernoulli_one(oc[k], xc[k], scale);
            acc[k] += l;
            oc[k] = g;
        }
    }
    for (o, &x) in ot.iter_mut().zip(xt) {
        let (l, g) = bernoulli_one(*o, x, scale);
        acc[0] += l;
        *o = g;
    }
    lanes_sum(acc)
}

#[inline(always)]
fn bernoulli_one(o: f32, x: f32, scale: f32) -> (f32, f32) {
    let t = exp_f32(-o.abs()); // in (0, 1]
    let one_t = 1.0 + t;
    let softplus = o.max(0.0) + ln_f32(one_t);
    let sig = if o >= 0.0 { 1.0 } else { t } / one_t;
    (x * o - softplus, scale * (sig - x))
}

/// Gaussian pixels with means `o`, targets `x` and per-pixel `1/σ²` in `inv_var`: returns
/// `Σ −½ (x − o)²/σ²` (the row's `log p(x | z)` without the `−ln σ − ½ ln 2π` terms), overwrites
/// `o` with `scale · (o − x)/σ²` (the gradient of `−scale · log p`) and adds
/// `scale · (1 − (x − o)²/σ²)` to `g_log_sigma` (the gradient for `ln σ`).
#[multiversion(targets = "simd")]
pub(crate) fn gaussian_row(
    o: &mut [f32],
    x: &[f32],
    inv_var: &[f32],
    g_log_sigma: &mut [f32],
    scale: f32,
) -> f32 {
    let mut acc = [0f32; 8];
    for (i, (((o, &x), &iv), g)) in o
        .iter_mut()
        .zip(x)
        .zip(inv_var)
        .zip(g_log_sigma.iter_mut())
        .enumerate()
    {
        let r = x - *o;
        let q = r * r * iv;
        acc[i % 8] -= 0.5 * q;
        *o = -scale * r * iv;
        *g += scale * (1.0 - q);
    }
    lanes_sum(acc)
}

/// `out += Σ_rows m` (a bias gradient), `m` row-major with `out.len()` columns.
pub(crate) fn add_column_sums(out: &mut [f32], m: &[f32]) {
    for row in m.chunks_exact(out.len()) {
        axpy(out, 1.0, row);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_matches_the_standard_library() {
        let mut worst = 0f32;
        let mut x = -87.0f32;
        while x < 88.0 {
            let rel = ((exp_f32(x) - x.exp()) / x.exp()).abs();
            worst = worst.max(rel);
            x += 0.0137;
        }
        assert!(worst < 4e-7, "worst relative error {worst}");
        let mut s = vec![-200.0, -20.0, 0.0, 3.5, 200.0];
        sigmoid_in_place(&mut s);
        let want = [0.0, 2.061_153_6e-9, 0.5, 0.970_687_8, 1.0];
        for (g, w) in s.iter().zip(want) {
            assert!((g - w).abs() <= 1e-7 * w.max(1e-2), "{g} vs {w}");
        }
    }

    #[test]
    fn ln_matches_the_standard_library() {
        let mut worst_rel = 0f32;
        let mut x = 1e-30f32;
        while x < 1e30 {
            let want = x.ln();
            let err = (ln_f32(x) - want).abs() / want.abs().max(1.0);
            worst_rel = worst_rel.max(err);
            x *= 1.0137;
        }
        assert!(worst_rel < 3e-7, "worst error {worst_rel}");
        // Near 1, where ln(1 + t) for small t lands.
        for x in [1.0f32, 1.000_001, 1.25, 1.5, 1.999_999, 2.0] {
            assert!((ln_f32(x) - x.ln()).abs() < 2e-7, "{x}");
        }
    }

    #[test]
    fn bernoulli_row_gives_the_log_likelihood_and_its_gradient() {
        let o: Vec<f32> = (0..21).map(|i| (i as f32 - 10.0) * 1.7).collect();
        let x: Vec<f32> = (0..21).map(|i| (i % 3) as f32 / 2.0).collect();
        let mut g = o.clone();
        let lp = bernoulli_row(&mut g, &x, 0.5);
        let mut want = 0f64;
        for ((&o, &x), &g) in o.iter().zip(&x).zip(&g) {
            let (o, x) = (o as f64, x as f64);
            want += x * o - (1.0 + o.exp()).ln();
            let sig = 1.0 / (1.0 + (-o).exp());
            assert!((g as f64 - 0.5 * (sig - x)).abs() < 1e-6);
        }
        assert!(
            (lp as f64 - want).abs() < 1e-4 * want.abs(),
            "{lp} vs {want}"
        );
    }

    #[test]
    fn gaussian_row_gives_the_log_likelihood_and_its_gradients() {
        let o = [0.1f32, -0.4, 2.0];
        let x = [0.3f32, -0.1, 1.0];
        let iv = [1.0f32, 4.0, 0.25];
        let mut g = o;
        let mut gls = [0.1f32; 3];
        let lp = gaussian_row(&mut g, &x, &iv, &mut gls, 2.0);
        let want: f32 = (0..3).map(|i| -0.5 * (x[i] - o[i]).powi(2) * iv[i]).sum();
        assert!((lp - want).abs() < 1e-6);
        for i in 0..3 {
            assert!((g[i] - 2.0 * (o[i] - x[i]) * iv[i]).abs() < 1e-6);
            let q = (x[i] - o[i]).powi(2) * iv[i];
            assert!((gls[i] - (0.1 + 2.0 * (1.0 - q))).abs() < 1e-6);
        }
    }
}
