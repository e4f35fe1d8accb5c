/// `continue`, `break` and a `return` from inside a loop.
#[differentiable]
fn newton_sqrt(a: f64) -> f64 {
    let mut x = a;
    for k in 0..100 {
        if k % 2 == 1 {
            continue;
        }
        let next = 0.5 * (x + a / x);
        if (next - x).abs() < 1e-12 {
            return next;
        }
        x = next;
        if x > 1e6 {
            break;
        }
    }
    x
}
