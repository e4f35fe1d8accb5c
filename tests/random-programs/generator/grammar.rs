//! The grammar of random programs: what a program is made of, and a seeded
//! generator that builds one production at a time.
//!
//! A program is a list of statements ([`Stmt`]) over expressions ([`Expr`]),
//! ending in a final expression (or `return`). Every expression carries the
//! interval its value lies in ([`Range`]), computed as it is built, so the
//! generator keeps every value in the domain of what consumes it: an input
//! of `ln` that might reach 0 is first mapped into `[0.5, 2.5]` with a
//! squashing function, and so on. No program computes a NaN or an infinity.
//!
//! Growing the grammar (branches, loops, calls) means adding a variant to
//! [`Stmt`] or [`Expr`], a weight to [`Weights`], a case to the generator
//! and to both dialects of `render.rs`; the range bookkeeping already says
//! what a branch or loop body may assume about its inputs.

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
    /// `p.w[j]`, `a[i]`: an element at the variable of the loop at this depth.
    AtLoop(&'static str, usize),
}

/// The names of loop variables, by nesting depth.
pub const LOOP_VARS: &[&str] = &["j", "i", "l"];

/// A comparison of values: a branch's condition, `lhs < rhs` or `lhs > rhs`.
#[derive(Clone, Debug)]
pub struct Cond {
    pub lhs: Expr,
    pub less: bool,
    pub rhs: Expr,
}

/// A generated helper function that later functions call: `name(u0, ..)`,
/// each argument in `[-1, 1]`, its value in `range`.
#[derive(Clone, Debug)]
pub struct Helper {
    pub name: String,
    pub arity: usize,
    pub range: Range,
}

/// A named constant.
#[derive(Clone, Copy, Debug)]
pub enum Constant {
    /// A path: `std::f64::consts::PI`, or the programs' own `const SCALE`.
    Path(&'static str, f64),
    /// `k as f64`.
    CastK,
    /// `j as f64`, the variable of the loop at this depth.
    CastLoop(usize),
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
    /// A call of a generated helper, `helper_3(e1, e2)`.
    Call {
        name: String,
        args: Vec<Expr>,
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
    /// `let t = (e1, e2);`, read later as `t.0`, `t.1`.
    LetPair { name: String, values: [Expr; 2] },
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
        depth: usize,
        n: usize,
        body: Vec<Stmt>,
    },
}

impl Cond {
    fn ops(&self) -> usize {
        self.lhs.ops() + self.rhs.ops()
    }
}

impl Stmt {
    /// Operators and method calls in the statement (a loop's body once).
    pub fn ops(&self) -> usize {
        match self {
            Stmt::Let { value, .. } | Stmt::Assign { value, .. } => value.ops(),
            Stmt::Compound { value, .. } => 1 + value.ops(),
            Stmt::LetTuple { values, .. } | Stmt::LetPair { values, .. } => {
                values[0].ops() + values[1].ops()
            }
            Stmt::Block { value, tail, .. } => value.ops() + tail.ops(),
            Stmt::If { arms, otherwise } => {
                arms.iter()
                    .map(|(c, b)| c.ops() + b.iter().map(Stmt::ops).sum::<usize>())
                    .sum::<usize>()
                    + otherwise.iter().flatten().map(Stmt::ops).sum::<usize>()
            }
            Stmt::LetIf {
                arms, otherwise, ..
            } => arms.iter().map(|(c, e)| c.ops() + e.ops()).sum::<usize>() + otherwise.ops(),
            Stmt::For { body, .. } => body.iter().map(Stmt::ops).sum(),
        }
    }

    /// The outer names the statement assigns to.
    fn assigned(&self, out: &mut Vec<String>) {
        match self {
            Stmt::Assign { name, .. } | Stmt::Compound { name, .. } => out.push(name.clone()),
            Stmt::If { arms, otherwise } => {
                for s in arms
                    .iter()
                    .flat_map(|(_, b)| b)
                    .chain(otherwise.iter().flatten())
                {
                    s.assigned(out);
                }
            }
            Stmt::For { body, .. } => {
                for s in body {
                    s.assigned(out);
                }
            }
            _ => {}
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
    /// A helper's number of arguments (`u0`, ..); `None` for a program.
    pub arity: Option<usize>,
}

impl Program {
    pub fn ops(&self) -> usize {
        self.body.iter().map(Stmt::ops).sum::<usize>() + self.result.ops()
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
    /// Assigned by branches and loops (and only there): made from an
    /// active value, see [`Generator::flow_target`].
    flow: bool,
}

/// Builds one program.
pub struct Generator<'r> {
    rng: &'r mut Rng,
    locals: Vec<Local>,
    next_name: usize,
    body: Vec<Stmt>,
    /// A helper's number of arguments (its inputs are `u0`, ..), else `None`.
    arity: Option<usize>,
    /// The helpers it may call.
    helpers: Vec<Helper>,
    /// The trip counts of the loops around the statement being built.
    loops: Vec<usize>,
    /// Whether each enclosing loop's variable has been read.
    loop_read: Vec<bool>,
    /// How many branches and loops enclose the statement being built.
    nest: usize,
    /// Inputs with a derivative (arguments in `wrt`).
    active: Vec<Input>,
}

/// The range of every input (the test draws inputs from it).
pub const INPUT_RANGE: Range = Range::new(-1.0, 1.0);

/// The range of `k as f64` (the test passes `k` in `0..3`).
const K_RANGE: Range = Range::new(0.0, 2.0);

/// The names of a helper's arguments.
const HELPER_ARGS: &[&str] = &["u0", "u1", "u2"];

impl<'r> Generator<'r> {
    /// A generator whose functions may call `helpers`.
    pub fn new(rng: &'r mut Rng, helpers: &[Helper]) -> Self {
        Generator {
            rng,
            locals: Vec::new(),
            next_name: 0,
            body: Vec::new(),
            arity: None,
            helpers: helpers.to_vec(),
            loops: Vec::new(),
            loop_read: Vec::new(),
            nest: 0,
            active: vec![Input::Scalar("u0")],
        }
    }

    /// A helper `name(u0, ..)` of `arity` arguments and at least `min_ops`
    /// operations, and what its callers need to know of it.
    pub fn helper(mut self, name: String, arity: usize, min_ops: usize) -> (Program, Helper) {
        self.arity = Some(arity);
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
        let helper = Helper {
            name: name.clone(),
            arity,
            range,
        };
        let program = Program {
            name,
            signature: Signature { wrt: None },
            body: self.body,
            result,
            explicit_return: self.rng.chance(0.25),
            arity: Some(arity),
        };
        (program, helper)
    }

    /// A program of at least `min_ops` operations.
    pub fn program(mut self, name: String, min_ops: usize) -> Program {
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
            arity: None,
        }
    }

    /// The body after a first `let` of `first`, and the final expression.
    fn body_and_result(&mut self, first: Expr, range: Range, min_ops: usize) -> (Expr, Range) {
        let first = self.fit(first, range, Any).0;
        let name0 = self.fresh();
        self.push_local(&name0, vec![range.clamp_to_cap()], false);
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
                let (value, range) = self.expr(1, Any);
                self.compound(&name, BinOp::Add, value, range);
            }
        }
        self.result()
    }

    fn body_ops(&self) -> usize {
        self.body.iter().map(Stmt::ops).sum()
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
        self.next_name += 1;
        format!("v{}", self.next_name)
    }

    fn push_local(&mut self, name: &str, ranges: Vec<Range>, mutable: bool) {
        self.locals.retain(|l| l.name != name);
        self.locals.push(Local {
            name: name.to_string(),
            ranges,
            mutable,
            mutated: false,
            read: false,
            flow: false,
        });
    }

    fn local_mut(&mut self, name: &str) -> &mut Local {
        self.locals
            .iter_mut()
            .find(|l| l.name == name)
            .expect("a local")
    }

    fn statement(&mut self) {
        let w = &WEIGHTS;
        let choice = self.rng.weighted(&[
            w.stmt_let,
            w.stmt_shadow,
            w.stmt_let_mut,
            w.stmt_compound,
            w.stmt_assign,
            w.stmt_tuple,
            w.stmt_pair,
            w.stmt_block,
            w.stmt_if,
            w.stmt_let_if,
            w.stmt_for,
        ]);
        let depth = 1 + self.rng.below(3);
        match choice {
            8 | 10 => {
                // A branch or loop assigns to outer variables: maybe a new one.
                if !self.locals.iter().any(|l| l.flow) || self.rng.chance(0.4) {
                    self.flow_target();
                }
                if choice == 8 {
                    self.if_stmt();
                } else {
                    self.for_stmt();
                }
            }
            9 => self.let_if(depth.min(2)),
            0 => {
                let (value, range) = self.expr(depth, Any);
                let name = self.fresh();
                self.push_local(&name, vec![range], false);
                self.body.push(Stmt::Let {
                    name,
                    mutable: false,
                    value,
                });
            }
            1 => {
                // Shadow a scalar local whose value was read (possibly reading it again).
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
                self.push_local(&name, vec![range], false);
                self.body.push(Stmt::Let {
                    name,
                    mutable: false,
                    value,
                });
            }
            2 => {
                let (value, range) = self.expr(depth, Any);
                let name = self.fresh();
                self.push_local(&name, vec![range], true);
                self.body.push(Stmt::Let {
                    name,
                    mutable: true,
                    value,
                });
            }
            3 | 4 => {
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
                self.update(&name, choice == 3, depth);
            }
            5 => {
                let (v0, r0) = self.typed_expr(depth);
                let (v1, r1) = self.typed_expr(depth);
                let names = [self.fresh(), self.fresh()];
                self.push_local(&names[0], vec![r0], false);
                self.push_local(&names[1], vec![r1], false);
                self.body.push(Stmt::LetTuple {
                    names,
                    values: [v0, v1],
                });
            }
            6 => {
                let (v0, r0) = self.typed_expr(depth);
                let (v1, r1) = self.typed_expr(depth);
                let name = format!("t{}", self.next_name + 1);
                self.next_name += 1;
                self.push_local(&name, vec![r0, r1], false);
                self.body.push(Stmt::LetPair {
                    name,
                    values: [v0, v1],
                });
            }
            _ => {
                let (value, range) = self.expr(depth, Any);
                let inner = format!("u{}", self.next_name + 1);
                self.next_name += 1;
                // The tail reads the block's own local, and maybe more.
                let (other, other_range) = self.expr(1, Any);
                let op = *self.rng.pick(&[BinOp::Add, BinOp::Sub, BinOp::Mul]);
                let tail_range = op.range(range, other_range);
                let tail = Expr::Binary(op, Box::new(Expr::Local(inner.clone())), Box::new(other));
                let (tail, tail_range) = self.fit(tail, tail_range, Any);
                let name = self.fresh();
                self.push_local(&name, vec![tail_range], false);
                self.body.push(Stmt::Block {
                    name,
                    inner,
                    value,
                    tail,
                });
            }
        }
    }

    /// `let mut v = e + x;`, a variable for branches and loops to assign,
    /// whose value has a derivative from the start (a macro bug, see
    /// `tests/programs.rs`, breaks variables that start constant).
    fn flow_target(&mut self) {
        let (value, range) = self.expr(1, Any);
        let input = self.rng.pick(&self.active).clone();
        let op = *self.rng.pick(&[BinOp::Add, BinOp::Sub, BinOp::Mul]);
        let range = op.range(range, INPUT_RANGE);
        let (value, range) = self.fit(
            Expr::Binary(op, Box::new(value), Box::new(Expr::Input(input))),
            range,
            Any,
        );
        let name = self.fresh();
        self.push_local(&name, vec![range], true);
        self.local_mut(&name).flow = true;
        self.body.push(Stmt::Let {
            name,
            mutable: true,
            value,
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
            self.compound(name, op, value, range);
        } else {
            // `name = f(name)`: reads the old value, so it is not lost.
            let current = self.read_local(name);
            let old = self
                .locals
                .iter()
                .find(|l| l.name == name)
                .map(|l| l.ranges[0])
                .unwrap_or(INPUT_RANGE);
            let (value, range) = self.method_of(current, old, depth);
            let (value, range) = self.fit(value, range, Any);
            let local = self.local_mut(name);
            local.ranges = vec![range];
            local.mutated = true;
            local.read = false;
            self.body.push(Stmt::Assign {
                name: name.to_string(),
                value,
            });
        }
    }

    /// The statements of a branch or a loop's body: updates of outer
    /// variables, `let`s read in the block, nested branches and loops.
    fn block(&mut self, in_loop: bool) -> Vec<Stmt> {
        let outer = self.locals.len();
        let saved = std::mem::take(&mut self.body);
        self.nest += 1;
        let targets: Vec<String> = self
            .locals
            .iter()
            .filter(|l| l.flow)
            .map(|l| l.name.clone())
            .collect();
        let count = 1 + self.rng.below(3);
        for _ in 0..count {
            let roll = self.rng.below(10);
            // No `if` directly inside an arm of an `if` (a macro bug, see
            // `tests/programs.rs`), but inside a loop anywhere.
            if roll < 2 && self.nest < 3 && in_loop {
                self.if_stmt();
            } else if roll < 3 && self.nest < 3 && self.loops.len() < 2 {
                self.for_stmt();
            } else if roll < 5 {
                let depth = 1 + self.rng.below(2);
                let (value, range) = self.expr(depth, Any);
                let name = self.fresh();
                self.push_local(&name, vec![range], false);
                self.body.push(Stmt::Let {
                    name,
                    mutable: false,
                    value,
                });
            } else {
                let name = self.rng.pick(&targets).clone();
                let compound = self.rng.chance(0.7);
                let depth = 1 + self.rng.below(2);
                self.update(&name, compound, depth);
            }
        }
        // The block's own values are read in it, and so is a loop's variable.
        for i in outer..self.locals.len() {
            if !self.locals[i].read {
                let value = self.read_local(&self.locals[i].name.clone());
                let range = self.locals[i].ranges[0];
                let name = self.rng.pick(&targets).clone();
                self.compound(&name, BinOp::Add, value, range);
            }
        }
        if in_loop && !self.loop_read.last().copied().unwrap_or(true) {
            let depth = self.loops.len() - 1;
            let (leaf, range) = self.loop_leaf(depth);
            let scale = round2(self.rng.uniform(0.1, 0.9));
            let value = Expr::Binary(BinOp::Mul, Box::new(Expr::Literal(scale)), Box::new(leaf));
            let range = BinOp::Mul.range(Range::point(scale), range);
            let name = self.rng.pick(&targets).clone();
            self.compound(&name, BinOp::Add, value, range);
        }
        self.locals.truncate(outer);
        self.nest -= 1;
        std::mem::replace(&mut self.body, saved)
    }

    /// `if c { .. } else if .. else { .. }` assigning outer variables; the
    /// ranges after it are the hull of every arm's (and of none taken).
    fn if_stmt(&mut self) {
        let before: Vec<Vec<Range>> = self.locals.iter().map(|l| l.ranges.clone()).collect();
        let n_arms = 1 + self.rng.weighted(&[5, 3, 1]);
        let has_else = self.rng.chance(0.6);
        let mut after: Vec<Vec<Vec<Range>>> = Vec::new();
        let mut arms = Vec::new();
        for _ in 0..n_arms {
            self.restore(&before);
            let cond = self.cond();
            let body = self.block(false);
            after.push(self.locals.iter().map(|l| l.ranges.clone()).collect());
            arms.push((cond, body));
        }
        let otherwise = if has_else {
            self.restore(&before);
            let body = self.block(false);
            after.push(self.locals.iter().map(|l| l.ranges.clone()).collect());
            Some(body)
        } else {
            after.push(before.clone());
            None
        };
        for (i, local) in self.locals.iter_mut().enumerate() {
            for j in 0..local.ranges.len() {
                let r = Range::hull(after.iter().flat_map(|a| [a[i][j].lo, a[i][j].hi]));
                local.ranges[j] = r;
            }
        }
        let stmt = Stmt::If { arms, otherwise };
        self.mark_assigned(&stmt);
        self.body.push(stmt);
    }

    fn restore(&mut self, ranges: &[Vec<Range>]) {
        for (local, r) in self.locals.iter_mut().zip(ranges) {
            local.ranges = r.clone();
        }
    }

    /// The names a branch or loop assigned hold values not read yet.
    fn mark_assigned(&mut self, stmt: &Stmt) {
        let mut names = Vec::new();
        stmt.assigned(&mut names);
        for l in self.locals.iter_mut() {
            if names.contains(&l.name) {
                l.read = false;
                l.mutated = true;
            }
        }
    }

    /// `let v = if c { e1 } else if .. else { e2 };`.
    fn let_if(&mut self, depth: usize) {
        let n_arms = 1 + self.rng.weighted(&[5, 3, 1]);
        let mut arms = Vec::new();
        let mut ranges = Vec::new();
        for _ in 0..n_arms {
            let cond = self.cond();
            let (e, r) = self.expr(depth, Any);
            ranges.push(r);
            arms.push((cond, e));
        }
        let (otherwise, r) = self.expr(depth, Any);
        ranges.push(r);
        let range = Range::hull(ranges.iter().flat_map(|r| [r.lo, r.hi]));
        let name = self.fresh();
        self.push_local(&name, vec![range], false);
        self.body.push(Stmt::LetIf {
            name,
            arms,
            otherwise,
        });
    }

    /// `for j in 0..n { .. }` over outer variables carried between
    /// iterations: they enter every iteration anywhere in `[-CAP, CAP]`
    /// (each update keeps them there), so the body's ranges hold for all.
    fn for_stmt(&mut self) {
        let n = 2 + self.rng.below(3);
        for l in self.locals.iter_mut().filter(|l| l.flow) {
            l.ranges = vec![Range::new(-CAP, CAP)];
        }
        self.loops.push(n);
        self.loop_read.push(false);
        let body = self.block(true);
        self.loops.pop();
        self.loop_read.pop();
        let stmt = Stmt::For {
            depth: self.loops.len(),
            n,
            body,
        };
        self.mark_assigned(&stmt);
        self.body.push(stmt);
    }

    /// A condition comparing a value with a literal inside its range (so
    /// both arms are taken at some points) or with another value.
    fn cond(&mut self) -> Cond {
        let less = self.rng.chance(0.5);
        for _ in 0..16 {
            let read: Vec<bool> = self.locals.iter().map(|l| l.read).collect();
            let loop_read = self.loop_read.clone();
            let depth = self.rng.below(2);
            let (lhs, r) = self.expr(depth, Any);
            if !lhs.typed() || r.hi - r.lo < 0.05 {
                // Discarded: what it read is unread again.
                for (l, r) in self.locals.iter_mut().zip(read) {
                    l.read = r;
                }
                self.loop_read = loop_read;
                continue;
            }
            let rhs = if self.rng.chance(0.7) {
                let w = r.hi - r.lo;
                Expr::Literal(round2(self.rng.uniform(r.lo + 0.3 * w, r.hi - 0.3 * w)))
            } else {
                let (rhs, _) = self.leaf();
                if format!("{rhs:?}") == format!("{lhs:?}") {
                    // The same value: compare it with 0.0 instead.
                    return Cond {
                        lhs,
                        less,
                        rhs: Expr::Literal(0.0),
                    };
                }
                rhs
            };
            return Cond { lhs, less, rhs };
        }
        Cond {
            lhs: Expr::Input(Input::Scalar(if self.arity.is_some() { "u0" } else { "x" })),
            less,
            rhs: Expr::Literal(round2(self.rng.uniform(-0.5, 0.5))),
        }
    }

    /// A read of the variable of the loop at `depth`: `j as f64`, or an
    /// element of an argument at `j`.
    fn loop_leaf(&mut self, depth: usize) -> (Expr, Range) {
        let n = self.loops[depth];
        self.loop_read[depth] = true;
        if self.arity.is_some() || self.rng.chance(0.3) {
            return (
                Expr::Constant(Constant::CastLoop(depth)),
                Range::new(0.0, (n - 1) as f64),
            );
        }
        let fields: &[&'static str] = if n <= 3 {
            &["w", "v", "a", "s"]
        } else {
            &["w", "s"]
        };
        (
            Expr::Input(Input::AtLoop(fields[self.rng.below(fields.len())], depth)),
            INPUT_RANGE,
        )
    }

    fn compound(&mut self, name: &str, op: BinOp, value: Expr, range: Range) {
        let old = self
            .locals
            .iter()
            .find(|l| l.name == name)
            .map(|l| l.ranges[0])
            .unwrap_or(INPUT_RANGE);
        let new = op.range(old, range);
        let local = self.local_mut(name);
        local.mutated = true;
        // `v op= e` reads `v`; its new value is unread.
        local.read = false;
        local.ranges = vec![new];
        self.body.push(Stmt::Compound {
            name: name.to_string(),
            op,
            value,
        });
        if new.lo < -CAP || new.hi > CAP {
            // Bring it back into range in place: `v = v.tanh() * c`, say.
            let current = self.read_local(name);
            let (value, range) = self.fit(current, new, Any);
            let local = self.local_mut(name);
            local.ranges = vec![range];
            local.read = false;
            self.body.push(Stmt::Assign {
                name: name.to_string(),
                value,
            });
        }
    }

    /// Reads a local (marking it read).
    fn read_local(&mut self, name: &str) -> Expr {
        self.local_mut(name).read = true;
        Expr::Local(name.to_string())
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

    fn raw_expr(&mut self, depth: usize) -> (Expr, Range) {
        if depth == 0 {
            return self.leaf();
        }
        let w = &WEIGHTS;
        match self.rng.weighted(&[
            w.expr_leaf,
            w.expr_binary,
            w.expr_neg,
            w.expr_method,
            w.expr_powi,
            w.expr_no_grad,
            if self.helpers.is_empty() {
                0
            } else {
                w.expr_call
            },
        ]) {
            0 => self.leaf(),
            6 => {
                let helper = self.rng.pick(&self.helpers).clone();
                // Two arguments that are bare elements of one array do not
                // compile (a macro bug, see `tests/programs.rs`).
                let field = |e: &Expr| match e {
                    Expr::Input(Input::Element(f, _) | Input::AtK(f) | Input::AtLoop(f, _)) => {
                        Some(*f)
                    }
                    _ => None,
                };
                let mut args: Vec<Expr> = Vec::new();
                for _ in 0..helper.arity {
                    let mut arg = Expr::Literal(0.5);
                    for _ in 0..4 {
                        let e = self.expr(depth - 1, Within(-1.0, 1.0)).0;
                        let clash =
                            field(&e).is_some_and(|f| args.iter().any(|a| field(a) == Some(f)));
                        if !clash {
                            arg = e;
                            break;
                        }
                    }
                    args.push(arg);
                }
                (
                    Expr::Call {
                        name: helper.name,
                        args,
                    },
                    helper.range,
                )
            }
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
        if !self.loops.is_empty() && self.rng.chance(0.2) {
            let depth = self.rng.below(self.loops.len());
            return self.loop_leaf(depth);
        }
        let roll = self.rng.below(100);
        // Prefer locals not read yet, so few values go unused.
        let unread: Vec<usize> = (0..self.locals.len())
            .filter(|&i| !self.locals[i].read)
            .collect();
        if roll < 45 && !self.locals.is_empty() {
            let i = if !unread.is_empty() && self.rng.chance(0.7) {
                *self.rng.pick(&unread)
            } else {
                self.rng.below(self.locals.len())
            };
            let local = self.locals[i].clone();
            self.locals[i].read = true;
            if local.ranges.len() == 2 {
                let j = self.rng.below(2);
                return (Expr::TupleField(local.name, j), local.ranges[j]);
            }
            return (Expr::Local(local.name), local.ranges[0]);
        }
        if roll < 85 {
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
            return (Expr::Input(input), INPUT_RANGE);
        }
        if roll < 93 {
            return self.literal_in(Any);
        }
        let constant = *self.rng.pick(&[
            Constant::Path("std::f64::consts::PI", PI),
            Constant::Path(
                "std::f64::consts::FRAC_1_SQRT_2",
                std::f64::consts::FRAC_1_SQRT_2,
            ),
            Constant::Path("SCALE", SCALE),
            Constant::CastK,
        ]);
        let constant = match constant {
            Constant::CastK if self.arity.is_some() => Constant::Path("SCALE", SCALE),
            other => other,
        };
        let range = match constant {
            Constant::Path(_, v) => Range::point(v),
            Constant::CastK => K_RANGE,
            Constant::CastLoop(_) => unreachable!("drawn by loop_leaf"),
        };
        (Expr::Constant(constant), range)
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
