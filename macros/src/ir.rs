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
    /// Whether the function differentiates with respect to it.
    pub active: bool,
}

/// A variable of the body.
pub struct VarInfo {
    /// The name it has in generated code.
    pub name: Ident,
    /// Whether it depends on an active argument.
    pub varied: bool,
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
    Method {
        rule: &'static Rule,
        /// The path of the path form (`f64::sin`), `None` for the method form.
        path: Option<TokenStream>,
        /// The receiver first, then the arguments.
        args: Vec<Operand>,
    },
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
    /// The steps in the order the forward sweep runs them.
    pub fn steps(&self) -> impl DoubleEndedIterator<Item = &Step> {
        self.body.stmts.iter().filter_map(|s| match s {
            Stmt::Step(step) => Some(&**step),
            Stmt::Verbatim(_) => None,
        })
    }

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
            Op::Neg(a) => vec![(0, a)],
            Op::Binary(_, a, b) => vec![(0, a), (1, b)],
            Op::Method { rule, args, .. } => args
                .iter()
                .enumerate()
                .filter(|(i, _)| rule.differentiable(*i))
                .collect(),
        }
    }
}
