//! Every derivative rule, one small `#[differentiable]` function each, in f64
//! and f32, in method form (`x.sin()`) and path form (`f64::sin(x)`), and the
//! operators `+ - * /` and unary `-` (plain, borrowed and compound).
//!
//! Each is checked at many seeded random points of the rule's domain
//! against forward-mode dual numbers (num-dual) and against central finite
//! differences of the function as written. f32 gradients are compared with
//! num-dual in f64 at the same (f32) point, to a tolerance fit for f32.
//! Each test states the hand derivation it checks. Kinks follow PyTorch and
//! are tested at the kink itself.

use gradgen::prelude::*;
use num_dual::{Dual64, DualNum};

// ----- the harness ------------------------------------------------------

/// A seeded generator (SplitMix64): the points are the same on every run.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `[lo, hi)`.
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        let unit = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        lo + (hi - lo) * unit
    }

    /// `lo..hi` in magnitude, either sign: away from zero.
    fn signed(&mut self, lo: f64, hi: f64) -> f64 {
        let x = self.uniform(lo, hi);
        if self.next_u64() & 1 == 0 { x } else { -x }
    }
}

/// One way of writing a rule: the function as written and its generated
/// gradient, over a flat list of inputs.
struct Form<T> {
    label: &'static str,
    value: Box<Value<T>>,
    grad: Box<Gradient<T>>,
}

/// A function of a flat list of inputs.
type Value<T> = dyn Fn(&[T]) -> T;

/// The generated gradient of a function of a flat list of inputs: its value
/// and one partial derivative per input.
type Gradient<T> = dyn Fn(&[T]) -> (T, Vec<T>);

/// Every way of writing a rule, in both precisions.
struct Forms {
    f64: Vec<Form<f64>>,
    f32: Vec<Form<f32>>,
}

/// A gradient (bare, or a tuple for several arguments) as a flat list.
trait Flat<T> {
    fn flat(self) -> Vec<T>;
}

macro_rules! flat {
    ($($t:ty),*) => {$(
        impl Flat<$t> for $t {
            fn flat(self) -> Vec<$t> { vec![self] }
        }
        impl Flat<$t> for ($t, $t) {
            fn flat(self) -> Vec<$t> { vec![self.0, self.1] }
        }
        impl Flat<$t> for ($t, $t, $t) {
            fn flat(self) -> Vec<$t> { vec![self.0, self.1, self.2] }
        }
    )*};
}
flat!(f32, f64);

/// Functions written out for f64 (in `f64s`) and f32 (in `f32s`), each from
/// a labelled block, and their [`Forms`].
macro_rules! forms {
    ($module:ident $args:tt { $($label:literal => $f:ident, $g:ident $body:block)+ }) => {
        mod $module {
            pub mod f64s {
                use gradgen::prelude::*;
                #[allow(dead_code)]
                type T = f64;
                $(forms!(@fn f64, $f, $args, $body);)+
            }
            pub mod f32s {
                use gradgen::prelude::*;
                #[allow(dead_code)]
                type T = f32;
                $(forms!(@fn f32, $f, $args, $body);)+
            }
            pub fn forms() -> super::Forms {
                super::Forms {
                    f64: vec![$(forms!(@form f64, concat!($label, " in f64"), f64s::$f, f64s::$g, $args)),+],
                    f32: vec![$(forms!(@form f32, concat!($label, " in f32"), f32s::$f, f32s::$g, $args)),+],
                }
            }
        }
    };
    (@fn $t:ident, $f:ident, ($($x:ident),+), $body:block) => {
        #[differentiable]
        #[allow(clippy::op_ref)] // borrowed operands are what some forms test
        #[allow(clippy::double_must_use)] // see `method!`
        pub fn $f($($x: $t),+) -> $t $body
    };
    (@form $t:ident, $label:expr, $f:path, $g:path, ($($x:ident),+)) => {
        super::Form::<$t> {
            label: $label,
            value: Box::new(|v: &[$t]| {
                let &[$($x),+] = v else { panic!("wrong number of inputs") };
                $f($($x),+)
            }),
            grad: Box::new(|v: &[$t]| {
                let &[$($x),+] = v else { panic!("wrong number of inputs") };
                let (y, g) = $g($($x),+);
                (y, super::Flat::flat(g))
            }),
        }
    };
}

/// A float method in method form and path form, in f64 and f32.
macro_rules! method {
    ($method:ident($x0:ident $(, $x:ident)*)) => {
        mod $method {
            pub mod f64s {
                use gradgen::prelude::*;
                method!(@ty f64, $method($x0 $(, $x)*));
            }
            pub mod f32s {
                use gradgen::prelude::*;
                method!(@ty f32, $method($x0 $(, $x)*));
            }
            pub fn forms() -> super::Forms {
                super::Forms {
                    f64: vec![
                        forms!(@form f64, concat!("x.", stringify!($method), "(..) in f64"), f64s::method, f64s::method_grad, ($x0 $(, $x)*)),
                        forms!(@form f64, concat!("f64::", stringify!($method), "(..)"), f64s::path, f64s::path_grad, ($x0 $(, $x)*)),
                    ],
                    f32: vec![
                        forms!(@form f32, concat!("x.", stringify!($method), "(..) in f32"), f32s::method, f32s::method_grad, ($x0 $(, $x)*)),
                        forms!(@form f32, concat!("f32::", stringify!($method), "(..)"), f32s::path, f32s::path_grad, ($x0 $(, $x)*)),
                    ],
                }
            }
        }
    };
    (@ty $t:ident, $method:ident($x0:ident $(, $x:ident)*)) => {
        // Generated code expanded from a local `macro_rules!` is linted as
        // the user's own: clippy sees `#[must_use]` on `_vjp` and `pullback`,
        // whose results it takes for `#[must_use]` already.
        #[differentiable]
        #[allow(clippy::double_must_use)]
        pub fn method($x0: $t $(, $x: $t)*) -> $t {
            $x0.$method($($x),*)
        }
        #[differentiable]
        #[allow(clippy::double_must_use)]
        pub fn path($x0: $t $(, $x: $t)*) -> $t {
            $t::$method($x0 $(, $x)*)
        }
    };
}

/// Random points per rule.
const POINTS: usize = 100;

/// `|actual - expected| <= tol * max(1, |expected|)`: relative, absolute near zero.
fn close(actual: f64, expected: f64, tol: f64) -> bool {
    (actual - expected).abs() <= tol * expected.abs().max(1.0)
}

/// The value and every partial derivative of `f` at `v`, by forward mode.
fn dual_partials(f: &dyn Fn(&[Dual64]) -> Dual64, v: &[f64]) -> (f64, Vec<f64>) {
    let mut value = f64::NAN;
    let partials = (0..v.len())
        .map(|i| {
            let inputs: Vec<Dual64> = v
                .iter()
                .enumerate()
                .map(|(j, &x)| Dual64::new(x, if i == j { 1.0 } else { 0.0 }))
                .collect();
            let y = f(&inputs);
            value = y.re;
            y.eps
        })
        .collect();
    (value, partials)
}

/// Central finite differences of `f` at `v`, with steps `h * max(1, |v_i|)`.
fn central_differences<T: Real>(f: &dyn Fn(&[T]) -> T, v: &[T], h: T) -> Vec<T> {
    (0..v.len())
        .map(|i| {
            let step = h * v[i].abs().max(T::one());
            let (mut up, mut down) = (v.to_vec(), v.to_vec());
            up[i] = v[i] + step;
            down[i] = v[i] - step;
            (f(&up) - f(&down)) / (up[i] - down[i])
        })
        .collect()
}

/// Checks every form of a rule at `POINTS` points drawn by `sample`,
/// against `dual` (the same function over dual numbers) and against
/// central finite differences.
fn check(forms: Forms, sample: impl Fn(&mut Rng) -> Vec<f64>, dual: impl Fn(&[Dual64]) -> Dual64) {
    let seed = forms.f64[0]
        .label
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
    let mut rng = Rng::new(seed);
    for _ in 0..POINTS {
        let v = sample(&mut rng);
        let (value, partials) = dual_partials(&dual, &v);
        assert!(
            value.is_finite() && partials.iter().all(|p| p.is_finite()),
            "bad point {v:?}"
        );
        for form in &forms.f64 {
            let at = format!("{} at {v:?}", form.label);
            let (y, g) = (form.grad)(&v);
            assert_eq!(y, (form.value)(&v), "{at}: _grad's value is the function's");
            assert!(
                close(y, value, 1e-14),
                "{at}: value {y:e}, num-dual {value:e}"
            );
            assert_eq!(g.len(), v.len(), "{at}");
            let fd = central_differences(&*form.value, &v, 1e-6);
            for i in 0..v.len() {
                assert!(
                    close(g[i], partials[i], 1e-12),
                    "{at}: d/dx{i} = {:e}, num-dual {:e}",
                    g[i],
                    partials[i]
                );
                assert!(
                    close(g[i], fd[i], 1e-6),
                    "{at}: d/dx{i} = {:e}, finite differences {:e}",
                    g[i],
                    fd[i]
                );
            }
        }
        // The same point in f32, and num-dual in f64 exactly there.
        let v32: Vec<f32> = v.iter().map(|&x| x as f32).collect();
        let (value, partials) = dual_partials(
            &dual,
            &v32.iter().map(|&x| f64::from(x)).collect::<Vec<_>>(),
        );
        for form in &forms.f32 {
            let at = format!("{} at {v32:?}", form.label);
            let (y, g) = (form.grad)(&v32);
            assert_eq!(
                y,
                (form.value)(&v32),
                "{at}: _grad's value is the function's"
            );
            assert!(
                close(f64::from(y), value, 1e-6),
                "{at}: value {y:e}, num-dual {value:e}"
            );
            assert_eq!(g.len(), v.len(), "{at}");
            let fd = central_differences(&*form.value, &v32, 4e-3);
            for i in 0..v.len() {
                let gi = f64::from(g[i]);
                assert!(
                    close(gi, partials[i], 1e-4),
                    "{at}: d/dx{i} = {gi:e}, num-dual {:e}",
                    partials[i]
                );
                assert!(
                    close(gi, f64::from(fd[i]), 1e-2),
                    "{at}: d/dx{i} = {gi:e}, finite differences {:e}",
                    fd[i]
                );
            }
        }
    }
}

/// `n` draws of `lo..hi`.
fn uniform(n: usize, lo: f64, hi: f64) -> impl Fn(&mut Rng) -> Vec<f64> {
    move |rng| (0..n).map(|_| rng.uniform(lo, hi)).collect()
}

/// Draws from `sample` until `keep` accepts the point.
fn such_that(
    sample: impl Fn(&mut Rng) -> Vec<f64>,
    keep: impl Fn(&[f64]) -> bool,
) -> impl Fn(&mut Rng) -> Vec<f64> {
    move |rng| loop {
        let v = sample(rng);
        if keep(&v) {
            return v;
        }
    }
}

/// A constant of the dual numbers (no derivative).
fn constant(x: f64) -> Dual64 {
    Dual64::from_re(x)
}

// ----- the rules, one function per way of writing them ---------------------

method!(sin(x));
method!(cos(x));
method!(tan(x));
method!(asin(x));
method!(acos(x));
method!(atan(x));
method!(atan2(a, b));
method!(sinh(x));
method!(cosh(x));
method!(tanh(x));
method!(asinh(x));
method!(acosh(x));
method!(atanh(x));
method!(exp(x));
method!(exp2(x));
method!(exp_m1(x));
method!(ln(x));
method!(log(x, b));
method!(log2(x));
method!(log10(x));
method!(ln_1p(x));
method!(sqrt(x));
method!(cbrt(x));
method!(powf(x, e));
method!(recip(x));
method!(abs(x));
method!(signum(x));
method!(hypot(a, b));
method!(min(a, b));
method!(max(a, b));
method!(clamp(x, lo, hi));
method!(mul_add(a, b, c));

forms!(add(a, b) {
    "a + b" => plain, plain_grad { a + b }
    "&a + &b" => borrowed, borrowed_grad { &a + &b }
    "y += b" => compound, compound_grad { let mut y = a; y += b; y }
});
forms!(sub(a, b) {
    "a - b" => plain, plain_grad { a - b }
    "&a - b" => borrowed, borrowed_grad { &a - b }
    "y -= b" => compound, compound_grad { let mut y = a; y -= b; y }
});
forms!(mul(a, b) {
    "a * b" => plain, plain_grad { a * b }
    "a * &b" => borrowed, borrowed_grad { a * &b }
    "y *= b" => compound, compound_grad { let mut y = a; y *= b; y }
});
forms!(div(a, b) {
    "a / b" => plain, plain_grad { a / b }
    "&a / &b" => borrowed, borrowed_grad { &a / &b }
    "y /= b" => compound, compound_grad { let mut y = a; y /= b; y }
});
forms!(neg(a) {
    "-a" => plain, plain_grad { -a }
    "0.0 - a" => from_zero, from_zero_grad { 0.0 - a }
});
forms!(neg_twice(a) {
    "-(-a)" => plain, plain_grad { -(-a) }
});
forms!(with_constants(x) {
    "a sum of rules with constant operands" => sum, sum_grad {
        let (two, three): (T, T) = (2.0, 3.0);
        let a = x * 2.5 + 1.5 / x;
        let b = x.powf(2.5) + two.powf(x) + x.log(10.0);
        let c = x.atan2(1.0 + 1.0) + x.max(0.0) + x.clamp(-1.0, 1.0);
        a + b + c + x.mul_add(2.0, 1.0) + three.hypot(x)
    }
    "x.max(0.0)" => relu, relu_grad { x.max(0.0) }
});

mod powi {
    use gradgen::prelude::*;

    #[differentiable]
    pub fn method64(x: f64, n: i32) -> f64 {
        x.powi(n)
    }
    #[differentiable]
    pub fn path64(x: f64, n: i32) -> f64 {
        f64::powi(x, n)
    }
    #[differentiable]
    pub fn method32(x: f32, n: i32) -> f32 {
        x.powi(n)
    }
    #[differentiable]
    pub fn path32(x: f32, n: i32) -> f32 {
        f32::powi(x, n)
    }

    pub fn forms(n: i32) -> super::Forms {
        use super::Form;
        super::Forms {
            f64: vec![
                Form {
                    label: "x.powi(n) in f64",
                    value: Box::new(move |v| method64(v[0], n)),
                    grad: Box::new(move |v| {
                        let (y, g) = method64_grad(v[0], n);
                        (y, vec![g])
                    }),
                },
                Form {
                    label: "f64::powi(x, n)",
                    value: Box::new(move |v| path64(v[0], n)),
                    grad: Box::new(move |v| {
                        let (y, g) = path64_grad(v[0], n);
                        (y, vec![g])
                    }),
                },
            ],
            f32: vec![
                Form {
                    label: "x.powi(n) in f32",
                    value: Box::new(move |v| method32(v[0], n)),
                    grad: Box::new(move |v| {
                        let (y, g) = method32_grad(v[0], n);
                        (y, vec![g])
                    }),
                },
                Form {
                    label: "f32::powi(x, n)",
                    value: Box::new(move |v| path32(v[0], n)),
                    grad: Box::new(move |v| {
                        let (y, g) = path32_grad(v[0], n);
                        (y, vec![g])
                    }),
                },
            ],
        }
    }
}

// ----- the checks, one per rule -------------------------------------------

#[test]
fn sin() {
    // y = sin x;  dy/dx = cos x
    check(sin::forms(), uniform(1, -6.0, 6.0), |v| v[0].sin());
}

#[test]
fn cos() {
    // y = cos x;  dy/dx = -sin x
    check(cos::forms(), uniform(1, -6.0, 6.0), |v| v[0].cos());
}

#[test]
fn tan() {
    // y = tan x = sin x / cos x;  dy/dx = (cos^2 x + sin^2 x) / cos^2 x = 1 + y^2
    check(tan::forms(), uniform(1, -1.4, 1.4), |v| v[0].tan());
}

#[test]
fn asin() {
    // y = asin x, x = sin y;  dx/dy = cos y = sqrt(1 - x^2);  dy/dx = 1 / sqrt(1 - x^2)
    check(asin::forms(), uniform(1, -0.9, 0.9), |v| v[0].asin());
}

#[test]
fn acos() {
    // y = acos x = pi/2 - asin x;  dy/dx = -1 / sqrt(1 - x^2)
    check(acos::forms(), uniform(1, -0.9, 0.9), |v| v[0].acos());
}

#[test]
fn atan() {
    // y = atan x, x = tan y;  dx/dy = 1 + tan^2 y = 1 + x^2;  dy/dx = 1 / (1 + x^2)
    check(atan::forms(), uniform(1, -5.0, 5.0), |v| v[0].atan());
}

#[test]
fn atan2() {
    // z = a.atan2(b), the angle of (b, a): z = atan(a / b) (+ a constant per quadrant)
    // dz/da = (1/b) / (1 + a^2/b^2) = b / (a^2 + b^2)
    // dz/db = (-a/b^2) / (1 + a^2/b^2) = -a / (a^2 + b^2)
    let sample = such_that(uniform(2, -3.0, 3.0), |v| v[0].hypot(v[1]) > 0.3);
    check(atan2::forms(), sample, |v| v[0].atan2(v[1]));
}

#[test]
fn sinh() {
    // y = (e^x - e^-x) / 2;  dy/dx = (e^x + e^-x) / 2 = cosh x
    check(sinh::forms(), uniform(1, -4.0, 4.0), |v| v[0].sinh());
}

#[test]
fn cosh() {
    // y = (e^x + e^-x) / 2;  dy/dx = (e^x - e^-x) / 2 = sinh x
    check(cosh::forms(), uniform(1, -4.0, 4.0), |v| v[0].cosh());
}

#[test]
fn tanh() {
    // y = sinh x / cosh x;  dy/dx = (cosh^2 x - sinh^2 x) / cosh^2 x = 1 - y^2
    check(tanh::forms(), uniform(1, -4.0, 4.0), |v| v[0].tanh());
}

#[test]
fn asinh() {
    // y = ln(x + sqrt(x^2 + 1));  dy/dx = (1 + x / sqrt(x^2 + 1)) / (x + sqrt(x^2 + 1)) = 1 / sqrt(x^2 + 1)
    check(asinh::forms(), uniform(1, -5.0, 5.0), |v| v[0].asinh());
}

#[test]
fn acosh() {
    // y = ln(x + sqrt(x^2 - 1)), x > 1;  dy/dx = 1 / sqrt(x^2 - 1)
    check(acosh::forms(), uniform(1, 1.1, 6.0), |v| v[0].acosh());
}

#[test]
fn atanh() {
    // y = ln((1 + x) / (1 - x)) / 2, |x| < 1;  dy/dx = (1/(1+x) + 1/(1-x)) / 2 = 1 / (1 - x^2)
    check(atanh::forms(), uniform(1, -0.9, 0.9), |v| v[0].atanh());
}

#[test]
fn exp() {
    // y = e^x;  dy/dx = e^x = y
    check(exp::forms(), uniform(1, -5.0, 5.0), |v| v[0].exp());
}

#[test]
fn exp2() {
    // y = 2^x = e^(x ln 2);  dy/dx = y ln 2
    check(exp2::forms(), uniform(1, -5.0, 5.0), |v| v[0].exp2());
}

#[test]
fn exp_m1() {
    // y = e^x - 1;  dy/dx = e^x = y + 1
    check(exp_m1::forms(), uniform(1, -5.0, 5.0), |v| v[0].exp_m1());
}

#[test]
fn ln() {
    // y = ln x, x > 0;  dy/dx = 1 / x
    check(ln::forms(), uniform(1, 0.1, 10.0), |v| v[0].ln());
}

#[test]
fn log() {
    // y = x.log(b) = ln x / ln b
    // dy/dx = 1 / (x ln b)
    // dy/db = -ln x / (ln b)^2 * (1/b) = -y / (b ln b)
    let sample = such_that(
        |rng: &mut Rng| vec![rng.uniform(0.1, 10.0), rng.uniform(0.2, 5.0)],
        |v| (v[1] - 1.0).abs() > 0.2,
    );
    check(log::forms(), sample, |v| v[0].ln() / v[1].ln());
}

#[test]
fn log2() {
    // y = ln x / ln 2;  dy/dx = 1 / (x ln 2)
    check(log2::forms(), uniform(1, 0.1, 10.0), |v| v[0].log2());
}

#[test]
fn log10() {
    // y = ln x / ln 10;  dy/dx = 1 / (x ln 10)
    check(log10::forms(), uniform(1, 0.1, 10.0), |v| v[0].log10());
}

#[test]
fn ln_1p() {
    // y = ln(1 + x), x > -1;  dy/dx = 1 / (1 + x)
    check(ln_1p::forms(), uniform(1, -0.9, 10.0), |v| v[0].ln_1p());
}

#[test]
fn sqrt() {
    // y = x^(1/2);  dy/dx = x^(-1/2) / 2 = 1 / (2y)
    check(sqrt::forms(), uniform(1, 0.1, 10.0), |v| v[0].sqrt());
}

#[test]
fn cbrt() {
    // y = x^(1/3) (either sign);  dy/dx = x^(-2/3) / 3 = 1 / (3y^2)
    check(
        cbrt::forms(),
        |rng| vec![rng.signed(0.1, 10.0)],
        |v| v[0].cbrt(),
    );
}

#[test]
fn powi() {
    // y = x^n, n an integer (no derivative);  dy/dx = n x^(n-1), and 0 for n = 0
    for n in [-3, -2, -1, 0, 1, 2, 3, 7] {
        check(
            powi::forms(n),
            |rng| vec![rng.signed(0.2, 3.0)],
            move |v| v[0].powi(n),
        );
    }
}

#[test]
fn powf() {
    // y = x^e = e^(e ln x), x > 0
    // dy/dx = e x^(e-1)
    // dy/de = ln x * e^(e ln x) = y ln x
    let sample = |rng: &mut Rng| vec![rng.uniform(0.1, 5.0), rng.uniform(-3.0, 3.0)];
    check(powf::forms(), sample, |v| v[0].powd(v[1]));
}

#[test]
fn recip() {
    // y = 1 / x;  dy/dx = -1 / x^2 = -y^2
    check(
        recip::forms(),
        |rng| vec![rng.signed(0.2, 5.0)],
        |v| v[0].recip(),
    );
}

#[test]
fn abs() {
    // y = |x| = x sign(x);  dy/dx = sign(x) (away from 0; see the kinks below)
    let plain_abs = |v: &[Dual64]| if v[0].re >= 0.0 { v[0] } else { -v[0] };
    check(abs::forms(), |rng| vec![rng.signed(0.1, 5.0)], plain_abs);
}

#[test]
fn signum() {
    // y = sign(x), piecewise constant;  dy/dx = 0
    check(
        signum::forms(),
        |rng| vec![rng.signed(0.1, 5.0)],
        |v| constant(v[0].re.signum()),
    );
}

#[test]
fn hypot() {
    // z = sqrt(a^2 + b^2);  dz/da = 2a / (2 sqrt(a^2 + b^2)) = a / z;  dz/db = b / z
    let sample = such_that(uniform(2, -5.0, 5.0), |v| v[0].hypot(v[1]) > 0.3);
    check(hypot::forms(), sample, |v| {
        (v[0] * v[0] + v[1] * v[1]).sqrt()
    });
}

#[test]
fn min() {
    // z = a.min(b): z = a where a <= b, else b;  dz/da = [a <= b], dz/db = [b < a]
    let sample = such_that(uniform(2, -5.0, 5.0), |v| (v[0] - v[1]).abs() > 0.1);
    check(min::forms(), sample, |v| {
        if v[0].re <= v[1].re { v[0] } else { v[1] }
    });
}

#[test]
fn max() {
    // z = a.max(b): z = a where a >= b, else b;  dz/da = [a >= b], dz/db = [b > a]
    let sample = such_that(uniform(2, -5.0, 5.0), |v| (v[0] - v[1]).abs() > 0.1);
    check(max::forms(), sample, |v| {
        if v[0].re >= v[1].re { v[0] } else { v[1] }
    });
}

#[test]
fn clamp() {
    // y = x.clamp(lo, hi) = lo where x < lo, hi where x > hi, else x
    // dy/dx = [lo <= x <= hi], dy/dlo = [x < lo], dy/dhi = [x > hi]
    let sample = such_that(
        |rng: &mut Rng| {
            vec![
                rng.uniform(-5.0, 5.0),
                rng.uniform(-3.0, -0.5),
                rng.uniform(0.5, 3.0),
            ]
        },
        |v| (v[0] - v[1]).abs() > 0.1 && (v[0] - v[2]).abs() > 0.1,
    );
    let dual = |v: &[Dual64]| {
        if v[0].re < v[1].re {
            v[1]
        } else if v[0].re > v[2].re {
            v[2]
        } else {
            v[0]
        }
    };
    check(clamp::forms(), sample, dual);
}

#[test]
fn mul_add() {
    // y = a.mul_add(b, c) = a b + c;  dy/da = b, dy/db = a, dy/dc = 1
    check(mul_add::forms(), uniform(3, -5.0, 5.0), |v| {
        v[0] * v[1] + v[2]
    });
}

#[test]
fn add() {
    // z = a + b;  dz/da = 1, dz/db = 1
    check(add::forms(), uniform(2, -5.0, 5.0), |v| v[0] + v[1]);
}

#[test]
fn sub() {
    // z = a - b;  dz/da = 1, dz/db = -1
    check(sub::forms(), uniform(2, -5.0, 5.0), |v| v[0] - v[1]);
}

#[test]
fn mul() {
    // z = a b;  dz/da = b, dz/db = a
    check(mul::forms(), uniform(2, -5.0, 5.0), |v| v[0] * v[1]);
}

#[test]
fn div() {
    // z = a / b = a b^-1;  dz/da = 1 / b, dz/db = -a b^-2 = -a / b^2
    let sample = |rng: &mut Rng| vec![rng.uniform(-5.0, 5.0), rng.signed(0.2, 5.0)];
    check(div::forms(), sample, |v| v[0] / v[1]);
}

#[test]
fn neg() {
    // z = -a;  dz/da = -1 (and 0 - a the same)
    check(neg::forms(), uniform(1, -5.0, 5.0), |v| -v[0]);
    // z = -(-a);  dz/da = (-1)(-1) = 1
    check(neg_twice::forms(), uniform(1, -5.0, 5.0), |v| v[0]);
}

#[test]
fn rules_with_constant_operands() {
    // A constant operand carries no derivative; the active one gets the rule's.
    // Summing the terms, each term's derivative counts:
    //   d(2.5x)/dx = 2.5;  d(1.5/x)/dx = -1.5/x^2;  d(x^2.5)/dx = 2.5 x^1.5;
    //   d(2^x)/dx = 2^x ln 2;  d(log10 x)/dx = 1/(x ln 10);  d atan2(x, 2)/dx = 2/(x^2 + 4);
    //   d max(x, 0)/dx = [x >= 0];  d clamp(x, -1, 1)/dx = [-1 <= x <= 1];
    //   d(2x + 1)/dx = 2;  d sqrt(9 + x^2)/dx = x / sqrt(9 + x^2).
    // Positive x (powf of a negative base is NaN), away from clamp's kink at 1.
    let sample = such_that(uniform(1, 0.2, 3.0), |v| (v[0] - 1.0).abs() > 0.1);
    let dual = |v: &[Dual64]| {
        let x = v[0];
        let relu = if x.re >= 0.0 { x } else { constant(0.0) };
        let clamped = if x.re < -1.0 {
            constant(-1.0)
        } else if x.re > 1.0 {
            constant(1.0)
        } else {
            x
        };
        let a = x * 2.5 + constant(1.5) / x;
        let b = x.powf(2.5) + (x * 2f64.ln()).exp() + x.ln() / 10f64.ln();
        let c = x.atan2(constant(2.0)) + relu + clamped;
        a + b + c + (x * 2.0 + 1.0) + (x * x + 9.0).sqrt()
    };
    let mut forms = with_constants::forms();
    forms.f64.truncate(1);
    forms.f32.truncate(1);
    check(forms, sample, dual);
}

// ----- coverage ------------------------------------------------------------

/// The float methods of `f32`/`f64` that compute a float from floats.
const FLOAT_METHODS: &[&str] = &[
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "atan2",
    "sin_cos",
    "sinh",
    "cosh",
    "tanh",
    "asinh",
    "acosh",
    "atanh",
    "exp",
    "exp2",
    "exp_m1",
    "ln",
    "log",
    "log2",
    "log10",
    "ln_1p",
    "sqrt",
    "cbrt",
    "powi",
    "powf",
    "recip",
    "abs",
    "signum",
    "copysign",
    "hypot",
    "min",
    "max",
    "minimum",
    "maximum",
    "clamp",
    "mul_add",
    "to_degrees",
    "to_radians",
    "rem_euclid",
    "div_euclid",
    "midpoint",
    "abs_sub",
    "fract",
];

/// The float methods this file tests, each above.
const TESTED: &[&str] = &[
    "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh", "asinh", "acosh",
    "atanh", "exp", "exp2", "exp_m1", "ln", "log", "log2", "log10", "ln_1p", "sqrt", "cbrt",
    "powi", "powf", "recip", "abs", "signum", "hypot", "min", "max", "clamp", "mul_add",
];

#[test]
fn every_float_rule_of_the_table_is_tested() {
    // The rule table of the macro, read as text: `name/arity...: [...] => [...];`.
    let table =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/macros/src/rules.rs"))
            .expect("macros/src/rules.rs is readable");
    let names: Vec<&str> = table
        .lines()
        .filter_map(|line| {
            let (name, rest) = line.trim().split_once('/')?;
            let is_rule = !name.is_empty()
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && rest.starts_with(|c: char| c.is_ascii_digit())
                && rest.contains("=>");
            is_rule.then_some(name)
        })
        .collect();
    assert!(
        names.len() >= 33,
        "the table has {} rules: {names:?}",
        names.len()
    );
    for name in &names {
        if FLOAT_METHODS.contains(name) {
            assert!(
                TESTED.contains(name),
                "the float rule `{name}` has no test here"
            );
        }
    }
    for name in TESTED {
        assert!(
            names.contains(name),
            "`{name}` is tested but has no rule in the table"
        );
    }
}

// ----- kinks: derivatives where the function is not differentiable --------

#[test]
fn abs_has_derivative_zero_at_zero() {
    // PyTorch: d|x|/dx at 0 is sign(0) = 0.
    for x in [0.0, -0.0] {
        assert_eq!(abs::f64s::method_grad(x), (0.0, 0.0));
        assert_eq!(abs::f64s::path_grad(x), (0.0, 0.0));
        assert_eq!(abs::f32s::method_grad(x as f32), (0.0, 0.0));
        assert_eq!(abs::f32s::path_grad(x as f32), (0.0, 0.0));
    }
    assert_eq!(abs::f64s::method_grad(-2.0), (2.0, -1.0));
    assert_eq!(abs::f32s::path_grad(3.0), (3.0, 1.0));
}

#[test]
fn signum_has_derivative_zero_everywhere() {
    for x in [-2.0, -0.0, 0.0, 1e-300, 5.0] {
        assert_eq!(signum::f64s::method_grad(x).1, 0.0);
        assert_eq!(signum::f32s::path_grad(x as f32).1, 0.0);
    }
}

#[test]
fn min_and_max_split_the_adjoint_on_ties() {
    // PyTorch's minimum/maximum (and the runtime): the selected argument gets
    // the whole adjoint; on a tie each gets half.
    for x in [-1.5, 0.0, 2.0] {
        assert_eq!(min::f64s::method_grad(x, x), (x, (0.5, 0.5)));
        assert_eq!(min::f64s::path_grad(x, x), (x, (0.5, 0.5)));
        assert_eq!(max::f64s::method_grad(x, x), (x, (0.5, 0.5)));
        assert_eq!(max::f64s::path_grad(x, x), (x, (0.5, 0.5)));
        let x = x as f32;
        assert_eq!(min::f32s::method_grad(x, x), (x, (0.5, 0.5)));
        assert_eq!(max::f32s::path_grad(x, x), (x, (0.5, 0.5)));
    }
    // Off the tie, the smaller (larger) one.
    assert_eq!(min::f64s::method_grad(1.0, 2.0), (1.0, (1.0, 0.0)));
    assert_eq!(min::f64s::method_grad(3.0, 2.0), (2.0, (0.0, 1.0)));
    assert_eq!(max::f64s::method_grad(1.0, 2.0), (2.0, (0.0, 1.0)));
    assert_eq!(max::f64s::method_grad(3.0, 2.0), (3.0, (1.0, 0.0)));
}

#[test]
fn clamp_sends_the_adjoint_to_the_value_at_the_bounds() {
    // y = x.clamp(lo, hi): x gets the adjoint for lo <= x <= hi (bounds
    // included, as PyTorch), lo below, hi above.
    let (lo, hi) = (-1.0, 2.0);
    assert_eq!(clamp::f64s::method_grad(lo, lo, hi), (lo, (1.0, 0.0, 0.0)));
    assert_eq!(clamp::f64s::method_grad(hi, lo, hi), (hi, (1.0, 0.0, 0.0)));
    assert_eq!(
        clamp::f64s::method_grad(-3.0, lo, hi),
        (lo, (0.0, 1.0, 0.0))
    );
    assert_eq!(clamp::f64s::method_grad(3.0, lo, hi), (hi, (0.0, 0.0, 1.0)));
    assert_eq!(clamp::f64s::path_grad(0.5, lo, hi), (0.5, (1.0, 0.0, 0.0)));
    assert_eq!(
        clamp::f32s::method_grad(-1.0, -1.0, 2.0),
        (-1.0, (1.0, 0.0, 0.0))
    );
    assert_eq!(
        clamp::f32s::path_grad(2.0, -1.0, 2.0),
        (2.0, (1.0, 0.0, 0.0))
    );
    assert_eq!(
        clamp::f32s::path_grad(9.0, -1.0, 2.0),
        (2.0, (0.0, 0.0, 1.0))
    );
    // A degenerate interval: x is both bounds and keeps the adjoint.
    assert_eq!(
        clamp::f64s::method_grad(1.0, 1.0, 1.0),
        (1.0, (1.0, 0.0, 0.0))
    );
}

#[test]
fn relu_written_with_max_has_derivative_zero_below_and_half_at_zero() {
    // x.max(0.0): a tie at 0 splits the adjoint, so d/dx = 1/2 there, as
    // PyTorch's maximum(x, 0); its relu (and the prelude's) uses 0 at 0.
    assert_eq!(with_constants::f64s::relu_grad(0.0), (0.0, 0.5));
    assert_eq!(with_constants::f64s::relu_grad(-1.0), (0.0, 0.0));
    assert_eq!(with_constants::f64s::relu_grad(2.0), (2.0, 1.0));
    assert_eq!(with_constants::f32s::relu_grad(-1.0), (0.0, 0.0));
}

#[test]
fn powers_at_zero() {
    // x^0 = 1 for every x: dy/dx = 0 even at x = 0 (no 0 * 0^-1 = NaN).
    assert_eq!(powi::method64_grad(0.0, 0), (1.0, 0.0));
    assert_eq!(powi::path32_grad(0.0, 0), (1.0, 0.0));
    assert_eq!(powf::f64s::method_grad(0.0, 0.0), (1.0, (0.0, 0.0)));
    // x^2 at 0: dy/dx = 2 * 0 = 0, and dy/de = y ln x is 0 where y = 0 (PyTorch).
    assert_eq!(powi::method64_grad(0.0, 2), (0.0, 0.0));
    assert_eq!(powf::f64s::path_grad(0.0, 2.0), (0.0, (0.0, 0.0)));
    assert_eq!(powf::f32s::method_grad(0.0, 2.0), (0.0, (0.0, 0.0)));
}

#[test]
fn hypot_at_the_origin_has_gradient_zero() {
    // a / z and b / z are 0/0 at the origin; the runtime's rule gives 0, not NaN.
    assert_eq!(hypot::f64s::method_grad(0.0, 0.0), (0.0, (0.0, 0.0)));
    assert_eq!(hypot::f32s::path_grad(0.0, 0.0), (0.0, (0.0, 0.0)));
}

// ----- regressions ---------------------------------------------------------

/// `v` is a constant here (only `x` is differentiated), and so is `v *= 2.0 + 1.0`.
#[differentiable(wrt(x))]
fn compound_on_a_constant(x: f64, c: f64) -> f64 {
    let mut v = c;
    v *= 2.0 + 1.0;
    v -= 0.5 * 2.0;
    x * v
}

#[test]
fn compound_assignment_of_a_constant_keeps_its_right_side_whole() {
    // v = (c * (2 + 1)) - (0.5 * 2) = 3c - 1;  y = x v;  dy/dx = v
    let (y, d_x) = compound_on_a_constant_grad(2.0, 5.0);
    assert_eq!(y, compound_on_a_constant(2.0, 5.0));
    assert_eq!((y, d_x), (28.0, 14.0));
}
