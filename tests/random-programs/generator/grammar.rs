//! The grammar of random programs: what a program is made of, and a seeded
//! generator that builds one production at a time.
//!
//! A program is a list of statements ([`Stmt`]) over expressions ([`Expr`]),
//! ending in a final expression (or `return`): `let`s, assignments, tuples
//! and blocks here, and in `flow.rs` the statements that hold others:
//! branches (`if` chains, nested in each other; `match` on an integer, as a
//! statement or an expression), loops (`for`, `while` on a counter, `loop`
//! left by a `break`) carrying floats from pass to pass, jumps (`break`,
//! `continue`, `return` from inside branches and loops) and integers that
//! branches and loops count up. Every expression carries the interval its
//! value lies in ([`Range`]), computed as it is built, so the generator
//! keeps every value in the domain of what consumes it: an input of `ln`
//! that might reach 0 is first mapped into `[0.5, 2.5]` with a squashing
//! function, and so on. No program computes a NaN or an infinity.
//!
//! Growing the grammar means adding a variant to [`Stmt`] or [`Expr`], a
//! weight to [`Weights`], a case to the generator (here or in `flow.rs`)
//! and to both dialects of `render.rs`, and a count of the programs that
//! show it to `tests/programs.rs`; the range bookkeeping already says what
//! a branch or loop body may assume about its inputs. Where the macro
//! mistakes a form, the generator steers around it, naming the bug (listed
//! in `tests/programs.rs`).

#[path = "flow.rs"]
mod flow;

use flow::Jump;
use std::f64::consts::PI;

/// A seeded generator (SplitMix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// Uniform in `[lo, hi)`.
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform(0.0, 1.0) < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// An index drawn with the given weights.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut r = self.below(total as usize) as u32;
        for (i, &w) in weights.iter().enumerate() {
            if r < w {
                return i;
            }
            r -= w;
        }
        weights.len() - 1
    }
}

/// A closed interval that holds a value.
#[derive(Clone, Copy, Debug)]
pub struct Range {
    pub lo: f64,
    pub hi: f64,
}

impl Range {
    pub const fn new(lo: f64, hi: f64) -> Self {
        Range { lo, hi }
    }

    pub fn point(x: f64) -> Self {
        Range { lo: x, hi: x }
    }

    pub fn within(self, lo: f64, hi: f64) -> bool {
        self.lo >= lo && self.hi <= hi
    }

    fn hull(values: impl IntoIterator<Item = f64>) -> Self {
        let mut r = Range {
            lo: f64::INFINITY,
            hi: f64::NEG_INFINITY,
        };
        for v in values {
            r.lo = r.lo.min(v);
            r.hi = r.hi.max(v);
        }
        r
    }

    /// Wider by a margin, for ranges found by sampling.
    fn widened(self) -> Self {
        let m = 0.02 * (self.hi - self.lo) + 1e-9;
        Range {
            lo: self.lo - m,
            hi: self.hi + m,
        }
    }

    /// `n` points spread over the interval, ends and 0 included.
    fn samples(self, n: usize) -> Vec<f64> {
        let mut out: Vec<f64> = (0..n)
            .map(|i| self.lo + (self.hi - self.lo) * i as f64 / (n - 1) as f64)
            .collect();
        if self.lo < 0.0 && self.hi > 0.0 {
            out.push(0.0);
        }
        out
    }
}

/// An arithmetic operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
}

impl BinOp {
    pub fn token(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }

    fn range(self, a: Range, b: Range) -> Range {
        match self {
            BinOp::Add => Range::new(a.lo + b.lo, a.hi + b.hi),
            BinOp::Sub => Range::new(a.lo - b.hi, a.hi - b.lo),
            BinOp::Mul => Range::hull([a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi]),
            BinOp::Div => Range::hull([a.lo / b.lo, a.lo / b.hi, a.hi / b.lo, a.hi / b.hi]),
        }
    }
}

/// Where an input of a rule must lie.
#[derive(Clone, Copy, Debug)]
pub enum Domain {
    /// Anywhere within `[-CAP, CAP]`.
    Any,
    /// Within `[lo, hi]`.
    Within(f64, f64),
}

/// The largest magnitude a value may reach before it is squashed.
pub const CAP: f64 = 12.0;

/// A float method with a derivative rule: its name and the domains of its
/// inputs (receiver first).
pub struct Method {
    pub name: &'static str,
    pub domains: &'static [Domain],
}

use Domain::{Any, Within};

/// Every rule of the macro's table, with the domain the generator keeps its
/// inputs in (away from poles and branch points, and small enough that the
/// result stays moderate).
pub const METHODS: &[Method] = &[
    Method {
        name: "sin",
        domains: &[Any],
    },
    Method {
        name: "cos",
        domains: &[Any],
    },
    Method {
        name: "tan",
        domains: &[Within(-1.2, 1.2)],
    },
    Method {
        name: "asin",
        domains: &[Within(-0.9, 0.9)],
    },
    Method {
        name: "acos",
        domains: &[Within(-0.9, 0.9)],
    },
    Method {
        name: "atan",
        domains: &[Any],
    },
    Method {
        name: "atan2",
        domains: &[Any, Within(0.3, CAP)],
    },
    Method {
        name: "sinh",
        domains: &[Within(-2.5, 2.5)],
    },
    Method {
        name: "cosh",
        domains: &[Within(-2.5, 2.5)],
    },
    Method {
        name: "tanh",
        domains: &[Any],
    },
    Method {
        name: "asinh",
        domains: &[Any],
    },
    Method {
        name: "acosh",
        domains: &[Within(1.2, CAP)],
    },
    Method {
        name: "atanh",
        domains: &[Within(-0.9, 0.9)],
    },
    Method {
        name: "exp",
        domains: &[Within(-2.5, 2.5)],
    },
    Method {
        name: "exp2",
        domains: &[Within(-3.0, 3.0)],
    },
    Method {
        name: "exp_m1",
        domains: &[Within(-2.5, 2.5)],
    },
    Method {
        name: "ln",
        domains: &[Within(0.3, CAP)],
    },
    Method {
        name: "log",
        domains: &[Within(0.3, CAP), Within(1.5, 5.0)],
    },
    Method {
        name: "log2",
        domains: &[Within(0.3, CAP)],
    },
    Method {
        name: "log10",
        domains: &[Within(0.3, CAP)],
    },
    Method {
        name: "ln_1p",
        domains: &[Within(-0.7, CAP)],
    },
    Method {
        name: "sqrt",
        domains: &[Within(0.3, CAP)],
    },
    Method {
        name: "cbrt",
        domains: &[Within(0.3, CAP)],
    },
    Method {
        name: "powf",
        domains: &[Within(0.3, 4.0), Within(-2.0, 2.0)],
    },
    Method {
        name: "recip",
        domains: &[Within(0.3, CAP)],
    },
    Method {
        name: "abs",
        domains: &[Any],
    },
    Method {
        name: "signum",
        domains: &[Any],
    },
    Method {
        name: "hypot",
        domains: &[Any, Within(0.3, CAP)],
    },
    Method {
        name: "min",
        domains: &[Any, Any],
    },
    Method {
        name: "max",
        domains: &[Any, Any],
    },
    Method {
        name: "clamp",
        domains: &[Any, Within(-2.0, -0.2), Within(0.2, 2.0)],
    },
    Method {
        name: "mul_add",
        domains: &[Any, Any, Any],
    },
];

/// `powi`: its integer exponent is not an expression, so it is apart.
pub const POWI_EXPONENTS: &[i32] = &[-2, -1, 0, 1, 2, 3];

/// The value of a method at a point (for ranges).
fn apply(name: &str, a: &[f64]) -> f64 {
    match name {
        "sin" => a[0].sin(),
        "cos" => a[0].cos(),
        "tan" => a[0].tan(),
        "asin" => a[0].asin(),
        "acos" => a[0].acos(),
        "atan" => a[0].atan(),
        "atan2" => a[0].atan2(a[1]),
        "sinh" => a[0].sinh(),
        "cosh" => a[0].cosh(),
        "tanh" => a[0].tanh(),
        "asinh" => a[0].asinh(),
        "acosh" => a[0].acosh(),
        "atanh" => a[0].atanh(),
        "exp" => a[0].exp(),
        "exp2" => a[0].exp2(),
        "exp_m1" => a[0].exp_m1(),
        "ln" => a[0].ln(),
        "log" => a[0].log(a[1]),
        "log2" => a[0].log2(),
        "log10" => a[0].log10(),
        "ln_1p" => a[0].ln_1p(),
        "sqrt" => a[0].sqrt(),
        "cbrt" => a[0].cbrt(),
        "powf" => a[0].powf(a[1]),
        "recip" => a[0].recip(),
        "abs" => a[0].abs(),
        "signum" => a[0].signum(),
        "hypot" => a[0].hypot(a[1]),
        "min" => a[0].min(a[1]),
        "max" => a[0].max(a[1]),
        "clamp" => a[0].clamp(a[1], a[2]),
        "mul_add" => a[0].mul_add(a[1], a[2]),
        other => panic!("no method {other}"),
    }
}

/// The range of a method's result, by sampling its inputs' ranges (every
/// method here is monotone between the sampled points, or bounded).
fn method_range(name: &str, args: &[Range]) -> Range {
    let n = match args.len() {
        1 => 65,
        2 => 17,
        _ => 7,
    };
    let grids: Vec<Vec<f64>> = args.iter().map(|r| r.samples(n)).collect();
    let mut values = Vec::new();
    let mut index = vec![0; grids.len()];
    loop {
        let point: Vec<f64> = index.iter().zip(&grids).map(|(&i, g)| g[i]).collect();
        values.push(apply(name, &point));
        let mut d = 0;
        loop {
            if d == index.len() {
                let r = Range::hull(values).widened();
                return match name {
                    "sin" | "cos" => Range::new(r.lo.max(-1.0), r.hi.min(1.0)),
                    _ => r,
                };
            }
            index[d] += 1;
            if index[d] < grids[d].len() {
                break;
            }
            index[d] = 0;
            d += 1;
        }
    }
}

/// An input a program reads.
#[derive(Clone, Debug)]
pub enum Input {
    /// `x` or `y`.
    Scalar(&'static str),
    /// `p.w[i]`, `p.v[i]`, `a[i]`, `s[i]`, `p.inner.c[i]`: an element at a constant index.
    Element(&'static str, usize),
    /// `p.w[k]`, `p.v[k]`, `a[k]`, `s[k]`: an element at the integer argument `k`.
    AtK(&'static str),
    /// `p.b`, `p.inner.d`.
    Field(&'static str),
    /// `p.w[j]`, `a[c3]`: an element at an integer in scope (a loop's
    /// variable, a counter) whose values are all indices of the array.
    AtInt(&'static str, String),
}

impl Input {
    /// The argument it reads.
    fn arg(&self) -> &'static str {
        match self {
            Input::Scalar(name) => name,
            Input::Field(_) => "p",
            Input::Element(array, _) | Input::AtK(array) | Input::AtInt(array, _) => match *array {
                "a" => "a",
                "s" => "s",
                _ => "p",
            },
        }
    }
}

/// The names of loop variables, by nesting depth.
pub const LOOP_VARS: &[&str] = &["j", "i", "l"];

/// A branch's or a `while` loop's condition.
#[derive(Clone, Debug)]
pub enum Cond {
    /// `lhs < rhs` or `lhs > rhs`, on floats.
    Compare { lhs: Expr, less: bool, rhs: Expr },
    /// A test of an integer in scope: `j == 1`, `c3 < 4`, `m2 % 2 == 1`.
    Int {
        name: String,
        op: IntOp,
        value: usize,
    },
    /// `a && b`.
    And(Box<Cond>, Box<Cond>),
}

/// How a [`Cond::Int`] tests its integer against its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntOp {
    Less,
    Greater,
    AtLeast,
    Equal,
    NotEqual,
    /// `name % 2 == 1` (the value is not read).
    Odd,
}

/// The pattern of a `match` arm, over an integer.
#[derive(Clone, Debug)]
pub enum Pattern {
    /// `0`, or `1 | 2`.
    Values(Vec<usize>),
    /// `q3 if q3 > 2`: binds a name the arm reads, under a guard.
    Guarded { name: String, above: usize },
    /// `q3`: binds a name for every value left (the last arm).
    Bind(String),
    /// `_` (the last arm).
    Wild,
}

/// A generated helper function that later functions call: `name(u0, ..)`,
/// each argument in `[-1, 1]`, its value in `range`.
#[derive(Clone, Debug)]
pub struct Helper {
    pub name: String,
    pub arity: usize,
    pub range: Range,
    /// It returns an `Option<f64>`, and its callers unwrap it with `?`.
    pub fallible: bool,
}

/// A named constant.
#[derive(Clone, Debug)]
pub enum Constant {
    /// A path: `std::f64::consts::PI`, or the programs' own `const SCALE`.
    Path(&'static str),
    /// `k as f64`, `j as f64`, `m2 as f64`: an integer in scope (the
    /// argument `k`, a loop's variable, a counter, a tally, a match binding).
    Cast(String),
}

/// An expression.
#[derive(Clone, Debug)]
pub enum Expr {
    /// A local of the program.
    Local(String),
    /// An element of a tuple local: `t.0`.
    TupleField(String, usize),
    Input(Input),
    Literal(f64),
    Constant(Constant),
    /// `no_grad(e)`.
    NoGrad(Box<Expr>),
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// A method with a rule, `receiver.name(args)` or `f64::name(receiver, args)`.
    Method {
        name: &'static str,
        path_form: bool,
        args: Vec<Expr>,
    },
    /// `e.powi(n)`, in either form.
    Powi {
        base: Box<Expr>,
        n: i32,
        path_form: bool,
    },
    /// A call of a generated helper, `helper_3(e1, e2)`, or
    /// `helper_3(e1, e2)?` for one that returns an `Option`.
    Call {
        name: String,
        args: Vec<Expr>,
        question: bool,
    },
}

impl Expr {
    /// Operators and method calls in the expression.
    pub fn ops(&self) -> usize {
        match self {
            Expr::Local(_)
            | Expr::TupleField(..)
            | Expr::Input(_)
            | Expr::Literal(_)
            | Expr::Constant(_) => 0,
            Expr::NoGrad(e) => e.ops(),
            Expr::Neg(e) => 1 + e.ops(),
            Expr::Binary(_, a, b) => 1 + a.ops() + b.ops(),
            Expr::Method { args, .. } => 1 + args.iter().map(Expr::ops).sum::<usize>(),
            Expr::Powi { base, .. } => 1 + base.ops(),
            Expr::Call { args, .. } => 1 + args.iter().map(Expr::ops).sum::<usize>(),
        }
    }

    /// Whether the expression is a literal.
    pub fn is_literal(&self) -> bool {
        matches!(self, Expr::Literal(_))
    }

    /// Whether Rust knows the expression is an `f64` without looking at
    /// where it goes: not so for literals alone (`(1.5 * 2.0).sin()` does
    /// not compile), so such an expression is no method's receiver and a
    /// `let` of it carries its type.
    pub fn typed(&self) -> bool {
        match self {
            Expr::Literal(_) => false,
            Expr::Local(_) | Expr::TupleField(..) | Expr::Input(_) | Expr::Constant(_) => true,
            Expr::NoGrad(e) | Expr::Neg(e) => e.typed(),
            Expr::Binary(_, a, b) => a.typed() || b.typed(),
            Expr::Method {
                path_form, args, ..
            } => *path_form || args[0].typed(),
            Expr::Powi {
                base, path_form, ..
            } => *path_form || base.typed(),
            Expr::Call { .. } => true,
        }
    }
}

/// A compound assignment's operator.
pub type CompoundOp = BinOp;

/// A statement.
#[derive(Clone, Debug)]
pub enum Stmt {
    /// `let [mut] name = e;` (a new name, or shadowing an old one).
    Let {
        name: String,
        mutable: bool,
        value: Expr,
    },
    /// `name = e;` where `e` reads `name`.
    Assign { name: String, value: Expr },
    /// `name op= e;`.
    Compound {
        name: String,
        op: CompoundOp,
        value: Expr,
    },
    /// `let (a, b) = (e1, e2);`.
    LetTuple {
        names: [String; 2],
        values: [Expr; 2],
    },
    /// `let [mut] t = (e1, e2);`, read later as `t.0`, `t.1`.
    LetPair {
        name: String,
        mutable: bool,
        values: [Expr; 2],
    },
    /// `t = (e1, e2);` of a `let mut` pair, where `e1` and `e2` read it.
    AssignPair { name: String, values: [Expr; 2] },
    /// `let name = { let inner = e; tail };` where `tail` reads `inner`.
    Block {
        name: String,
        inner: String,
        value: Expr,
        tail: Expr,
    },
    /// `if c { .. } else if c2 { .. } else { .. }`, assigning outer variables.
    If {
        arms: Vec<(Cond, Vec<Stmt>)>,
        otherwise: Option<Vec<Stmt>>,
    },
    /// `let name = if c { e1 } else if c2 { e2 } else { e3 };`.
    LetIf {
        name: String,
        arms: Vec<(Cond, Expr)>,
        otherwise: Expr,
    },
    /// `for j in 0..n { .. }`, carrying outer variables between iterations.
    For {
        var: &'static str,
        n: usize,
        body: Vec<Stmt>,
    },
    /// `let mut name = 0;`: an integer, a loop's counter or a tally.
    LetInt { name: String },
    /// `name += step;` on an integer.
    IntAdd { name: String, step: usize },
    /// `while c { .. }`, its condition on a counter the body counts up.
    While { cond: Cond, body: Vec<Stmt> },
    /// `loop { .. }`, left by a `break` in an `if` on a counter.
    Loop { body: Vec<Stmt> },
    /// `break;`, the last statement of an arm.
    Break,
    /// `continue;`, the last statement of an arm.
    Continue,
    /// `return e;`, the only statement of an arm: `return Some(e);` in
    /// a function that returns an `Option` (`some`).
    Return { value: Expr, some: bool },
    /// `return None;`, the only statement of an arm.
    ReturnNone,
    /// `match on { 0 => { .. } 1 | 2 => { .. } _ => {} }` on an integer,
    /// assigning outer variables.
    Match {
        on: String,
        arms: Vec<(Pattern, Vec<Stmt>)>,
    },
    /// `let name = match on { 0 => e1, q if q > 2 => e2, _ => e3 };`.
    LetMatch {
        name: String,
        on: String,
        arms: Vec<(Pattern, Expr)>,
    },
}

impl Cond {
    fn ops(&self) -> usize {
        match self {
            Cond::Compare { lhs, rhs, .. } => lhs.ops() + rhs.ops(),
            Cond::Int { .. } => 0,
            Cond::And(a, b) => a.ops() + b.ops(),
        }
    }
}

fn ops_of(list: &[Stmt]) -> usize {
    list.iter().map(Stmt::ops).sum()
}

impl Stmt {
    /// Operators and method calls in the statement (a loop's body once).
    pub fn ops(&self) -> usize {
        match self {
            Stmt::Let { value, .. } | Stmt::Assign { value, .. } | Stmt::Return { value, .. } => {
                value.ops()
            }
            Stmt::Compound { value, .. } => 1 + value.ops(),
            Stmt::LetTuple { values, .. }
            | Stmt::LetPair { values, .. }
            | Stmt::AssignPair { values, .. } => values[0].ops() + values[1].ops(),
            Stmt::Block { value, tail, .. } => value.ops() + tail.ops(),
            Stmt::If { arms, otherwise } => {
                arms.iter().map(|(c, b)| c.ops() + ops_of(b)).sum::<usize>()
                    + otherwise.as_deref().map_or(0, ops_of)
            }
            Stmt::LetIf {
                arms, otherwise, ..
            } => arms.iter().map(|(c, e)| c.ops() + e.ops()).sum::<usize>() + otherwise.ops(),
            Stmt::For { body, .. } | Stmt::Loop { body } => ops_of(body),
            Stmt::While { cond, body } => cond.ops() + ops_of(body),
            Stmt::Match { arms, .. } => arms.iter().map(|(_, b)| ops_of(b)).sum(),
            Stmt::LetMatch { arms, .. } => arms.iter().map(|(_, e)| e.ops()).sum(),
            Stmt::LetInt { .. }
            | Stmt::IntAdd { .. }
            | Stmt::Break
            | Stmt::Continue
            | Stmt::ReturnNone => 0,
        }
    }

    /// The statement lists the statement holds (arms, bodies).
    fn blocks(&self) -> Vec<&[Stmt]> {
        match self {
            Stmt::If { arms, otherwise } => arms
                .iter()
                .map(|(_, b)| &b[..])
                .chain(otherwise.as_deref())
                .collect(),
            Stmt::For { body, .. } | Stmt::While { body, .. } | Stmt::Loop { body } => {
                vec![&body[..]]
            }
            Stmt::Match { arms, .. } => arms.iter().map(|(_, b)| &b[..]).collect(),
            _ => Vec::new(),
        }
    }

    /// The outer names (floats and integers) the statement assigns to.
    fn assigned(&self, out: &mut Vec<String>) {
        match self {
            Stmt::Assign { name, .. }
            | Stmt::Compound { name, .. }
            | Stmt::IntAdd { name, .. }
            | Stmt::AssignPair { name, .. } => out.push(name.clone()),
            _ => {
                for s in self.blocks().into_iter().flatten() {
                    s.assigned(out);
                }
            }
        }
    }
}

/// How often each production is drawn.
pub struct Weights {
    pub stmt_let: u32,
    pub stmt_shadow: u32,
    pub stmt_let_mut: u32,
    pub stmt_compound: u32,
    pub stmt_assign: u32,
    pub stmt_tuple: u32,
    pub stmt_pair: u32,
    pub stmt_block: u32,
    pub stmt_if: u32,
    pub stmt_let_if: u32,
    pub stmt_for: u32,
    pub stmt_while: u32,
    pub stmt_loop: u32,
    pub stmt_match: u32,
    pub stmt_let_match: u32,
    pub stmt_return_if: u32,
    pub stmt_tally: u32,
    /// Inside a branch, a loop's body or a match arm.
    pub block_let: u32,
    pub block_update: u32,
    pub block_if: u32,
    pub block_for: u32,
    pub block_while: u32,
    pub block_loop: u32,
    pub block_jump: u32,
    pub block_match: u32,
    pub block_tally: u32,
    /// Which jump an `if` in a block ends with, where each is possible.
    pub jump_break: u32,
    pub jump_continue: u32,
    pub jump_return: u32,
    pub expr_leaf: u32,
    pub expr_binary: u32,
    pub expr_neg: u32,
    pub expr_method: u32,
    pub expr_powi: u32,
    pub expr_no_grad: u32,
    pub expr_call: u32,
}

pub const WEIGHTS: Weights = Weights {
    stmt_let: 40,
    stmt_shadow: 10,
    stmt_let_mut: 10,
    stmt_compound: 15,
    stmt_assign: 6,
    stmt_tuple: 8,
    stmt_pair: 5,
    stmt_block: 6,
    stmt_if: 10,
    stmt_let_if: 6,
    stmt_for: 8,
    stmt_while: 5,
    stmt_loop: 4,
    stmt_match: 5,
    stmt_let_match: 7,
    stmt_return_if: 4,
    stmt_tally: 8,
    block_let: 20,
    block_update: 35,
    block_if: 12,
    block_for: 5,
    block_while: 3,
    block_loop: 3,
    block_jump: 14,
    block_match: 6,
    block_tally: 12,
    jump_break: 5,
    jump_continue: 5,
    jump_return: 3,
    expr_leaf: 30,
    expr_binary: 34,
    expr_neg: 4,
    expr_method: 40,
    expr_powi: 5,
    expr_no_grad: 2,
    expr_call: 6,
};

/// The arguments of a program, and which of them it differentiates.
#[derive(Clone, Debug)]
pub struct Signature {
    /// `None`: every argument but `k` (the default); `Some`: a `wrt(...)` list.
    pub wrt: Option<Vec<&'static str>>,
}

/// The differentiable arguments, in order.
pub const ARGS: &[&str] = &["p", "x", "y", "a", "s"];

/// A program.
#[derive(Clone, Debug)]
pub struct Program {
    pub name: String,
    pub signature: Signature,
    pub body: Vec<Stmt>,
    pub result: Expr,
    /// `return e;` rather than a final expression.
    pub explicit_return: bool,
    /// It returns an `Option<f64>`: `Some(result)`, and `None` from arms.
    pub fallible: bool,
    /// A helper's number of arguments (`u0`, ..); `None` for a program.
    pub arity: Option<usize>,
}

impl Program {
    pub fn ops(&self) -> usize {
        self.body.iter().map(Stmt::ops).sum::<usize>() + self.result.ops()
    }

    /// About how many statements the macro lowers the body into.
    pub fn lowered_size(&self) -> usize {
        lowered_size(&self.body, 1)
    }
}

/// About how many statements the macro lowers `list` into, when a
/// continuation of `tail` statements follows it. A statement that may jump
/// out takes the rest of its block into each of its arms (see the macro's
/// `jumps.rs`), so jumps in a row multiply the code: the generator keeps
/// programs whose lowering would take long to compile out of the suite.
fn lowered_size(list: &[Stmt], tail: usize) -> usize {
    let Some((first, rest)) = list.split_first() else {
        return tail;
    };
    match first {
        Stmt::Break | Stmt::Continue | Stmt::Return { .. } | Stmt::ReturnNone => 1,
        _ if first.jumps_out(false) => first.lowered_with(lowered_size(rest, tail)),
        _ => first.lowered_with(0) + lowered_size(rest, tail),
    }
}

impl Stmt {
    /// Whether a jump in the statement leaves it: a `return`, or a `break`
    /// or `continue` not inside a loop of its own (`in_loop`).
    fn jumps_out(&self, in_loop: bool) -> bool {
        match self {
            Stmt::Break | Stmt::Continue => !in_loop,
            Stmt::Return { .. } | Stmt::ReturnNone => true,
            Stmt::For { body, .. } | Stmt::While { body, .. } | Stmt::Loop { body } => {
                body.iter().any(|s| s.jumps_out(true))
            }
            _ => self
                .blocks()
                .into_iter()
                .flatten()
                .any(|s| s.jumps_out(in_loop)),
        }
    }

    /// The size of the statement lowered with `cont` after each of its
    /// arms (after a loop that returns, once).
    fn lowered_with(&self, cont: usize) -> usize {
        match self {
            Stmt::If { arms, otherwise } => {
                let arms: usize = arms.iter().map(|(_, b)| lowered_size(b, cont)).sum();
                1 + arms + otherwise.as_deref().map_or(cont, |b| lowered_size(b, cont))
            }
            Stmt::Match { arms, .. } => {
                1 + arms
                    .iter()
                    .map(|(_, b)| lowered_size(b, cont))
                    .sum::<usize>()
            }
            Stmt::For { body, .. } | Stmt::While { body, .. } | Stmt::Loop { body } => {
                1 + lowered_size(body, 0) + cont
            }
            _ => 1 + cont,
        }
    }
}

/// A name in scope and what the generator knows of it.
#[derive(Clone, Debug)]
struct Local {
    name: String,
    /// The ranges of its value (two for a pair).
    ranges: Vec<Range>,
    /// `let mut`: may be assigned to.
    mutable: bool,
    /// Whether it was assigned to since `let mut` (else `mut` is needless).
    mutated: bool,
    /// Whether its current value has been read (else Rust warns).
    read: bool,
    /// Assigned by branches and loops (and only there), see
    /// [`Generator::flow_target`].
    flow: bool,
    /// For each of its values, whether it may be constant here (no active
    /// input reaches it on some path): see [`Generator::is_constant`].
    constants: Vec<bool>,
}

/// An integer in scope: the argument `k`, a loop's variable, a counter, a
/// tally or a match binding. Floats read it as `name as f64`.
#[derive(Clone, Debug)]
struct IntLocal {
    name: String,
    /// Every value it takes where it is read.
    lo: usize,
    hi: usize,
    /// Whether its current value has been read (else Rust warns).
    read: bool,
    /// A tally: `let mut m = 0;` that branches and loops count up; `hi` is
    /// then [`TALLY_MAX`] and `count` the most it can have counted so far.
    tally: bool,
    count: usize,
}

impl IntLocal {
    /// An integer in `lo..=hi` that must be read where it is bound.
    fn bound(name: &str, lo: usize, hi: usize) -> Self {
        IntLocal {
            name: name.to_string(),
            lo,
            hi,
            read: false,
            tally: false,
            count: 0,
        }
    }

    /// The range of `name as f64`.
    fn range(&self) -> Range {
        Range::new(self.lo as f64, self.hi as f64)
    }
}

/// The most a tally may count to: reads of a tally assume `0..=TALLY_MAX`,
/// and counting stops short of it (a read before an increment in a loop's
/// body sees the counts of earlier passes).
const TALLY_MAX: usize = 16;

/// A loop around the statement being built.
#[derive(Clone, Copy, Debug)]
struct LoopFrame {
    /// The most passes it makes.
    passes: usize,
    /// Whether `continue` may leave a pass: not in a `loop` whose exit test
    /// ends the pass (it would be skipped).
    continues: bool,
    /// The nesting depth of the statements of its body.
    body_nest: usize,
}

/// Builds one program.
pub struct Generator<'r> {
    rng: &'r mut Rng,
    locals: Vec<Local>,
    ints: Vec<IntLocal>,
    next_name: usize,
    body: Vec<Stmt>,
    /// A helper's number of arguments (its inputs are `u0`, ..), else `None`.
    arity: Option<usize>,
    /// The helpers it may call.
    helpers: Vec<Helper>,
    /// The loops around the statement being built, outermost first.
    loops: Vec<LoopFrame>,
    /// How many branches and loops enclose the statement being built.
    nest: usize,
    /// For each block around the one being built, whether a statement that
    /// jumps out of it comes before the statement being built.
    escaped: Vec<bool>,
    /// Inputs with a derivative (arguments in `wrt`).
    active: Vec<Input>,
    /// The ranges of the values returned early (`return e;` in an arm).
    returns: Vec<Range>,
    /// Draw constant code only: literals, constants, integers, constant locals.
    constant_only: bool,
    /// The arguments with a derivative: `p`, `x`, .. or `u0`, ..
    active_args: Vec<&'static str>,
    /// The function returns an `Option<f64>`.
    fallible: bool,
}

/// The range of every input (the test draws inputs from it).
pub const INPUT_RANGE: Range = Range::new(-1.0, 1.0);

/// How many flow targets are pairs.
const PAIR_TARGETS: f64 = 0.5;

/// How many helpers and programs return an `Option<f64>`.
const FALLIBLE_HELPERS: f64 = 0.6;
const FALLIBLE_PROGRAMS: f64 = 0.6;

/// The names of a helper's arguments.
const HELPER_ARGS: &[&str] = &["u0", "u1", "u2"];

/// The arrays a program indexes with an integer, and their lengths.
const INDEXED: &[(&str, usize)] = &[("w", 4), ("v", 3), ("a", 3), ("s", 4)];

/// The statements of a function's body.
#[derive(Clone, Copy)]
enum TopLevel {
    Let,
    Shadow,
    LetMut,
    Compound,
    Assign,
    Tuple,
    Pair,
    Block,
    If,
    LetIf,
    For,
    While,
    Loop,
    Match,
    LetMatch,
    ReturnIf,
    Tally,
}

impl<'r> Generator<'r> {
    /// A generator whose functions may call `helpers`.
    pub fn new(rng: &'r mut Rng, helpers: &[Helper]) -> Self {
        Generator {
            rng,
            locals: Vec::new(),
            ints: Vec::new(),
            next_name: 0,
            body: Vec::new(),
            arity: None,
            helpers: helpers.to_vec(),
            loops: Vec::new(),
            nest: 0,
            escaped: Vec::new(),
            active: vec![Input::Scalar("u0")],
            returns: Vec::new(),
            constant_only: false,
            active_args: HELPER_ARGS.to_vec(),
            fallible: false,
        }
    }

    /// Whether the function returns an `Option<f64>`, decided first: a
    /// function that does not may call only helpers that do not either.
    fn decide_fallible(&mut self, chance: f64) {
        self.fallible = self.rng.chance(chance);
        if !self.fallible {
            self.helpers.retain(|h| !h.fallible);
        }
    }

    /// A helper `name(u0, ..)` of `arity` arguments and at least `min_ops`
    /// operations, and what its callers need to know of it.
    pub fn helper(mut self, name: String, arity: usize, min_ops: usize) -> (Program, Helper) {
        self.arity = Some(arity);
        self.decide_fallible(FALLIBLE_HELPERS);
        let mut first = Expr::Input(Input::Scalar(HELPER_ARGS[0]));
        let mut range = INPUT_RANGE;
        for arg in &HELPER_ARGS[1..arity] {
            let op = *self.rng.pick(&[BinOp::Add, BinOp::Sub, BinOp::Mul]);
            range = op.range(range, INPUT_RANGE);
            first = Expr::Binary(
                op,
                Box::new(first),
                Box::new(Expr::Input(Input::Scalar(arg))),
            );
        }
        let (result, range) = self.body_and_result(first, range, min_ops);
        // What it returns early, it returns too.
        let range = Range::hull(
            self.returns
                .iter()
                .chain([&range])
                .flat_map(|r| [r.lo, r.hi]),
        );
        let helper = Helper {
            name: name.clone(),
            arity,
            range,
            fallible: self.fallible,
        };
        let program = Program {
            name,
            signature: Signature { wrt: None },
            body: self.body,
            result,
            explicit_return: self.rng.chance(0.25),
            fallible: self.fallible,
            arity: Some(arity),
        };
        (program, helper)
    }

    /// A program of at least `min_ops` operations.
    pub fn program(mut self, name: String, min_ops: usize) -> Program {
        self.decide_fallible(FALLIBLE_PROGRAMS);
        let signature = self.signature();
        self.active = ARGS
            .iter()
            .filter(|a| signature.wrt.as_ref().is_none_or(|w| w.contains(a)))
            .map(|a| match *a {
                "p" => Input::Field("b"),
                "x" => Input::Scalar("x"),
                "y" => Input::Scalar("y"),
                "a" => Input::Element("a", 1),
                _ => Input::Element("s", 2),
            })
            .collect();
        self.active_args = ARGS
            .iter()
            .copied()
            .filter(|a| signature.wrt.as_ref().is_none_or(|w| w.contains(a)))
            .collect();
        // The test passes `k` in `0..3`; it is read below, by `a[k]`.
        self.ints.push(IntLocal {
            read: true,
            ..IntLocal::bound("k", 0, 2)
        });
        // Every argument is read at least once, so none is unused.
        let reads = [
            Expr::Input(Input::Scalar("x")),
            Expr::Input(Input::Scalar("y")),
            Expr::Input(Input::AtK("a")),
            Expr::Input(Input::Element("s", self.rng.below(4))),
            Expr::Input(Input::AtK("w")),
        ];
        let mut first = Expr::Input(Input::Field("b"));
        let mut range = INPUT_RANGE;
        for read in reads {
            let op = *self.rng.pick(&[BinOp::Add, BinOp::Sub, BinOp::Mul]);
            let r = op.range(range, INPUT_RANGE);
            first = Expr::Binary(op, Box::new(first), Box::new(read));
            range = r;
        }
        let (result, _) = self.body_and_result(first, range, min_ops);
        Program {
            name,
            signature,
            body: self.body,
            result,
            explicit_return: self.rng.chance(0.25),
            fallible: self.fallible,
            arity: None,
        }
    }

    /// The body after a first `let` of `first`, and the final expression.
    fn body_and_result(&mut self, first: Expr, range: Range, min_ops: usize) -> (Expr, Range) {
        let first = self.fit(first, range, Any).0;
        let name0 = self.fresh();
        self.push_local(&name0, vec![range.clamp_to_cap()], false, vec![false]);
        self.body.push(Stmt::Let {
            name: name0,
            mutable: false,
            value: first,
        });

        let mut ops = self.body_ops();
        while ops < min_ops {
            self.statement();
            ops = self.body_ops();
        }
        // Every `let mut` is assigned to, and every value is read.
        for i in 0..self.locals.len() {
            if self.locals[i].mutable && !self.locals[i].mutated {
                let name = self.locals[i].name.clone();
                if self.locals[i].ranges.len() == 2 {
                    self.update_pair(&name, 1);
                    continue;
                }
                let (value, range) = self.expr(1, Any);
                self.compound(&name, BinOp::Add, value, range);
            }
        }
        self.count_idle_tallies();
        self.result()
    }

    fn body_ops(&self) -> usize {
        ops_of(&self.body)
    }

    fn signature(&mut self) -> Signature {
        if self.rng.chance(0.7) {
            return Signature { wrt: None };
        }
        let mut wrt: Vec<&'static str> = ARGS
            .iter()
            .copied()
            .filter(|_| self.rng.chance(0.5))
            .collect();
        if wrt.is_empty() {
            wrt.push(*self.rng.pick(ARGS));
        }
        Signature { wrt: Some(wrt) }
    }

    fn fresh(&mut self) -> String {
        self.fresh_with("v")
    }

    /// A name never used before in the function: `v3`, `c4`, `q5`.
    fn fresh_with(&mut self, prefix: &str) -> String {
        self.next_name += 1;
        format!("{prefix}{}", self.next_name)
    }

    fn push_local(&mut self, name: &str, ranges: Vec<Range>, mutable: bool, constants: Vec<bool>) {
        self.locals.retain(|l| l.name != name);
        self.locals.push(Local {
            name: name.to_string(),
            ranges,
            mutable,
            mutated: false,
            read: false,
            flow: false,
            constants,
        });
    }

    fn local_mut(&mut self, name: &str) -> &mut Local {
        self.locals
            .iter_mut()
            .find(|l| l.name == name)
            .expect("a local")
    }

    fn int_mut(&mut self, name: &str) -> &mut IntLocal {
        self.ints
            .iter_mut()
            .find(|l| l.name == name)
            .expect("an integer")
    }

    /// One of `choices`, drawn by weight.
    fn pick<T: Copy>(&mut self, choices: &[(u32, T)]) -> T {
        let weights: Vec<u32> = choices.iter().map(|c| c.0).collect();
        choices[self.rng.weighted(&weights)].1
    }

    /// A statement of the function's body (not inside a branch or loop).
    fn statement(&mut self) {
        let w = &WEIGHTS;
        // A match needs an integer to match on.
        let ints = if self.ints.is_empty() { 0 } else { 1 };
        let choice = self.pick(&[
            (w.stmt_let, TopLevel::Let),
            (w.stmt_shadow, TopLevel::Shadow),
            (w.stmt_let_mut, TopLevel::LetMut),
            (w.stmt_compound, TopLevel::Compound),
            (w.stmt_assign, TopLevel::Assign),
            (w.stmt_tuple, TopLevel::Tuple),
            (w.stmt_pair, TopLevel::Pair),
            (w.stmt_block, TopLevel::Block),
            (w.stmt_if, TopLevel::If),
            (w.stmt_let_if, TopLevel::LetIf),
            (w.stmt_for, TopLevel::For),
            (w.stmt_while, TopLevel::While),
            (w.stmt_loop, TopLevel::Loop),
            (ints * w.stmt_match, TopLevel::Match),
            (ints * w.stmt_let_match, TopLevel::LetMatch),
            (w.stmt_return_if, TopLevel::ReturnIf),
            (w.stmt_tally, TopLevel::Tally),
        ]);
        let depth = 1 + self.rng.below(3);
        match choice {
            TopLevel::Let => self.let_stmt(depth),
            TopLevel::Shadow => self.shadow_stmt(depth),
            TopLevel::LetMut => self.let_mut_stmt(depth),
            TopLevel::Compound | TopLevel::Assign => {
                self.update_straight(matches!(choice, TopLevel::Compound), depth)
            }
            TopLevel::Tuple => self.tuple_stmt(depth),
            TopLevel::Pair => self.pair_stmt(depth),
            TopLevel::Block => self.block_stmt(depth),
            TopLevel::LetIf => self.let_if(depth.min(2)),
            TopLevel::LetMatch => self.let_match(depth.min(2)),
            TopLevel::Tally => self.tally(),
            TopLevel::If
            | TopLevel::For
            | TopLevel::While
            | TopLevel::Loop
            | TopLevel::Match
            | TopLevel::ReturnIf => {
                // A branch or loop assigns to outer variables: maybe a new one.
                if !self.locals.iter().any(|l| l.flow) || self.rng.chance(0.4) {
                    self.flow_target();
                }
                match choice {
                    TopLevel::If => self.if_stmt(None),
                    TopLevel::For => self.for_stmt(),
                    TopLevel::While => self.while_stmt(),
                    TopLevel::Loop => self.loop_stmt(),
                    TopLevel::Match => self.match_stmt(),
                    _ => self.if_stmt(Some(Jump::Return)),
                }
            }
        }
    }

    /// `let v = e;`.
    fn let_stmt(&mut self, depth: usize) {
        let (value, range) = self.expr(depth, Any);
        let name = self.fresh();
        self.let_local(name, false, value, range);
    }

    /// `let name = e;` (or `let mut`), in scope from here.
    fn let_local(&mut self, name: String, mutable: bool, value: Expr, range: Range) {
        let constant = self.is_constant(&value);
        self.push_local(&name, vec![range], mutable, vec![constant]);
        self.body.push(Stmt::Let {
            name,
            mutable,
            value,
        });
    }

    /// Shadows a scalar local whose value was read (possibly reading it again).
    fn shadow_stmt(&mut self, depth: usize) {
        let candidates: Vec<String> = self
            .locals
            .iter()
            .filter(|l| l.read && l.ranges.len() == 1 && !l.mutable)
            .map(|l| l.name.clone())
            .collect();
        if candidates.is_empty() {
            return;
        }
        let name = self.rng.pick(&candidates).clone();
        let (value, range) = self.expr(depth, Any);
        self.let_local(name, false, value, range);
    }

    /// `let mut v = e;`, updated by later statements.
    fn let_mut_stmt(&mut self, depth: usize) {
        let (value, range) = self.expr(depth, Any);
        let name = self.fresh();
        self.let_local(name, true, value, range);
    }

    /// `v op= e;` or `v = f(v);` on a `let mut` outside branches and loops.
    fn update_straight(&mut self, compound: bool, depth: usize) {
        let candidates: Vec<String> = self
            .locals
            .iter()
            .filter(|l| l.mutable && !l.flow)
            .map(|l| l.name.clone())
            .collect();
        if candidates.is_empty() {
            return;
        }
        let name = self.rng.pick(&candidates).clone();
        self.update(&name, compound, depth);
    }

    /// `let (a, b) = (e1, e2);`.
    fn tuple_stmt(&mut self, depth: usize) {
        let (v0, r0) = self.typed_expr(depth);
        let (v1, r1) = self.typed_expr(depth);
        let names = [self.fresh(), self.fresh()];
        let (c0, c1) = (self.is_constant(&v0), self.is_constant(&v1));
        self.push_local(&names[0], vec![r0], false, vec![c0]);
        self.push_local(&names[1], vec![r1], false, vec![c1]);
        self.body.push(Stmt::LetTuple {
            names,
            values: [v0, v1],
        });
    }

    /// `let t = (e1, e2);`.
    fn pair_stmt(&mut self, depth: usize) {
        let (v0, r0) = self.typed_expr(depth);
        let (v1, r1) = self.typed_expr(depth);
        let name = self.fresh_with("t");
        let constants = vec![self.is_constant(&v0), self.is_constant(&v1)];
        self.push_local(&name, vec![r0, r1], false, constants);
        self.body.push(Stmt::LetPair {
            name,
            mutable: false,
            values: [v0, v1],
        });
    }

    /// `let v = { let u = e; tail };`.
    fn block_stmt(&mut self, depth: usize) {
        let (value, range) = self.expr(depth, Any);
        let inner = self.fresh_with("u");
        // The tail reads the block's own local, and maybe more.
        let (other, other_range) = self.expr(1, Any);
        let op = *self.rng.pick(&[BinOp::Add, BinOp::Sub, BinOp::Mul]);
        let tail_range = op.range(range, other_range);
        let tail = Expr::Binary(op, Box::new(Expr::Local(inner.clone())), Box::new(other));
        let (tail, tail_range) = self.fit(tail, tail_range, Any);
        let name = self.fresh();
        self.push_local(&name, vec![tail_range], false, vec![false]);
        self.body.push(Stmt::Block {
            name,
            inner,
            value,
            tail,
        });
    }

    /// `let mut v = e;`, a variable for branches and loops to assign: most
    /// start from an active value (`e + x`), some from constant code
    /// (`let mut v: f64 = 0.5;`) that branches and loops may keep constant.
    fn flow_target(&mut self) {
        // A scalar first (`any_target` picks among scalars), and with it
        // maybe a pair.
        let scalars = self.locals.iter().any(|l| l.flow && l.ranges.len() == 1);
        if !scalars && self.rng.chance(PAIR_TARGETS) {
            self.pair_target();
        } else if scalars && self.rng.chance(PAIR_TARGETS) {
            self.pair_target();
            return;
        }
        let (value, range) = if self.rng.chance(0.35) {
            self.constant_expr(1, Any)
        } else {
            let (value, range) = self.expr(1, Any);
            let input = self.rng.pick(&self.active).clone();
            let op = *self.rng.pick(&[BinOp::Add, BinOp::Sub, BinOp::Mul]);
            let range = op.range(range, INPUT_RANGE);
            self.fit(
                Expr::Binary(op, Box::new(value), Box::new(Expr::Input(input))),
                range,
                Any,
            )
        };
        let name = self.fresh();
        self.let_local(name.clone(), true, value, range);
        self.local_mut(&name).flow = true;
    }

    /// `let mut t = (e1, e2);`: a pair branches and loops assign whole
    /// (`t = (f(t.0), g(t.1));`), carried through loops and merged by
    /// branches element by element.
    fn pair_target(&mut self) {
        let mut values = Vec::new();
        let mut ranges = Vec::new();
        for _ in 0..2 {
            let (value, range) = self.expr(1, Any);
            let input = self.rng.pick(&self.active).clone();
            let (value, range) = self.fit(
                Expr::Binary(BinOp::Add, Box::new(value), Box::new(Expr::Input(input))),
                BinOp::Add.range(range, INPUT_RANGE),
                Any,
            );
            values.push(value);
            ranges.push(range);
        }
        let name = self.fresh_with("p");
        let constants = vec![self.is_constant(&values[0]), self.is_constant(&values[1])];
        self.push_local(&name, ranges, true, constants);
        self.local_mut(&name).flow = true;
        let [v0, v1]: [Expr; 2] = values.try_into().unwrap_or_else(|_| unreachable!());
        self.body.push(Stmt::LetPair {
            name,
            mutable: true,
            values: [v0, v1],
        });
    }

    /// `t = (f(t.0), g(t.1));` of a pair flow target: each element a method
    /// of an element (maybe the other one).
    pub(super) fn update_pair(&mut self, name: &str, depth: usize) {
        let ranges = self
            .locals
            .iter()
            .find(|l| l.name == name)
            .map(|l| l.ranges.clone())
            .unwrap_or_default();
        if ranges.len() != 2 {
            return;
        }
        let mut values = Vec::new();
        let mut new_ranges = Vec::new();
        for i in 0..2 {
            let from = if self.rng.chance(0.3) { 1 - i } else { i };
            self.local_mut(name).read = true;
            let current = Expr::TupleField(name.to_string(), from);
            let (value, range) = self.method_of(current, ranges[from], depth);
            let (value, range) = self.fit(value, range, Any);
            values.push(value);
            new_ranges.push(range);
        }
        let constants: Vec<bool> = values.iter().map(|v| self.is_constant(v)).collect();
        let local = self.local_mut(name);
        local.ranges = new_ranges;
        local.mutated = true;
        local.read = false;
        for (c, now) in local.constants.iter_mut().zip(constants) {
            *c &= now;
        }
        let [v0, v1]: [Expr; 2] = values.try_into().unwrap_or_else(|_| unreachable!());
        self.body.push(Stmt::AssignPair {
            name: name.to_string(),
            values: [v0, v1],
        });
    }

    /// `name op= e` (`compound`) or `name = f(name)`.
    fn update(&mut self, name: &str, compound: bool, depth: usize) {
        if compound {
            let op = *self
                .rng
                .pick(&[BinOp::Add, BinOp::Sub, BinOp::Mul, BinOp::Div]);
            let domain = if op == BinOp::Div {
                Within(0.5, 3.0)
            } else if op == BinOp::Mul {
                Within(-2.0, 2.0)
            } else {
                Any
            };
            let (value, range) = self.expr(depth, domain);
            let (value, range) = self.fit(value, range, domain);
            self.compound(name, op, value, range);
        } else {
            // `name = f(name)`: reads the old value, so it is not lost.
            let current = self.read_local(name);
            let old = self.range_of(name);
            let (value, range) = self.method_of(current, old, depth);
            let (value, range) = self.fit(value, range, Any);
            self.assign(name, value, range);
        }
    }

    /// The range of a scalar local.
    fn range_of(&self, name: &str) -> Range {
        self.locals
            .iter()
            .find(|l| l.name == name)
            .map(|l| l.ranges[0])
            .unwrap_or(INPUT_RANGE)
    }

    /// `name = value;`, a new value not read yet.
    fn assign(&mut self, name: &str, value: Expr, range: Range) {
        let constant = self.is_constant(&value);
        let local = self.local_mut(name);
        local.ranges = vec![range];
        local.mutated = true;
        local.read = false;
        local.constants[0] &= constant;
        self.body.push(Stmt::Assign {
            name: name.to_string(),
            value,
        });
    }

    fn compound(&mut self, name: &str, op: BinOp, value: Expr, range: Range) {
        let new = op.range(self.range_of(name), range);
        let constant = self.is_constant(&value);
        let local = self.local_mut(name);
        local.mutated = true;
        // `v op= e` reads `v`; its new value is unread.
        local.read = false;
        local.ranges = vec![new];
        local.constants[0] &= constant;
        self.body.push(Stmt::Compound {
            name: name.to_string(),
            op,
            value,
        });
        if new.lo < -CAP || new.hi > CAP {
            // Bring it back into range in place: `v = v.tanh() * c`, say.
            let current = self.read_local(name);
            let (value, range) = self.fit(current, new, Any);
            self.assign(name, value, range);
        }
    }

    /// Reads a local (marking it read).
    fn read_local(&mut self, name: &str) -> Expr {
        self.local_mut(name).read = true;
        Expr::Local(name.to_string())
    }

    /// Reads an integer as a float, `name as f64` (marking it read).
    fn read_int(&mut self, name: &str) -> (Expr, Range) {
        let int = self.int_mut(name);
        int.read = true;
        let range = int.range();
        (Expr::Constant(Constant::Cast(name.to_string())), range)
    }

    /// The final expression: every value not read yet, summed.
    fn result(&mut self) -> (Expr, Range) {
        let unread: Vec<(String, Vec<Range>)> = self
            .locals
            .iter()
            .filter(|l| !l.read)
            .map(|l| (l.name.clone(), l.ranges.clone()))
            .collect();
        let mut terms: Vec<(Expr, Range)> = Vec::new();
        for (name, ranges) in unread {
            self.local_mut(&name).read = true;
            if ranges.len() == 2 {
                terms.push((Expr::TupleField(name.clone(), 0), ranges[0]));
                terms.push((Expr::TupleField(name, 1), ranges[1]));
            } else {
                terms.push((Expr::Local(name), ranges[0]));
            }
        }
        let tallies: Vec<String> = self
            .ints
            .iter()
            .filter(|i| !i.read)
            .map(|i| i.name.clone())
            .collect();
        for name in tallies {
            terms.push(self.read_int(&name));
        }
        if terms.is_empty() {
            let (e, r) = self.expr(2, Any);
            terms.push((e, r));
        }
        let (mut sum, mut range) = terms.remove(0);
        for (e, r) in terms {
            let op = *self.rng.pick(&[BinOp::Add, BinOp::Sub]);
            range = op.range(range, r);
            sum = Expr::Binary(op, Box::new(sum), Box::new(e));
        }
        self.fit(sum, range, Any)
    }

    /// An expression whose type Rust knows by itself, for a tuple's element.
    ///
    /// The macro drops the type of a `let` of a tuple with an active
    /// element (`let (a, b): (f64, f64) = (x, 0.5);`), so a literal element
    /// `b` would have no type where it is used (`b.cos()` does not compile).
    fn typed_expr(&mut self, depth: usize) -> (Expr, Range) {
        for _ in 0..8 {
            let (e, r) = self.expr(depth, Any);
            if e.typed() {
                return (e, r);
            }
        }
        (Expr::Input(Input::Scalar("x")), INPUT_RANGE)
    }

    /// An expression of about `depth` levels whose value lies in `domain`.
    fn expr(&mut self, depth: usize, domain: Domain) -> (Expr, Range) {
        let (e, r) = self.raw_expr(depth);
        self.fit(e, r, domain)
    }

    /// An expression of constant code only (no input reaches it): literals,
    /// named constants, integers as floats, constant locals.
    fn constant_expr(&mut self, depth: usize, domain: Domain) -> (Expr, Range) {
        let outer = std::mem::replace(&mut self.constant_only, true);
        let drawn = self.expr(depth, domain);
        self.constant_only = outer;
        drawn
    }

    fn local_constant(&self, name: &str, i: usize) -> bool {
        self.locals.iter().any(|l| l.name == name && l.constants[i])
    }

    /// Whether no active input reaches the value of `e`: the macro keeps
    /// such code as written, and so must know the generator.
    fn is_constant(&self, e: &Expr) -> bool {
        match e {
            Expr::Local(name) => self.local_constant(name, 0),
            Expr::TupleField(name, i) => self.local_constant(name, *i),
            Expr::Input(input) => !self.active_args.contains(&input.arg()),
            Expr::Call { args, .. } => args.iter().all(|a| self.is_constant(a)),
            Expr::Literal(_) | Expr::Constant(_) | Expr::NoGrad(_) => true,
            Expr::Neg(a) | Expr::Powi { base: a, .. } => self.is_constant(a),
            Expr::Binary(_, a, b) => self.is_constant(a) && self.is_constant(b),
            Expr::Method { args, .. } => args.iter().all(|a| self.is_constant(a)),
        }
    }

    fn raw_expr(&mut self, depth: usize) -> (Expr, Range) {
        if depth == 0 {
            return self.leaf();
        }
        let w = &WEIGHTS;
        let calls = if self.helpers.is_empty() || self.constant_only {
            0
        } else {
            w.expr_call
        };
        match self.rng.weighted(&[
            w.expr_leaf,
            w.expr_binary,
            w.expr_neg,
            w.expr_method,
            w.expr_powi,
            w.expr_no_grad,
            calls,
        ]) {
            0 => self.leaf(),
            6 => self.call(depth),
            1 => {
                let op = *self
                    .rng
                    .pick(&[BinOp::Add, BinOp::Sub, BinOp::Mul, BinOp::Div]);
                let (a, ra) = self.expr(depth - 1, Any);
                let (b, rb) = if op == BinOp::Div {
                    self.expr(depth - 1, Within(0.4, CAP))
                } else {
                    self.expr(depth - 1, Any)
                };
                (Expr::Binary(op, Box::new(a), Box::new(b)), op.range(ra, rb))
            }
            2 => {
                let (a, ra) = self.raw_expr(depth - 1);
                let a = match a {
                    // `- -x` reads badly: the two signs cancel.
                    Expr::Neg(inner) => return (*inner, Range::new(-ra.hi, -ra.lo)),
                    Expr::Literal(x) => return (Expr::Literal(-x), Range::point(-x)),
                    other => other,
                };
                (Expr::Neg(Box::new(a)), Range::new(-ra.hi, -ra.lo))
            }
            3 => {
                let (a, ra) = self.raw_expr(depth - 1);
                self.method_of(a, ra, depth)
            }
            4 => {
                let n = *self.rng.pick(POWI_EXPONENTS);
                let domain = if n < 0 {
                    Within(0.4, 3.0)
                } else {
                    Within(-3.0, 3.0)
                };
                let (base, rb) = self.expr(depth - 1, domain);
                let range = Range::hull(rb.samples(65).into_iter().map(|x| x.powi(n))).widened();
                (
                    Expr::Powi {
                        base: Box::new(base),
                        n,
                        path_form: self.rng.chance(0.3),
                    },
                    range,
                )
            }
            _ => {
                let (a, ra) = self.raw_expr(depth - 1);
                if a.is_literal() {
                    return (a, ra);
                }
                (Expr::NoGrad(Box::new(a)), ra)
            }
        }
    }

    /// A call of a helper, each argument in `[-1, 1]` (two may be
    /// elements of one array: `helper_3(a[0], a[k])`).
    fn call(&mut self, depth: usize) -> (Expr, Range) {
        let helper = self.rng.pick(&self.helpers).clone();
        let args = (0..helper.arity)
            .map(|_| self.expr(depth - 1, Within(-1.0, 1.0)).0)
            .collect();
        (
            Expr::Call {
                name: helper.name,
                args,
                question: helper.fallible,
            },
            helper.range,
        )
    }

    /// A method applied to `receiver`, with the other arguments drawn.
    fn method_of(&mut self, receiver: Expr, range: Range, depth: usize) -> (Expr, Range) {
        let method = self.rng.pick(METHODS);
        let (receiver, r0) = self.fit(receiver, range, method.domains[0]);
        let mut args = vec![receiver];
        let mut ranges = vec![r0];
        for &domain in &method.domains[1..] {
            let (a, r) = if self.rng.chance(0.25) {
                self.literal_in(domain)
            } else {
                self.expr(depth.saturating_sub(2), domain)
            };
            args.push(a);
            ranges.push(r);
        }
        let path_form = args[0].is_literal() || self.rng.chance(0.4);
        let range = method_range(method.name, &ranges);
        (
            Expr::Method {
                name: method.name,
                path_form,
                args,
            },
            range,
        )
    }

    fn literal_in(&mut self, domain: Domain) -> (Expr, Range) {
        let (lo, hi) = match domain {
            Any => (-2.0, 2.0),
            Within(lo, hi) => (lo, hi.min(lo + 3.0)),
        };
        let x = (self.rng.uniform(lo, hi) * 100.0).round() / 100.0;
        let x = x.clamp(lo, hi);
        (Expr::Literal(x), Range::point(x))
    }

    fn leaf(&mut self) -> (Expr, Range) {
        if self.constant_only {
            return self.constant_leaf();
        }
        if self.ints.iter().any(|i| i.name != "k") && self.rng.chance(0.2) {
            return self.int_leaf();
        }
        let roll = self.rng.below(100);
        if roll < 45 && !self.locals.is_empty() {
            return self.local_leaf(|_| true);
        }
        if roll < 85 {
            return self.input_leaf();
        }
        if roll < 93 {
            return self.literal_in(Any);
        }
        if self.arity.is_none() && self.rng.chance(0.25) {
            return self.read_int("k");
        }
        self.named_constant()
    }

    /// A read of a local that `keep` accepts, preferring those not read
    /// yet (so few values go unused).
    fn local_leaf(&mut self, keep: impl Fn(&Local) -> bool) -> (Expr, Range) {
        let kept: Vec<usize> = (0..self.locals.len())
            .filter(|&i| keep(&self.locals[i]))
            .collect();
        let unread: Vec<usize> = kept
            .iter()
            .copied()
            .filter(|&i| !self.locals[i].read)
            .collect();
        let i = if !unread.is_empty() && self.rng.chance(0.7) {
            *self.rng.pick(&unread)
        } else {
            *self.rng.pick(&kept)
        };
        let local = self.locals[i].clone();
        self.locals[i].read = true;
        if local.ranges.len() == 2 {
            let j = self.rng.below(2);
            return (Expr::TupleField(local.name, j), local.ranges[j]);
        }
        (Expr::Local(local.name), local.ranges[0])
    }

    /// An argument: a scalar, a field, an element.
    fn input_leaf(&mut self) -> (Expr, Range) {
        if let Some(arity) = self.arity {
            let arg = HELPER_ARGS[self.rng.below(arity)];
            return (Expr::Input(Input::Scalar(arg)), INPUT_RANGE);
        }
        let input = match self.rng.below(10) {
            0 => Input::Scalar("x"),
            1 => Input::Scalar("y"),
            2 => Input::Field("b"),
            3 => Input::Field("inner.d"),
            4 => Input::Element("inner.c", self.rng.below(2)),
            5 => Input::Element("w", self.rng.below(4)),
            6 => Input::Element("v", self.rng.below(3)),
            7 => Input::Element("a", self.rng.below(3)),
            8 => Input::Element("s", self.rng.below(4)),
            _ => Input::AtK(["w", "v", "a", "s"][self.rng.below(4)]),
        };
        (Expr::Input(input), INPUT_RANGE)
    }

    /// `std::f64::consts::PI`, `SCALE`, ..
    fn named_constant(&mut self) -> (Expr, Range) {
        let (path, value) = *self.rng.pick(&[
            ("std::f64::consts::PI", PI),
            (
                "std::f64::consts::FRAC_1_SQRT_2",
                std::f64::consts::FRAC_1_SQRT_2,
            ),
            ("SCALE", SCALE),
        ]);
        (Expr::Constant(Constant::Path(path)), Range::point(value))
    }

    /// A leaf of constant code: a literal, a named constant, an integer as
    /// a float, a constant local.
    fn constant_leaf(&mut self) -> (Expr, Range) {
        let constant_locals = self.locals.iter().any(|l| l.constants == [true]);
        match self.rng.below(10) {
            0..=3 => self.literal_in(Any),
            4 | 5 if !self.ints.is_empty() => {
                let name = self.rng.pick(&self.ints).name.clone();
                self.read_int(&name)
            }
            6 | 7 if constant_locals => self.local_leaf(|l| l.constants == [true]),
            _ => self.named_constant(),
        }
    }

    /// A read of an integer in scope other than `k` (preferring those
    /// not read yet, as a loop's variable must be): `j as f64`, or an
    /// element of an argument at `j`.
    fn int_leaf(&mut self) -> (Expr, Range) {
        let scoped: Vec<usize> = (0..self.ints.len())
            .filter(|&i| self.ints[i].name != "k")
            .collect();
        let unread: Vec<usize> = scoped
            .iter()
            .copied()
            .filter(|&i| !self.ints[i].read)
            .collect();
        let i = if !unread.is_empty() && self.rng.chance(0.7) {
            *self.rng.pick(&unread)
        } else {
            *self.rng.pick(&scoped)
        };
        let int = self.ints[i].clone();
        let arrays: Vec<&'static str> = INDEXED
            .iter()
            .filter(|(_, len)| int.hi < *len)
            .map(|(name, _)| *name)
            .collect();
        if self.arity.is_some() || arrays.is_empty() || self.rng.chance(0.3) {
            return self.read_int(&int.name);
        }
        self.ints[i].read = true;
        let array = *self.rng.pick(&arrays);
        (Expr::Input(Input::AtInt(array, int.name)), INPUT_RANGE)
    }

    /// `e` mapped into `domain` if its range is not inside it already.
    fn fit(&mut self, e: Expr, range: Range, domain: Domain) -> (Expr, Range) {
        let (lo, hi) = match domain {
            Any => (-CAP, CAP),
            Within(lo, hi) => (lo, hi),
        };
        if range.within(lo, hi) {
            return (e, range);
        }
        // A squashing function into [-1, 1] (or [0, 1]), then an affine map
        // into the middle of the domain: `mid + half * squash(e)`.
        let (squashed, sr) = match self.rng.below(4) {
            0 => (
                Expr::Method {
                    name: "tanh",
                    path_form: self.rng.chance(0.3),
                    args: vec![e],
                },
                Range::new(-1.0, 1.0),
            ),
            1 => (
                Expr::Method {
                    name: "sin",
                    path_form: self.rng.chance(0.3),
                    args: vec![e],
                },
                Range::new(-1.0, 1.0),
            ),
            2 => (
                Expr::Method {
                    name: "cos",
                    path_form: self.rng.chance(0.3),
                    args: vec![e],
                },
                Range::new(-1.0, 1.0),
            ),
            _ => {
                // atan(e) * (2/pi) lies in (-1, 1).
                let atan = Expr::Method {
                    name: "atan",
                    path_form: self.rng.chance(0.3),
                    args: vec![e],
                };
                (
                    Expr::Binary(BinOp::Mul, Box::new(atan), Box::new(Expr::Literal(0.63))),
                    Range::new(-0.99, 0.99),
                )
            }
        };
        let (lo, hi) = (lo.max(-CAP), hi.min(CAP));
        let mid = round2((lo + hi) / 2.0);
        let half = round2(((hi - lo) / 2.0 * 0.8).min(3.0)).max(0.01);
        let scaled = Expr::Binary(
            BinOp::Mul,
            Box::new(Expr::Literal(half)),
            Box::new(squashed),
        );
        let range = Range::new(mid + half * sr.lo, mid + half * sr.hi);
        if mid == 0.0 {
            return (scaled, range);
        }
        (
            Expr::Binary(BinOp::Add, Box::new(Expr::Literal(mid)), Box::new(scaled)),
            range,
        )
    }
}

impl Range {
    /// Within `[-CAP, CAP]` (what [`Generator::fit`] guarantees for `Any`).
    fn clamp_to_cap(self) -> Range {
        Range::new(self.lo.max(-CAP), self.hi.min(CAP))
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The value of the programs' own `const SCALE: f64`.
pub const SCALE: f64 = 0.75;
