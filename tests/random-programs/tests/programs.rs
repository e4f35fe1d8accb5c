//! Seeded random programs (written by `build.rs`, see `generator/`),
//! compiled with `#[differentiable]`: every partial derivative of every
//! program agrees with forward-mode dual numbers (num-dual) to 1e-9.

use gradgen_random_programs::{Program, Run, layout};
use num_dual::Dual64;

/// The generated programs, with what random code writes that a person
/// would not (`v - v`, `v += v + w`, `let v = v;`, a literal near a named
/// constant), and adapters that push one argument's gradient at a time.
#[allow(
    clippy::approx_constant,
    clippy::eq_op,
    clippy::erasing_op,
    clippy::identity_op,
    clippy::let_and_return,
    clippy::manual_clamp,
    clippy::misrefactored_assign_op,
    clippy::needless_range_loop,
    clippy::neg_multiply,
    clippy::redundant_locals,
    clippy::unnecessary_min_or_max,
    clippy::vec_init_then_push
)]
mod generated {
    use gradgen::prelude::*;
    use gradgen_random_programs::dual as d;
    use gradgen_random_programs::{Params, ParamsD, Program, Run, layout, unpack, unpack_dual};
    use num_dual::Dual64;

    include!(concat!(env!("OUT_DIR"), "/programs.rs"));
}

use generated::PROGRAMS;

/// Points per program.
const POINTS: usize = 3;

/// A seeded generator (SplitMix64) for the inputs.
struct Rng(u64);

impl Rng {
    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        lo + (hi - lo) * ((z >> 11) as f64 / (1u64 << 53) as f64)
    }
}

/// `|actual - expected| <= 1e-9 * max(1, |expected|)`.
fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() <= 1e-9 * expected.abs().max(1.0)
}

/// The value and every partial derivative of a program's dual twin.
fn forward_mode(program: &Program, v: &[f64], k: usize) -> (f64, Vec<f64>) {
    let mut value = f64::NAN;
    let partials = (0..v.len())
        .map(|i| {
            let inputs: Vec<Dual64> = v
                .iter()
                .enumerate()
                .map(|(j, &x)| Dual64::new(x, if i == j { 1.0 } else { 0.0 }))
                .collect();
            let y = (program.dual)(&inputs, k);
            value = y.re;
            y.eps
        })
        .collect();
    (value, partials)
}

fn check(program: &Program, v: &[f64], k: usize) -> Result<(), String> {
    let Run {
        value,
        grad_value,
        grads,
    } = (program.run)(v, k);
    let (dual_value, partials) = forward_mode(program, v, k);
    if !value.is_finite() || partials.iter().any(|d| !d.is_finite()) {
        return Err(format!("not finite: value {value}, partials {partials:?}"));
    }
    if grad_value != value {
        return Err(format!(
            "_grad's value {grad_value:e} is not the function's {value:e}"
        ));
    }
    if !close(value, dual_value) {
        return Err(format!("value {value:e}, num-dual {dual_value:e}"));
    }
    if grads.len() != program.active {
        return Err(format!(
            "{} partial derivatives, expected {}",
            grads.len(),
            program.active
        ));
    }
    for &(i, g) in &grads {
        if !close(g, partials[i]) {
            return Err(format!(
                "d/d(input {i}) = {g:e}, num-dual {:e}",
                partials[i]
            ));
        }
    }
    Ok(())
}

#[test]
fn there_are_enough_programs_of_enough_operations() {
    assert!(PROGRAMS.len() >= 300, "{} programs", PROGRAMS.len());
    for program in PROGRAMS {
        assert!(
            program.ops >= 20,
            "{} has {} operations",
            program.name,
            program.ops
        );
    }
    let total: usize = PROGRAMS.iter().map(|p| p.ops).sum();
    println!("{} programs, {total} operations", PROGRAMS.len());
    // Control flow and calls: how many programs have each form.
    let count = |f: &dyn Fn(&str) -> bool| PROGRAMS.iter().filter(|p| f(p.source)).count();
    let forms = [
        ("branches", count(&|s| s.contains("    if "))),
        ("if expressions", count(&|s| s.contains("= if "))),
        ("else if", count(&|s| s.contains("else if "))),
        ("else", count(&|s| s.contains("} else {"))),
        ("loops", count(&|s| s.contains("for j in 0.."))),
        ("nested loops", count(&|s| s.contains("for i in 0.."))),
        (
            "branches in loops",
            count(&|s| {
                s.lines()
                    .any(|l| l.starts_with("            if ") || l.starts_with("        if "))
                    && s.contains("for j in")
            }),
        ),
        ("calls", count(&|s| s.contains("helper_"))),
    ];
    for (form, n) in forms {
        println!("{n} programs with {form}");
        assert!(n >= 30, "only {n} programs with {form}");
    }
}

#[test]
fn the_programs_use_every_primitive() {
    let sources: String = PROGRAMS.iter().map(|p| p.source).collect();
    let rules = [
        "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh", "asinh",
        "acosh", "atanh", "exp", "exp2", "exp_m1", "ln", "log", "log2", "log10", "ln_1p", "sqrt",
        "cbrt", "powi", "powf", "recip", "abs", "signum", "hypot", "min", "max", "clamp",
        "mul_add",
    ];
    for rule in rules {
        assert!(
            sources.contains(&format!(".{rule}(")),
            "no program calls `x.{rule}(..)`"
        );
        assert!(
            sources.contains(&format!("f64::{rule}(")),
            "no program calls `f64::{rule}(..)`"
        );
    }
    let syntax = [
        " + ",
        " - ",
        " * ",
        " / ",
        "= -",
        "+= ",
        "-= ",
        "*= ",
        "/= ",
        "let mut ",
        "let (",
        ".0",
        ".1",
        "= {",
        "no_grad(",
        "std::f64::consts::",
        "SCALE",
        "k as f64",
        "p.inner.c[",
        "p.v[",
        "[k]",
        ": f64 = ",
        "return ",
        "wrt(",
    ];
    for piece in syntax {
        assert!(sources.contains(piece), "no program contains `{piece}`");
    }
    // Shadowing: some name is bound twice in one program.
    let shadows = PROGRAMS.iter().any(|p| {
        let lets: Vec<&str> = p
            .source
            .lines()
            .filter_map(|l| l.trim().strip_prefix("let v"))
            .collect();
        let names: Vec<&str> = lets
            .iter()
            .filter_map(|l| l.split([' ', ':']).next())
            .collect();
        (0..names.len()).any(|i| names[i + 1..].contains(&names[i]))
    });
    assert!(shadows, "no program shadows a name");
}

#[test]
fn every_gradient_agrees_with_forward_mode() {
    let mut rng = Rng(0x5eed);
    let mut failures = Vec::new();
    let mut checked = 0;
    for program in PROGRAMS {
        for point in 0..POINTS {
            let v: Vec<f64> = (0..layout::LEN).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let k = point % 3;
            if let Err(e) = check(program, &v, k) {
                failures.push(format!(
                    "{} at k = {k}, inputs {v:?}: {e}\n{}",
                    program.name, program.source
                ));
            }
            checked += program.active;
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} runs failed:\n{}",
        failures.len(),
        PROGRAMS.len() * POINTS,
        failures.join("\n")
    );
    assert!(
        checked >= PROGRAMS.len() * POINTS,
        "{checked} partial derivatives checked"
    );
}
