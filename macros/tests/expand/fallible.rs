//! A function that returns its value in an `Option`: `?` after `mean()`,
//! `None` where it stops; the derivative returns `Option<(value, gradient)>`
//! and stops where the function stops.

#[differentiable(wrt(x))]
fn mean_square(x: &Array1<f64>, limit: f64) -> Option<f64> {
    if x.len() > 100 {
        return None;
    }
    let m = (x * x).mean()?;
    if m > limit { None } else { Some(m.sqrt()) }
}
