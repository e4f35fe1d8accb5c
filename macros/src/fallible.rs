//! A body that returns its value in an `Option` or a `Result`, rewritten to
//! compute the value itself, which is what the lowering differentiates.
//!
//! `Some(e)` / `Ok(e)` where the body returns become `e`; `None` / `Err(..)`
//! become a *bail*, `::gradgen::__private::bail!(None)`, a `return` of the
//! derivative's own entry point that the jump rewriting does not see (the
//! derivative stops where the function stops: nothing is left to
//! differentiate); any other returned expression `e` becomes `e?` (with
//! the error pinned to the written error type, which `?` would otherwise
//! leave to inference through `From`). A `?`
//! inside the body stays as written: in generated code it leaves the entry
//! point, which returns the same `Option` or `Result` around what it keeps.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{Block, Expr, Stmt};

use crate::parse::Fallible;

/// The body with its results unwrapped (see the module's docs).
pub fn rewrite(body: &Block, fallible: &Fallible) -> Block {
    let mut body = body.clone();
    let mut returns = Returns { fallible };
    returns.visit_block_mut(&mut body);
    if let Some(Stmt::Expr(tail, None)) = body.stmts.last_mut() {
        unwrap_result(tail, fallible);
    }
    body
}

/// Whether a macro call is a bail made by [`rewrite`].
pub fn is_bail(mac: &syn::Macro) -> bool {
    let segments: Vec<String> = mac
        .path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect();
    segments == ["gradgen", "__private", "bail"]
}

/// Whether evaluating `expr` may leave the function early (a `?` or a bail
/// inside it), so that it must run once, where it is written.
pub fn stops_early(expr: &Expr) -> bool {
    struct Finder(bool);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr_try(&mut self, _: &'ast syn::ExprTry) {
            self.0 = true;
        }
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            self.0 |= is_bail(m);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut finder = Finder(false);
    finder.visit_expr(expr);
    finder.0
}

/// Rewrites every `return` (not those of closures or items inside).
struct Returns<'f> {
    fallible: &'f Fallible,
}

impl VisitMut for Returns<'_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        syn::visit_mut::visit_expr_mut(self, expr);
        if let Expr::Return(r) = expr
            && let Some(value) = &r.expr
        {
            let mut value = (**value).clone();
            let span = r.return_token.span;
            match self.fallible.classify(&value) {
                Returned::Success(inner) => r.expr = Some(Box::new(inner)),
                Returned::Failure(residual) => *expr = bail(&residual, span),
                Returned::Other => {
                    unwrap_result(&mut value, self.fallible);
                    r.expr = Some(Box::new(value));
                }
            }
        }
    }
    fn visit_expr_closure_mut(&mut self, _: &mut syn::ExprClosure) {}
    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

/// What a result position holds.
enum Returned {
    /// `Some(e)` / `Ok(e)`: the value `e`.
    Success(Expr),
    /// `None` / `Err(e)`, as the entry point returns it: without the
    /// type arguments the user may have written (`None::<f64>`).
    Failure(Expr),
    /// Anything else: an `Option` or `Result` computed some other way.
    Other,
}

impl Fallible {
    fn classify(&self, expr: &Expr) -> Returned {
        let (success, failure) = if self.option {
            ("Some", "None")
        } else {
            ("Ok", "Err")
        };
        let last = |path: &syn::Path| path.segments.last().map(|s| s.ident.to_string());
        match expr {
            Expr::Paren(p) => self.classify(&p.expr),
            Expr::Call(c) if c.args.len() == 1 => match &*c.func {
                Expr::Path(p) if last(&p.path).as_deref() == Some(success) => {
                    Returned::Success(c.args[0].clone())
                }
                Expr::Path(p) if !self.option && last(&p.path).as_deref() == Some(failure) => {
                    let error = &c.args[0];
                    Returned::Failure(syn::parse_quote_spanned!(p.span()=> Err(#error)))
                }
                _ => Returned::Other,
            },
            Expr::Path(p) if self.option && last(&p.path).as_deref() == Some(failure) => {
                Returned::Failure(syn::parse_quote_spanned!(p.span()=> None))
            }
            _ => Returned::Other,
        }
    }
}

/// Rewrites the expression in a result position (the body's tail, and the
/// tails of the branches and blocks that make it) to the value itself.
fn unwrap_result(expr: &mut Expr, fallible: &Fallible) {
    match expr {
        Expr::Paren(p) => unwrap_result(&mut p.expr, fallible),
        Expr::Block(b) if b.label.is_none() => {
            if let Some(Stmt::Expr(tail, None)) = b.block.stmts.last_mut() {
                unwrap_result(tail, fallible);
            }
        }
        Expr::If(i) => {
            if let Some(Stmt::Expr(tail, None)) = i.then_branch.stmts.last_mut() {
                unwrap_result(tail, fallible);
            }
            if let Some((_, other)) = &mut i.else_branch {
                unwrap_result(other, fallible);
            }
        }
        Expr::Match(m) => {
            for arm in &mut m.arms {
                unwrap_result(&mut arm.body, fallible);
            }
        }
        // Left only by `return`, rewritten already; `!` has no value to unwrap.
        Expr::Return(_) | Expr::Loop(_) | Expr::ForLoop(_) | Expr::While(_) => {}
        Expr::Macro(m) if is_bail(&m.mac) || diverges(&m.mac) => {}
        _ => match fallible.classify(expr) {
            Returned::Success(inner) => *expr = inner,
            Returned::Failure(residual) => *expr = bail(&residual, expr.span()),
            Returned::Other => {
                let span = expr.span();
                let inner = expr.clone();
                // The error converts to itself: where the user's code
                // leaves its type to inference (`.ok_or("empty".into())`),
                // the written error type decides it.
                *expr = match &fallible.error {
                    Some(error) => {
                        syn::parse_quote_spanned!(span=> #inner.map_err(::core::convert::identity::<#error>)?)
                    }
                    None => syn::parse_quote_spanned!(span=> #inner?),
                };
            }
        },
    }
}

/// `panic!`, `unreachable!`, `todo!`, `unimplemented!`: no value to unwrap.
pub fn diverges(mac: &syn::Macro) -> bool {
    mac.path.segments.last().is_some_and(|s| {
        ["panic", "unreachable", "todo", "unimplemented"].contains(&s.ident.to_string().as_str())
    })
}

/// `::gradgen::__private::bail!(residual)`.
fn bail(residual: &Expr, span: Span) -> Expr {
    syn::parse_quote_spanned!(span=> ::gradgen::__private::bail!(#residual))
}
