//! The macros of gradgen: `#[differentiable]` and `#[derive(Parameters)]`.
//!
//! Use them through the `gradgen` crate, which re-exports them with the
//! runtime that the generated code calls.
//!
//! `#[differentiable]` is a small compiler, one file per stage:
//! `parse` (signature, body, options), `fence` (the supported language),
//! `lower` (a flat single-assignment form), `analyse` (activity, use
//! counts), `emit` (forward sweep, reverse sweep, wrappers, docs), with the
//! derivative rules in one table, `rules`.

mod analyse;
mod diag;
mod docs;
mod emit;
mod expand;
mod fallible;
mod fence;
mod ir;
mod jumps;
mod lower;
mod naming;
mod parameters;
mod parse;
mod rules;

use proc_macro::TokenStream;

/// Derives `gradgen::Parameters` (and `gradgen::Differentiable`, with the
/// struct as its own gradient type) for a struct whose fields are
/// parameters: scalars, fixed arrays, `Vec`s, arrays and nested structs.
///
/// Mark a field that is not a parameter (a size, a name) with
/// `#[parameters(skip)]`: it is cloned into zeros and never visited.
#[proc_macro_derive(Parameters, attributes(parameters))]
pub fn derive_parameters(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    parameters::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Generates the derivative of a function at compile time.
///
/// On `fn NAME(args) -> R` this keeps the function as written and adds
/// `NAME_grad` (the value and the gradient, for a scalar result) and
/// `NAME_vjp` (the value and a pullback), differentiating with respect to
/// the arguments listed in `wrt(...)`, or by default every argument that is
/// not an integer, `bool`, `char` or text.
///
/// A function may return its value in an `Option` or a `Result`
/// (`Option<f64>`, `Result<f64, E>`, an alias such as `io::Result<f64>`):
/// its body may then stop early with `?` (`x.mean()?`), `None` or
/// `Err(..)`, and `NAME_grad` returns `Option<(value, gradient)>` (or
/// `Result<(value, gradient), E>`), `None` where the function returns
/// `None`; `NAME_vjp` likewise. The derivative stops where the function
/// stops: nothing after that point runs. Its callers unwrap its calls in
/// place, `f(x)?` or `f(x).unwrap()`. The function is recognised by the
/// last segment of its return type's path (`Option`, `Result`), since the
/// macro sees no types: an alias of another name is not.
///
/// `?` goes after a method with a rule that returns an `Option` or a
/// `Result` (`x.mean()?`), after `concatenate(..)` and `stack(..)`, after a
/// call of such a `#[differentiable]` function, and after code without
/// derivative; between the call and the `?` may stand `.ok()`,
/// `.ok_or(e)`, `.ok_or_else(f)` and `.map_err(f)` (with `f` a function's
/// path: closures are not supported in a body). The backward pass of a
/// call runs the callee again on the same arguments (as for every call),
/// so it must compute the same value from them; if it stops the second
/// time, that is a panic that says so.
///
/// ```
/// use gradgen::ndarray::{Array1, array};
/// use gradgen::prelude::*;
///
/// #[differentiable(wrt(pred))]
/// fn mse(pred: &Array1<f64>, target: &Array1<f64>) -> Option<f64> {
///     let e = pred - target;
///     (&e * &e).mean()
/// }
///
/// let (pred, target) = (array![1.0, 2.0], array![0.0, 0.0]);
/// let (loss, d) = mse_grad(&pred, &target).unwrap();
/// assert_eq!((loss, d), (2.5, array![1.0, 2.0]));
/// let empty = Array1::zeros(0);
/// assert!(mse_grad(&empty, &empty).is_none());
/// ```
///
/// # What a body may contain
///
/// - `let` (with shadowing, `let mut`, `=`, `+=`, `-=`, `*=`, `/=`), blocks,
///   tuples, literals, constants, `as` casts of constants, a final expression
///   or `return`;
/// - `if` / `else if` / `else` on any condition, `if let` on a value
///   without derivative, and `match` on a value
///   without derivative (an integer, an enum, a `bool`, a tuple of those,
///   matched as a copy, so of a `Clone` type, or a reference: `match &o`;
///   patterns may bind names, guards may test anything and run once), as
///   statements (assigning variables) and as expressions (of values or
///   tuples): the arm taken is differentiated (it keeps what its backward
///   pass reads, which runs on it);
/// - `for` over constants (`for k in 0..w.len()`) or over the elements of an
///   argument (`for layer in &p.layers`), `while cond` and `loop`, with
///   values carried from one iteration to the next (scalars, arrays, tuples
///   of them, element by element): the forward pass keeps
///   on a stack what each iteration's backward pass reads, the backward pass
///   pops it, last iteration first;
/// - `?`, `None` and `Err(..)` in a function that returns an `Option` or a
///   `Result` (see above);
/// - `break` and `continue` (of the innermost loop, without a label or a
///   value), and `return` from anywhere: inside branches, `match` arms and
///   loops (a value returned from inside a loop starts, before the loop, as
///   the result type's `Default`);
/// - `+ - * /` and unary `-`, on scalars and on arrays (with broadcasting);
/// - methods with a derivative rule, in method form (`x.sin()`) or path form
///   (`f64::sin(x)`): `sin cos tan asin acos atan atan2 sinh cosh tanh asinh
///   acosh atanh exp exp2 exp_m1 ln log log2 log10 ln_1p sqrt cbrt powi powf
///   recip abs signum hypot min max clamp mul_add`; on arrays also `dot`,
///   `t`, `sum`, `mean()`, `sum_axis`, `mean_axis(..)`, `insert_axis`,
///   `to_shape(..)`, `into_shape_with_order(..)` (the four that return an
///   `Option` or a `Result` unwrapped in place: `.unwrap()`, `.expect(..)`,
///   `?`, `.ok_or(e)?`),
///   `slice`, `row`, `column`, `select`, `view`, `to_owned`, `clone`,
///   `into_owned`, and `mapv` with a function that has a rule;
/// - ndarray's `concatenate(axis, &[..])` and `stack(axis, &[..])`, unwrapped in place;
/// - calls of other `#[differentiable]` functions and of the prelude's
///   (`relu`, `sigmoid`, `softmax`, `softmax_cross_entropy`, ...), and of
///   `#[differentiable]` methods (`self.hidden.forward(&x)`): on a method,
///   `&self` differentiates like any argument and its gradient is a `Self`;
/// - reads of fields and elements of arguments (`p.beta[0]`, `w[k]`; an
///   index other than a literal or a name is computed once), also
///   as `*w.get(k)?`, `w.first().copied().unwrap()`, `w.last()` (of
///   arguments and of containers built in the body), unwrapped in place;
/// - containers built in the body (`let mut v = vec![0.0; n];`,
///   `Vec::new()`, `Array2::zeros(..)`, `vec![a, b]` and `[a, b]` of any
///   values): writes `v[i] = e`, `v[i] += e`
///   (any compound operator), `a[[i, j]] = e`, `v.push(e)`, and reads `v[i]`,
///   with `e` active: each written element's adjoint goes to `e`, and what `=`
///   overwrote gets none. (Inside a loop, the container is one of the values
///   kept per iteration, so filling a long one in a loop costs a copy per
///   iteration.)
/// - `println!`, `assert!` and their kin (`print`, `eprintln`, `assert_eq`,
///   `debug_assert`, ...) as statements, reading any value: they run in the
///   forward pass, once;
/// - anything without a derivative: comparisons, integer arithmetic, shape
///   queries, `no_grad(x)`.
///
/// Anything else is a compile error at the offending code that says what to
/// write instead.
///
/// # Trait methods
///
/// `#[differentiable]` goes on methods of inherent `impl` blocks. In an
/// `impl Trait for Type` block it cannot work: the derivative's entry point
/// and `NAME_grad` / `NAME_vjp` are methods beside the function, and a trait
/// impl may hold only the trait's own items, so rustc reports "method
/// `__reverse_NAME` is not a member of trait". Write the method in an
/// inherent impl and let the trait method call it; differentiable bodies
/// then call the inherent method (`layer.forward(&h)`; inherent methods come
/// first in method resolution). Default methods of a trait, and calls
/// through `dyn Trait` or a generic `T: Trait`, cannot be differentiated:
/// which body runs is known only once types are.
///
/// ```
/// use gradgen::prelude::*;
///
/// trait Model {
///     fn predict(&self, x: f64) -> f64;
/// }
///
/// #[derive(Parameters, Clone)]
/// struct Line {
///     w: f64,
///     b: f64,
/// }
///
/// impl Line {
///     #[differentiable]
///     fn predict(&self, x: f64) -> f64 {
///         self.w * x + self.b
///     }
/// }
///
/// impl Model for Line {
///     fn predict(&self, x: f64) -> f64 {
///         Line::predict(self, x)
///     }
/// }
///
/// let line = Line { w: 2.0, b: 1.0 };
/// let (y, (d_line, d_x)) = line.predict_grad(3.0);
/// assert_eq!((y, d_line.w, d_line.b, d_x), (7.0, 3.0, 1.0, 2.0));
/// assert_eq!(Model::predict(&line, 3.0), 7.0);
/// ```
///
/// # Errors that come from rustc
///
/// Most mistakes are reported by the macro at the offending code. A few are
/// found only once types are known, and rustc words them:
///
/// - calling a function that is not `#[differentiable]` (and has no rule)
///   with a value that has a derivative: rustc reports that it cannot find
///   `NAME::reverse` (a module or crate `NAME`) at the call, or, for a
///   method, that there is no method `__reverse_NAME`. Put
///   `#[differentiable]` (or `#[differentiable(rule = ..)]`) on the function,
///   or hold the argument constant with `no_grad(...)`;
/// - passing a value with a derivative where the called function keeps none
///   (it is not in the callee's `wrt(...)`): "this argument carries a
///   gradient, but the called function has no gradient slot for it";
/// - an argument whose type has no gradient: "`T` is not a differentiable
///   value" — derive `Parameters` for it, or leave it out with `wrt(...)`;
/// - `NAME_grad` of a function whose result is not a scalar: "`T` is not a
///   scalar, so it has no gradient" — use `NAME_vjp`.
///
/// # A derivative rule of your own
///
/// `#[differentiable(rule = my_rule)]` keeps the body as it is (it may hold
/// anything: loops, calls into another crate) and takes the derivative from
/// `my_rule(args.., &value, d_value)`, which returns the adjoints of the
/// `wrt` arguments, shaped as `NAME_grad` returns them (like JAX's
/// `custom_vjp`). Other differentiable functions then call it like any
/// other: `d erf(x)/dx = 2/sqrt(pi) exp(-x^2)` below.
///
/// ```
/// use gradgen::prelude::*;
///
/// #[differentiable(rule = erf_rule)]
/// fn erf(x: f64) -> f64 {
///     // A series the macro does not need to see into.
///     let (mut sum, mut term) = (0.0, x);
///     for n in 0..40 {
///         sum += term / (2 * n + 1) as f64;
///         term *= -x * x / (n + 1) as f64;
///     }
///     2.0 / std::f64::consts::PI.sqrt() * sum
/// }
///
/// fn erf_rule(x: f64, _value: &f64, d: f64) -> f64 {
///     d * 2.0 / std::f64::consts::PI.sqrt() * (-x * x).exp()
/// }
///
/// #[differentiable]
/// fn uses_erf(x: f64) -> f64 {
///     erf(2.0 * x)
/// }
///
/// let (_, d) = uses_erf_grad(0.5);
/// assert!((d - 4.0 / std::f64::consts::PI.sqrt() * (-1.0_f64).exp()).abs() < 1e-12);
/// ```
///
/// ```
/// use gradgen::prelude::*;
///
/// #[differentiable]
/// fn loss(w: f64, x: f64, y: f64) -> f64 {
///     (w * x - y).powi(2)
/// }
///
/// let (l, (dw, dx, dy)) = loss_grad(2.0, 3.0, 1.0);
/// assert_eq!((l, dw, dx, dy), (25.0, 30.0, 20.0, -10.0));
/// ```
#[proc_macro_attribute]
pub fn differentiable(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::differentiable(args.into(), item.into()).into()
}

#[cfg(test)]
mod tests;
