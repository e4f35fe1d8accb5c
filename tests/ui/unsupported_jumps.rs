use gradgen::prelude::*;

#[differentiable]
fn labelled(w: f64) -> f64 {
    let mut y = w;
    'outer: for _ in 0..3 {
        for _ in 0..3 {
            y *= 2.0;
            if y > 10.0 {
                break 'outer;
            }
        }
    }
    y
}

#[differentiable]
fn break_value(w: f64) -> f64 {
    let mut y = w;
    let steps = loop {
        y *= 2.0;
        if y > 10.0 {
            break 3;
        }
    };
    y * steps as f64
}

#[differentiable]
fn jump_in_let(w: f64) -> f64 {
    let mut y = w;
    for k in 0..4 {
        let scale = if k == 2 { continue } else { w * 2.0 };
        y = y * scale;
    }
    y
}

fn main() {}
