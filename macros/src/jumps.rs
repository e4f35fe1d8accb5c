//! `break`, `continue` and `return` in the middle of a body, rewritten into
//! the structured forms the lowering differentiates.
//!
//! A statement that may jump (`if c { continue; }`) takes the rest of its
//! block with it: the rest becomes a *continuation* appended to each of its
//! arms, so an arm that jumps simply ends there, and one that falls through
//! runs the rest. The continuation is a block labelled with the depth of
//! the scopes it belongs to, so the lowering resolves its names as they
//! were where it was written, not inside the arm it was moved into.
//!
//! A `return value` inside a loop stores the value in a variable declared
//! before the loop (starting at the result type's default) and breaks out of
//! every loop it is nested in; after the loop, `if returned { return
//! stored; }` returns it, and is then a jump like any other.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{Block, Expr, Ident, Label, Lifetime, Stmt};

/// The label of a continuation block: the prefix, then the scope depth.
const CONTINUATION: &str = "__gradgen_continuation_";

/// The name of the variable a loop's `break` sets, one per loop.
pub const BREAK_FLAG: &str = "__gradgen_exit";

/// The variables a `return` inside a loop sets: the value, and that it
/// returned.
pub const RETURN_VALUE: &str = "__gradgen_result";
pub const RETURNED: &str = "__gradgen_returned";

/// `'__gradgen_continuation_N: { stmts }`: the rest of a block, to be
/// lowered with the scopes `0..depth` it was written in.
pub fn continuation(depth: usize, stmts: Vec<Stmt>, span: Span) -> Expr {
    Expr::Block(syn::ExprBlock {
        attrs: Vec::new(),
        label: Some(Label {
            name: Lifetime::new(&format!("'{CONTINUATION}{depth}"), span),
            colon_token: Default::default(),
        }),
        block: Block {
            brace_token: Default::default(),
            stmts,
        },
    })
}

/// The scope depth of a continuation block, or `None` for any other block.
pub fn continuation_depth(label: Option<&Label>) -> Option<usize> {
    label?
        .name
        .ident
        .to_string()
        .strip_prefix(CONTINUATION)?
        .parse()
        .ok()
}

/// What a piece of code may jump out of.
#[derive(Default, Clone, Copy)]
pub struct Jumps {
    /// A `break` or `continue` of the loop around it.
    pub loop_exit: bool,
    /// A `return`.
    pub returns: bool,
    /// A `return` inside a loop of its own.
    pub returns_from_loop: bool,
}

impl Jumps {
    pub fn any(self) -> bool {
        self.loop_exit || self.returns
    }
}

/// The jumps in `stmt` that leave it (a `break` of a loop inside it stays
/// inside it). Closures and items are not looked into.
pub fn jumps_in(stmt: &Stmt) -> Jumps {
    Finder::run(|f| f.visit_stmt(stmt))
}

/// The jumps in an expression (see [`jumps_in`]).
pub fn jumps_in_expr(expr: &Expr) -> Jumps {
    Finder::run(|f| f.visit_expr(expr))
}

struct Finder {
    jumps: Jumps,
    /// How many loops deep inside the code the visitor is.
    loops: usize,
}

impl Finder {
    fn run(visit: impl FnOnce(&mut Finder)) -> Jumps {
        let mut finder = Finder {
            jumps: Jumps::default(),
            loops: 0,
        };
        visit(&mut finder);
        finder.jumps
    }

    fn in_loop(&mut self, body: &Block) {
        self.loops += 1;
        self.visit_block(body);
        self.loops -= 1;
    }
}

impl<'ast> Visit<'ast> for Finder {
    fn visit_expr(&mut self, expr: &'ast Expr) {
        match expr {
            Expr::Break(_) | Expr::Continue(_) if self.loops == 0 => self.jumps.loop_exit = true,
            Expr::Return(_) => {
                self.jumps.returns = true;
                self.jumps.returns_from_loop |= self.loops > 0;
            }
            // What a loop iterates over or tests is outside its body.
            Expr::ForLoop(f) => {
                self.visit_expr(&f.expr);
                self.in_loop(&f.body);
                return;
            }
            Expr::While(w) => {
                self.visit_expr(&w.cond);
                self.in_loop(&w.body);
                return;
            }
            Expr::Loop(l) => {
                self.in_loop(&l.body);
                return;
            }
            Expr::Closure(_) => return,
            _ => {}
        }
        syn::visit::visit_expr(self, expr);
    }
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// `expr` (an `if`, a block or a `match` in statement position) with
/// `rest` appended to every arm, so the arms that do not jump run it; `None`
/// for any other expression.
pub fn append_to_arms(expr: &Expr, rest: &Expr) -> Option<Expr> {
    match expr {
        Expr::If(i) => {
            let mut i = i.clone();
            append(&mut i.then_branch, rest);
            let els = match i.else_branch.take() {
                Some((_, e)) => match *e {
                    Expr::Block(mut b) if b.label.is_none() => {
                        append(&mut b.block, rest);
                        Expr::Block(b)
                    }
                    other => append_to_arms(&other, rest)?,
                },
                None => Expr::Block(syn::ExprBlock {
                    attrs: Vec::new(),
                    label: None,
                    block: Block {
                        brace_token: Default::default(),
                        stmts: vec![Stmt::Expr(rest.clone(), None)],
                    },
                }),
            };
            i.else_branch = Some((Default::default(), Box::new(els)));
            Some(Expr::If(i))
        }
        Expr::Block(b) if b.label.is_none() => {
            let mut b = b.clone();
            append(&mut b.block, rest);
            Some(Expr::Block(b))
        }
        Expr::Match(m) => {
            let mut m = m.clone();
            for arm in &mut m.arms {
                let body = std::mem::replace(&mut *arm.body, Expr::Verbatim(Default::default()));
                *arm.body = Expr::Block(syn::ExprBlock {
                    attrs: Vec::new(),
                    label: None,
                    block: Block {
                        brace_token: Default::default(),
                        stmts: vec![
                            Stmt::Expr(body, Some(Default::default())),
                            Stmt::Expr(rest.clone(), None),
                        ],
                    },
                });
                arm.comma = Some(Default::default());
            }
            Some(Expr::Match(m))
        }
        Expr::Paren(p) => append_to_arms(&p.expr, rest),
        _ => None,
    }
}

/// `rest` as the last statement of `block`, whose own last expression
/// becomes a statement (an arm in statement position has no value).
fn append(block: &mut Block, rest: &Expr) {
    if let Some(Stmt::Expr(_, semi @ None)) = block.stmts.last_mut() {
        *semi = Some(Default::default());
    }
    block.stmts.push(Stmt::Expr(rest.clone(), None));
}

/// A loop with `return`s inside, rewritten: each `return e` becomes
/// `{ value = e; returned = true; break; }`, and a loop around it (inside
/// the outer one) is left too, with `if returned { break; }` after it. What
/// follows the loop returns `value` if `returned`.
pub fn hoist_returns(lp: &Expr, value: &Ident, returned: &Ident) -> Expr {
    let mut hoist = Hoist { value, returned };
    let mut lp = lp.clone();
    hoist.visit_loop_body(&mut lp);
    lp
}

struct Hoist<'a> {
    value: &'a Ident,
    returned: &'a Ident,
}

impl Hoist<'_> {
    /// Rewrites the returns in a loop's body; whether it had any.
    fn visit_loop_body(&mut self, lp: &mut Expr) -> bool {
        let body = match lp {
            Expr::ForLoop(f) => &mut f.body,
            Expr::While(w) => &mut w.body,
            Expr::Loop(l) => &mut l.body,
            _ => return false,
        };
        let mut found = Found(false);
        found.visit_block(body);
        self.visit_block_mut(body);
        found.0
    }
}

/// Whether a block holds a `return` (outside closures).
struct Found(bool);

impl<'ast> Visit<'ast> for Found {
    fn visit_expr_return(&mut self, _: &'ast syn::ExprReturn) {
        self.0 = true;
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

impl VisitMut for Hoist<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        match expr {
            Expr::Return(r) => {
                let returned_value: Expr = match r.expr.take() {
                    Some(e) => *e,
                    None => syn::parse_quote!(()),
                };
                let (value, returned) = (self.value, self.returned);
                let span = r.return_token.span();
                *expr = syn::parse_quote_spanned! {span=>
                    { #value = #returned_value; #returned = true; break; }
                };
            }
            Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_) => {
                if self.visit_loop_body(expr) {
                    // Returned from inside the inner loop: leave this one too.
                    let returned = self.returned;
                    let inner = expr.clone();
                    *expr = syn::parse_quote! {{ #inner if #returned { break; } }};
                }
            }
            Expr::Closure(_) => {}
            _ => syn::visit_mut::visit_expr_mut(self, expr),
        }
    }
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

/// The name of the variable that says a statement jumped, when the rest of
/// its block follows it once rather than in each arm (numbered, one per
/// such statement).
pub const JUMPED: &str = "__gradgen_jumped";

/// How many arms of a statement (`if`, block, `match`) can end without
/// jumping: those that would each get a copy of the rest of the block.
pub fn arms_falling_through(expr: &Expr) -> usize {
    match expr {
        Expr::If(i) => {
            let then = usize::from(!always_jumps(&i.then_branch));
            let els = match &i.else_branch {
                None => 1,
                Some((_, e)) => arms_falling_through(e),
            };
            then + els
        }
        Expr::Block(b) => usize::from(!always_jumps(&b.block)),
        Expr::Match(m) => m
            .arms
            .iter()
            .filter(|a| !expr_always_jumps(&a.body))
            .count(),
        Expr::Paren(p) => arms_falling_through(&p.expr),
        _ => 1,
    }
}

/// Whether every path through a block ends in a jump.
fn always_jumps(block: &Block) -> bool {
    block.stmts.iter().any(|s| match s {
        Stmt::Expr(e, _) => expr_always_jumps(e),
        _ => false,
    })
}

fn expr_always_jumps(expr: &Expr) -> bool {
    match expr {
        Expr::Break(_) | Expr::Continue(_) | Expr::Return(_) => true,
        Expr::If(_) | Expr::Match(_) => arms_falling_through(expr) == 0,
        Expr::Block(b) => always_jumps(&b.block),
        Expr::Paren(p) => expr_always_jumps(&p.expr),
        _ => false,
    }
}

/// `expr` with `jumped = true;` before each `break` and `continue` that
/// leaves it (not those of loops inside it).
pub fn flag_jumps(expr: &Expr, jumped: &Ident) -> Expr {
    struct Flag<'a> {
        jumped: &'a Ident,
    }
    impl VisitMut for Flag<'_> {
        fn visit_expr_mut(&mut self, expr: &mut Expr) {
            match expr {
                Expr::Break(_) | Expr::Continue(_) => {
                    let (jumped, jump) = (self.jumped, expr.clone());
                    *expr = syn::parse_quote!({ #jumped = true; #jump });
                }
                // What a loop iterates over is outside its body.
                Expr::ForLoop(f) => self.visit_expr_mut(&mut f.expr),
                Expr::While(w) => self.visit_expr_mut(&mut w.cond),
                Expr::Loop(_) | Expr::Closure(_) => {}
                _ => syn::visit_mut::visit_expr_mut(self, expr),
            }
        }
        fn visit_item_mut(&mut self, _: &mut syn::Item) {}
    }
    let mut expr = expr.clone();
    Flag { jumped }.visit_expr_mut(&mut expr);
    expr
}
