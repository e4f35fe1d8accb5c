/// A `match` whose patterns bind names: they are constants.
#[differentiable(wrt(x))]
fn scaled(x: f64, scale: Option<i32>) -> f64 {
    match scale {
        Some(n) if n > 1 => x.powi(n),
        Some(_) => x.sin(),
        None => x,
    }
}
