//! The intermediate form: a body flattened into single-assignment steps.
//!
//! Every sub-expression that carries a derivative becomes a [`Step`] with a
//! name of its own (the user's where there is one); everything that carries
//! none (literals, constants, integer arithmetic, comparisons) stays a
//! [`Value::Const`] holding the user's own tokens. Statements live in
//! [`Block`]s so that branches and loops can nest later without changing
//! straight-line code.

use proc_macro2::{Span, TokenStream};
use syn::Ident;

use crate::rules::Rule;

/// An index into [`Func::vars`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VarId(pub usize);

/// A function after lowering.
pub struct Func {
    /// The arguments, in order.
    pub params: Vec<Param>,
    /// Every variable of the body, by [`VarId`].
    pub vars: Vec<VarInfo>,
    /// The body.
    pub body: Block,
    /// What the body returns.
    pub result: Binding,
}

/// An argument of the function.
pub struct Param {
    pub name: Ident,
    /// Whether the argument is a reference (`x: &Array2<f64>`), so that it
    /// is passed on as it is rather than borrowed again.
    pub by_ref: bool,
    /// Whether the function differentiates with respect to it.
    pub active: bool,
}

/// A variable of the body.
pub struct VarInfo {
    /// The name it has in generated code.
    pub name: Ident,
    /// Whether it depends on an active argument.
    pub varied: bool,
    /// Whether it is the value of a bail (`return None`): the arm that
    /// makes it ends there.
    pub diverges: bool,
}

/// A sequence of statements.
#[derive(Default)]
pub struct Block {
    pub stmts: Vec<Stmt>,
}

/// A statement of the intermediate form.
pub enum Stmt {
    /// `let out = op;`
    Step(Box<Step>),
    /// A statement that computes nothing differentiable (a constant `let`, a
    /// macro call, an item), emitted as written in the forward sweep.
    Verbatim(TokenStream),
    /// `if` or `match` on a value without derivative, with arms whose values
    /// have one.
    Branch(Box<Branch>),
    /// `for` over constants, with variables carried from one iteration to the next.
    Loop(Box<Loop>),
}

/// A loop: `for` over constants (`0..n`, a slice of constants), `while` or
/// `loop`. The forward sweep runs it, pushing on a stack what each
/// iteration's backward pass reads (the loop variable, the operands and
/// results its steps keep); the reverse sweep pops them and runs each
/// iteration's backward pass, last first, without computing it again.
pub struct Loop {
    pub head: LoopHead,
    /// The body; its results are the carried variables at its end.
    pub body: Region,
    /// Whether the pass that just ran leaves the loop (a `break` was
    /// reached), a value without derivative computed by the body.
    pub exit: Option<Value>,
    /// The carried variables at the start of an iteration.
    pub phis: Vec<VarId>,
    /// Their values before the loop.
    pub inits: Vec<Value>,
    /// Their values after it.
    pub outs: Vec<VarId>,
    pub span: Span,
}

/// How a loop goes on to its next pass.
pub enum LoopHead {
    /// `for pat in iter`: the pattern, names resolved, and what it iterates
    /// over (both constants).
    For { pat: TokenStream, iter: TokenStream },
    /// `while cond`, on the carried values (a constant).
    While(TokenStream),
    /// `loop`, left by `break` only.
    Loop,
}

/// A choice between arms. The forward sweep runs the arm taken, which hands
/// out (in an `Option` per arm) what its backward pass reads; the reverse
/// sweep runs the backward pass of the arm taken on it, without computing
/// the arm again.
pub struct Branch {
    pub head: Head,
    /// The arms, in the order the head lists them.
    pub arms: Vec<Region>,
    /// The values the branch defines: its own value and every variable an
    /// arm assigns, merged.
    pub outs: Vec<VarId>,
    pub span: Span,
}

/// How a branch chooses its arm.
pub enum Head {
    /// `if cond { arms[0] } else { arms[1] }`, on a variable without derivative.
    If(VarId),
    /// `match scrutinee { patterns[k] => arms[k], .. }`: the scrutinee a
    /// variable without derivative, each pattern with its guard and its
    /// names resolved (they bind constants).
    Match {
        scrutinee: VarId,
        patterns: Vec<TokenStream>,
    },
}

impl Head {
    /// The variable the branch reads to choose.
    pub fn var(&self) -> VarId {
        match self {
            Head::If(v) | Head::Match { scrutinee: v, .. } => *v,
        }
    }
}

/// The statements of a branch and the value each output has at its end.
pub struct Region {
    pub block: Block,
    pub results: Vec<Value>,
}

/// One primal step.
pub struct Step {
    pub out: VarId,
    pub op: Op,
    /// A type annotation the user wrote on the `let`, kept for constant steps.
    pub ty: Option<syn::Type>,
    /// Whether the user declared it `mut` (kept for constant steps, which the
    /// user's own code may mutate in place).
    pub mutable: bool,
    pub span: Span,
}

/// What a step computes.
pub enum Op {
    /// A value without derivative, computed as written.
    Const(TokenStream),
    /// `-a`.
    Neg(Operand),
    /// `a + b`, `a - b`, `a * b`, `a / b`.
    Binary(BinOp, Operand, Operand),
    /// A float method with a derivative rule, `x.sin()` or `f64::sin(x)`.
    /// A call of a differentiable function: one generated by
    /// `#[differentiable]`, or one with a hand-written rule under the same
    /// convention (the prelude's `relu`).
    Call {
        /// The function's path as written, without generic arguments.
        path: TokenStream,
        /// The generic arguments of the call (`::<f32>`), if any.
        generics: TokenStream,
        args: Vec<Operand>,
        /// What unwraps the result of a function that returns an `Option`
        /// or `Result` (`?`, `.unwrap()`), as written; empty for others.
        suffix: TokenStream,
    },
    /// A call of a differentiable method, `layer.forward(&h)`: its
    /// composition entry point is the method `__reverse_forward` beside it.
    MethodCall {
        method: Ident,
        /// Generic arguments as written (`::<f32>`), if any.
        generics: TokenStream,
        /// The receiver first, then the arguments.
        args: Vec<Operand>,
        /// As for [`Op::Call`].
        suffix: TokenStream,
    },
    /// `base[index]` of a container built in the body (a `Vec`, an array).
    Index { base: Operand, index: TokenStream },
    /// `base[index] = value` (or `+=`, `-=`): the container after the write.
    /// The container before it moves in, unless the backward pass reads it.
    SetIndex {
        base: Operand,
        index: TokenStream,
        /// `+=` or `-=`, or `None` for `=`.
        op: Option<BinOp>,
        value: Operand,
    },
    /// `base.push(value)`: the `Vec` after the push.
    Push { base: Operand, value: Operand },
    /// `[a, b, ..]`: an array of the elements.
    Array(Vec<Operand>),
    /// `concatenate(axis, &[a, b, ...])` or `stack(axis, &[a, b, ...])`.
    Join {
        /// `stack` rather than `concatenate`.
        stack: bool,
        /// The function's path as written.
        path: TokenStream,
        /// The axis, a constant.
        axis: TokenStream,
        parts: Vec<Operand>,
        /// `.unwrap()` or `?` of the `Result`, as written.
        suffix: TokenStream,
    },
    Method {
        rule: &'static Rule,
        /// How the user called it.
        form: CallForm,
        /// The receiver first, then the arguments.
        args: Vec<Operand>,
        /// What follows the call in the user's code: `.unwrap()` or `?` of
        /// a method returning an `Option` or `Result`.
        suffix: TokenStream,
    },
}

/// How a method with a rule is called.
pub enum CallForm {
    /// `x.sin()`.
    Method,
    /// `f64::sin(x)`, with this path.
    Path(TokenStream),
    /// `x.mapv(f64::sin)`, with this function.
    Mapv(TokenStream),
}

/// A binary arithmetic operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
}

/// A value as an operand, borrowed (`&x`) or not, as the user wrote it.
#[derive(Clone)]
pub struct Operand {
    pub value: Value,
    pub borrowed: bool,
}

/// A value of the body.
#[derive(Clone)]
pub enum Value {
    /// A variable of the body.
    Var(VarId),
    /// A part of an argument: `p`, `p.beta[0]`.
    Place(Place),
    /// A value without derivative: the user's tokens, names already resolved.
    Const(TokenStream),
}

/// A place inside an argument, read in the forward sweep and accumulated
/// into in the reverse sweep (`d_p.beta[0]`).
#[derive(Clone)]
pub struct Place {
    /// The index of the argument.
    pub param: usize,
    /// The projection after the argument's name: `.beta[0]`.
    pub path: TokenStream,
}

/// What a name of the body is bound to.
#[derive(Clone)]
pub enum Binding {
    Value(Operand),
    /// A tuple, kept apart into its elements.
    Tuple(Vec<Binding>),
}

impl Func {
    /// Whether a value depends on an active argument.
    pub fn varied(&self, value: &Value) -> bool {
        match value {
            Value::Var(v) => self.vars[v.0].varied,
            Value::Place(p) => self.params[p.param].active,
            Value::Const(_) => false,
        }
    }
}

impl Value {
    pub fn operand(self) -> Operand {
        Operand {
            value: self,
            borrowed: false,
        }
    }
}

impl Op {
    /// The operands whose adjoints this step computes, with their position.
    pub fn operands(&self) -> Vec<(usize, &Operand)> {
        match self {
            Op::Const(_) => Vec::new(),
            Op::Neg(a) | Op::Index { base: a, .. } => vec![(0, a)],
            Op::SetIndex { base, value, .. } | Op::Push { base, value } => {
                vec![(0, base), (1, value)]
            }
            Op::Binary(_, a, b) => vec![(0, a), (1, b)],
            Op::Call { args, .. } => args.iter().enumerate().collect(),
            Op::Join { parts, .. } | Op::Array(parts) => parts.iter().enumerate().collect(),
            Op::MethodCall { args, .. } => args.iter().enumerate().collect(),
            Op::Method { rule, args, .. } => args
                .iter()
                .enumerate()
                .filter(|(i, _)| rule.differentiable(*i))
                .collect(),
        }
    }
}
