//! Stage 3: the body into the flat single-assignment form of [`crate::ir`].
//!
//! Lowering walks the body once, in order, keeping what every name is bound
//! to. Tuples are kept apart into their elements; `let y = x;` and
//! `let w = &p.omega;` only bind names; every differentiable operation
//! becomes a step. Whatever carries no derivative stays the user's own code,
//! with names resolved. Errors are recorded and lowering goes on, so one run
//! reports every problem in the body.

use std::collections::HashMap;

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::{ToTokens, format_ident, quote};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;
use syn::{BinOp as SynBinOp, Expr, Ident, Member, Pat, Stmt as SynStmt, UnOp};

use crate::diag::Errors;
use crate::fallible;
use crate::fence::expr_span;
use crate::ir::{
    BinOp, Binding, Block, Branch, CallForm, Func, Head, Op, Operand, Param, Place, Region, Step,
    Stmt, Value, VarId, VarInfo,
};
use crate::jumps::{self, Jumps};
use crate::naming::Names;
use crate::parse::{Signature, is_integer_type};
use crate::rules::{self, Rule};

/// Lowers `body`, recording every problem in `errors`.
pub fn lower(
    sig: &Signature,
    generics: &syn::Generics,
    body: &syn::Block,
    names: &mut Names,
    errors: &mut Errors,
) -> Func {
    let mut lowering = Lowering {
        names,
        errors,
        vars: Vec::new(),
        scopes: vec![HashMap::new()],
        block: Block::default(),
        params_active: sig.args.iter().map(|a| a.active).collect(),
        param_names: sig.args.iter().map(|a| a.name.clone()).collect(),
        type_params: generics
            .type_params()
            .map(|p| p.ident.to_string())
            .collect(),
        ret: sig.ret.clone(),
        flags: 0,
    };
    let mut params = Vec::new();
    for (i, arg) in sig.args.iter().enumerate() {
        let name = lowering.names.user(&arg.name);
        let place = Place {
            param: i,
            path: TokenStream::new(),
        };
        lowering.bind(&arg.name, Binding::Value(Value::Place(place).operand()));
        params.push(Param {
            name,
            by_ref: matches!(arg.ty, syn::Type::Reference(_)),
            active: arg.active,
        });
    }
    let result = lowering.block(body);
    Func {
        params,
        vars: lowering.vars,
        body: lowering.block,
        result,
    }
}

struct Lowering<'a> {
    names: &'a mut Names,
    errors: &'a mut Errors,
    vars: Vec<VarInfo>,
    scopes: Scopes,
    /// The steps so far.
    block: Block,
    params_active: Vec<bool>,
    param_names: Vec<Ident>,
    type_params: Vec<String>,
    /// The result type, for a value returned from inside a loop.
    ret: syn::Type,
    /// How many flags of jumps (see [`jumps::JUMPED`]) there are so far.
    flags: usize,
}

/// What each name of the user's is bound to, innermost scope last.
type Scopes = Vec<HashMap<String, Binding>>;

/// The value of a construct that has none.
fn unit() -> Binding {
    Binding::Value(Value::Const(quote!(())).operand())
}

/// The value lowering gives a construct it rejected, so it can go on.
fn poison() -> Binding {
    unit()
}

/// Whether a binding is [`unit`] (or [`poison`], which is the same).
fn is_unit(binding: &Binding) -> bool {
    matches!(binding, Binding::Value(Operand { value: Value::Const(t), .. }) if t.to_string() == "()")
}

/// The value of code that does not end (an arm after `return None;`):
/// of any type, never made.
fn never() -> Value {
    Value::Const(quote!(::gradgen::__private::never()))
}

impl Lowering<'_> {
    // ----- names ---------------------------------------------------------

    fn lookup(&self, name: &str) -> Option<&Binding> {
        self.scopes.iter().rev().find_map(|s| s.get(name))
    }

    fn bind(&mut self, name: &Ident, binding: Binding) {
        let key = name.to_string();
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(key, binding);
        }
    }

    /// Rebinds an existing name in the scope that holds it (assignment).
    fn rebind(&mut self, name: &Ident, binding: Binding) {
        let key = name.to_string();
        for scope in self.scopes.iter_mut().rev() {
            if let Some(slot) = scope.get_mut(&key) {
                *slot = binding;
                return;
            }
        }
    }

    fn new_var(&mut self, name: Ident, varied: bool) -> VarId {
        self.vars.push(VarInfo {
            name,
            varied,
            diverges: false,
        });
        VarId(self.vars.len() - 1)
    }

    fn push_step(
        &mut self,
        want: Option<&Ident>,
        op: Op,
        ty: Option<syn::Type>,
        span: Span,
    ) -> VarId {
        let varied = !matches!(op, Op::Const(_));
        // A constant the user names may be changed in place later by
        // constant code kept as written (`if k > 0 { v += 1.0; }`).
        let mutable = !varied && want.is_some();
        let name = match want {
            Some(user) => self.names.user(user),
            None => self.names.temp(span),
        };
        let out = self.new_var(name, varied);
        self.block.stmts.push(Stmt::Step(Box::new(Step {
            out,
            op,
            ty,
            mutable,
            span,
        })));
        out
    }

    fn value_varied(&self, value: &Value) -> bool {
        match value {
            Value::Var(v) => self.vars[v.0].varied,
            Value::Place(p) => self.params_active[p.param],
            Value::Const(_) => false,
        }
    }

    fn binding_varied(&self, binding: &Binding) -> bool {
        match binding {
            Binding::Value(o) => self.value_varied(&o.value),
            Binding::Tuple(items) => items.iter().any(|b| self.binding_varied(b)),
        }
    }

    /// The tokens that stand for a binding inside the user's own code.
    fn binding_tokens(&self, binding: &Binding) -> TokenStream {
        match binding {
            Binding::Value(o) => self.operand_tokens(o),
            Binding::Tuple(items) => {
                let items = items.iter().map(|b| self.binding_tokens(b));
                quote!((#(#items,)*))
            }
        }
    }

    fn operand_tokens(&self, operand: &Operand) -> TokenStream {
        let value = match &operand.value {
            Value::Var(v) => self.vars[v.0].name.to_token_stream(),
            Value::Place(p) => {
                let root = &self.param_names[p.param];
                let path = &p.path;
                quote!(#root #path)
            }
            Value::Const(tokens) => tokens.clone(),
        };
        if operand.borrowed {
            quote!((&#value))
        } else {
            value
        }
    }

    // ----- constants -----------------------------------------------------

    /// Whether `expr` mentions a name bound to a value with a derivative.
    /// A jump out of `expr`, and the rest of a block moved into it, count
    /// as such: what they leave or read is lowered with them.
    fn mentions_varied(&self, expr: &Expr) -> bool {
        let mut finder = Mentions {
            lowering: self,
            found: false,
        };
        finder.visit_expr(expr);
        finder.found || jumps::jumps_in_expr(expr).any()
    }

    fn mentions_varied_tokens(&self, tokens: &TokenStream) -> bool {
        tokens.clone().into_iter().any(|tt| match tt {
            TokenTree::Ident(i) => self
                .lookup(&i.to_string())
                .is_some_and(|b| self.binding_varied(b)),
            TokenTree::Group(g) => self.mentions_varied_tokens(&g.stream()),
            _ => false,
        })
    }

    /// The user's expression with every name resolved to what generated
    /// code calls it.
    fn resolve(&self, expr: &Expr) -> TokenStream {
        let mut expr = expr.clone();
        Resolver {
            lowering: self,
            own: Vec::new(),
        }
        .visit_expr_mut(&mut expr);
        expr.to_token_stream()
    }

    /// Tokens with the user's names resolved, but for those `own` says
    /// the code binds itself.
    fn resolve_tokens(&self, tokens: TokenStream, own: &dyn Fn(&str) -> bool) -> TokenStream {
        tokens
            .into_iter()
            .map(|tt| match tt {
                TokenTree::Ident(i) => match self.lookup(&i.to_string()) {
                    Some(b) if !own(&i.to_string()) => self.binding_tokens(b),
                    _ => TokenTree::Ident(i).into(),
                },
                TokenTree::Group(g) => {
                    let mut group = proc_macro2::Group::new(
                        g.delimiter(),
                        self.resolve_tokens(g.stream(), own),
                    );
                    group.set_span(g.span());
                    TokenTree::Group(group).into()
                }
                other => other.into(),
            })
            .collect()
    }

    /// The value of constant code: written as it is, or, where it changes
    /// variables in place, run on copies of them (see `constant_effects`).
    fn constant_value(&mut self, expr: &Expr) -> Binding {
        if assigned_in(expr).is_empty() {
            self.constant(expr)
        } else {
            self.constant_effects(expr, true)
        }
    }

    /// A value without derivative. Code that may stop early
    /// (`n.checked_sub(1)?`) gets a variable: it runs once, where it is
    /// written, never again in the backward pass.
    fn constant(&mut self, expr: &Expr) -> Binding {
        let tokens = self.resolve(expr);
        if fallible::stops_early(expr) {
            let out = self.push_step(None, Op::Const(tokens), None, expr_span(expr));
            if matches!(expr, Expr::Macro(m) if fallible::is_bail(&m.mac)) {
                self.vars[out.0].diverges = true;
            }
            return Binding::Value(Value::Var(out).operand());
        }
        Binding::Value(Value::Const(tokens).operand())
    }

    // ----- statements ----------------------------------------------------

    /// Lowers a block, returning the value of its final expression.
    fn block(&mut self, block: &syn::Block) -> Binding {
        self.scopes.push(HashMap::new());
        let result = self.stmts(block.stmts.clone());
        self.scopes.pop();
        result
    }

    /// Lowers statements in the innermost scope, returning the value of the
    /// last. A statement that may jump takes the rest with it (see
    /// [`jumps`]); a jump ends the statements.
    fn stmts(&mut self, mut stmts: Vec<SynStmt>) -> Binding {
        let mut i = 0;
        while i < stmts.len() {
            let stmt = &stmts[i];
            let last = i + 1 == stmts.len();
            let jumps = jumps::jumps_in(stmt);
            // A loop that returns: the loop leaves with a code, and what
            // follows returns the value that code stands for.
            if jumps.returns_from_loop
                && let SynStmt::Expr(lp @ (Expr::ForLoop(_) | Expr::While(_) | Expr::Loop(_)), _) =
                    stmt
            {
                let span = expr_span(lp);
                let value = Ident::new(jumps::RETURN_VALUE, span);
                let returned = Ident::new(jumps::RETURNED, span);
                let ret = &self.ret;
                let lp = jumps::hoist_returns(lp, &value, &returned);
                if jumps::jumps_in_expr(&lp).returns_from_loop {
                    self.errors.push(
                        span,
                        "a `return` in what a loop iterates over or tests is not supported: compute it before the loop",
                    );
                    i += 1;
                    continue;
                }
                // A `loop` that ends the block is left only by its returns.
                let ends_block = last && matches!(lp, Expr::Loop(_));
                let after: SynStmt = if ends_block {
                    SynStmt::Expr(syn::parse_quote!(#value), None)
                } else {
                    syn::parse_quote!(if #returned { return #value; })
                };
                let spliced: Vec<SynStmt> = vec![
                    syn::parse_quote!(let mut #value: #ret = ::core::default::Default::default();),
                    syn::parse_quote!(let mut #returned = false;),
                    SynStmt::Expr(lp, Some(Default::default())),
                    after,
                ];
                stmts.splice(i..=i, spliced);
                continue;
            }
            match stmt {
                SynStmt::Expr(Expr::Return(r), _) => {
                    let value = match &r.expr {
                        Some(e) => self.expr(e, None),
                        None => unit(),
                    };
                    self.unreachable(&stmts[i + 1..], "return");
                    return value;
                }
                SynStmt::Expr(Expr::Continue(_), _) => {
                    self.unreachable(&stmts[i + 1..], "continue");
                    return unit();
                }
                SynStmt::Expr(Expr::Break(b), _) => {
                    let flag = Ident::new(jumps::BREAK_FLAG, b.break_token.span());
                    if self.lookup(jumps::BREAK_FLAG).is_some() {
                        self.rebind(&flag, Binding::Value(Value::Const(quote!(true)).operand()));
                    }
                    self.unreachable(&stmts[i + 1..], "break");
                    return unit();
                }
                _ if jumps.any() => return self.jumping(stmt, stmts[i + 1..].to_vec(), jumps),
                SynStmt::Local(local) => self.local(local),
                SynStmt::Item(item) => self
                    .block
                    .stmts
                    .push(Stmt::Verbatim(item.to_token_stream())),
                SynStmt::Macro(m) => self.macro_stmt(&m.mac, &m.attrs),
                SynStmt::Expr(expr, None)
                    if last && self.constant_code(expr) && !assigned_in(expr).is_empty() =>
                {
                    return self.constant_effects(expr, true);
                }
                SynStmt::Expr(expr, None) if last => return self.expr(expr, None),
                SynStmt::Expr(expr, _) => self.expr_stmt(expr),
            }
            // A statement that does not end (`return None;` in a function
            // that returns an `Option`, `panic!(..);`) gives the block a
            // value of any type, which never exists.
            let ends_nothing = match stmt {
                SynStmt::Macro(m) => Some(&m.mac),
                SynStmt::Expr(Expr::Macro(m), Some(_)) => Some(&m.mac),
                _ => None,
            }
            .is_some_and(|m| fallible::is_bail(m) || fallible::diverges(m));
            if ends_nothing {
                return Binding::Value(never().operand());
            }
            i += 1;
        }
        unit()
    }

    /// A statement that may jump, and the `rest` of its block: the rest
    /// moves into each arm of the statement, which then ends the block.
    fn jumping(&mut self, stmt: &SynStmt, rest: Vec<SynStmt>, jumps: Jumps) -> Binding {
        let what = if jumps.returns {
            "`return`"
        } else {
            "`break` or `continue`"
        };
        let SynStmt::Expr(expr, _) = stmt else {
            return self.reject(
                stmt.span(),
                format!("{what} inside a `let` is not supported: decide with an `if` statement, and bind the value in each branch"),
            );
        };
        // Several arms fall through: rather than a copy of the rest in each,
        // the arms say whether they jumped, and the rest runs once if not.
        if !rest.is_empty() && !jumps.returns && jumps::arms_falling_through(expr) > 1 {
            let span = expr_span(expr);
            // A flag of its own: a jump inside an arm of it may leave a
            // statement of the same kind too, and set that one's flag.
            self.flags += 1;
            let jumped = Ident::new(&format!("{}_{}", jumps::JUMPED, self.flags), span);
            let flagged = jumps::flag_jumps(expr, &jumped);
            self.stmts(vec![syn::parse_quote!(let mut #jumped = false;)]);
            self.expr(&flagged, None);
            let guard: SynStmt = SynStmt::Expr(syn::parse_quote!(if !#jumped { #(#rest)* }), None);
            return self.stmts(vec![guard]);
        }
        let with_rest = if rest.is_empty() {
            Some(expr.clone())
        } else {
            let span = rest.first().map_or_else(Span::call_site, |s| s.span());
            let rest = jumps::continuation(self.scopes.len(), rest, span);
            jumps::append_to_arms(expr, &rest)
        };
        match with_rest {
            Some(with_rest) => self.expr(&with_rest, None),
            None => self.reject(
                expr_span(expr),
                format!("{what} inside an expression is not supported here: jump from an `if`, `match` or block statement"),
            ),
        }
    }

    /// Reports statements after a jump, other than the rest of an outer
    /// block that was moved here (which the jump skips, as it should).
    fn unreachable(&mut self, after: &[SynStmt], jump: &str) {
        let written = after.iter().find(|s| {
            !matches!(s, SynStmt::Expr(Expr::Block(b), _) if jumps::continuation_depth(b.label.as_ref()).is_some())
        });
        if let Some(stmt) = written {
            self.errors.push(
                stmt.span(),
                format!("unreachable code after `{jump}`: remove it"),
            );
        }
    }

    fn macro_stmt(&mut self, mac: &syn::Macro, attrs: &[syn::Attribute]) {
        // A bail, a print or an assertion reads what it likes: it runs in
        // the forward pass only, and gives nothing to differentiate.
        let observes = mac
            .path
            .segments
            .last()
            .is_some_and(|s| OBSERVING_MACROS.contains(&s.ident.to_string().as_str()));
        if self.mentions_varied_tokens(&mac.tokens) && !fallible::is_bail(mac) && !observes {
            self.errors.push(
                mac.path.span(),
                format!(
                    "`{}!` is called on an active value, and a macro call cannot be differentiated: compute the value with operators and methods, or pass a constant",
                    mac.path.to_token_stream()
                ),
            );
        } else {
            let mac = self.resolve_macro(mac, &|_| false);
            self.block
                .stmts
                .push(Stmt::Verbatim(quote!(#(#attrs)* #mac;)));
        }
    }

    /// A macro call with the user's names resolved: in its tokens, in the
    /// names a format string captures (`println!("{y}")`), and, for a bail,
    /// as the expression it returns (`Err(TooBig { n })`).
    fn resolve_macro(&self, mac: &syn::Macro, own: &dyn Fn(&str) -> bool) -> syn::Macro {
        let mut mac = mac.clone();
        if fallible::is_bail(&mac)
            && let Ok(mut residual) = syn::parse2::<Expr>(mac.tokens.clone())
        {
            Resolver {
                lowering: self,
                own: Vec::new(),
            }
            .visit_expr_mut(&mut residual);
            mac.tokens = residual.to_token_stream();
            return mac;
        }
        let tokens = self.resolve_tokens(mac.tokens.clone(), own);
        let position = mac
            .path
            .segments
            .last()
            .and_then(|s| format_position(&s.ident.to_string()));
        mac.tokens = match position {
            Some(position) => self.resolve_format(tokens, position, own),
            None => tokens,
        };
        mac
    }

    /// A format macro's arguments with the names its format string (the
    /// argument at `position`) captures resolved: renamed in the string
    /// where generated code calls them otherwise (`{y}` for `y_1`), or
    /// passed as named arguments where they stand for an expression
    /// (`{a}` for `w[0]`). Names given as named arguments stay.
    fn resolve_format(
        &self,
        tokens: TokenStream,
        position: usize,
        own: &dyn Fn(&str) -> bool,
    ) -> TokenStream {
        let mut args: Vec<Vec<TokenTree>> = vec![Vec::new()];
        for tt in tokens {
            match &tt {
                TokenTree::Punct(p) if p.as_char() == ',' => args.push(Vec::new()),
                _ => args.last_mut().map_or((), |a| a.push(tt)),
            }
        }
        let named: Vec<String> = args
            .iter()
            .skip(position + 1)
            .filter_map(|a| match a.as_slice() {
                [TokenTree::Ident(i), TokenTree::Punct(eq), ..]
                    if eq.as_char() == '=' && eq.spacing() == proc_macro2::Spacing::Alone =>
                {
                    Some(i.to_string())
                }
                _ => None,
            })
            .collect();
        let mut extra = Vec::new();
        if let Some([TokenTree::Literal(lit)]) = args.get(position).map(Vec::as_slice) {
            let (resolved, added) = self.resolve_captures(lit.clone(), own, &named);
            args[position] = vec![resolved];
            extra = added;
        }
        // A trailing comma leaves an empty last argument.
        if args.last().is_some_and(Vec::is_empty) && !extra.is_empty() {
            args.pop();
        }
        let mut out = TokenStream::new();
        for (k, arg) in args.iter().enumerate() {
            if k > 0 {
                out.extend(quote!(,));
            }
            out.extend(arg.iter().cloned());
        }
        for (name, value) in extra {
            let name = Ident::new(&name, Span::call_site());
            out.extend(quote!(, #name = (#value)));
        }
        out
    }

    /// A format string with every captured name (`{y}`, `{y:.3}`) that
    /// generated code calls otherwise (`y_1`) spelled as it does; the names
    /// that stand for an expression, with it, to pass as named arguments.
    fn resolve_captures(
        &self,
        lit: proc_macro2::Literal,
        own: &dyn Fn(&str) -> bool,
        named: &[String],
    ) -> (TokenTree, Vec<(String, TokenStream)>) {
        let Ok(text) = syn::parse2::<syn::LitStr>(TokenTree::Literal(lit.clone()).into()) else {
            return (TokenTree::Literal(lit), Vec::new());
        };
        let text = text.value();
        let mut out = String::with_capacity(text.len());
        let mut rest = text.as_str();
        let mut changed = false;
        let mut extra: Vec<(String, TokenStream)> = Vec::new();
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..=open]);
            rest = &rest[open + 1..];
            if let Some(after) = rest.strip_prefix('{') {
                out.push('{');
                rest = after;
                continue;
            }
            let end = rest.find([':', '}']).unwrap_or(rest.len());
            let name = &rest[..end];
            // The spec after the name may name a width or a precision
            // (`{y:>width$.prec$}`): those are captures too.
            let close = rest.find('}').unwrap_or(rest.len()).max(end);
            let spec = self.resolve_spec(&rest[end..close], own, named, &mut extra, &mut changed);
            out.push_str(&self.capture(name, own, named, &mut extra, &mut changed));
            out.push_str(&spec);
            rest = &rest[close..];
        }
        out.push_str(rest);
        if !changed {
            return (TokenTree::Literal(lit), extra);
        }
        let mut fresh = proc_macro2::Literal::string(&out);
        fresh.set_span(lit.span());
        (TokenTree::Literal(fresh), extra)
    }

    /// A format spec (`:>width$.2`) with the names it captures (`width$`)
    /// resolved as [`Self::resolve_captures`] resolves the argument's.
    fn resolve_spec(
        &self,
        spec: &str,
        own: &dyn Fn(&str) -> bool,
        named: &[String],
        extra: &mut Vec<(String, TokenStream)>,
        changed: &mut bool,
    ) -> String {
        let mut out = String::new();
        let mut word = String::new();
        for c in spec.chars() {
            if c.is_alphanumeric() || c == '_' {
                word.push(c);
                continue;
            }
            if c == '$' {
                word = self.capture(&word, own, named, extra, changed);
            }
            out.push_str(&word);
            word.clear();
            out.push(c);
        }
        out.push_str(&word);
        out
    }

    /// A name a format string captures, as the string must spell it: what
    /// generated code calls the variable, or the name itself, passed as a
    /// named argument (in `extra`) where it stands for an expression, or
    /// left alone (the code's own names, named arguments, other text).
    fn capture(
        &self,
        name: &str,
        own: &dyn Fn(&str) -> bool,
        named: &[String],
        extra: &mut Vec<(String, TokenStream)>,
        changed: &mut bool,
    ) -> String {
        let binding = match self.lookup(name) {
            Some(b)
                if !own(name)
                    && !named.iter().any(|n| n == name)
                    && syn::parse_str::<Ident>(name).is_ok() =>
            {
                self.binding_tokens(b)
            }
            _ => return name.to_string(),
        };
        match syn::parse2::<Ident>(binding.clone()) {
            Ok(ident) => {
                *changed |= ident != name;
                ident.to_string()
            }
            Err(_) => {
                if !extra.iter().any(|(n, _)| n == name) {
                    extra.push((name.to_string(), binding));
                }
                name.to_string()
            }
        }
    }

    fn local(&mut self, local: &syn::Local) {
        let Some(init) = &local.init else {
            self.errors.push(
                local.pat.span(),
                "a `let` without a value is not supported: give it its value where it is declared",
            );
            return;
        };
        let (pat, ty) = match &local.pat {
            Pat::Type(pt) => (&*pt.pat, Some((*pt.ty).clone())),
            other => (other, None),
        };
        // A constant value with any pattern is the user's own `let`.
        if !self.mentions_varied(&init.expr) {
            if let Pat::Ident(p) = pat
                && p.by_ref.is_none()
                && p.subpat.is_none()
            {
                let tokens = self.resolve(&init.expr);
                let out = self.push_step(Some(&p.ident), Op::Const(tokens), ty, p.ident.span());
                if let Some(Stmt::Step(step)) = self.block.stmts.last_mut() {
                    step.mutable = p.mutability.is_some();
                }
                self.bind(&p.ident, Binding::Value(Value::Var(out).operand()));
                return;
            }
            let tokens = self.resolve(&init.expr);
            let pat = self.bind_constant_pattern(pat);
            let ty = ty.map(|t| quote!(: #t));
            self.block
                .stmts
                .push(Stmt::Verbatim(quote!(let #pat #ty = #tokens;)));
            return;
        }
        let want = match pat {
            Pat::Ident(p) => Some(&p.ident),
            _ => None,
        };
        let mut binding = self.expr(&init.expr, want);
        // A name for a value without derivative (`let mut v = no_grad(x);`)
        // is a variable of its own, which later code may assign.
        if let (
            Some(name),
            Binding::Value(Operand {
                value: Value::Const(tokens),
                ..
            }),
        ) = (want, &binding)
        {
            let out = self.push_step(
                Some(name),
                Op::Const(tokens.clone()),
                ty.clone(),
                name.span(),
            );
            binding = Binding::Value(Value::Var(out).operand());
        }
        let binding = match &ty {
            Some(ty) => self.annotate(binding, ty),
            None => binding,
        };
        self.bind_pattern(pat, binding);
    }

    /// Gives the constants of a value the type the user wrote on its `let`
    /// (`let (a, b): (f64, f64) = (x, 0.5);`), so they do not stay bare
    /// literals of an unknown float type.
    fn annotate(&mut self, binding: Binding, ty: &syn::Type) -> Binding {
        match (binding, ty) {
            (
                Binding::Value(Operand {
                    value: Value::Const(tokens),
                    borrowed,
                }),
                ty,
            ) => {
                let out = self.push_step(None, Op::Const(tokens), Some(ty.clone()), ty.span());
                Binding::Value(Operand {
                    value: Value::Var(out),
                    borrowed,
                })
            }
            (Binding::Tuple(items), syn::Type::Tuple(t)) if t.elems.len() == items.len() => {
                Binding::Tuple(
                    items
                        .into_iter()
                        .zip(&t.elems)
                        .map(|(b, ty)| self.annotate(b, ty))
                        .collect(),
                )
            }
            (binding, syn::Type::Paren(p)) => self.annotate(binding, &p.elem),
            (binding, _) => binding,
        }
    }

    /// Binds the names of a pattern over a constant value to variables of
    /// their own, renaming them where generated code needs it.
    fn bind_constant_pattern(&mut self, pat: &Pat) -> Pat {
        let mut pat = pat.clone();
        let mut renamer = PatternBinder {
            lowering: self,
            renamed: HashMap::new(),
        };
        renamer.visit_pat_mut(&mut pat);
        pat
    }

    fn bind_pattern(&mut self, pat: &Pat, binding: Binding) {
        match (pat, binding) {
            (Pat::Ident(p), binding) if p.by_ref.is_none() && p.subpat.is_none() => {
                let binding = binding;
                self.bind(&p.ident, binding);
            }
            (Pat::Wild(_), _) => {}
            (Pat::Paren(p), binding) => self.bind_pattern(&p.pat, binding),
            (Pat::Tuple(t), Binding::Tuple(items)) => {
                if t.elems.len() != items.len() || t.elems.iter().any(|p| matches!(p, Pat::Rest(_))) {
                    self.errors.push(t.span(), "this tuple pattern does not match the tuple's length: name every element");
                    return;
                }
                for (p, b) in t.elems.iter().zip(items) {
                    self.bind_pattern(p, b);
                }
            }
            (Pat::Type(pt), binding) => self.bind_pattern(&pt.pat, binding),
            (Pat::Tuple(t), binding) if is_unit(&binding) => {
                // The value was rejected and reported already: bind the
                // names to the stand-in so nothing else is reported.
                for p in &t.elems {
                    self.bind_pattern(p, poison());
                }
            }
            (other, _) => self.errors.push(
                other.span(),
                "this pattern is not supported here: bind a name (`let x = ...`) or a tuple of names (`let (a, b) = ...`)",
            ),
        }
    }

    fn expr_stmt(&mut self, expr: &Expr) {
        match expr {
            Expr::Assign(assign) if matches!(&*assign.left, Expr::Index(_)) => {
                if let Expr::Index(ix) = &*assign.left {
                    self.write_element(ix, None, &assign.right, expr);
                }
            }
            Expr::Binary(b)
                if compound_op(&b.op).is_some() && matches!(&*b.left, Expr::Index(_)) =>
            {
                if let Expr::Index(ix) = &*b.left {
                    self.write_element(ix, compound_op(&b.op), &b.right, expr);
                }
            }
            Expr::MethodCall(m)
                if m.method == "push"
                    && m.args.len() == 1
                    && local_name(&m.receiver).is_some()
                    && self.mentions_varied(expr) =>
            {
                self.push(m);
            }
            Expr::Assign(assign) => {
                let Some(name) = local_name(&assign.left) else {
                    self.errors.push(
                        assign.left.span(),
                        "assigning into this part of a value is not supported: write into an element of a container built in the body (`v[i] = x`), or bind a new value with `let`",
                    );
                    return;
                };
                if self.lookup(&name.to_string()).is_none() {
                    self.errors.push(
                        name.span(),
                        format!("`{name}` is not a local variable of this function"),
                    );
                    return;
                }
                let mut binding = self.expr(&assign.right, Some(&name));
                // A constant value gets a variable of its own, which later
                // constant code may assign in its turn.
                if let Binding::Value(Operand {
                    value: Value::Const(tokens),
                    ..
                }) = &binding
                {
                    let out =
                        self.push_step(Some(&name), Op::Const(tokens.clone()), None, name.span());
                    binding = Binding::Value(Value::Var(out).operand());
                }
                self.rebind(&name, binding);
            }
            Expr::Binary(b) if compound_op(&b.op).is_some() => {
                let Some(name) = local_name(&b.left) else {
                    self.errors.push(
                        b.left.span(),
                        "compound assignment into this part of a value is not supported: write into an element of a container built in the body (`v[i] += x`), or bind a new value with `let`",
                    );
                    return;
                };
                let Some(current) = self.lookup(&name.to_string()).cloned() else {
                    self.errors.push(
                        name.span(),
                        format!("`{name}` is not a local variable of this function"),
                    );
                    return;
                };
                let op = compound_op(&b.op);
                let rhs = self.expr(&b.right, None);
                let binding = self.binary(op, current, rhs, Some(&name), expr, b.op.span());
                self.rebind(&name, binding);
            }
            Expr::Macro(m) => self.macro_stmt(&m.mac, &m.attrs),
            // `if bad { return None; }`: a statement, as written.
            other
                if self.constant_code(other)
                    && assigned_in(other).is_empty()
                    && fallible::stops_early(other) =>
            {
                let tokens = self.resolve(other);
                self.block.stmts.push(Stmt::Verbatim(quote!(#tokens;)));
            }
            other if self.constant_code(other) && !assigned_in(other).is_empty() => {
                self.constant_effects(other, false);
            }
            other => {
                let binding = self.expr(other, None);
                // A constant statement may have effects (a call, a print):
                // keep it. What has a derivative and is dropped has none.
                if let Binding::Value(Operand {
                    value: Value::Const(tokens),
                    ..
                }) = binding
                    && !matches!(other, Expr::Lit(_) | Expr::Path(_))
                    && tokens.to_string() != "()"
                {
                    self.block.stmts.push(Stmt::Verbatim(quote!(#tokens;)));
                }
            }
        }
    }

    /// Constant code that changes variables in place (`if k % 3 == 0 { n +=
    /// 1; }`, `idx.push(k)`): it runs on copies of them, which the names
    /// stand for from then on, so a value a step has read stays as it was
    /// (the backward pass reads it) and code run again changes nothing twice.
    /// Its value, if `value` is wanted, is a variable of its own.
    fn constant_effects(&mut self, expr: &Expr, value: bool) -> Binding {
        let span = expr_span(expr);
        let mut copies = TokenStream::new();
        for name in assigned_in(expr) {
            let Some(Binding::Value(Operand {
                value: Value::Var(old),
                ..
            })) = self.lookup(&name).cloned()
            else {
                continue;
            };
            let ident = Ident::new(&name, span);
            let fresh = self.names.user(&ident);
            let copy = self.new_var(fresh.clone(), false);
            let old = &self.vars[old.0].name;
            copies.extend(quote!(let mut #fresh = ::core::clone::Clone::clone(&#old);));
            self.rebind(&ident, Binding::Value(Value::Var(copy).operand()));
        }
        let tokens = self.resolve(expr);
        if !value {
            self.block
                .stmts
                .push(Stmt::Verbatim(quote!(#copies #tokens;)));
            return unit();
        }
        self.block.stmts.push(Stmt::Verbatim(copies));
        let out = self.push_step(None, Op::Const(tokens), None, span);
        Binding::Value(Value::Var(out).operand())
    }

    /// `v[i] = value` (or `op=`) into a container `v` built in the body:
    /// `v` names the container after the write from then on.
    fn write_element(&mut self, ix: &syn::ExprIndex, op: Option<BinOp>, rhs: &Expr, stmt: &Expr) {
        let Some((name, base)) = self.container(&ix.expr) else {
            return;
        };
        if self.mentions_varied(&ix.index) {
            self.errors.push(
                ix.index.span(),
                "an index must be an integer, not a value with a derivative: compute the index from constants",
            );
            return;
        }
        let index = self.index_once(&ix.index);
        // `*=` and `/=` read the old element: as `v[i] = v[i] * x`.
        let (op, rhs): (Option<BinOp>, Expr) = match op {
            Some(op @ (BinOp::Mul | BinOp::Div)) => {
                let token = op.token();
                let left = &ix;
                (None, syn::parse_quote!(#left #token (#rhs)))
            }
            other => (other, rhs.clone()),
        };
        let binding = self.expr(&rhs, None);
        let Some(value) = self.operand(binding, &rhs) else {
            return;
        };
        if !self.value_varied(&base.value) && !self.value_varied(&value.value) {
            self.constant_effects(stmt, false);
            return;
        }
        let op = Op::SetIndex {
            base,
            index,
            op,
            value,
        };
        let out = self.push_step(Some(&name), op, None, ix.bracket_token.span.join());
        self.rebind(&name, Binding::Value(Value::Var(out).operand()));
    }

    /// `v.push(value)` onto a `Vec` built in the body.
    fn push(&mut self, m: &syn::ExprMethodCall) {
        let Some((name, base)) = self.container(&m.receiver) else {
            return;
        };
        let binding = self.expr(&m.args[0], None);
        let Some(value) = self.operand(binding, &m.args[0]) else {
            return;
        };
        let op = Op::Push { base, value };
        let out = self.push_step(Some(&name), op, None, m.method.span());
        self.rebind(&name, Binding::Value(Value::Var(out).operand()));
    }

    /// A tuple held in one variable, taken apart in the shape of `shape`:
    /// a constant into `acc.0`, `acc.1`, .. and an argument into the places
    /// of its elements (`p.0`). `None` for a computed value with a
    /// derivative, which has no such places.
    fn projections(&self, o: &Operand, shape: &Binding) -> Option<Binding> {
        match (&o.value, shape) {
            (_, Binding::Value(_)) => Some(Binding::Value(o.clone())),
            (Value::Var(v), _) if self.vars[v.0].varied => None,
            (value, Binding::Tuple(items)) => {
                let parts = items.iter().enumerate().map(|(i, b)| {
                    let i = syn::Index::from(i);
                    let value = match value {
                        Value::Place(place) => {
                            let path = &place.path;
                            Value::Place(Place {
                                param: place.param,
                                path: quote!(#path.#i),
                            })
                        }
                        other => {
                            let tokens = self.operand_tokens(&other.clone().operand());
                            Value::Const(quote!((#tokens).#i))
                        }
                    };
                    self.projections(&value.operand(), b)
                });
                parts.collect::<Option<Vec<_>>>().map(Binding::Tuple)
            }
        }
    }

    /// Whether a value is that of code that does not end: a bail, or a
    /// `panic!` and its kin.
    fn diverges(&self, value: &Value) -> bool {
        match value {
            Value::Var(v) => self.vars[v.0].diverges,
            Value::Const(tokens) => {
                syn::parse2::<syn::ExprMacro>(tokens.clone())
                    .is_ok_and(|m| fallible::is_bail(&m.mac) || fallible::diverges(&m.mac))
                    || matches!(never(), Value::Const(n) if n.to_string() == tokens.to_string())
            }
            Value::Place(_) => false,
        }
    }

    /// `vec![a, b, ..]` with values that have a derivative: an empty `Vec`,
    /// then a push of each element.
    fn vec_literal(&mut self, mac: &syn::Macro, want: Option<&Ident>) -> Binding {
        let items = vec_items(mac).unwrap_or_default();
        let span = mac.path.span();
        let n = items.len();
        let empty = quote!(::std::vec::Vec::with_capacity(#n));
        let mut base = Value::Var(self.push_step(None, Op::Const(empty), None, span)).operand();
        for (k, item) in items.iter().enumerate() {
            let binding = self.expr(item, None);
            let Some(value) = self.operand(binding, item) else {
                return poison();
            };
            let name = want.filter(|_| k + 1 == n);
            let out = self.push_step(name, Op::Push { base, value }, None, item.span());
            base = Value::Var(out).operand();
        }
        Binding::Value(base)
    }

    /// An index, as tokens that read the same element wherever they are
    /// written again (the backward pass adds into the element the forward
    /// pass read): a literal or a name as it is, anything else computed
    /// once, where it is written (it may call something, or read what
    /// changes later).
    fn index_once(&mut self, index: &Expr) -> TokenStream {
        let tokens = self.resolve(index);
        if repeats_cheaply(&tokens) {
            return tokens;
        }
        let out = self.push_step(None, Op::Const(tokens), None, index.span());
        self.vars[out.0].name.to_token_stream()
    }

    /// `[a, b, ..]` with values that have a derivative.
    fn array_literal(&mut self, a: &syn::ExprArray, want: Option<&Ident>) -> Binding {
        let mut parts = Vec::new();
        for item in &a.elems {
            let binding = self.expr(item, None);
            let Some(part) = self.operand(binding, item) else {
                return poison();
            };
            parts.push(part);
        }
        let out = self.push_step(want, Op::Array(parts), None, a.bracket_token.span.join());
        Binding::Value(Value::Var(out).operand())
    }

    /// The local container that `expr` names, for a write into it.
    fn container(&mut self, expr: &Expr) -> Option<(Ident, Operand)> {
        let name = local_name(expr);
        let binding = name.as_ref().and_then(|n| self.lookup(&n.to_string()));
        match (name, binding) {
            (
                Some(name),
                Some(Binding::Value(
                    o @ Operand {
                        value: Value::Var(_),
                        borrowed: false,
                    },
                )),
            ) => Some((name.clone(), o.clone())),
            (
                _,
                Some(Binding::Value(Operand {
                    value: Value::Place(_),
                    ..
                })),
            ) => {
                self.errors.push(
                    expr.span(),
                    "an argument cannot be written into: copy it into a variable of the body first (`let mut v = w.to_vec();`)",
                );
                None
            }
            _ if matches!(expr, Expr::Index(_)) => {
                self.errors.push(
                    expr.span(),
                    "a write reaches one level of a container: take the inner one out, write into it and put it back (`let mut row = grid[i].clone(); row[j] = x; grid[i] = row;`), or use a two-dimensional array (`a[[i, j]] = x`)",
                );
                None
            }
            _ => {
                self.errors.push(
                    expr.span(),
                    "writes go into a container the body built and named (`let mut v = vec![0.0; n]; v[i] = x;`): name the container",
                );
                None
            }
        }
    }

    // ----- expressions ---------------------------------------------------

    /// Lowers an expression. `want` is the user's name for its value, given
    /// to the step that computes it.
    fn expr(&mut self, expr: &Expr, want: Option<&Ident>) -> Binding {
        if !self.mentions_varied(expr) && !matches!(expr, Expr::Block(_)) {
            return self.constant_value(expr);
        }
        match expr {
            Expr::Paren(p) => self.expr(&p.expr, want),
            Expr::Group(g) => self.expr(&g.expr, want),
            Expr::Path(p) => match p.path.get_ident().and_then(|i| self.lookup(&i.to_string())) {
                Some(b) => b.clone(),
                None => self.constant(expr),
            },
            Expr::Reference(r) => match self.expr(&r.expr, want) {
                Binding::Value(mut o) => {
                    o.borrowed = true;
                    Binding::Value(o)
                }
                Binding::Tuple(_) => {
                    self.reject(
                        r.span(),
                        "borrowing a tuple is not supported: borrow its elements",
                    )
                }
            },
            Expr::Unary(u) => match u.op {
                UnOp::Neg(_) => {
                    let operand = self.expr(&u.expr, None);
                    let Some(a) = self.operand(operand, &u.expr) else {
                        return poison();
                    };
                    if matches!(a.value, Value::Const(_)) {
                        return self.constant(expr);
                    }
                    let out = self.push_step(want, Op::Neg(a), None, u.span());
                    Binding::Value(Value::Var(out).operand())
                }
                // `*r` differentiates as `r`: the adjoint of what a reference
                // points at is the adjoint of the reference.
                UnOp::Deref(_) => match self.expr(&u.expr, want) {
                    Binding::Value(mut o) => {
                        o.borrowed = false;
                        Binding::Value(o)
                    }
                    tuple => tuple,
                },
                _ => self.constant(expr),
            },
            Expr::Binary(b) if compound_op(&b.op).is_some() => {
                self.expr_stmt(expr);
                unit()
            }
            Expr::Binary(b) => {
                let op = match b.op {
                    SynBinOp::Add(_) => BinOp::Add,
                    SynBinOp::Sub(_) => BinOp::Sub,
                    SynBinOp::Mul(_) => BinOp::Mul,
                    SynBinOp::Div(_) => BinOp::Div,
                    SynBinOp::Eq(_)
                    | SynBinOp::Ne(_)
                    | SynBinOp::Lt(_)
                    | SynBinOp::Le(_)
                    | SynBinOp::Gt(_)
                    | SynBinOp::Ge(_)
                    | SynBinOp::And(_)
                    | SynBinOp::Or(_) => return self.constant(expr),
                    SynBinOp::Rem(_) => {
                        return self.reject(
                            b.op.span(),
                            "`%` on an active value is not supported: write `a - (a / b).floor() * b` if you need it",
                        );
                    }
                    _ => {
                        return self.reject(
                            b.op.span(),
                            format!(
                                "`{}` is not supported on an active value here",
                                b.op.to_token_stream()
                            ),
                        );
                    }
                };
                let lhs = self.expr(&b.left, None);
                let rhs = self.expr(&b.right, None);
                self.binary(Some(op), lhs, rhs, want, expr, b.op.span())
            }
            Expr::MethodCall(m) => self.method_call(m, want, expr),
            Expr::Call(c) => self.call(c, want, expr),
            Expr::Field(f) => {
                let base = self.expr(&f.base, None);
                match (base, &f.member) {
                    (Binding::Tuple(mut items), Member::Unnamed(index))
                        if (index.index as usize) < items.len() =>
                    {
                        items.swap_remove(index.index as usize)
                    }
                    (
                        Binding::Value(Operand {
                            value: Value::Place(mut place),
                            ..
                        }),
                        member,
                    ) => {
                        let path = &place.path;
                        place.path = quote!(#path . #member);
                        Binding::Value(Value::Place(place).operand())
                    }
                    _ => {
                        self.reject(
                            f.member.span(),
                            "field access is supported on arguments (`p.beta`) and tuples (`t.0`), not on computed values",
                        )
                    }
                }
            }
            Expr::Index(ix) => {
                if self.mentions_varied(&ix.index) {
                    return self.reject(
                        ix.index.span(),
                        "an index must be an integer, not a value with a derivative: compute the index from constants",
                    );
                }
                let index = self.index_once(&ix.index);
                match self.expr(&ix.expr, None) {
                    Binding::Value(Operand {
                        value: Value::Place(mut place),
                        ..
                    }) => {
                        let path = &place.path;
                        place.path = quote!(#path [#index]);
                        Binding::Value(Value::Place(place).operand())
                    }
                    // An element of a container built in the body.
                    Binding::Value(base @ Operand {
                        value: Value::Var(_),
                        ..
                    }) => {
                        let out = self.push_step(
                            want,
                            Op::Index { base, index },
                            None,
                            ix.bracket_token.span.join(),
                        );
                        Binding::Value(Value::Var(out).operand())
                    }
                    _ => {
                        self.reject(
                            ix.bracket_token.span.join(),
                            "indexing is supported into arguments (`p.beta[0]`, `w[k]`) and into containers built in the body (`v[i]`), not into computed values",
                        )
                    }
                }
            }
            Expr::Tuple(t) => Binding::Tuple(t.elems.iter().map(|e| self.expr(e, None)).collect()),
            Expr::Block(b) if b.label.is_none() => self.block(&b.block),
            // The rest of an outer block, moved into an arm: its names are
            // those of the scopes it was written in.
            Expr::Block(syn::ExprBlock {
                label: Some(label),
                block,
                ..
            }) if jumps::continuation_depth(Some(label)).is_some() => {
                let depth = jumps::continuation_depth(Some(label)).unwrap_or_default();
                let hidden = self.scopes.split_off(depth.min(self.scopes.len()));
                let value = self.block(block);
                self.scopes.extend(hidden);
                value
            }
            Expr::Loop(l) => {
                if l.label.is_some() {
                    return self.reject(
                        l.loop_token.span(),
                        "labelled loops are not supported yet: remove the label",
                    );
                }
                self.carry(LoopHead::Loop, &l.body, l.loop_token.span())
            }
            Expr::Cast(c) => {
                if is_integer_type(&c.ty) || self.carries_no_derivative(&c.expr) {
                    self.constant(expr)
                } else {
                    self.reject(
                        c.as_token.span(),
                        "an `as` cast of a value with a derivative is not supported: keep the computation in one float type, or cast a constant",
                    )
                }
            }
            Expr::ForLoop(f) => self.for_loop(f),
            Expr::While(w) => self.while_loop(w),
            Expr::If(i) => {
                if self.branches_constant_if(i) {
                    return self.constant_value(expr);
                }
                self.branch(i, want)
            }
            Expr::Match(m) => {
                if m.arms.iter().all(|a| !self.mentions_varied(&a.body)) {
                    return self.constant_value(expr);
                }
                self.match_branch(m, want)
            }
            Expr::Macro(m) if m.mac.path.is_ident("vec") && vec_items(&m.mac).is_some() => {
                self.vec_literal(&m.mac, want)
            }
            Expr::Macro(m) if fallible::is_bail(&m.mac) => {
                let tokens = self.resolve(expr);
                let out = self.push_step(None, Op::Const(tokens), None, expr_span(expr));
                self.vars[out.0].diverges = true;
                Binding::Value(Value::Var(out).operand())
            }
            Expr::Try(t) => {
                if let Some(binding) = self.unwrapped_call(expr, want) {
                    return binding;
                }
                // `(y > 0.0).then_some(y)?`: said of the method.
                if let Some((Expr::MethodCall(m), _)) = self.peel_unwrap(expr)
                    && OPTION_METHODS.contains(&m.method.to_string().as_str())
                {
                    return self.method_call(m, want, expr);
                }
                self.reject(
                    t.question_token.span(),
                    "`?` on a value with a derivative is supported after a method that returns an `Option` or a `Result` (`x.mean()?`, `x.to_shape(..)?`), `concatenate(..)?`, `stack(..)?`, and calls of `#[differentiable]` functions that return one (`f(x)?`)",
                )
            }
            Expr::Macro(m) => {
                self.reject(
                    m.mac.path.span(),
                    format!(
                        "`{}!` is called on an active value, and a macro call cannot be differentiated: compute the value with operators and methods, or pass a constant",
                        m.mac.path.to_token_stream()
                    ),
                )
            }
            Expr::Array(a) => self.array_literal(a, want),
            Expr::Repeat(_) => {
                self.reject(
                    expr.span(),
                    "`[x; n]` of a value with a derivative is not supported: write the elements out (`[x, x, x]`), or fill a container in a loop",
                )
            }
            Expr::Struct(s) => {
                self.reject(
                    s.path.span(),
                    "building a struct of values with a derivative is not supported yet: return the values, or a tuple of them",
                )
            }
            // A jump as an arm (`0 => continue,`): a statement of its own.
            Expr::Return(_) | Expr::Break(_) | Expr::Continue(_) => {
                self.stmts(vec![SynStmt::Expr(expr.clone(), None)])
            }
            // An assignment is a value too, `()`: `Some(n) => total = x * n,`.
            Expr::Assign(_) => {
                self.expr_stmt(expr);
                unit()
            }
            other => {
                // What the fence rejected inside it is reported already.
                if !crate::fence::rejects(other) {
                    self.errors.push(
                        expr_span(other),
                        "this expression is not supported on values with a derivative: use arithmetic operators and float methods, or make the value constant with `no_grad(...)`",
                    );
                }
                poison()
            }
        }
    }

    /// Whether an expression's value carries no derivative even where it
    /// reads values that do: a shape query (`a.len()`), a comparison, an
    /// integer cast, `no_grad(..)`, or what mentions nothing with a derivative.
    fn carries_no_derivative(&self, expr: &Expr) -> bool {
        match expr {
            Expr::Paren(p) => self.carries_no_derivative(&p.expr),
            Expr::Group(g) => self.carries_no_derivative(&g.expr),
            Expr::MethodCall(m) => rules::CONSTANT_METHODS.contains(&m.method.to_string().as_str()),
            Expr::Cast(c) => is_integer_type(&c.ty) || self.carries_no_derivative(&c.expr),
            Expr::Binary(b) => {
                matches!(
                    b.op,
                    SynBinOp::Eq(_)
                        | SynBinOp::Ne(_)
                        | SynBinOp::Lt(_)
                        | SynBinOp::Le(_)
                        | SynBinOp::Gt(_)
                        | SynBinOp::Ge(_)
                ) || (self.carries_no_derivative(&b.left) && self.carries_no_derivative(&b.right))
            }
            Expr::Call(c) => {
                matches!(&*c.func, Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "no_grad"))
            }
            Expr::Range(r) => {
                r.start
                    .as_deref()
                    .is_none_or(|e| self.carries_no_derivative(e))
                    && r.end
                        .as_deref()
                        .is_none_or(|e| self.carries_no_derivative(e))
            }
            other => !self.mentions_varied(other),
        }
    }

    /// `if cond { .. } else { .. }` with values that have a derivative: both
    /// branches become arms of their own; the variables either assigns,
    /// and the `if`'s value, are merged into new variables after it.
    fn branch(&mut self, i: &syn::ExprIf, want: Option<&Ident>) -> Binding {
        if let Expr::Let(l) = &*i.cond {
            // `if let P = e { A } else { B }` on a constant is `match e { P => A, _ => B }`.
            if !self.carries_no_derivative(&l.expr) {
                return self.reject(l.let_token.span(), "`if let` on a value with a derivative is not supported: match on a constant instead");
            }
            let (pat, scrutinee, then) = (&l.pat, &l.expr, &i.then_branch);
            let otherwise: Expr = match &i.else_branch {
                Some((_, e)) => (**e).clone(),
                None => syn::parse_quote!({}),
            };
            let m: syn::ExprMatch = syn::parse_quote_spanned! {i.if_token.span()=>
                match #scrutinee {
                    #pat => #then,
                    _ => #otherwise,
                }
            };
            return self.match_branch(&m, want);
        }
        let cond_tokens = self.resolve(&i.cond);
        let cond = self.push_step(None, Op::Const(cond_tokens), None, i.if_token.span());
        let before = self.scopes.clone();
        let mut arms = vec![self.region(|this| this.block(&i.then_branch))];
        self.scopes = before.clone();
        arms.push(match &i.else_branch {
            Some((_, e)) => {
                let e = e.clone();
                self.region(move |this| this.expr(&e, None))
            }
            None => (Block::default(), unit(), before.clone()),
        });
        self.scopes = before;
        self.merge(Head::If(cond), arms, want, i.if_token.span())
    }

    /// `match` on a value without derivative, with arms whose values have
    /// one: the names its patterns bind are constants.
    fn match_branch(&mut self, m: &syn::ExprMatch, want: Option<&Ident>) -> Binding {
        if !self.carries_no_derivative(&m.expr) {
            return self.reject(
                m.expr.span(),
                "a `match` chooses its arm by a value without derivative (an integer, an enum, a `bool`, a tuple of those): compare a value with a derivative in `if` / `else if` instead",
            );
        }
        let tokens = self.resolve(&m.expr);
        let scrutinee = self.push_step(None, Op::Const(tokens), None, m.match_token.span());
        let before = self.scopes.clone();
        let (mut patterns, mut arms) = (Vec::new(), Vec::new());
        for arm in &m.arms {
            self.scopes = before.clone();
            self.scopes.push(HashMap::new());
            let pat = self.bind_constant_pattern(&arm.pat);
            let guard = arm.guard.as_ref().map(|(if_token, guard)| {
                let guard = self.resolve(guard);
                quote!(#if_token #guard)
            });
            patterns.push(quote!(#pat #guard));
            let body = arm.body.clone();
            arms.push(self.region(move |this| this.expr(&body, None)));
        }
        self.scopes = before;
        self.merge(
            Head::Match {
                scrutinee,
                patterns,
            },
            arms,
            want,
            m.match_token.span(),
        )
    }

    /// The arms of a branch, lowered, merged into one branch: its value and
    /// every outer name an arm rebinds become variables defined after it.
    fn merge(
        &mut self,
        head: Head,
        mut arms: Vec<(Block, Binding, Scopes)>,
        want: Option<&Ident>,
        span: Span,
    ) -> Binding {
        let mut names: Vec<String> = Vec::new();
        for (depth, scope) in self.scopes.iter().enumerate() {
            for (name, binding) in scope {
                let now = self.binding_tokens(binding).to_string();
                let changed = arms.iter().any(|(_, _, scopes)| {
                    scopes
                        .get(depth)
                        .and_then(|s| s.get(name))
                        .map(|b| self.binding_tokens(b).to_string())
                        != Some(now.clone())
                });
                if changed && !names.contains(name) {
                    names.push(name.clone());
                }
            }
        }
        names.sort();
        let find = |scopes: &Scopes, name: &str| {
            scopes
                .iter()
                .rev()
                .find_map(|s| s.get(name))
                .cloned()
                .unwrap_or_else(poison)
        };
        // The outputs: the value, then every outer name an arm rebinds.
        let mut outs: Vec<(Option<&String>, Vec<Binding>)> = vec![(
            None,
            arms.iter().map(|(_, value, _)| value.clone()).collect(),
        )];
        for name in &names {
            let values = arms
                .iter()
                .map(|(_, _, scopes)| find(scopes, name))
                .collect();
            outs.push((Some(name), values));
        }
        let mut results = vec![Vec::new(); arms.len()];
        let mut out_vars = Vec::new();
        let mut value = unit();
        for (k, (name, values)) in outs.into_iter().enumerate() {
            if k == 0 && values.iter().all(is_unit) {
                continue;
            }
            // A tuple merges element by element; an arm that keeps a tuple
            // in one variable gives its elements (`acc.0`, `acc.1`).
            let shape = values
                .iter()
                .find(|b| matches!(b, Binding::Tuple(_)))
                .cloned()
                .unwrap_or_else(|| Binding::Value(Value::Const(quote!(())).operand()));
            let mut leaves_per_arm = Vec::new();
            for (arm, b) in values.iter().enumerate() {
                // A constant tuple computed by the arm (`pair(c)`) is
                // computed once, in the arm, before it is taken apart.
                let once;
                let b = match b {
                    Binding::Value(
                        o @ Operand {
                            value: Value::Const(tokens),
                            ..
                        },
                    ) if matches!(shape, Binding::Tuple(_))
                        && !self.diverges(&o.value)
                        && !is_unit(b)
                        && !repeats_cheaply(tokens) =>
                    {
                        let name = self.names.temp(span);
                        let var = self.new_var(name, false);
                        arms[arm].0.stmts.push(Stmt::Step(Box::new(Step {
                            out: var,
                            op: Op::Const(tokens.clone()),
                            ty: None,
                            mutable: false,
                            span,
                        })));
                        once = Binding::Value(Value::Var(var).operand());
                        &once
                    }
                    other => other,
                };
                let b = match b {
                    // An arm that does not end (`return None`, `panic!()`)
                    // gives every element: its own value first.
                    Binding::Value(o)
                        if matches!(shape, Binding::Tuple(_)) && self.diverges(&o.value) =>
                    {
                        let mut leaves = Vec::new();
                        flatten(&shape, &mut leaves);
                        let first = match &o.value {
                            Value::Const(tokens) => {
                                Value::Const(quote!(::gradgen::__private::diverged(#tokens)))
                            }
                            other => other.clone(),
                        };
                        let leaves = std::iter::once(first)
                            .chain(std::iter::repeat(never()))
                            .take(leaves.len());
                        rebuild(&shape, &mut leaves.into_iter())
                    }
                    Binding::Value(o) if matches!(shape, Binding::Tuple(_)) && !is_unit(b) => {
                        match self.projections(o, &shape) {
                            Some(b) => b,
                            None => return self.reject(span, "a tuple with a derivative held in one variable (a call's result) cannot be taken apart by a branch yet: take it apart with `let (a, b) = ..` first"),
                        }
                    }
                    other => other.clone(),
                };
                if !same_shape(&b, &shape) {
                    return self.reject(span, "the arms of this branch give tuples of different shapes, or a tuple and a value: give each element its own variable");
                }
                let mut leaves = Vec::new();
                flatten(&b, &mut leaves);
                leaves_per_arm.push(leaves);
            }
            let ident = name.map(|n| Ident::new(n, span));
            let mut out_leaves = Vec::new();
            for j in 0..leaves_per_arm.first().map_or(0, Vec::len) {
                let varied = leaves_per_arm.iter().any(|l| self.value_varied(&l[j]));
                let var_name = match (&ident, want) {
                    (Some(n), _) => self.names.user(n),
                    (None, Some(w)) => self.names.user(w),
                    (None, None) => self.names.temp(span),
                };
                let out = self.new_var(var_name, varied);
                for (arm_results, leaves) in results.iter_mut().zip(&leaves_per_arm) {
                    arm_results.push(leaves[j].clone());
                }
                out_vars.push(out);
                out_leaves.push(Value::Var(out));
            }
            let merged = match &shape {
                Binding::Tuple(_) => rebuild(&shape, &mut out_leaves.into_iter()),
                Binding::Value(_) => Binding::Value(
                    out_leaves
                        .pop()
                        .unwrap_or_else(|| Value::Const(quote!(())))
                        .operand(),
                ),
            };
            match ident {
                Some(n) => self.rebind(&n, merged),
                None => value = merged,
            }
        }
        let arms = arms
            .into_iter()
            .zip(results)
            .map(|((block, _, _), results)| Region { block, results })
            .collect();
        self.block.stmts.push(Stmt::Branch(Box::new(Branch {
            head,
            arms,
            outs: out_vars,
            span,
        })));
        value
    }

    /// `for PAT in ITER { .. }` over constants: the variables the body
    /// assigns that live outside it are carried from one iteration to the
    /// next, through variables of their own (`phis`).
    fn for_loop(&mut self, f: &syn::ExprForLoop) -> Binding {
        if f.label.is_some() {
            return self.reject(
                f.for_token.span(),
                "labelled loops are not supported yet: remove the label",
            );
        }
        if !self.carries_no_derivative(&f.expr) {
            // `for layer in &p.layers` (or `p.layers.iter()`): over the
            // indices, so the adjoint of each element lands in its place.
            if let Some(container) = borrowed_container(&f.expr)
                && matches!(&*f.pat, Pat::Ident(_))
            {
                let k = self.names.fresh("k", f.for_token.span());
                let (pat, body) = (&f.pat, &f.body);
                let indexed: syn::ExprForLoop = syn::parse_quote_spanned! {f.for_token.span()=>
                    for #k in 0..#container.len() {
                        let #pat = &#container[#k];
                        #body
                    }
                };
                return self.for_loop(&indexed);
            }
            return self.reject(
                f.expr.span(),
                "a `for` loop over values with a derivative is supported over indices (`for i in 0..n`) and over the elements of an argument (`for layer in &p.layers`): read `x[i]` in the body",
            );
        }
        let iter = self.resolve(&f.expr);
        self.carry(LoopHead::For(&f.pat, iter), &f.body, f.for_token.span())
    }

    /// `while cond { .. }`: the condition may read the carried values.
    fn while_loop(&mut self, w: &syn::ExprWhile) -> Binding {
        if w.label.is_some() {
            return self.reject(
                w.while_token.span(),
                "labelled loops are not supported yet: remove the label",
            );
        }
        if matches!(&*w.cond, Expr::Let(_)) {
            return self.reject(
                w.while_token.span(),
                "`while let` on values with a derivative is not supported yet: loop on a condition",
            );
        }
        if !self.carries_no_derivative(&w.cond) {
            return self.reject(
                w.cond.span(),
                "a `while` condition must be a comparison or another value without derivative",
            );
        }
        self.carry(LoopHead::While(&w.cond), &w.body, w.while_token.span())
    }

    /// A loop whose body carries the variables it assigns from one
    /// iteration to the next.
    fn carry(&mut self, head: LoopHead<'_>, body: &syn::Block, span: Span) -> Binding {
        // What the body assigns that lives outside it.
        let mut assigned = Vec::new();
        collect_assigned(body, &mut assigned);
        let mut carried: Vec<(String, Binding)> = assigned
            .into_iter()
            .filter_map(|name| self.lookup(&name).cloned().map(|b| (name, b)))
            .collect();
        // What the body assigns a tuple to is carried element by element
        // from the start (a jump may put the assignment in a branch, which
        // merges it with the value before).
        for (name, arity) in tuples_assigned(body) {
            let Some(k) = carried.iter().position(|(n, _)| *n == name) else {
                continue;
            };
            if let Binding::Value(o) = &carried[k].1 {
                let shape = Binding::Tuple(vec![unit(); arity]);
                if let Some(split) = self.projections(o, &shape) {
                    carried[k].1 = split;
                }
            }
        }
        // A carried value varies if it starts varied or the body makes it
        // vary: lower the body again until no more values vary. A value
        // the body makes a tuple of (`acc = (acc.0 + x, acc.1)`) is carried
        // element by element: lowered again with its elements apart.
        let mut varied: Vec<bool> = carried_leaves(&carried)
            .iter()
            .map(|v| self.value_varied(v))
            .collect();
        loop {
            let saved = (
                self.names.clone(),
                self.errors.clone(),
                self.vars.len(),
                self.scopes.clone(),
            );
            let lowered = self.carry_pass(&head, body, span, &carried, &varied);
            let restore = |this: &mut Self| {
                (*this.names, *this.errors, this.scopes) =
                    (saved.0.clone(), saved.1.clone(), saved.3.clone());
                this.vars.truncate(saved.2);
            };
            let lp = match lowered {
                Ok(lp) => lp,
                Err(Some((k, end))) => {
                    restore(self);
                    let split = match &carried[k].1 {
                        Binding::Value(o) => self.projections(o, &end),
                        Binding::Tuple(_) => None,
                    };
                    let Some(split) = split else {
                        return self.reject(span, format!("`{}` is a tuple with a derivative held in one variable (a call's result), which a loop cannot carry yet: take it apart with `let (a, b) = ..` before the loop", carried[k].0));
                    };
                    carried[k].1 = split;
                    varied = carried_leaves(&carried)
                        .iter()
                        .map(|v| self.value_varied(v))
                        .collect();
                    continue;
                }
                Err(None) => return poison(),
            };
            let now: Vec<bool> = lp
                .body
                .results
                .iter()
                .map(|r| self.value_varied(r))
                .collect();
            if now.iter().zip(&varied).all(|(n, v)| !n || *v) {
                self.block.stmts.push(Stmt::Loop(Box::new(lp)));
                return unit();
            }
            varied.iter_mut().zip(&now).for_each(|(v, n)| *v |= n);
            restore(self);
        }
    }

    /// One lowering of a loop, with the carried values (their elements, for
    /// tuples) in `varied` varying. Fails with the carried value that the
    /// body makes a tuple of, and that tuple, where it is not one yet.
    fn carry_pass(
        &mut self,
        head: &LoopHead<'_>,
        body: &syn::Block,
        span: Span,
        carried: &[(String, Binding)],
        varied: &[bool],
    ) -> Result<crate::ir::Loop, Option<(usize, Binding)>> {
        let before = self.scopes.clone();
        self.scopes.push(HashMap::new());
        let pat = match head {
            LoopHead::For(pat, _) => self.bind_constant_pattern(pat).to_token_stream(),
            LoopHead::While(_) | LoopHead::Loop => TokenStream::new(),
        };
        // `break` sets this in the pass that reaches it.
        let flag = Ident::new(jumps::BREAK_FLAG, span);
        self.bind(&flag, Binding::Value(Value::Const(quote!(false)).operand()));
        let mut phis = Vec::new();
        let mut inits = Vec::new();
        let mut varied = varied.iter();
        for (name, binding) in carried {
            let ident = Ident::new(name, span);
            let mut leaves = Vec::new();
            flatten(binding, &mut leaves);
            let mut phi_leaves = Vec::new();
            for init in leaves {
                let phi_name = self.names.user(&ident);
                let phi = self.new_var(phi_name, varied.next().copied().unwrap_or(false));
                phis.push(phi);
                inits.push(init);
                phi_leaves.push(Value::Var(phi));
            }
            let shaped = rebuild(binding, &mut phi_leaves.into_iter());
            self.bind(&ident, shaped);
        }
        // A `while` condition reads the carried values of the pass.
        let head = match head {
            LoopHead::For(_, iter) => crate::ir::LoopHead::For {
                pat,
                iter: iter.clone(),
            },
            LoopHead::While(cond) => crate::ir::LoopHead::While(self.resolve(cond)),
            LoopHead::Loop => crate::ir::LoopHead::Loop,
        };
        let (block, _, end) = self.region(|this| this.block(body));
        self.scopes = before;
        let mut results = Vec::new();
        for (k, (name, binding)) in carried.iter().enumerate() {
            match end.iter().rev().find_map(|s| s.get(name)) {
                Some(last) if same_shape(binding, last) => flatten(last, &mut results),
                Some(last @ Binding::Tuple(_)) if matches!(binding, Binding::Value(_)) => {
                    return Err(Some((k, last.clone())));
                }
                _ => {
                    self.reject(
                        span,
                        format!("`{name}` changes shape in the loop, which is not supported: keep each element of a tuple in a variable of its own"),
                    );
                    return Err(None);
                }
            }
        }
        let exit = match end.iter().rev().find_map(|s| s.get(jumps::BREAK_FLAG)) {
            Some(Binding::Value(Operand {
                value: Value::Const(c),
                ..
            })) if c.to_string() == "false" => None,
            Some(Binding::Value(o)) => Some(o.value.clone()),
            _ => None,
        };
        let mut outs = Vec::new();
        let mut phi_vars = phis.iter();
        for (name, binding) in carried {
            let ident = Ident::new(name, span);
            let mut leaves = Vec::new();
            flatten(binding, &mut leaves);
            let mut out_leaves = Vec::new();
            for _ in leaves {
                let varied = phi_vars.next().is_some_and(|phi| self.vars[phi.0].varied);
                let out_name = self.names.user(&ident);
                let out = self.new_var(out_name, varied);
                outs.push(out);
                out_leaves.push(Value::Var(out));
            }
            let shaped = rebuild(binding, &mut out_leaves.into_iter());
            self.rebind(&ident, shaped);
        }
        Ok(crate::ir::Loop {
            head,
            body: Region { block, results },
            exit,
            phis,
            inits,
            outs,
            span,
        })
    }

    /// Lowers what `f` lowers into a block of its own; returns the block,
    /// the value, and the bindings as they stand at its end.
    fn region(&mut self, f: impl FnOnce(&mut Self) -> Binding) -> (Block, Binding, Scopes) {
        let outer = std::mem::take(&mut self.block);
        let value = f(self);
        let block = std::mem::replace(&mut self.block, outer);
        (block, value, self.scopes.clone())
    }

    /// Whether `expr` computes nothing with a derivative: it mentions none,
    /// or it is a branch whose arms compute none (on a condition that may
    /// read one).
    fn constant_code(&self, expr: &Expr) -> bool {
        match expr {
            _ if !self.mentions_varied(expr) => true,
            Expr::If(i) => self.branches_constant_if(i),
            Expr::Match(m) => m.arms.iter().all(|a| !self.mentions_varied(&a.body)),
            _ => false,
        }
    }

    fn branches_constant_if(&self, i: &syn::ExprIf) -> bool {
        let then_constant = !self.mentions_varied(&Expr::Block(syn::ExprBlock {
            attrs: Vec::new(),
            label: None,
            block: i.then_branch.clone(),
        }));
        then_constant
            && i.else_branch
                .as_ref()
                .is_none_or(|(_, e)| !self.mentions_varied(e))
    }

    /// Reports `message` at `span` and stands in for the rejected expression.
    fn reject(&mut self, span: Span, message: impl std::fmt::Display) -> Binding {
        self.errors.push(span, message);
        poison()
    }

    /// A binding used as an operand: a single value.
    fn operand(&mut self, binding: Binding, at: &Expr) -> Option<Operand> {
        match binding {
            Binding::Value(o) => Some(o),
            Binding::Tuple(_) => {
                self.errors.push(
                    at.span(),
                    "a tuple is not a number: use one of its elements (`t.0`)",
                );
                None
            }
        }
    }

    /// The arguments of a call, lowered in order: their operands and whether
    /// any of them varies; `None` once one is rejected (already reported).
    fn operands<'e>(
        &mut self,
        inputs: impl IntoIterator<Item = &'e Expr>,
    ) -> Option<(Vec<Operand>, bool)> {
        let mut args = Vec::new();
        let mut varied = false;
        for input in inputs {
            let binding = self.expr(input, None);
            let operand = self.operand(binding, input)?;
            varied |= self.value_varied(&operand.value);
            args.push(operand);
        }
        Some((args, varied))
    }

    fn binary(
        &mut self,
        op: Option<BinOp>,
        lhs: Binding,
        rhs: Binding,
        want: Option<&Ident>,
        at: &Expr,
        span: Span,
    ) -> Binding {
        let Some(op) = op else { return poison() };
        let (Some(a), Some(b)) = (self.operand(lhs, at), self.operand(rhs, at)) else {
            return poison();
        };
        if !self.value_varied(&a.value) && !self.value_varied(&b.value) {
            let (a, b) = (self.operand_tokens(&a), self.operand_tokens(&b));
            let op = op.token();
            // Operands may be expressions (`v *= 2.0 + 1.0`): keep them whole.
            let out = self.push_step(want, Op::Const(quote!((#a) #op (#b))), None, span);
            return Binding::Value(Value::Var(out).operand());
        }
        // A constant that is computed (`&xs.row(t)`) gets a name, so a tape
        // that borrows it borrows a value that lives on.
        let (a, b) = (self.named_constant(a, span), self.named_constant(b, span));
        let out = self.push_step(want, Op::Binary(op, a, b), None, span);
        Binding::Value(Value::Var(out).operand())
    }

    fn named_constant(&mut self, operand: Operand, span: Span) -> Operand {
        match &operand.value {
            Value::Const(tokens) if !repeats_cheaply(tokens) => {
                // `&xs.row(t)`: name the value, borrow the name.
                let (tokens, borrowed) = match syn::parse2::<Expr>(tokens.clone()) {
                    Ok(Expr::Reference(r)) if r.mutability.is_none() => {
                        (r.expr.to_token_stream(), true)
                    }
                    _ => (tokens.clone(), operand.borrowed),
                };
                let out = self.push_step(None, Op::Const(tokens), None, span);
                Operand {
                    value: Value::Var(out),
                    borrowed,
                }
            }
            _ => operand,
        }
    }

    fn method_call(
        &mut self,
        m: &syn::ExprMethodCall,
        want: Option<&Ident>,
        expr: &Expr,
    ) -> Binding {
        let name = m.method.to_string();
        if rules::CONSTANT_METHODS.contains(&name.as_str()) {
            return self.constant(expr);
        }
        if matches!(name.as_str(), "unwrap" | "expect")
            && let Some(binding) = self.unwrapped_call(expr, want)
        {
            return binding;
        }
        // `x.mapv(f64::sin)`: the elementwise rule of the function.
        if name == "mapv" {
            let rule = match m.args.first() {
                Some(Expr::Path(f)) if m.args.len() == 1 => f
                    .path
                    .segments
                    .last()
                    .and_then(|s| rules::lookup(&s.ident.to_string()))
                    .filter(|r| r.arity == 1 && !r.unwraps)
                    .map(|r| (r, f.to_token_stream())),
                _ => None,
            };
            let Some((rule, f)) = rule else {
                self.errors.push(
                    m.method.span(),
                    "`mapv` differentiates with a float method that has a rule (`x.mapv(f64::tanh)`); for another function call it on the array directly (`relu(&x)`, `x.tanh()`), or hold the value constant with `no_grad(...)`",
                );
                return poison();
            };
            let inputs = [&*m.receiver];
            return self.rule_call(
                rule,
                CallForm::Mapv(f),
                TokenStream::new(),
                &inputs,
                m.method.span(),
                want,
                expr,
            );
        }
        if OPTION_METHODS.contains(&name.as_str()) {
            return self.reject(
                m.method.span(),
                format!("`{name}` makes or takes apart an `Option` or `Result` of a value with a derivative, which the derivative cannot see into: choose with `if` or `match` and return `Some(value)` or `None` where the function returns, or unwrap right after the call that made it (`x.mean()?`, `f(x)?`)"),
            );
        }
        let near = near_rules(&name);
        if rules::lookup(&name).is_none()
            && near.is_empty()
            && !rules::WITHOUT_RULES.contains(&name.as_str())
        {
            // A method of the user's, differentiable itself: its entry point
            // `__reverse_NAME` stands beside it.
            return self.differentiable_method(m, want, expr, TokenStream::new());
        }
        let Some(rule) = rules::lookup(&name) else {
            self.errors.push(
                m.method.span(),
                format!(
                    "no derivative rule for the method `{name}`{near}: the methods with rules are listed in the documentation of `#[differentiable]`; hold the value constant with `no_grad(...)` if it needs no derivative, or compute it in a `#[differentiable]` function of its own"
                ),
            );
            return poison();
        };
        if rule.unwraps {
            return self.reject(
                m.method.span(),
                format!("`{name}` returns an `Option` or a `Result`: unwrap it in place, `x.{name}(...).unwrap()`, or with `?` in a function that returns an `Option` or a `Result`"),
            );
        }
        let inputs: Vec<&Expr> = std::iter::once(&*m.receiver).chain(m.args.iter()).collect();
        self.rule_call(
            rule,
            CallForm::Method,
            TokenStream::new(),
            &inputs,
            m.method.span(),
            want,
            expr,
        )
    }

    /// A call whose `Option` or `Result` is unwrapped where it is made:
    /// `x.mean().unwrap()`, `x.mean()?`, `x.mean().ok_or(e)?`,
    /// `concatenate(..).unwrap()`, `f(x)?`, `layer.forward(&h)?`. The call
    /// differentiates as its value; what unwraps it is kept as written.
    /// `None` when `expr` is not such a call.
    fn unwrapped_call(&mut self, expr: &Expr, want: Option<&Ident>) -> Option<Binding> {
        let (call, suffix) = self.peel_unwrap(expr)?;
        match call {
            Expr::MethodCall(inner)
                if matches!(inner.method.to_string().as_str(), "get" | "first" | "last") =>
            {
                self.element_of(inner, suffix, want)
            }
            Expr::MethodCall(inner) => {
                let name = inner.method.to_string();
                if let Some(rule) = rules::lookup(&name) {
                    if !rule.unwraps {
                        return None;
                    }
                    let inputs: Vec<&Expr> = std::iter::once(&*inner.receiver)
                        .chain(inner.args.iter())
                        .collect();
                    let span = inner.method.span();
                    return Some(self.rule_call(
                        rule,
                        CallForm::Method,
                        suffix,
                        &inputs,
                        span,
                        want,
                        expr,
                    ));
                }
                let known = rules::CONSTANT_METHODS.contains(&name.as_str())
                    || rules::WITHOUT_RULES.contains(&name.as_str())
                    || OPTION_METHODS.contains(&name.as_str());
                (!known).then(|| self.differentiable_method(inner, want, expr, suffix))
            }
            Expr::Call(c) => {
                let Expr::Path(p) = &*c.func else {
                    return None;
                };
                if let Some(binding) = self.join(p, c, suffix.clone(), want, expr) {
                    return Some(binding);
                }
                let last = p.path.segments.last()?.ident.to_string();
                (!matches!(last.as_str(), "no_grad" | "Some" | "Ok" | "Err"))
                    .then(|| self.differentiable_call(p, c, want, expr, suffix))
            }
            _ => None,
        }
    }

    /// The call inside `call?`, `call.ok()?`, `call.ok_or(e)?`,
    /// `call.ok_or_else(f)?`, `call.map_err(f)?` (`f` a function's path:
    /// closures are fenced), `call.unwrap()` or `call.expect(msg)`, and what
    /// follows it, with names resolved.
    fn peel_unwrap<'e>(&self, expr: &'e Expr) -> Option<(&'e Expr, TokenStream)> {
        let method_suffix = |m: &syn::ExprMethodCall| {
            let method = &m.method;
            let args = m.args.iter().map(|a| self.resolve(a));
            quote!(.#method(#(#args),*))
        };
        let (mut inner, mut suffix) = match expr {
            Expr::Try(t) => {
                let question = t.question_token;
                (&*t.expr, quote!(#question))
            }
            Expr::MethodCall(m) if matches!(m.method.to_string().as_str(), "unwrap" | "expect") => {
                (&*m.receiver, method_suffix(m))
            }
            _ => return None,
        };
        while let Expr::MethodCall(m) = inner
            && matches!(
                (m.method.to_string().as_str(), m.args.len()),
                ("ok_or" | "ok_or_else" | "map_err", 1) | ("ok" | "copied" | "cloned", 0)
            )
        {
            let adapter = method_suffix(m);
            suffix = quote!(#adapter #suffix);
            inner = &m.receiver;
        }
        Some((inner, suffix))
    }

    /// `w.get(i)`, `w.first()`, `w.last()` of an argument or a container
    /// built in the body, unwrapped in place (`*w.get(i)?`,
    /// `w.first().copied().unwrap()`): the element `w[i]`, after the
    /// forward pass checked it is there (and stopped, as written, if not).
    /// `None` for another method or receiver.
    fn element_of(
        &mut self,
        m: &syn::ExprMethodCall,
        suffix: TokenStream,
        want: Option<&Ident>,
    ) -> Option<Binding> {
        let name = m.method.to_string();
        let span = m.method.span();
        let receiver = self.resolve(&m.receiver);
        // The index is computed once: the check, the read and the backward
        // pass all use it.
        let index = match (name.as_str(), m.args.len()) {
            ("get", 1) if !self.mentions_varied(&m.args[0]) => {
                let index = self.resolve(&m.args[0]);
                if repeats_cheaply(&index) {
                    index
                } else {
                    let out = self.push_step(None, Op::Const(index), None, m.args[0].span());
                    self.vars[out.0].name.to_token_stream()
                }
            }
            ("first" | "last", 0) => TokenStream::new(),
            _ => return None,
        };
        let base = match self.expr(&m.receiver, None) {
            Binding::Value(o) => o,
            Binding::Tuple(_) => return None,
        };
        let method = &m.method;
        self.block.stmts.push(Stmt::Verbatim(
            quote!(let _ = #receiver.#method(#index) #suffix;),
        ));
        // `first` and `last` of a slice, a `Vec` or an ndarray array: the
        // index of the element, of the type that indexes it.
        let index = if index.is_empty() {
            // A method call, so that a `Box` or an `Rc` derefs to what it holds.
            let helper = format_ident!("{}_index", name, span = span);
            let out = self.push_step(
                None,
                Op::Const(quote!({
                    use ::gradgen::__private::Ends as _;
                    (#receiver).#helper()
                })),
                None,
                span,
            );
            self.vars[out.0].name.to_token_stream()
        } else {
            index
        };
        // Without `copied()`, `cloned()` or `*`, the element is a reference.
        let borrowed = !suffix
            .clone()
            .into_iter()
            .any(|t| matches!(t, TokenTree::Ident(i) if i == "copied" || i == "cloned"));
        let value = match base.value {
            Value::Place(mut place) => {
                let path = &place.path;
                place.path = quote!(#path [#index]);
                Value::Place(place)
            }
            Value::Var(_) => {
                let out = self.push_step(want, Op::Index { base, index }, None, span);
                Value::Var(out)
            }
            Value::Const(_) => return None,
        };
        Some(Binding::Value(Operand { value, borrowed }))
    }

    fn call(&mut self, c: &syn::ExprCall, want: Option<&Ident>, expr: &Expr) -> Binding {
        if let Expr::Path(p) = &*c.func {
            let segments: Vec<String> = p
                .path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect();
            if let Some(last) = segments.last() {
                if last == "no_grad" && c.args.len() == 1 {
                    return self.constant(expr);
                }
                if segments.len() >= 2 {
                    let owner = &segments[segments.len() - 2];
                    let float_owner = matches!(owner.as_str(), "f32" | "f64" | "Float" | "Real")
                        || self.type_params.contains(owner);
                    if let (true, Some(rule)) = (float_owner, rules::lookup(last)) {
                        let inputs: Vec<&Expr> = c.args.iter().collect();
                        let path = p.to_token_stream();
                        let span = p
                            .path
                            .segments
                            .last()
                            .map_or_else(|| p.span(), |s| s.ident.span());
                        return self.rule_call(
                            rule,
                            CallForm::Path(path),
                            TokenStream::new(),
                            &inputs,
                            span,
                            want,
                            expr,
                        );
                    }
                }
            }
            if let Some(binding) = self.join(p, c, TokenStream::new(), want, expr) {
                return binding;
            }
            if matches!(
                segments.last().map(String::as_str),
                Some("Some" | "Ok" | "Err")
            ) {
                return self.reject(
                    p.span(),
                    "an `Option` or `Result` holding a value with a derivative is supported only as what the function returns (`Some(value)` at its end, or `return Some(value)`, in a function whose return type's last segment is `Option` or `Result`: `Option<f64>`, `Result<f64, E>`, `io::Result<f64>`): keep the value itself in variables",
                );
            }
            return self.differentiable_call(p, c, want, expr, TokenStream::new());
        }
        self.errors
            .push(c.func.span(), "only calls of named functions are supported");
        poison()
    }

    /// A call of a method that is itself `#[differentiable]`.
    fn differentiable_method(
        &mut self,
        m: &syn::ExprMethodCall,
        want: Option<&Ident>,
        expr: &Expr,
        suffix: TokenStream,
    ) -> Binding {
        let Some((args, varied)) = self.operands(std::iter::once(&*m.receiver).chain(&m.args))
        else {
            return poison();
        };
        if !varied {
            return self.constant(expr);
        }
        let generics = m
            .turbofish
            .as_ref()
            .map(|t| t.to_token_stream())
            .unwrap_or_default();
        let op = Op::MethodCall {
            method: m.method.clone(),
            generics,
            args,
            suffix,
        };
        let out = self.push_step(want, op, None, m.method.span());
        Binding::Value(Value::Var(out).operand())
    }

    /// `concatenate(axis, &[a, b, ...])` or `stack(axis, &[a, b, ...])`
    /// (ndarray's), or `None` when the call has another shape.
    fn join(
        &mut self,
        p: &syn::ExprPath,
        c: &syn::ExprCall,
        suffix: TokenStream,
        want: Option<&Ident>,
        expr: &Expr,
    ) -> Option<Binding> {
        let name = p.path.segments.last()?.ident.to_string();
        let stack = match name.as_str() {
            "concatenate" => false,
            "stack" => true,
            _ => return None,
        };
        let [axis, list] = [c.args.first()?, c.args.get(1)?];
        let Expr::Reference(list) = list else {
            return None;
        };
        let Expr::Array(list) = &*list.expr else {
            return None;
        };
        if c.args.len() != 2 {
            return None;
        }
        if self.mentions_varied(axis) {
            self.errors.push(
                axis.span(),
                format!(
                    "the axis of `{name}` cannot carry a derivative: compute it from constants"
                ),
            );
            return Some(poison());
        }
        let axis = self.resolve(axis);
        let mut parts = Vec::new();
        for part in &list.elems {
            let binding = self.expr(part, None);
            parts.push(self.operand(binding, part)?);
        }
        if !parts.iter().any(|o| self.value_varied(&o.value)) {
            return Some(self.constant(expr));
        }
        let op = Op::Join {
            stack,
            path: p.to_token_stream(),
            axis,
            parts,
            suffix,
        };
        let out = self.push_step(want, op, None, p.span());
        Some(Binding::Value(Value::Var(out).operand()))
    }

    /// A call of another differentiable function: its pullback is found by
    /// name, beside the function (see the composition convention).
    fn differentiable_call(
        &mut self,
        p: &syn::ExprPath,
        c: &syn::ExprCall,
        want: Option<&Ident>,
        expr: &Expr,
        suffix: TokenStream,
    ) -> Binding {
        if p.qself.is_some() {
            return self.reject(p.span(), "a call through a qualified path (`<T as Trait>::f`) cannot be differentiated yet: call the function by its name");
        }
        let mut path = p.path.clone();
        let generics = match path
            .segments
            .last_mut()
            .map(|s| std::mem::take(&mut s.arguments))
        {
            Some(syn::PathArguments::AngleBracketed(mut args)) => {
                args.colon2_token = Some(Default::default());
                args.to_token_stream()
            }
            Some(syn::PathArguments::Parenthesized(a)) => {
                return self.reject(
                    a.span(),
                    "parenthesized generic arguments are not supported in a call",
                );
            }
            _ => TokenStream::new(),
        };
        let Some((args, varied)) = self.operands(&c.args) else {
            return poison();
        };
        if !varied {
            return self.constant(expr);
        }
        // `Box::new(x)`, `Model::forward(&m, x)`: a function of a type.
        let segments = &p.path.segments;
        if segments.len() >= 2
            && segments[segments.len() - 2]
                .ident
                .to_string()
                .starts_with(|c: char| c.is_uppercase())
        {
            return self.reject(
                p.span(),
                format!(
                    "`{}` is a function of a type, which cannot be differentiated: call a `#[differentiable]` function by its name or a `#[differentiable]` method with method syntax (`m.forward(x)`), or hold the value constant with `no_grad(...)`",
                    p.to_token_stream().to_string().replace(' ', "")
                ),
            );
        }
        let span = path
            .segments
            .last()
            .map_or_else(|| p.span(), |s| s.ident.span());
        let out = self.push_step(
            want,
            Op::Call {
                path: path.to_token_stream(),
                generics,
                args,
                suffix,
            },
            None,
            span,
        );
        Binding::Value(Value::Var(out).operand())
    }

    #[allow(clippy::too_many_arguments)]
    fn rule_call(
        &mut self,
        rule: &'static Rule,
        form: CallForm,
        suffix: TokenStream,
        inputs: &[&Expr],
        span: Span,
        want: Option<&Ident>,
        expr: &Expr,
    ) -> Binding {
        if inputs.len() != rule.arity {
            let expected = rule.arity - 1;
            return self.reject(
                span,
                format!(
                    "`{}` takes {expected} argument{} besides the value it is called on",
                    rule.name,
                    if expected == 1 { "" } else { "s" }
                ),
            );
        }
        let mut args = Vec::new();
        let mut varied = false;
        for (i, input) in inputs.iter().enumerate() {
            if !rule.differentiable(i) {
                if self.mentions_varied(input) {
                    let message = if rule.name == "powi" {
                        "the exponent of `powi` is an integer and cannot carry a derivative: use `powf` for a float exponent".to_string()
                    } else {
                        format!(
                            "this argument of `{}` (an index, axis or shape) cannot carry a derivative: compute it from constants",
                            rule.name
                        )
                    };
                    return self.reject(input.span(), message);
                }
                args.push(Value::Const(self.resolve(input)).operand());
                continue;
            }
            let binding = self.expr(input, None);
            let Some(operand) = self.operand(binding, input) else {
                return poison();
            };
            varied |= self.value_varied(&operand.value);
            args.push(self.stable(operand, rule, i));
        }
        if !varied {
            return self.constant(expr);
        }
        let out = self.push_step(
            want,
            Op::Method {
                rule,
                form,
                args,
                suffix,
            },
            None,
            span,
        );
        Binding::Value(Value::Var(out).operand())
    }

    /// A constant input that the reverse step reads is computed once, in the
    /// forward sweep, unless it is a literal or a name.
    fn stable(&mut self, operand: Operand, rule: &Rule, index: usize) -> Operand {
        let read = rule
            .saves
            .iter()
            .any(|s| matches!(s, rules::Saved::Input(i) | rules::Saved::Value(i) if *i == index));
        match &operand.value {
            Value::Const(tokens) if read && !repeats_cheaply(tokens) => {
                let out = self.push_step(None, Op::Const(tokens.clone()), None, Span::call_site());
                Operand {
                    value: Value::Var(out),
                    borrowed: operand.borrowed,
                }
            }
            _ => operand,
        }
    }
}

/// The names a block assigns a tuple literal to (`t = (a, b);`), with
/// the tuple's length.
fn tuples_assigned(block: &syn::Block) -> Vec<(String, usize)> {
    struct Finder(Vec<(String, usize)>);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr_assign(&mut self, a: &'ast syn::ExprAssign) {
            if let (Some(name), Expr::Tuple(t)) = (local_name(&a.left), &*a.right) {
                self.0.push((name.to_string(), t.elems.len()));
            }
            syn::visit::visit_expr_assign(self, a);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut finder = Finder(Vec::new());
    finder.visit_block(block);
    finder.0
}

/// The values of the elements of carried bindings, in order.
fn carried_leaves(carried: &[(String, Binding)]) -> Vec<Value> {
    let mut leaves = Vec::new();
    for (_, binding) in carried {
        flatten(binding, &mut leaves);
    }
    leaves
}

/// The values of a binding, a tuple's element by element.
fn flatten(binding: &Binding, out: &mut Vec<Value>) {
    match binding {
        Binding::Value(o) => out.push(o.value.clone()),
        Binding::Tuple(items) => items.iter().for_each(|b| flatten(b, out)),
    }
}

/// A binding of the shape of `shape`, with the values `leaves`.
fn rebuild(shape: &Binding, leaves: &mut impl Iterator<Item = Value>) -> Binding {
    match shape {
        Binding::Value(o) => Binding::Value(Operand {
            value: leaves.next().unwrap_or(Value::Const(quote!(()))),
            borrowed: o.borrowed,
        }),
        Binding::Tuple(items) => Binding::Tuple(items.iter().map(|b| rebuild(b, leaves)).collect()),
    }
}

fn same_shape(a: &Binding, b: &Binding) -> bool {
    match (a, b) {
        (Binding::Value(_), Binding::Value(_)) => true,
        (Binding::Tuple(x), Binding::Tuple(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_shape(a, b))
        }
        _ => false,
    }
}

/// The rules whose names are close to `name`, as a hint: `sin_cos` suggests
/// `sin` and `cos`, `exq` suggests `exp`.
fn near_rules(name: &str) -> String {
    let near: Vec<String> = rules::RULES
        .iter()
        .filter(|r| {
            let contains = r.name.len() > 1 && (name.contains(r.name) || r.name.contains(name));
            contains || edit_distance(name, r.name) <= 1 + name.len() / 4
        })
        .map(|r| format!("`{}`", r.name))
        .collect();
    match near.as_slice() {
        [] => String::new(),
        some => format!(" (did you mean {}?)", some.join(" or ")),
    }
}

/// The number of single-character edits between two names.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

/// Whether a constant can be written again where it is read, rather than
/// computed once into a variable: a literal, a negated literal, a path, a
/// borrow of a path.
fn repeats_cheaply(tokens: &TokenStream) -> bool {
    if let Ok(Expr::Reference(r)) = syn::parse2::<Expr>(tokens.clone())
        && r.mutability.is_none()
        && matches!(&*r.expr, Expr::Path(_))
    {
        return true;
    }
    let mut iter = tokens.clone().into_iter();
    let first = iter.next();
    let single = iter.next().is_none();
    match first {
        Some(TokenTree::Literal(_)) | Some(TokenTree::Ident(_)) => single,
        Some(TokenTree::Punct(p)) if p.as_char() == '-' => {
            matches!(
                tokens.clone().into_iter().nth(1),
                Some(TokenTree::Literal(_))
            ) && tokens.clone().into_iter().count() == 2
        }
        _ => syn::parse2::<syn::ExprPath>(tokens.clone()).is_ok(),
    }
}

/// The container of `&c` or `c.iter()`, when `c` is a path or a field of
/// one (`p.layers`): what a loop over elements can index instead.
fn borrowed_container(expr: &Expr) -> Option<&Expr> {
    let inner = match expr {
        Expr::Reference(r) if r.mutability.is_none() => &*r.expr,
        Expr::MethodCall(m) if m.method == "iter" && m.args.is_empty() => &*m.receiver,
        Expr::Paren(p) => return borrowed_container(&p.expr),
        _ => return None,
    };
    let mut base = inner;
    while let Expr::Field(f) = base {
        base = &f.base;
    }
    matches!(base, Expr::Path(_)).then_some(inner)
}

/// What a loop runs over: a pattern and what it iterates, or a condition.
enum LoopHead<'a> {
    For(&'a Pat, TokenStream),
    While(&'a Expr),
    Loop,
}

/// The names a loop body assigns (`x = ..`, `x += ..`), in order, once each.
fn collect_assigned(block: &syn::Block, out: &mut Vec<String>) {
    struct Assigned<'o>(&'o mut Vec<String>);
    impl Assigned<'_> {
        /// Records the variable `target` writes: `x`, or `v` of `v[i]`.
        fn add(&mut self, target: &Expr) {
            let target = match target {
                Expr::Index(ix) => &*ix.expr,
                other => other,
            };
            if let Some(name) = local_name(target) {
                let name = name.to_string();
                if !self.0.contains(&name) {
                    self.0.push(name);
                }
            }
        }
    }
    impl<'ast> Visit<'ast> for Assigned<'_> {
        fn visit_expr_assign(&mut self, a: &'ast syn::ExprAssign) {
            self.add(&a.left);
            syn::visit::visit_expr_assign(self, a);
        }
        fn visit_expr_binary(&mut self, b: &'ast syn::ExprBinary) {
            if compound_op(&b.op).is_some() {
                self.add(&b.left);
            }
            syn::visit::visit_expr_binary(self, b);
        }
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            if m.method == "push" {
                self.add(&m.receiver);
            }
            syn::visit::visit_expr_method_call(self, m);
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    Assigned(out).visit_block(block);
}

/// The names an expression assigns (see [`collect_assigned`]).
fn assigned_in(expr: &Expr) -> Vec<String> {
    let mut out = Vec::new();
    let block = syn::Block {
        brace_token: Default::default(),
        stmts: vec![SynStmt::Expr(expr.clone(), None)],
    };
    collect_assigned(&block, &mut out);
    out
}

fn local_name(expr: &Expr) -> Option<Ident> {
    match expr {
        Expr::Path(p) => p.path.get_ident().cloned(),
        Expr::Paren(p) => local_name(&p.expr),
        _ => None,
    }
}

fn compound_op(op: &SynBinOp) -> Option<BinOp> {
    match op {
        SynBinOp::AddAssign(_) => Some(BinOp::Add),
        SynBinOp::SubAssign(_) => Some(BinOp::Sub),
        SynBinOp::MulAssign(_) => Some(BinOp::Mul),
        SynBinOp::DivAssign(_) => Some(BinOp::Div),
        _ => None,
    }
}

impl BinOp {
    pub fn token(self) -> TokenStream {
        match self {
            BinOp::Add => quote!(+),
            BinOp::Sub => quote!(-),
            BinOp::Mul => quote!(*),
            BinOp::Div => quote!(/),
        }
    }
}

/// The methods of `Option`, `Result` and `bool` that make or take apart an
/// `Option` or `Result` (a differentiable value inside one is not followed).
const OPTION_METHODS: &[&str] = &[
    "ok",
    "err",
    "then",
    "then_some",
    "map",
    "map_or",
    "map_or_else",
    "and_then",
    "filter",
    "or",
    "or_else",
    "xor",
    "zip",
    "unwrap_or",
    "unwrap_or_default",
    "unwrap_or_else",
    "ok_or",
    "ok_or_else",
    "map_err",
    "flatten",
    "as_ref",
    "copied",
    "cloned",
    "get",
    "first",
    "last",
];

/// The elements of `vec![a, b, ..]` (not of `vec![x; n]`).
fn vec_items(mac: &syn::Macro) -> Option<Vec<Expr>> {
    let items = mac
        .parse_body_with(syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated)
        .ok()?;
    Some(items.into_iter().collect())
}

/// The statement macros that only read values: printing and assertions.
const OBSERVING_MACROS: &[&str] = &[
    "print",
    "println",
    "eprint",
    "eprintln",
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
];

/// Which argument of a macro is its format string, for the macros whose
/// format strings may capture names (`println!("{y}")`).
fn format_position(name: &str) -> Option<usize> {
    match name {
        "print" | "println" | "eprint" | "eprintln" | "format" | "format_args" | "panic"
        | "unreachable" | "todo" | "unimplemented" => Some(0),
        "write" | "writeln" | "assert" | "debug_assert" => Some(1),
        "assert_eq" | "assert_ne" | "debug_assert_eq" | "debug_assert_ne" => Some(2),
        _ => None,
    }
}

/// Finds names bound to values with a derivative.
struct Mentions<'l, 'a> {
    lowering: &'l Lowering<'a>,
    found: bool,
}

impl<'ast> Visit<'ast> for Mentions<'_, '_> {
    fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
        if let Some(ident) = p.path.get_ident()
            && let Some(b) = self.lowering.lookup(&ident.to_string())
        {
            self.found |= self.lowering.binding_varied(b);
        }
    }
    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.found |= self.lowering.mentions_varied_tokens(&m.tokens);
    }
    fn visit_expr_block(&mut self, b: &'ast syn::ExprBlock) {
        self.found |= jumps::continuation_depth(b.label.as_ref()).is_some();
        syn::visit::visit_expr_block(self, b);
    }
    fn visit_item(&mut self, _: &'ast syn::Item) {}
}

/// Rewrites the user's names to what generated code calls them.
struct Resolver<'l, 'a> {
    lowering: &'l Lowering<'a>,
    /// The names the code itself binds (`let`, the patterns of `for`,
    /// `match`, `if let` and closures), innermost scope last: there they
    /// stand for themselves.
    own: Vec<Vec<String>>,
}

impl Resolver<'_, '_> {
    fn is_own(&self, name: &str) -> bool {
        self.own.iter().any(|scope| scope.iter().any(|n| n == name))
    }

    /// Visits `f` with the names `pats` bind in a scope of their own.
    fn scoped<'p>(&mut self, pats: impl IntoIterator<Item = &'p Pat>, f: impl FnOnce(&mut Self)) {
        let mut names = Vec::new();
        for pat in pats {
            pattern_names(pat, &mut names);
        }
        self.own.push(names);
        f(self);
        self.own.pop();
    }
}

/// The names a pattern binds (not the unit variants and constants it names).
pub(crate) fn pattern_names(pat: &Pat, out: &mut Vec<String>) {
    struct Names<'o>(&'o mut Vec<String>);
    impl<'ast> Visit<'ast> for Names<'_> {
        fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
            let name = p.ident.to_string();
            if !name.starts_with(|c: char| c.is_uppercase()) || p.subpat.is_some() {
                self.0.push(name);
            }
            syn::visit::visit_pat_ident(self, p);
        }
    }
    Names(out).visit_pat(pat);
}

impl VisitMut for Resolver<'_, '_> {
    fn visit_expr_mut(&mut self, expr: &mut Expr) {
        match expr {
            Expr::Path(p) => {
                if let Some(ident) = p.path.get_ident()
                    && !self.is_own(&ident.to_string())
                    && let Some(b) = self.lowering.lookup(&ident.to_string())
                {
                    let tokens = self.lowering.binding_tokens(b);
                    let mut replaced: Expr =
                        syn::parse2(tokens.clone()).unwrap_or_else(|_| Expr::Verbatim(tokens));
                    if let Expr::Path(ep) = &mut replaced {
                        // Keep the user's span, so errors point at their code.
                        if let Some(seg) = ep.path.segments.first_mut() {
                            seg.ident.set_span(ident.span());
                        }
                    }
                    *expr = replaced;
                }
            }
            Expr::ForLoop(f) => {
                self.visit_expr_mut(&mut f.expr);
                let (pat, body) = (&*f.pat, &mut f.body);
                self.scoped([pat], |this| this.visit_block_mut(body));
            }
            Expr::Closure(c) => {
                let (inputs, body) = (&c.inputs, &mut c.body);
                self.scoped(inputs, |this| this.visit_expr_mut(body));
            }
            Expr::If(i) if matches!(&*i.cond, Expr::Let(_)) => {
                if let Expr::Let(l) = &mut *i.cond {
                    self.visit_expr_mut(&mut l.expr);
                    let (pat, then) = (&*l.pat, &mut i.then_branch);
                    self.scoped([pat], |this| this.visit_block_mut(then));
                }
                if let Some((_, e)) = &mut i.else_branch {
                    self.visit_expr_mut(e);
                }
            }
            Expr::While(w) if matches!(&*w.cond, Expr::Let(_)) => {
                if let Expr::Let(l) = &mut *w.cond {
                    self.visit_expr_mut(&mut l.expr);
                    let (pat, body) = (&*l.pat, &mut w.body);
                    self.scoped([pat], |this| this.visit_block_mut(body));
                }
            }
            _ => syn::visit_mut::visit_expr_mut(self, expr),
        }
    }

    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        self.own.push(Vec::new());
        syn::visit_mut::visit_block_mut(self, block);
        self.own.pop();
    }

    fn visit_local_mut(&mut self, local: &mut syn::Local) {
        // The value is read before the pattern binds.
        if let Some(init) = &mut local.init {
            self.visit_expr_mut(&mut init.expr);
            if let Some((_, diverge)) = &mut init.diverge {
                self.visit_expr_mut(diverge);
            }
        }
        if let Some(scope) = self.own.last_mut() {
            pattern_names(&local.pat, scope);
        }
    }

    fn visit_arm_mut(&mut self, arm: &mut syn::Arm) {
        let (pat, guard, body) = (&arm.pat, &mut arm.guard, &mut arm.body);
        self.scoped([pat], |this| {
            if let Some((_, guard)) = guard {
                this.visit_expr_mut(guard);
            }
            this.visit_expr_mut(body);
        });
    }

    fn visit_field_value_mut(&mut self, field: &mut syn::FieldValue) {
        // `S { x }` names the field and the variable at once: spell it out
        // when the variable is renamed.
        if field.colon_token.is_none() {
            field.colon_token = Some(Default::default());
        }
        syn::visit_mut::visit_field_value_mut(self, field);
    }

    fn visit_macro_mut(&mut self, m: &mut syn::Macro) {
        // A bail's expression, with the names this code binds itself.
        if fallible::is_bail(m)
            && let Ok(mut residual) = syn::parse2::<Expr>(m.tokens.clone())
        {
            self.visit_expr_mut(&mut residual);
            m.tokens = residual.to_token_stream();
            return;
        }
        let own = |name: &str| self.is_own(name);
        *m = self.lowering.resolve_macro(m, &own);
    }

    fn visit_item_mut(&mut self, _: &mut syn::Item) {}
}

/// Gives each name in a constant pattern a variable: one per name, which
/// every alternative of an or-pattern (`A(k) | B(k)`) binds.
struct PatternBinder<'l, 'a> {
    lowering: &'l mut Lowering<'a>,
    renamed: HashMap<String, Ident>,
}

impl VisitMut for PatternBinder<'_, '_> {
    fn visit_field_pat_mut(&mut self, field: &mut syn::FieldPat) {
        // `Factor { k }` names the field and the binding at once: spell it
        // out, since the binding is renamed.
        syn::visit_mut::visit_field_pat_mut(self, field);
        let same = matches!((&field.member, &*field.pat), (Member::Named(m), Pat::Ident(p)) if *m == p.ident && p.by_ref.is_none() && p.subpat.is_none());
        field.colon_token = (!same).then(Default::default);
    }

    fn visit_pat_ident_mut(&mut self, p: &mut syn::PatIdent) {
        // `None`, `MAX`: a unit variant or a constant, not a new name (the
        // case of a name is how Rust code tells them apart).
        let variant = p.ident.to_string().starts_with(|c: char| c.is_uppercase());
        if variant && p.subpat.is_none() && p.by_ref.is_none() && p.mutability.is_none() {
            return;
        }
        let name = match self.renamed.get(&p.ident.to_string()) {
            Some(name) => name.clone(),
            None => {
                let name = self.lowering.names.user(&p.ident);
                let var = self.lowering.new_var(name.clone(), false);
                self.lowering
                    .bind(&p.ident, Binding::Value(Value::Var(var).operand()));
                self.renamed.insert(p.ident.to_string(), name.clone());
                name
            }
        };
        p.ident = name;
        p.mutability = None;
        if let Some((_, sub)) = &mut p.subpat {
            self.visit_pat_mut(sub);
        }
    }
}
