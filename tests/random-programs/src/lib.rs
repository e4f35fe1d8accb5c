//! What the generated random programs share: the parameters they read, the
//! flat layout of their inputs, and every derivative rule over num-dual's
//! forward-mode dual numbers (the reference the generated gradients are
//! checked against).
//!
//! `build.rs` writes the programs (see `generator/`): straight-line code,
//! calls, branches, `match`, loops and jumps out of them; `tests/programs.rs`
//! compiles them with `#[differentiable]`, compares every partial derivative
//! with forward mode, and counts the programs that show each construct.

use gradgen::prelude::*;
use num_dual::Dual64;

/// The parameters every program reads: fixed arrays, a scalar, a Vec and a
/// nested struct.
#[derive(Parameters, Clone, Debug, PartialEq)]
pub struct Params {
    /// Read with constant indices and with the integer argument `k`.
    pub w: [f64; 4],
    /// A scalar leaf.
    pub b: f64,
    /// A Vec leaf, indexed like `w`.
    pub v: Vec<f64>,
    /// A nested struct.
    pub inner: Inner,
}

/// The nested part of [`Params`].
#[derive(Parameters, Clone, Debug, PartialEq)]
pub struct Inner {
    /// Read with constant indices.
    pub c: [f64; 2],
    /// A scalar leaf.
    pub d: f64,
}

/// [`Params`] over dual numbers, for the forward-mode twin of a program.
#[derive(Clone, Debug)]
pub struct ParamsD {
    /// As [`Params::w`].
    pub w: [Dual64; 4],
    /// As [`Params::b`].
    pub b: Dual64,
    /// As [`Params::v`].
    pub v: Vec<Dual64>,
    /// As [`Params::inner`].
    pub inner: InnerD,
}

/// [`Inner`] over dual numbers.
#[derive(Clone, Debug)]
pub struct InnerD {
    /// As [`Inner::c`].
    pub c: [Dual64; 2],
    /// As [`Inner::d`].
    pub d: Dual64,
}

/// Where each argument starts in the flat list of a program's inputs:
/// `p` (11 leaves: `w`, `b`, `v`, `inner.c`, `inner.d`), `x`, `y`, `a` (3), `s` (4).
pub mod layout {
    /// The first leaf of `p`.
    pub const P: usize = 0;
    /// The number of leaves of `p`.
    pub const P_LEN: usize = 11;
    /// `x`.
    pub const X: usize = 11;
    /// `y`.
    pub const Y: usize = 12;
    /// The first element of `a`.
    pub const A: usize = 13;
    /// The number of elements of `a`.
    pub const A_LEN: usize = 3;
    /// The first element of `s`.
    pub const S: usize = 16;
    /// The number of elements of `s`.
    pub const S_LEN: usize = 4;
    /// Every input.
    pub const LEN: usize = 20;
}

/// A program's arguments, from the flat list of inputs.
pub type Args<T, P> = (P, T, T, [T; 3], Vec<T>);

/// The arguments `(p, x, y, a, s)` of a program at the flat inputs `v`.
pub fn unpack(v: &[f64]) -> Args<f64, Params> {
    assert_eq!(v.len(), layout::LEN);
    let p = Params {
        w: [v[0], v[1], v[2], v[3]],
        b: v[4],
        v: v[5..8].to_vec(),
        inner: Inner {
            c: [v[8], v[9]],
            d: v[10],
        },
    };
    (
        p,
        v[layout::X],
        v[layout::Y],
        [v[13], v[14], v[15]],
        v[layout::S..].to_vec(),
    )
}

/// The arguments of a program's dual twin at the flat inputs `v`.
pub fn unpack_dual(v: &[Dual64]) -> Args<Dual64, ParamsD> {
    assert_eq!(v.len(), layout::LEN);
    let p = ParamsD {
        w: [v[0], v[1], v[2], v[3]],
        b: v[4],
        v: v[5..8].to_vec(),
        inner: InnerD {
            c: [v[8], v[9]],
            d: v[10],
        },
    };
    (
        p,
        v[layout::X],
        v[layout::Y],
        [v[13], v[14], v[15]],
        v[layout::S..].to_vec(),
    )
}

impl Params {
    /// The leaves in the flat layout's order.
    pub fn flat(&self) -> Vec<f64> {
        let mut out = self.w.to_vec();
        out.push(self.b);
        out.extend(&self.v);
        out.extend(self.inner.c);
        out.push(self.inner.d);
        out
    }
}

/// One run of a program's generated code at a point.
#[derive(Debug)]
pub struct Run {
    /// The function as written (`None` where it stopped early).
    pub value: Option<f64>,
    /// The value `_grad` returns (`None` where it stopped early).
    pub grad_value: Option<f64>,
    /// `(flat input index, partial derivative)` for every differentiated input.
    pub grads: Vec<(usize, f64)>,
}

/// A generated program, as the test sees it.
pub struct Program {
    /// Its name, `prog_N`.
    pub name: &'static str,
    /// Its source, for failure messages.
    pub source: &'static str,
    /// How many operations (operators and method calls) it performs.
    pub ops: usize,
    /// How many flat inputs it differentiates with respect to.
    pub active: usize,
    /// Runs the function and its `_grad` at flat inputs, with the integer `k`.
    pub run: fn(&[f64], usize) -> Run,
    /// Runs the dual twin at flat dual inputs, with the integer `k`.
    pub dual: fn(&[Dual64], usize) -> Option<Dual64>,
}

/// Every derivative rule over dual numbers, called as the programs' dual
/// twins call them. Each value is the one `f64` computes, bit for bit (not
/// num-dual's `sinh / cosh` for `tanh`, say): a loop that iterates a map
/// such as `3 cos(v)` multiplies a last-bit difference until a branch
/// goes the other way. Kinks follow the generated code's conventions (the
/// receiver wins ties), so both sides take the same branch.
pub mod dual {
    use num_dual::{Dual64, DualNum};

    /// The value `value` of a rule at `x`, whose derivative there is `slope`.
    fn chain(x: Dual64, value: f64, slope: f64) -> Dual64 {
        Dual64::new(value, slope * x.eps)
    }

    /// A constant.
    pub fn c(x: f64) -> Dual64 {
        Dual64::from_re(x)
    }
    /// `no_grad(x)`: the value without its derivative.
    pub fn no_grad(x: Dual64) -> Dual64 {
        c(x.re)
    }
    macro_rules! unary {
        ($($name:ident),*) => {$(
            #[doc = concat!("`x.", stringify!($name), "()`.")]
            pub fn $name(x: Dual64) -> Dual64 {
                DualNum::$name(&x)
            }
        )*};
    }
    unary!(
        sin, cos, asin, acos, atan, sinh, cosh, asinh, acosh, atanh, exp, exp2, exp_m1, ln, log2,
        log10, ln_1p, sqrt, cbrt, recip
    );
    /// `x.tan()`.
    pub fn tan(x: Dual64) -> Dual64 {
        let t = x.re.tan();
        chain(x, t, 1.0 + t * t)
    }
    /// `x.tanh()`.
    pub fn tanh(x: Dual64) -> Dual64 {
        let t = x.re.tanh();
        chain(x, t, 1.0 - t * t)
    }
    /// `a.atan2(b)`.
    pub fn atan2(a: Dual64, b: Dual64) -> Dual64 {
        a.atan2(b)
    }
    /// `a / b`, divided as `f64` divides (num-dual multiplies by `1 / b`).
    pub fn div(a: Dual64, b: Dual64) -> Dual64 {
        let value = a.re / b.re;
        Dual64::new(value, (a.eps - value * b.eps) / b.re)
    }
    /// `x.log(b) = ln x / ln b`.
    pub fn log(x: Dual64, b: Dual64) -> Dual64 {
        let value = x.re.log(b.re);
        let eps = (x.eps / x.re - value * b.eps / b.re) / b.re.ln();
        Dual64::new(value, eps)
    }
    /// `x.powi(n)`.
    pub fn powi(x: Dual64, n: i32) -> Dual64 {
        let slope = if n == 0 {
            0.0
        } else {
            f64::from(n) * x.re.powi(n - 1)
        };
        chain(x, x.re.powi(n), slope)
    }
    /// `x.powf(e) = exp(e ln x)`.
    pub fn powf(x: Dual64, e: Dual64) -> Dual64 {
        let value = x.re.powf(e.re);
        let eps = value * (e.re / x.re * x.eps + x.re.ln() * e.eps);
        Dual64::new(value, eps)
    }
    /// `|x|`, derivative 0 at 0.
    pub fn abs(x: Dual64) -> Dual64 {
        if x.re > 0.0 {
            x
        } else if x.re < 0.0 {
            -x
        } else {
            c(0.0)
        }
    }
    /// `x.signum()`: derivative 0.
    pub fn signum(x: Dual64) -> Dual64 {
        c(x.re.signum())
    }
    /// `a.hypot(b)`.
    pub fn hypot(a: Dual64, b: Dual64) -> Dual64 {
        let h = a.re.hypot(b.re);
        Dual64::new(h, (a.re * a.eps + b.re * b.eps) / h)
    }
    /// `a.min(b)`: on ties the derivative is split evenly, as the macro
    /// (and PyTorch) do (`x.min(no_grad(x))` is a tie at every point).
    pub fn min(a: Dual64, b: Dual64) -> Dual64 {
        if a.re == b.re {
            (a + b) * 0.5
        } else if a.re < b.re {
            a
        } else {
            b
        }
    }
    /// `a.max(b)`: on ties the derivative is split evenly, as `min`.
    pub fn max(a: Dual64, b: Dual64) -> Dual64 {
        if a.re == b.re {
            (a + b) * 0.5
        } else if a.re > b.re {
            a
        } else {
            b
        }
    }
    /// `x.clamp(lo, hi)`.
    pub fn clamp(x: Dual64, lo: Dual64, hi: Dual64) -> Dual64 {
        if x.re < lo.re {
            lo
        } else if x.re > hi.re {
            hi
        } else {
            x
        }
    }
    /// `a.mul_add(b, c) = a b + c`, rounded once.
    pub fn mul_add(a: Dual64, b: Dual64, c: Dual64) -> Dual64 {
        let value = a.re.mul_add(b.re, c.re);
        Dual64::new(value, a.eps * b.re + a.re * b.eps + c.eps)
    }
}
