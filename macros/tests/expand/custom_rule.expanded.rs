//! A function with a derivative rule of the user's own: the body is not
//! differentiated; the rule gives the adjoints.
fn erf(x: f64) -> f64 {
    libm::erf(x)
}
#[doc(hidden)]
#[allow(non_camel_case_types, dead_code)]
struct erf {}
#[allow(dead_code, clippy::too_many_arguments)]
impl erf {
    ///The composition entry point of [`erf`](erf): its value, and the adjoints of its arguments from the rule `erf_rule`.
    #[inline]
    pub fn reverse<K: ::gradgen::__private::Keep<f64>>(
        x: f64,
        d_value: f64,
        d_x: ::gradgen::__private::Slot<'_, f64>,
    ) -> K {
        let value = erf(x);
        let grads = erf_rule(x, &value, d_value);
        d_x.put_with(move || grads);
        K::keep(move || value)
    }
}
/** The value of [`erf`](erf) and its pullback with respect to `x`.

 Returns `(erf(x), pullback)`. The derivative is the rule [`erf_rule`], given with `#[differentiable(rule = erf_rule)]`: it takes the arguments, the value and the adjoint of the value, and returns the adjoints of `x`.*/
#[allow(
    dead_code,
    clippy::type_complexity,
    clippy::double_must_use,
    clippy::needless_arbitrary_self_type
)]
#[must_use]
fn erf_vjp(x: f64) -> (f64, impl ::core::ops::FnOnce(f64) -> f64 + use<>) {
    let value = erf(x);
    (
        value,
        move |d_value| {
            let mut d_x = ::gradgen::__private::empty_tangent(&x);
            let ::gradgen::__private::Dropped = erf::reverse(
                x,
                d_value,
                ::gradgen::__private::slot(&mut d_x),
            );
            ::gradgen::__private::complete_tangent(&x, &mut d_x);
            d_x
        },
    )
}
/** The value of [`erf`](erf) and its gradient with respect to `x`.

 Returns `(erf(x), gradient)`. The derivative is the rule [`erf_rule`], given with `#[differentiable(rule = erf_rule)]`: it takes the arguments, the value and the adjoint of the value, and returns the adjoints of `x`.*/
#[allow(dead_code, clippy::type_complexity)]
fn erf_grad(x: f64) -> (f64, f64) {
    let mut d_x = ::gradgen::__private::empty_tangent(&x);
    let ::gradgen::__private::Kept(value) = erf::reverse(
        x,
        ::gradgen::__private::one(),
        ::gradgen::__private::slot(&mut d_x),
    );
    ::gradgen::__private::complete_tangent(&x, &mut d_x);
    (value, d_x)
}
