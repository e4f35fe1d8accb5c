//! Seeded random programs (written by `build.rs`, see `generator/`),
//! compiled with `#[differentiable]`: every partial derivative of every
//! program agrees with forward-mode dual numbers (num-dual) to 1e-9.
//!
//! The programs hold straight-line code over every rule, calls of generated
//! helpers, and control flow: `if` / `else if` / `else` (nested directly in
//! each other), `for`, `while` on a counter and `loop` left by a `break` in
//! an `if`, all carrying floats from pass to pass; `break` and `continue` in
//! (nested) `if`s in loops; `return` from nested branches and from loops,
//! nested ones too; `match` on an integer (`0`, `1 | 2`, `q if q > 2`, `_`)
//! as a statement and as an expression; and `let mut` integers and floats
//! that constant code changes in branches and loops. Most programs and
//! helpers return an `Option<f64>`: `return None;` from branches and loops,
//! (and pairs, `let mut p4 = (.., ..);`, are assigned whole in branches and
//! loops, carried and merged element by element),
//! `return Some(..)`, and `?` on calls of helpers that return one; where a
//! run stops early, `_grad` and the dual twin must stop too. A test counts
//! the programs that show each construct, so none fades away unnoticed.
//!
//! Constant code in these programs changes `let mut` values anywhere:
//! in nested branches, after jumps, in loops in loops (four macro bugs this
//! generator found there are fixed, with their cases in
//! `tests/regressions.rs` of the main crate).

use gradgen_random_programs::{Program, Run, layout};
use num_dual::Dual64;

/// The generated programs, with what random code writes that a person
/// would not (`v - v`, `v += v + w`, `let v = v;`, a literal near a named
/// constant, `if a { if b { .. } }`, a `match` of one arm and `_`, two
/// arms that both `break`, `c.min(v).max(c)`), and adapters that push one
/// argument's gradient at a time.
#[allow(
    clippy::almost_swapped,
    clippy::approx_constant,
    clippy::collapsible_if,
    clippy::collapsible_match,
    clippy::eq_op,
    clippy::erasing_op,
    clippy::identity_op,
    clippy::if_same_then_else,
    clippy::let_and_return,
    clippy::manual_clamp,
    clippy::min_max,
    clippy::misrefactored_assign_op,
    clippy::needless_range_loop,
    clippy::neg_multiply,
    clippy::redundant_locals,
    clippy::single_match,
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

/// The value and every partial derivative of a program's dual twin, or
/// `None` where it stops early.
fn forward_mode(program: &Program, v: &[f64], k: usize) -> Option<(f64, Vec<f64>)> {
    let mut value = f64::NAN;
    let mut partials = Vec::with_capacity(v.len());
    for i in 0..v.len() {
        let inputs: Vec<Dual64> = v
            .iter()
            .enumerate()
            .map(|(j, &x)| Dual64::new(x, if i == j { 1.0 } else { 0.0 }))
            .collect();
        let y = (program.dual)(&inputs, k)?;
        value = y.re;
        partials.push(y.eps);
    }
    Some((value, partials))
}

/// What a run of a program did.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// The value and every partial derivative agree.
    Agreed,
    /// The function, its `_grad` and the dual twin all stopped early.
    Stopped,
}

fn check(program: &Program, v: &[f64], k: usize) -> Result<Outcome, String> {
    let Run {
        value,
        grad_value,
        grads,
    } = (program.run)(v, k);
    let dual = forward_mode(program, v, k);
    let (value, (dual_value, partials)) = match (value, dual) {
        (None, None) if grad_value.is_none() => return Ok(Outcome::Stopped),
        (Some(value), Some(dual)) => (value, dual),
        (value, dual) => {
            return Err(format!(
                "the function returned {value:?}, its `_grad` {grad_value:?}, num-dual {:?}",
                dual.map(|(v, _)| v)
            ));
        }
    };
    if !value.is_finite() || partials.iter().any(|d| !d.is_finite()) {
        return Err(format!("not finite: value {value}, partials {partials:?}"));
    }
    if grad_value != Some(value) {
        return Err(format!(
            "_grad's value {grad_value:?} is not the function's {value:e}"
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
    Ok(Outcome::Agreed)
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

/// What a line that ends in `{` opens, in a program's source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Opened {
    For,
    While,
    Loop,
    /// An arm of `if`, `else if` or `else`.
    If,
    Match,
    /// An arm of a `match` statement.
    Arm,
    /// The function, a block `let v = {`.
    Other,
}

impl Opened {
    /// What `line`, which ends in `{`, opens (`} else {` an arm of an `if`).
    fn of(line: &str) -> Opened {
        let line = line.trim_start_matches("} ");
        if line.starts_with("for ") {
            Opened::For
        } else if line.starts_with("while ") {
            Opened::While
        } else if line.starts_with("loop ") {
            Opened::Loop
        } else if line.starts_with("if ") || line.starts_with("else ") {
            Opened::If
        } else if line.starts_with("match ") || line.contains("= match ") {
            Opened::Match
        } else if line.contains("=> {") {
            Opened::Arm
        } else {
            Opened::Other
        }
    }

    fn is_loop(self) -> bool {
        matches!(self, Opened::For | Opened::While | Opened::Loop)
    }

    fn is_branch(self) -> bool {
        matches!(self, Opened::If | Opened::Arm)
    }
}

/// A line of a program's source, trimmed, and the blocks around it.
struct Line<'a> {
    text: &'a str,
    /// Outermost first.
    around: Vec<Opened>,
}

impl Line<'_> {
    /// The innermost loop around the line, and what lies between the two.
    fn innermost_loop(&self) -> Option<(Opened, &[Opened])> {
        let i = self.around.iter().rposition(|o| o.is_loop())?;
        Some((self.around[i], &self.around[i + 1..]))
    }

    fn loops(&self) -> usize {
        self.around.iter().filter(|o| o.is_loop()).count()
    }

    fn branches(&self) -> usize {
        self.around.iter().filter(|o| o.is_branch()).count()
    }

    /// Whether the line is `break;` or `continue;` (`jump`) in an `if`
    /// (in `ifs` nested ones, at least) inside a loop that `kind` accepts.
    fn jumps_in_ifs(&self, jump: &str, ifs: usize, kind: fn(Opened) -> bool) -> bool {
        self.text == jump
            && self.innermost_loop().is_some_and(|(outer, between)| {
                kind(outer) && between.iter().filter(|&&o| o == Opened::If).count() >= ifs
            })
    }
}

/// The lines of a program's source with the blocks around each.
fn lines(source: &str) -> Vec<Line<'_>> {
    let mut around = Vec::new();
    let mut out = Vec::new();
    for text in source.lines().map(str::trim) {
        if text.starts_with('}') {
            around.pop();
        }
        out.push(Line {
            text,
            around: around.clone(),
        });
        if text.ends_with('{') {
            around.push(Opened::of(text));
        }
    }
    out
}

/// Whether an expression reads nothing but constants (literals, named
/// constants, integers) and `name` itself: no argument, no other local.
fn constant_code(expr: &str, name: &str) -> bool {
    expr.split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|word| !word.is_empty() && *word != name)
        .all(|word| {
            let numbered = |prefix: &str| {
                word.strip_prefix(prefix)
                    .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()))
            };
            !["p", "x", "y", "a", "s"].contains(&word)
                && !["v", "t", "u", "helper_"].into_iter().any(numbered)
        })
}

/// Whether a `let mut` of constant code, an integer or (`integer` false) a
/// float, is updated by constant code on a line that `place` accepts.
fn constant_updated_in(source: &str, integer: bool, place: fn(&Line) -> bool) -> bool {
    let lines = lines(source);
    lines.iter().any(|decl| {
        let Some((name, value)) = decl
            .text
            .strip_prefix("let mut ")
            .and_then(|rest| rest.strip_suffix(';'))
            .and_then(|rest| rest.split_once(" = "))
        else {
            return false;
        };
        let name = name.trim_end_matches(": f64");
        let is_integer = !value.contains('.') && value.parse::<u32>().is_ok();
        is_integer == integer
            && constant_code(value, name)
            && lines.iter().any(|update| {
                let in_flow = place(update);
                let value = ["+=", "-=", "*=", "/=", "="].iter().find_map(|op| {
                    update
                        .text
                        .strip_prefix(&format!("{name} {op} "))
                        .and_then(|v| v.strip_suffix(';'))
                });
                in_flow && value.is_some_and(|v| constant_code(v, name))
            })
    })
}

/// Whether a `match` arm binds a name under a guard (`q3 if q3 > 1 =>`)
/// that the program reads.
fn guarded_binding(source: &str) -> bool {
    source.lines().any(|line| {
        let Some((pattern, _)) = line.trim().split_once(" => ") else {
            return false;
        };
        let Some((name, guard)) = pattern.split_once(" if ") else {
            return false;
        };
        guard.starts_with(&format!("{name} > ")) && source.matches(name).count() >= 3
    })
}

/// Whether some line of `source` passes `test`.
fn any_line(source: &str, test: impl Fn(&Line) -> bool) -> bool {
    lines(source).iter().any(test)
}

fn in_branch(line: &Line) -> bool {
    line.branches() > 0
}

fn in_loop(line: &Line) -> bool {
    line.loops() > 0
}

fn for_or_while(o: Opened) -> bool {
    matches!(o, Opened::For | Opened::While)
}

/// A construct of control flow, and a test of a program's source for it.
type Construct = (&'static str, fn(&str) -> bool);

/// The constructs of control flow the generator must keep drawing.
const CONSTRUCTS: &[Construct] = &[
    ("while loops carrying floats", |s| {
        any_line(s, |l| {
            l.around.contains(&Opened::While) && l.text.starts_with('v') && l.text.contains("= ")
        })
    }),
    ("loops left by a break in an if", |s| {
        any_line(s, |l| l.jumps_in_ifs("break;", 1, |o| o == Opened::Loop))
    }),
    ("breaks in an if in a for or while", |s| {
        any_line(s, |l| l.jumps_in_ifs("break;", 1, for_or_while))
    }),
    ("continues in an if in a for or while", |s| {
        any_line(s, |l| l.jumps_in_ifs("continue;", 1, for_or_while))
    }),
    ("breaks or continues in nested ifs in a loop", |s| {
        any_line(s, |l| {
            l.jumps_in_ifs("break;", 2, Opened::is_loop)
                || l.jumps_in_ifs("continue;", 2, Opened::is_loop)
        })
    }),
    ("returns in nested branches", |s| {
        any_line(s, |l| l.text.starts_with("return ") && l.branches() >= 2)
    }),
    ("returns in a loop", |s| {
        any_line(s, |l| l.text.starts_with("return ") && l.loops() >= 1)
    }),
    ("returns in a loop in a loop", |s| {
        any_line(s, |l| l.text.starts_with("return ") && l.loops() >= 2)
    }),
    ("match expressions", |s| s.contains(" = match ")),
    ("match statements", |s| {
        any_line(s, |l| l.text.starts_with("match "))
    }),
    ("match arms with or-patterns", |s| {
        any_line(s, |l| {
            l.around.last() == Some(&Opened::Match)
                && l.text
                    .split_once(" => ")
                    .is_some_and(|(p, _)| p.contains(" | "))
        })
    }),
    ("match arms binding a name under a guard", guarded_binding),
    ("ifs directly in an if arm", |s| {
        any_line(s, |l| {
            l.text.starts_with("if ") && l.around.last() == Some(&Opened::If)
        })
    }),
    ("integer let muts counted up in a branch", |s| {
        constant_updated_in(s, true, in_branch)
    }),
    ("integer let muts counted up in a loop", |s| {
        constant_updated_in(s, true, in_loop)
    }),
    ("float let muts updated by constant code in a branch", |s| {
        constant_updated_in(s, false, in_branch)
    }),
    ("float let muts updated by constant code in a loop", |s| {
        constant_updated_in(s, false, in_loop)
    }),
    ("returns of None in a branch", |s| {
        any_line(s, |l| l.text == "return None;" && l.branches() >= 1)
    }),
    ("returns of None in a loop", |s| {
        any_line(s, |l| l.text == "return None;" && l.loops() >= 1)
    }),
    ("returns of Some(..) or None in a loop", |s| {
        any_line(s, |l| {
            (l.text.starts_with("return Some(") || l.text == "return None;") && l.loops() >= 1
        })
    }),
    ("? on calls of helpers that return an Option", |s| {
        s.contains(")?")
    }),
    ("pairs carried through a loop", |s| {
        any_line(s, |l| pair_assigned(l.text) && l.loops() >= 1)
    }),
    ("pairs assigned in a branch", |s| {
        any_line(s, |l| pair_assigned(l.text) && l.branches() >= 1)
    }),
];

/// Whether a line assigns a pair flow target: `p4 = (.., ..);`.
fn pair_assigned(line: &str) -> bool {
    line.split_once(" = (").is_some_and(|(name, _)| {
        name.strip_prefix('p')
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    })
}

/// How many programs must show each construct, so none fades away
/// unnoticed when the weights or the generator change.
const MIN_PROGRAMS_PER_CONSTRUCT: usize = 20;

#[test]
fn every_construct_of_control_flow_is_in_enough_programs() {
    let mut rare = Vec::new();
    for (construct, shows) in CONSTRUCTS {
        let n = PROGRAMS.iter().filter(|p| shows(p.source)).count();
        println!("{n} programs with {construct}");
        if n < MIN_PROGRAMS_PER_CONSTRUCT {
            rare.push(format!("{construct} ({n})"));
        }
    }
    assert!(
        rare.is_empty(),
        "fewer than {MIN_PROGRAMS_PER_CONSTRUCT} programs with {rare:?}"
    );
}

#[test]
fn the_coverage_scanner_reads_blocks() {
    let source = "fn f() {\n    for j in 0..3 {\n        if x > 0.0 {\n            if y > 0.0 {\n                break;\n            }\n        }\n        loop {\n            return x;\n        }\n    }\n}";
    let lines = lines(source);
    let find = |text: &str| lines.iter().find(|l| l.text == text).expect("a line");
    let jump = find("break;");
    assert_eq!(
        jump.around,
        [Opened::Other, Opened::For, Opened::If, Opened::If]
    );
    assert!(jump.jumps_in_ifs("break;", 2, |o| o == Opened::For));
    assert!(!jump.jumps_in_ifs("break;", 3, |o| o == Opened::For));
    assert!(!jump.jumps_in_ifs("break;", 1, |o| o == Opened::While));
    assert_eq!(find("return x;").loops(), 2);
    assert!(constant_code("0.5 * (j as f64) + SCALE", "v3"));
    assert!(constant_code("v3.sin() * k as f64", "v3"));
    assert!(!constant_code("v3 + x", "v3"));
    assert!(!constant_code("v4 * 2.0", "v3"));
    let counted = "fn f() {\n    let mut m2 = 0;\n    if x > 0.0 {\n        m2 += 1;\n    }\n}";
    assert!(constant_updated_in(counted, true, in_branch));
    assert!(!constant_updated_in(counted, true, in_loop));
    assert!(!constant_updated_in(counted, false, in_branch));
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
    let mut stopped = 0;
    for program in PROGRAMS {
        for point in 0..POINTS {
            let v: Vec<f64> = (0..layout::LEN).map(|_| rng.uniform(-1.0, 1.0)).collect();
            let k = point % 3;
            match check(program, &v, k) {
                Ok(Outcome::Agreed) => checked += program.active,
                Ok(Outcome::Stopped) => stopped += 1,
                Err(e) => failures.push(format!(
                    "{} at k = {k}, inputs {v:?}: {e}\n{}",
                    program.name, program.source
                )),
            }
        }
    }
    println!("{stopped} runs stopped early, {checked} partial derivatives checked");
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
    // Programs that return an `Option` stop early at some points, not at all.
    assert!(
        (20..PROGRAMS.len() * POINTS / 4).contains(&stopped),
        "{stopped} runs stopped early"
    );
}
