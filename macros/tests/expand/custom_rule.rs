//! A function with a derivative rule of the user's own: the body is not
//! differentiated; the rule gives the adjoints.

#[differentiable(rule = erf_rule)]
fn erf(x: f64) -> f64 {
    libm::erf(x)
}
