//! Stage 2: the language fence. Rejects the syntax that a differentiable
//! body cannot contain, whatever its activity, reporting every case at once.
//! What is allowed only on constants (a `match` on integers, say) is the
//! lowering's to judge, since only it knows what is active.

use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Block, Expr, Item, Local};

use crate::diag::Errors;

/// Checks `body`, adding an error for every unsupported construct.
/// `fallible`: the function returns an `Option` or a `Result`, so `?` may stop it.
pub fn check(body: &Block, fallible: bool, errors: &mut Errors) {
    Fence { errors, fallible }.visit_block(body);
}

struct Fence<'a> {
    errors: &'a mut Errors,
    fallible: bool,
}

const LABELS: &str = "`break` and `continue` with a label are not supported: leave one loop at a time, with a variable the outer loop tests";

impl<'ast> Visit<'ast> for Fence<'_> {
    fn visit_expr(&mut self, expr: &'ast Expr) {
        let message = match expr {
            Expr::Closure(_) => Some(
                "closures are not supported in a differentiable body: write the computation inline, or as a `#[differentiable]` function of its own".to_string(),
            ),
            Expr::Unsafe(_) => Some(
                "`unsafe` blocks cannot be differentiated: move the unsafe code into a function and use its result as a constant".to_string(),
            ),
            Expr::Async(_) => Some("`async` blocks cannot be differentiated: compute the value synchronously".to_string()),
            Expr::Await(_) => Some("`.await` cannot be differentiated: await the value before calling the function".to_string()),
            Expr::Break(b) if b.label.is_some() => Some(LABELS.to_string()),
            Expr::Continue(c) if c.label.is_some() => Some(LABELS.to_string()),
            Expr::Break(b) if b.expr.is_some() => Some(
                "`break` with a value is not supported: assign the value to a variable declared before the loop, then `break`".to_string(),
            ),
            Expr::Try(_) if !self.fallible => Some(
                "`?` needs a function that returns an `Option` or a `Result`: return `Option<f64>` (the derivative then returns `Option<(f64, gradient)>`), or `.unwrap()` the value".to_string(),
            ),
            Expr::TryBlock(_) => Some("`try` blocks are not supported".to_string()),
            Expr::Yield(_) => Some("`yield` cannot be differentiated".to_string()),
            Expr::Reference(r) if r.mutability.is_some() => Some(
                "`&mut` borrows are not supported in a differentiable body: bind a new value with `let` instead of mutating through a reference".to_string(),
            ),
            _ => None,
        };
        match message {
            Some(message) => self.errors.push(expr_span(expr), message),
            None => visit::visit_expr(self, expr),
        }
    }

    fn visit_local(&mut self, local: &'ast Local) {
        if let Some(init) = &local.init
            && let Some((else_token, _)) = &init.diverge
        {
            self.errors.push(
                else_token.span(),
                "`let ... else` is not supported: bind the value with a plain `let`",
            );
        }
        visit::visit_local(self, local);
    }

    fn visit_item(&mut self, _item: &'ast Item) {
        // Items inside the body are ordinary code the body may call; they are
        // not differentiated, so there is nothing to fence.
    }
}

/// Whether the fence rejects `expr` or anything inside it, so that later
/// stages need not report the same code a second time.
pub fn rejects(expr: &Expr) -> bool {
    let mut errors = Errors::default();
    let mut fence = Fence {
        errors: &mut errors,
        // `?` where it is not allowed is reported once, by `check`.
        fallible: true,
    };
    fence.visit_expr(expr);
    errors.finish(()).is_err()
}

/// The span to report a construct at: its keyword, where it has one, so the
/// caret points at what to change rather than at a whole block.
pub fn expr_span(expr: &Expr) -> proc_macro2::Span {
    match expr {
        Expr::Closure(c) => c.or1_token.span(),
        Expr::Unsafe(u) => u.unsafe_token.span(),
        Expr::Async(a) => a.async_token.span(),
        Expr::ForLoop(f) => f.for_token.span(),
        Expr::While(w) => w.while_token.span(),
        Expr::Loop(l) => l.loop_token.span(),
        Expr::If(i) => i.if_token.span(),
        Expr::Match(m) => m.match_token.span(),
        Expr::Try(t) => t.question_token.span(),
        other => other.span(),
    }
}
