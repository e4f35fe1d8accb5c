//! Stage 5: the generated code.
//!
//! For `fn NAME(args) -> R` this writes:
//! - a hidden type `NAME` (type namespace only, beside the function) whose
//!   `pullback` is the composition entry point of the design: it runs the
//!   forward sweep, keeping what the reverse sweep reads, and returns the
//!   value and a pullback taking the adjoint of the result and one slot per
//!   argument, which it adds into in place;
//! - `NAME_vjp`, the value and a pullback returning the adjoints;
//! - `NAME_grad`, the value and the gradient, for a scalar result.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::visit_mut::VisitMut;
use syn::{Attribute, GenericParam, Ident, ItemFn, Lifetime, LifetimeParam, Type};

use crate::analyse::Analysis;
use crate::docs;
use crate::ir::{BinOp, Binding, CallForm, Func, Op, Operand, Step, Value, VarId};
use crate::naming::Names;
use crate::parse::{Signature, is_copied, is_scalar_type};
use crate::rules::Saved;

/// Everything generated for one function, besides the function itself.
pub fn emit(
    item: &ItemFn,
    sig: &Signature,
    func: &Func,
    analysis: &Analysis,
    names: &mut Names,
) -> TokenStream {
    // Each generated function has a scope of its own: its names need to be
    // unique against the user's, not against each other's.
    let wrapper_names = names.clone();
    let shared = Shared::new(item, sig, names);
    let hidden = hidden(&shared, func, analysis, names);
    let has_grad = is_scalar_type(&sig.ret);
    let vjp_doc = docs::vjp_doc(&shared, func, analysis, has_grad);
    let vjp = vjp(&shared, vjp_doc, &mut wrapper_names.clone());
    let grad = if has_grad {
        grad(
            &shared,
            docs::grad_doc(&shared, func, analysis),
            &mut wrapper_names.clone(),
        )
    } else {
        not_scalar_grad(&shared, &mut wrapper_names.clone())
    };
    quote!(#hidden #vjp #grad)
}

/// Everything generated for a function whose derivative is the user's own
/// `rule`: `rule(args.., &value, d_value)` returns the adjoints of the `wrt`
/// arguments, shaped as `NAME_grad` returns them.
pub fn emit_with_rule(
    item: &ItemFn,
    sig: &Signature,
    rule: &syn::Path,
    names: &mut Names,
) -> TokenStream {
    let wrapper_names = names.clone();
    let shared = Shared::new(item, sig, names);
    let Shared { name, ret_grad, .. } = &shared;
    let ret = &sig.ret;
    let generics = &item.sig.generics;
    let where_clause = &generics.where_clause;
    let keep = names.fresh("K", Span::call_site());
    let value = names.fresh("value", Span::call_site());
    let d_value = names.fresh("d_value", Span::call_site());
    let grads = names.fresh("grads", Span::call_site());
    let mut slots = Vec::new();
    let mut actives = Vec::new();
    for (i, arg) in sig.args.iter().enumerate() {
        let g = &shared.grad_types[i];
        if arg.active {
            let d = names.adjoint(&arg.name);
            slots.push(quote!(#d: ::gradgen::__private::Slot<'_, #g>));
            actives.push(d);
        } else {
            slots.push(quote!(_: ::gradgen::__private::NoGrad));
        }
    }
    let forward_args: Vec<TokenStream> = sig
        .args
        .iter()
        .map(|a| copy_or_clone(&a.name, &a.ty))
        .collect();
    let args = shared.arg_names();
    let puts = match actives.as_slice() {
        [one] => quote!(#one.put_with(move || #grads);),
        many => {
            let parts: Vec<Ident> = (0..many.len())
                .map(|k| format_ident!("{}_{}", grads, k))
                .collect();
            quote! {
                let (#(#parts),*) = #grads;
                #(#many.put_with(move || #parts);)*
            }
        }
    };
    let generic_params = generics.params.iter();
    let inputs = item.sig.inputs.iter();
    let rule_text = rule.to_token_stream().to_string().replace(' ', "");
    let link = shared.link();
    let doc = format!(
        "The composition entry point of [`{name}`]({link}): its value, and the adjoints of its arguments from the rule `{rule_text}`."
    );
    let (function, _) = call_paths(&shared);
    let returns = shared.outcome(keep.to_token_stream());
    let forward = shared.or_stop(quote!(#function(#(#forward_args),*)));
    let kept = shared.succeed(quote!(#keep::keep(move || #value)));
    let hidden = entry_point(
        &shared,
        &doc,
        quote!(#[allow(dead_code, clippy::too_many_arguments)]),
        quote!(<#(#generic_params,)* #keep: ::gradgen::__private::Keep<#ret>>(#(#inputs,)* #d_value: #ret_grad #(, #slots)*) -> #returns #where_clause),
        quote!({
            let #value = #forward;
            let #grads = #rule(#(#args,)* &#value, #d_value);
            #puts
            #kept
        }),
    );
    let has_grad = is_scalar_type(ret);
    let vjp_doc = docs::rule_doc(&shared, &rule_text, "pullback");
    let vjp = vjp(&shared, vjp_doc, &mut wrapper_names.clone());
    let grad = if has_grad {
        grad(
            &shared,
            docs::rule_doc(&shared, &rule_text, "gradient"),
            &mut wrapper_names.clone(),
        )
    } else {
        not_scalar_grad(&shared, &mut wrapper_names.clone())
    };
    quote!(#hidden #vjp #grad)
}

/// The arguments `_grad` and `_vjp` pass to the entry point: an active one
/// passed by value goes as a copy, since the gradient is made whole from it
/// afterwards; the others as they are.
fn passed_to_entry(shared: &Shared) -> Vec<TokenStream> {
    shared
        .sig
        .args
        .iter()
        .map(|a| {
            let n = &a.name;
            if a.active {
                copy_or_clone(n, &a.ty)
            } else {
                quote!(#n)
            }
        })
        .collect()
}

/// An argument passed on as it is when passing copies it, else a clone, so
/// the argument can be passed again.
fn copy_or_clone(name: &Ident, ty: &Type) -> TokenStream {
    if is_copied(ty) {
        quote!(#name)
    } else {
        quote!(::core::clone::Clone::clone(&#name))
    }
}

/// `NAME_grad` for a result that is not a scalar: never callable, it is
/// there so that a call says why (the result is not a scalar: use
/// `NAME_vjp`) instead of "cannot find function". Its bound names a
/// lifetime, so rustc checks it at each call, not at the definition.
fn not_scalar_grad(shared: &Shared, names: &mut Names) -> TokenStream {
    let Shared { item, name, .. } = shared;
    let vis = &item.vis;
    let attrs = &shared.attrs;
    let ret = &shared.sig.ret;
    let grad_name = format_ident!("{}_grad", name);
    let generics = &item.sig.generics;
    let generic_params = &generics.params;
    let grads_ty = shared.grads_type();
    let inputs = &item.sig.inputs;
    let lt = Lifetime {
        apostrophe: Span::call_site(),
        ident: names.fresh("not_scalar", Span::call_site()),
    };
    let bound =
        quote_spanned!(syn::spanned::Spanned::span(ret)=> ::gradgen::__private::ScalarResult);
    let mut where_clause = generics
        .where_clause
        .clone()
        .unwrap_or_else(|| syn::WhereClause {
            where_token: Default::default(),
            predicates: Default::default(),
        });
    where_clause
        .predicates
        .push(syn::parse_quote!(for<#lt> #ret: #bound));
    let returns = shared.outcome(quote!((#ret, #grads_ty)));
    quote! {
        #[doc(hidden)]
        #(#attrs)*
        #[allow(dead_code, unused_variables, clippy::type_complexity)]
        #vis fn #grad_name<#generic_params>(#inputs) -> #returns #where_clause {
            ::core::unreachable!()
        }
    }
}

/// The composition entry point, around its signature and body: for a free
/// function, `reverse` on a hidden type of the function's name (the type
/// namespace, beside the function, so one `use` brings both); for a method,
/// a hidden method `__reverse_NAME` beside it.
fn entry_point(
    shared: &Shared,
    doc: &str,
    allows: TokenStream,
    signature: TokenStream,
    body: TokenStream,
) -> TokenStream {
    let Shared { item, name, .. } = shared;
    let vis = &item.vis;
    let attrs = &shared.attrs;
    if shared.sig.method {
        let entry = method_entry(name);
        return quote! {
            #[doc(hidden)]
            #[doc = #doc]
            #(#attrs)*
            #allows
            #[inline]
            #vis fn #entry #signature #body
        };
    }
    quote! {
        #[doc(hidden)]
        #[allow(non_camel_case_types, dead_code)]
        #(#attrs)*
        #vis struct #name {}

        #(#attrs)*
        #allows
        impl #name {
            #[doc = #doc]
            #[inline]
            pub fn reverse #signature #body
        }
    }
}

/// The name of a method's composition entry point: `__reverse_NAME`.
pub fn method_entry(name: &Ident) -> Ident {
    format_ident!("__reverse_{}", name, span = name.span())
}

/// How generated code calls the function (`NAME`, `Self::NAME`) and its
/// composition entry point (`NAME::reverse`, `Self::__reverse_NAME`).
fn call_paths(shared: &Shared) -> (TokenStream, TokenStream) {
    let name = shared.name;
    if shared.sig.method {
        let entry = method_entry(name);
        (quote!(Self::#name), quote!(Self::#entry))
    } else {
        (quote!(#name), quote!(#name::reverse))
    }
}

/// What every generated function shares: names, generics, signature parts.
pub struct Shared<'a> {
    pub item: &'a ItemFn,
    pub sig: &'a Signature,
    pub name: &'a Ident,
    /// The user's attributes that matter to generated functions too.
    pub attrs: Vec<&'a Attribute>,
    /// The arguments with every elided lifetime named.
    pub named_args: Vec<(Ident, Type)>,
    /// The generics with those lifetimes added.
    pub named_generics: syn::Generics,
    /// `use<...>`: every generic parameter, for the pullback's capture bound.
    pub captures: TokenStream,
    /// `f64` for `f64`, else `::gradgen::Grad<T>`, per argument.
    pub grad_types: Vec<TokenStream>,
    /// The adjoint type of the result.
    pub ret_grad: TokenStream,
}

impl<'a> Shared<'a> {
    pub fn new(item: &'a ItemFn, sig: &'a Signature, names: &mut Names) -> Self {
        let attrs = item
            .attrs
            .iter()
            .filter(|a| {
                ["cfg", "cfg_attr", "allow"]
                    .iter()
                    .any(|n| a.path().is_ident(n))
            })
            .collect();
        let mut namer = LifetimeNamer {
            names,
            added: Vec::new(),
        };
        let named_args = sig
            .args
            .iter()
            .map(|a| {
                let mut ty = a.ty.clone();
                namer.visit_type_mut(&mut ty);
                (a.name.clone(), ty)
            })
            .collect();
        let mut named_generics = item.sig.generics.clone();
        for (i, lt) in namer.added.iter().enumerate() {
            named_generics
                .params
                .insert(i, GenericParam::Lifetime(LifetimeParam::new(lt.clone())));
        }
        let captured = named_generics.params.iter().map(|p| match p {
            GenericParam::Lifetime(l) => l.lifetime.to_token_stream(),
            GenericParam::Type(t) => t.ident.to_token_stream(),
            GenericParam::Const(c) => c.ident.to_token_stream(),
        });
        let captures = quote!(use<#(#captured),*>);
        let grad_types = sig
            .args
            .iter()
            .map(|a| grad_type(&crate::parse::strip_refs(&a.ty)))
            .collect();
        let ret_grad = grad_type(&sig.ret);
        Shared {
            item,
            sig,
            name: &item.sig.ident,
            attrs,
            named_args,
            named_generics,
            captures,
            grad_types,
            ret_grad,
        }
    }

    /// The path rustdoc links the function by: `NAME`, or `Self::NAME` for a method.
    pub fn link(&self) -> String {
        if self.sig.method {
            format!("Self::{}", self.name)
        } else {
            self.name.to_string()
        }
    }

    /// The type of what a generated function returns, `inner`, in the
    /// `Option` or `Result` the function returns its value in, if any.
    fn outcome(&self, inner: TokenStream) -> TokenStream {
        match &self.sig.fallible {
            Some(f) => f.wrap(&inner).to_token_stream(),
            None => inner,
        }
    }

    /// `value` returned by a generated function: `Some(value)` or
    /// `Ok(value)` where the function returns an `Option` or a `Result`.
    fn succeed(&self, value: TokenStream) -> TokenStream {
        match &self.sig.fallible {
            Some(f) => f.success(value),
            None => value,
        }
    }

    /// The value of `call` (of the function or its entry point), which
    /// returns an `Option` or a `Result` where the function does: a
    /// generated function stops where the function does, with the same
    /// `None` or error (unconverted, so its type is the written one).
    fn or_stop(&self, call: TokenStream) -> TokenStream {
        match &self.sig.fallible {
            None => call,
            // `?` on an `Option` converts nothing.
            Some(f) if f.option => quote!(#call?),
            Some(_) => quote! {
                match #call {
                    ::core::result::Result::Ok(value) => value,
                    ::core::result::Result::Err(error) => return ::core::result::Result::Err(error),
                }
            },
        }
    }

    /// `::<T, ..., _>`: the function's type and const parameters, and the
    /// entry point's `K` left to inference; where the function returns an
    /// `Option` or `Result`, so that an error type named only in the
    /// result is known where the entry point's result is unwrapped.
    fn entry_turbofish(&self) -> TokenStream {
        if self.sig.fallible.is_none() {
            return TokenStream::new();
        }
        let params = self.type_args();
        if params.is_empty() {
            return TokenStream::new();
        }
        quote!(::<#(#params,)* _>)
    }

    /// The function's type and const parameters, as arguments (lifetimes
    /// are left to inference: they may be late-bound).
    fn type_args(&self) -> Vec<TokenStream> {
        self.item
            .sig
            .generics
            .params
            .iter()
            .filter_map(|p| match p {
                GenericParam::Type(t) => Some(t.ident.to_token_stream()),
                GenericParam::Const(c) => Some(c.ident.to_token_stream()),
                GenericParam::Lifetime(_) => None,
            })
            .collect()
    }

    /// The gradient's type: one argument bare, several as a tuple.
    fn grads_type(&self) -> TokenStream {
        let types: Vec<&TokenStream> = self.active_indices().map(|i| &self.grad_types[i]).collect();
        match types.as_slice() {
            [one] => quote!(#one),
            many => quote!((#(#many),*)),
        }
    }

    fn active_indices(&self) -> impl Iterator<Item = usize> + '_ {
        self.sig
            .args
            .iter()
            .enumerate()
            .filter(|(_, a)| a.active)
            .map(|(i, _)| i)
    }

    fn arg_names(&self) -> Vec<&Ident> {
        self.sig.args.iter().map(|a| &a.name).collect()
    }
}

/// `::gradgen::Grad<T>`, or `T` itself for the float types.
fn grad_type(ty: &Type) -> TokenStream {
    if let Type::Path(p) = ty
        && (p.path.is_ident("f64") || p.path.is_ident("f32"))
    {
        return ty.to_token_stream();
    }
    // Spanned at the user's type: a type that is not differentiable is
    // reported there, not at the attribute.
    quote_spanned!(syn::spanned::Spanned::span(ty)=> ::gradgen::Grad<#ty>)
}

/// Names every elided lifetime of the argument types (`&T`, `'_`), so the
/// pullback can say which borrows it keeps.
struct LifetimeNamer<'n> {
    names: &'n mut Names,
    added: Vec<Lifetime>,
}

impl LifetimeNamer<'_> {
    fn next(&mut self, span: Span) -> Lifetime {
        let ident = self.names.fresh(&format!("a{}", self.added.len()), span);
        let lt = Lifetime {
            apostrophe: span,
            ident,
        };
        self.added.push(lt.clone());
        lt
    }
}

impl VisitMut for LifetimeNamer<'_> {
    fn visit_type_reference_mut(&mut self, r: &mut syn::TypeReference) {
        if r.lifetime.is_none() {
            r.lifetime = Some(self.next(r.and_token.span));
        }
        syn::visit_mut::visit_type_reference_mut(self, r);
    }
    fn visit_lifetime_mut(&mut self, lt: &mut Lifetime) {
        if lt.ident == "_" {
            *lt = self.next(lt.apostrophe);
        }
    }
    fn visit_type_bare_fn_mut(&mut self, _: &mut syn::TypeBareFn) {}
}

// ----- the composition entry point -------------------------------------------

fn hidden(shared: &Shared, func: &Func, analysis: &Analysis, names: &mut Names) -> TokenStream {
    let Shared {
        item,
        name,
        ret_grad,
        ..
    } = shared;
    let ret = &shared.sig.ret;
    let generics = &item.sig.generics;
    let generic_params = generics.params.iter();
    let where_clause = &generics.where_clause;
    let gg = names.fresh("gg", Span::call_site());
    let keep = names.fresh("K", Span::call_site());
    let param_adjoints: Vec<Ident> = func.params.iter().map(|p| names.adjoint(&p.name)).collect();
    let adjoints: Vec<Ident> = func.vars.iter().map(|v| names.adjoint(&v.name)).collect();
    let mut body = Body {
        func,
        analysis,
        names,
        gg: gg.clone(),
        seen: vec![false; func.vars.len()],
        tapes: Vec::new(),
        dims: Vec::new(),
        plain: false,
        stacks: Vec::new(),
        passes: Vec::new(),
        arm_passes: Vec::new(),
        adjoints,
        param_adjoints,
    };
    let forward = body.forward();
    let (d_out, seed) = body.seed();
    let reverse = body.reverse();
    let result = body.binding_tokens(&func.result);

    let mut slots = Vec::new();
    let mut scratch = Vec::new();
    for (i, param) in func.params.iter().enumerate() {
        let g = &shared.grad_types[i];
        if !param.active {
            slots.push(quote!(_: ::gradgen::__private::NoGrad));
            continue;
        }
        if !analysis.param_reached[i] {
            slots.push(quote!(_: ::gradgen::__private::Slot<'_, #g>));
            continue;
        }
        let d = body.param_adjoints[i].clone();
        let s = body.names.derived(&d, "scratch");
        let p = &param.name;
        scratch.push(quote! {
            let mut #s = ::core::option::Option::None;
            let #d = #d.or_scratch(&mut #s, &#p);
        });
        slots.push(quote!(#d: ::gradgen::__private::Slot<'_, #g>));
    }
    let inputs = item.sig.inputs.iter();
    let turbofish = shared.type_args();
    let link = shared.link();
    let doc = format!(
        "The composition entry point of [`{name}`]({link}): runs the forward pass and the backward pass for the adjoint `{}` of the result, adds the adjoint of every argument into its slot, and returns the value.",
        d_out.to_string().replace(' ', "")
    );

    let (function, _) = call_paths(shared);
    let returns = shared.outcome(keep.to_token_stream());
    let kept = shared.succeed(quote!(#keep::keep(move || #result)));
    // After a `None` in an arm (or a `panic!`), the arm's values are never made.
    let unreachable = quote!(unreachable_code, clippy::diverging_sub_expression,);
    entry_point(
        shared,
        &doc,
        quote!(#[allow(dead_code, unused_variables, unused_mut, unused_parens, unused_assignments, #unreachable clippy::too_many_arguments, clippy::double_parens, clippy::let_and_return, clippy::redundant_locals, clippy::clone_on_copy, clippy::redundant_clone, clippy::neg_cmp_op_on_partial_ord, clippy::nonminimal_bool, clippy::let_unit_value, clippy::unused_unit)]),
        quote!(<#(#generic_params,)* #keep: ::gradgen::__private::Keep<#ret>>(#(#inputs,)* #d_out: #ret_grad #(, #slots)*) -> #returns #where_clause),
        quote!({
            use ::gradgen::__private as #gg;
            // The derivative stands for the function: a user who calls
            // only `_grad` has still used it.
            let _ = #function::<#(#turbofish),*>;
            // The forward pass, keeping what the backward pass reads.
            #forward
            // The backward pass, in the order the chain rule runs.
            #(#scratch)*
            #seed
            #reverse
            #kept
        }),
    )
}

/// The forward and reverse sweeps of one body.
struct Body<'a> {
    func: &'a Func,
    analysis: &'a Analysis,
    names: &'a mut Names,
    gg: Ident,
    /// Whether a variable's adjoint has been bound yet.
    seen: Vec<bool>,
    /// The tape of each step that has one, by the step's variable.
    tapes: Vec<(VarId, Ident)>,
    /// The saved shape of each step that consumes its input, by the step's variable.
    dims: Vec<(VarId, Ident)>,
    /// Computing a loop's pass or a branch's arm: values without tapes,
    /// which the backward pass makes again from what the pass or arm keeps.
    plain: bool,
    /// Each loop's stack and item names, by its first carried value.
    stacks: Vec<(Option<VarId>, Ident, Ident)>,
    /// Each loop's backward pass of one iteration, generated with its
    /// forward pass, by the loop's address in the IR.
    passes: Vec<(usize, LoopPass)>,
    /// Each branch's backward passes, generated with its forward pass, by
    /// the branch's address in the IR.
    arm_passes: Vec<(usize, ArmPasses)>,
    /// The adjoint of each variable, named once and fresh against every
    /// name in the function, so every use spells it alike (text and span).
    adjoints: Vec<Ident>,
    /// The adjoint of each argument, likewise.
    param_adjoints: Vec<Ident>,
}

impl Body<'_> {
    fn var(&self, v: VarId) -> &Ident {
        &self.func.vars[v.0].name
    }

    fn adjoint(&self, v: VarId) -> Ident {
        self.adjoints[v.0].clone()
    }

    fn value_tokens(&self, value: &Value) -> TokenStream {
        match value {
            Value::Var(v) => self.var(*v).to_token_stream(),
            Value::Place(p) => {
                let root = &self.func.params[p.param].name;
                let path = &p.path;
                quote!(#root #path)
            }
            Value::Const(tokens) => {
                if needs_no_parens(tokens) {
                    tokens.clone()
                } else {
                    quote!((#tokens))
                }
            }
        }
    }

    /// A value by reference, for a reverse step to read: `&x`, `&p.w`, or a
    /// reference argument as it is.
    fn saved_ref(&self, value: &Value) -> TokenStream {
        match value {
            Value::Place(p) if p.path.is_empty() && self.func.params[p.param].by_ref => {
                self.value_tokens(value)
            }
            _ => {
                let v = self.value_tokens(value);
                quote!(&#v)
            }
        }
    }

    /// An operand of an operator: as the user wrote it, but borrowed if the
    /// backward pass reads the variable later (the operator helpers take
    /// every operand owned or borrowed alike).
    fn kept_operand_tokens(&self, o: &Operand) -> TokenStream {
        match o.value {
            Value::Var(v) if !o.borrowed && self.analysis.kept[v.0] => {
                let (gg, x) = (&self.gg, self.var(v));
                quote!(#gg::reuse(&#x))
            }
            _ => self.operand_tokens(o),
        }
    }

    /// An argument of a call whose backward pass gets the same argument
    /// again: a variable passed by value is passed as a copy (a clone, for a
    /// value that is not `Copy`), so it is still there for the second pass.
    fn passed_again(&self, o: &Operand) -> TokenStream {
        match o.value {
            Value::Var(v) if !o.borrowed => {
                let x = self.var(v);
                quote!(::core::clone::Clone::clone(&#x))
            }
            _ => self.operand_tokens(o),
        }
    }

    /// A value handed on (into the next pass, out of an arm) that is also
    /// among the `kept` for the backward pass: a copy of it.
    fn copy_if_kept(&self, value: &Value, kept: &[Ident]) -> Option<TokenStream> {
        match value {
            Value::Var(x) if kept.contains(self.var(*x)) => {
                let x = self.var(*x);
                Some(quote!(::core::clone::Clone::clone(&#x)))
            }
            _ => None,
        }
    }

    /// Kept names as the bindings of the pattern that gets them back: a
    /// loop's stack mutable, since its backward pass pops it.
    fn kept_bindings(&self, kept: &[Ident]) -> Vec<TokenStream> {
        kept.iter()
            .map(|k| {
                if self.stacks.iter().any(|(_, stack, _)| stack == k) {
                    quote!(mut #k)
                } else {
                    quote!(#k)
                }
            })
            .collect()
    }

    /// A value that moves into another variable (a branch's result, a
    /// loop's first carried value): a copy of it where the backward pass
    /// reads it later.
    fn moved_value(&self, value: &Value) -> TokenStream {
        match value {
            Value::Var(v) if self.analysis.kept[v.0] => {
                let x = self.var(*v);
                quote!(::core::clone::Clone::clone(&#x))
            }
            other => self.value_tokens(other),
        }
    }

    /// An operand that moves into a container: a copy of it where the
    /// backward pass reads it later, and of (a part of) an argument passed
    /// by value, which the gradient is made from afterwards.
    fn kept_or_moved(&self, o: &Operand) -> TokenStream {
        match &o.value {
            Value::Var(v) if !o.borrowed && self.analysis.kept[v.0] => {
                let x = self.var(*v);
                quote!(::core::clone::Clone::clone(&#x))
            }
            Value::Place(p) if !o.borrowed && !self.func.params[p.param].by_ref => {
                let x = self.value_tokens(&o.value);
                quote!(::core::clone::Clone::clone(&#x))
            }
            _ => self.operand_tokens(o),
        }
    }

    fn operand_tokens(&self, o: &Operand) -> TokenStream {
        let v = self.value_tokens(&o.value);
        if o.borrowed { quote!(&#v) } else { v }
    }

    /// An operand in receiver position: `x`, `p.w`, `(&x)`, `(a + b)`.
    fn receiver_tokens(&self, o: &Operand) -> TokenStream {
        let v = self.value_tokens(&o.value);
        if o.borrowed { quote!((&#v)) } else { v }
    }

    fn binding_tokens(&self, b: &Binding) -> TokenStream {
        match b {
            Binding::Value(o) => self.operand_tokens(o),
            Binding::Tuple(items) => {
                let items = items.iter().map(|b| self.binding_tokens(b));
                quote!((#(#items,)*))
            }
        }
    }

    fn useful(&self, step: &Step) -> bool {
        self.analysis.useful[step.out.0]
    }

    /// Whether the forward sweep keeps this step's tape: a useful step,
    /// outside the values-only forward sweep of a branch.
    fn taping(&self, step: &Step) -> bool {
        !self.plain && self.useful(step)
    }

    // ----- forward -----------------------------------------------------

    fn forward(&mut self) -> TokenStream {
        let func = self.func;
        self.forward_block(&func.body)
    }

    /// The forward sweep of a block: keeping what the backward pass reads
    /// (tapes) unless `self.plain`, where only the values are computed.
    fn forward_block(&mut self, block: &crate::ir::Block) -> TokenStream {
        let mut out = TokenStream::new();
        for stmt in &block.stmts {
            match stmt {
                crate::ir::Stmt::Verbatim(tokens) => out.extend(tokens.clone()),
                crate::ir::Stmt::Step(step) => {
                    let line = self.forward_step(step);
                    out.extend(line);
                }
                crate::ir::Stmt::Branch(branch) => out.extend(self.forward_branch(branch)),
                crate::ir::Stmt::Loop(lp) => out.extend(self.forward_loop(lp)),
            }
        }
        out
    }

    /// A branch in the forward sweep: the arm taken computes its values and
    /// hands out, besides them, what its backward pass reads (in an
    /// `Option` per arm, `Some` for the arm taken), so the backward pass
    /// runs the arm's backward pass without computing the arm again.
    fn forward_branch(&mut self, branch: &crate::ir::Branch) -> TokenStream {
        let span = branch.span;
        let plain = std::mem::replace(&mut self.plain, true);
        let bodies: Vec<TokenStream> = branch
            .arms
            .iter()
            .map(|region| self.forward_block(&region.block))
            .collect();
        self.plain = plain;
        let differentiated = branch.outs.iter().any(|v| self.analysis.useful[v.0]);
        // Each arm's backward pass, generated now to know what it reads.
        let mut kept: Vec<Vec<Ident>> = Vec::new();
        let mut slots: Vec<Ident> = Vec::new();
        if differentiated {
            let mut codes = Vec::new();
            for (k, body) in bodies.iter().enumerate() {
                let code = self.arm_pass(branch, k);
                kept.push(kept_for(&code, let_bound(body)));
                slots.push(self.names.fresh(&format!("arm{k}"), span));
                codes.push(code);
            }
            self.arm_passes.push((
                branch_key(branch),
                ArmPasses {
                    slots: slots.clone(),
                    kept: kept.clone(),
                    codes,
                },
            ));
        }
        let mut arms = Vec::new();
        for (k, (region, body)) in branch.arms.iter().zip(&bodies).enumerate() {
            let mut values: Vec<TokenStream> = region
                .results
                .iter()
                .map(|v| {
                    let kept = kept.get(k).map_or(&[][..], Vec::as_slice);
                    self.copy_if_kept(v, kept)
                        .unwrap_or_else(|| self.moved_value(v))
                })
                .collect();
            for j in 0..slots.len() {
                values.push(if j == k {
                    let kept = &kept[k];
                    quote!(::core::option::Option::Some((#(#kept,)*)))
                } else {
                    quote!(::core::option::Option::None)
                });
            }
            let value = match values.as_slice() {
                [one] => quote!(#one),
                many => quote!((#(#many),*)),
            };
            // As in a loop's pass: a view out of a branch inside the arm
            // is handed out as a copy of what it sees.
            let results: Vec<&Value> = region.results.iter().collect();
            let owned = views_out_of_branches(self.func, &region.block)
                .into_iter()
                .filter(|v| !results.iter().any(|r| matches!(r, Value::Var(x) if x == v)))
                .map(|v| self.var(v).clone())
                .filter(|v| kept.get(k).is_some_and(|kept| kept.contains(v)));
            arms.push(quote!({ #body #(let #owned = #owned.to_owned();)* #value }));
        }
        let outs: Vec<&Ident> = branch
            .outs
            .iter()
            .map(|v| self.var(*v))
            .chain(&slots)
            .collect();
        let pattern = match outs.as_slice() {
            [one] => quote!(#one),
            many => quote!((#(#many),*)),
        };
        let choice = self.choose(branch, &arms);
        quote_spanned!(span=> let #pattern = #choice;)
    }

    /// The backward pass of arm `k` of a branch, on what the arm kept: the
    /// adjoints of the branch's values go to the arm's results, and on.
    fn arm_pass(&mut self, branch: &crate::ir::Branch, k: usize) -> TokenStream {
        let region = &branch.arms[k];
        let (seen, plain) = (self.seen.clone(), std::mem::replace(&mut self.plain, false));
        // The adjoints of what the arm reads from outside exist by then.
        for v in outer_vars(region) {
            if self.func.vars[v.0].varied {
                self.seen[v.0] = true;
            }
        }
        inner_vars(&region.block)
            .iter()
            .for_each(|v| self.seen[v.0] = false);
        let mut code = self.remade_views(&region.block);
        for (out, result) in branch.outs.iter().zip(&region.results) {
            if self.analysis.useful[out.0] {
                let d_out = self.adjoint(*out);
                code.extend(self.contribute(result, d_out.into_token_stream()));
            }
        }
        code.extend(self.reverse_block(&region.block));
        (self.seen, self.plain) = (seen, plain);
        code
    }

    /// Views (and borrows) a block's steps made, made again for its backward
    /// pass rather than kept: they borrow what is kept.
    fn remade_views(&mut self, block: &crate::ir::Block) -> TokenStream {
        let mut views = TokenStream::new();
        for stmt in &block.stmts {
            if let crate::ir::Stmt::Step(step) = stmt
                && is_view(self.func, &step.op)
            {
                views.extend(self.forward_step(step));
            }
        }
        views
    }

    /// `if c { arms[0] } else { arms[1] }`, or the `match` with one arm per
    /// pattern. A scrutinee is matched as a copy: what it is stays in the
    /// variable, for the code after.
    fn choose(&self, branch: &crate::ir::Branch, arms: &[TokenStream]) -> TokenStream {
        let span = branch.span;
        match &branch.head {
            crate::ir::Head::If(cond) => {
                let cond = self.var(*cond);
                let (then, els) = (&arms[0], &arms[1]);
                quote_spanned!(span=> if #cond #then else #els)
            }
            crate::ir::Head::Match {
                scrutinee,
                patterns,
            } => {
                let s = self.var(*scrutinee);
                quote_spanned!(span=> match ::core::clone::Clone::clone(&#s) { #(#patterns => #arms)* })
            }
        }
    }

    fn forward_step(&mut self, step: &Step) -> TokenStream {
        let y = self.var(step.out).clone();
        let gg = &self.gg;
        let span = step.span;
        match &step.op {
            Op::Const(tokens) => {
                let ty = step.ty.as_ref().map(|t| quote!(: #t));
                let mutability = step.mutable.then(|| quote!(mut));
                quote_spanned!(span=> let #mutability #y #ty = #tokens;)
            }
            Op::Neg(a) => {
                let a = self.operand_tokens(a);
                quote_spanned!(span=> let #y = -#a;)
            }
            Op::Index { base, index } => {
                let base = self.value_tokens(&base.value);
                quote_spanned!(span=> let #y = ::core::clone::Clone::clone(&#base[#index]);)
            }
            Op::SetIndex {
                base,
                index,
                op,
                value,
            } => {
                let (base, value) = (self.kept_or_moved(base), self.kept_or_moved(value));
                let assign = match op {
                    Some(BinOp::Add) => quote!(+=),
                    Some(BinOp::Sub) => quote!(-=),
                    _ => quote!(=),
                };
                quote_spanned!(span=> let mut #y = #base; #y[#index] #assign #value;)
            }
            Op::Push { base, value } => {
                let (base, value) = (self.kept_or_moved(base), self.kept_or_moved(value));
                quote_spanned!(span=> let mut #y = #base; #y.push(#value);)
            }
            Op::Array(parts) => {
                let parts = parts.iter().map(|o| self.kept_or_moved(o));
                quote_spanned!(span=> let #y = [#(#parts),*];)
            }
            Op::Binary(op, op_a, op_b) => {
                let (a, b) = (
                    self.kept_operand_tokens(op_a),
                    self.kept_operand_tokens(op_b),
                );
                // In a pass or an arm, `+` and `-` keep their operands'
                // shapes for the backward pass, not the operands.
                let mut shapes = TokenStream::new();
                if self.plain && self.useful(step) && matches!(op, BinOp::Add | BinOp::Sub) {
                    let tape = self.names.derived(&y, "shapes");
                    self.tapes.push((step.out, tape.clone()));
                    let f = format_ident!("{}_shapes", op_fn(*op));
                    let (ra, rb) = (self.operand_tokens(op_a), self.operand_tokens(op_b));
                    shapes = quote_spanned!(span=> let #tape = #gg::#f(&#ra, &#rb););
                }
                if self.taping(step) {
                    let tape = self.names.derived(&y, "tape");
                    self.tapes.push((step.out, tape.clone()));
                    let f = op_fn(*op);
                    quote_spanned!(span=> let (#y, #tape) = #gg::#f(#a, #b);)
                } else if a.to_string() == self.operand_tokens(op_a).to_string()
                    && b.to_string() == self.operand_tokens(op_b).to_string()
                {
                    let op = op.token();
                    quote_spanned!(span=> #shapes let #y = #a #op #b;)
                } else {
                    // An operand is borrowed for the backward pass: the
                    // helper takes it borrowed whatever its type.
                    let f = op_fn(*op);
                    quote_spanned!(span=> #shapes let #y = #gg::#f(#a, #b).0;)
                }
            }
            Op::Call {
                path,
                generics,
                args,
                suffix,
            } => {
                let args: Vec<TokenStream> = args.iter().map(|a| self.passed_again(a)).collect();
                quote_spanned!(span=> let #y = #path #generics (#(#args),*) #suffix;)
            }
            Op::Method {
                rule,
                form,
                args,
                suffix,
            } => {
                let method = Ident::new(rule.name, span);
                let call = match form {
                    CallForm::Path(path) => {
                        let args = args.iter().map(|a| self.operand_tokens(a));
                        quote_spanned!(span=> #path(#(#args),*))
                    }
                    CallForm::Method => {
                        let recv = self.receiver_tokens(&args[0]);
                        let rest = args[1..].iter().map(|a| self.operand_tokens(a));
                        quote_spanned!(span=> #recv.#method(#(#rest),*))
                    }
                    CallForm::Mapv(f) => {
                        let recv = self.receiver_tokens(&args[0]);
                        quote_spanned!(span=> #recv.mapv(#f))
                    }
                };
                // A shape the reverse step reads, taken before the call
                // consumes the value.
                let mut dims = TokenStream::new();
                // Taken with tapes or without: a pass or an arm keeps it too.
                let useful = self.useful(step);
                for saved in rule.saves.iter().filter(|_| useful) {
                    if let Saved::Dim(i) = saved {
                        let dim = self.names.derived(&y, "dim");
                        let x = self.saved_ref(&args[*i].value);
                        dims.extend(quote_spanned!(span=> let #dim = #gg::dim_of(#x);));
                        self.dims.push((step.out, dim));
                    }
                }
                quote_spanned!(span=> #dims let #y = #call #suffix;)
            }
            Op::MethodCall {
                method,
                generics,
                args,
                suffix,
            } => {
                let recv = self.receiver_tokens(&args[0]);
                let rest = args[1..].iter().map(|a| self.passed_again(a));
                quote_spanned!(span=> let #y = #recv.#method #generics (#(#rest),*) #suffix;)
            }
            Op::Join {
                path,
                axis,
                parts,
                suffix,
                ..
            } => {
                let parts = parts.iter().map(|a| self.operand_tokens(a));
                quote_spanned!(span=> let #y = #path(#axis, &[#(#parts),*]) #suffix;)
            }
        }
    }

    // ----- reverse -----------------------------------------------------

    /// The pullback's first parameter and what seeds the reverse sweep.
    fn seed(&mut self) -> (TokenStream, TokenStream) {
        let func = self.func;
        match &func.result {
            Binding::Value(o) => match &o.value {
                Value::Var(v) if func.vars[v.0].varied && self.analysis.uses[v.0] == 1 => {
                    self.seen[v.0] = true;
                    (self.adjoint(*v).into_token_stream(), TokenStream::new())
                }
                value if func.varied(value) => {
                    let d = self.names.fresh("d_out", Span::call_site());
                    let seed = self.contribute(value, d.to_token_stream());
                    (d.into_token_stream(), seed)
                }
                _ => (quote!(_), TokenStream::new()),
            },
            Binding::Tuple(_) => {
                let mut seeds = TokenStream::new();
                let pattern = self.seed_tuple(&func.result, &mut seeds);
                (pattern, seeds)
            }
        }
    }

    fn seed_tuple(&mut self, b: &Binding, seeds: &mut TokenStream) -> TokenStream {
        match b {
            Binding::Tuple(items) => {
                let items: Vec<TokenStream> =
                    items.iter().map(|b| self.seed_tuple(b, seeds)).collect();
                quote!((#(#items,)*))
            }
            Binding::Value(o) if self.func.varied(&o.value) => {
                let d = self.names.fresh("d_out", Span::call_site());
                seeds.extend(self.contribute(&o.value, d.to_token_stream()));
                d.into_token_stream()
            }
            Binding::Value(_) => quote!(_),
        }
    }

    /// Adds `expr` to the adjoint of `value`: binds it on the first
    /// contribution, adds in place on later ones.
    fn contribute(&mut self, value: &Value, expr: TokenStream) -> TokenStream {
        let gg = &self.gg;
        match value {
            Value::Var(v) if self.func.vars[v.0].varied => {
                let d = self.adjoint(*v);
                if self.seen[v.0] {
                    quote!(#gg::acc(&mut #d, #expr);)
                } else {
                    self.seen[v.0] = true;
                    let mutability = (self.analysis.uses[v.0] > 1).then(|| quote!(mut));
                    quote!(let #mutability #d = #expr;)
                }
            }
            Value::Place(p) if self.func.params[p.param].active => {
                let d = self.param_adjoints[p.param].clone();
                let path = &p.path;
                let whole = self.whole_container(p);
                if path.is_empty() {
                    quote!(#gg::acc(&mut *#d, #expr);)
                } else {
                    quote!(#whole #gg::acc(&mut #d #path, #expr);)
                }
            }
            _ => TokenStream::new(),
        }
    }

    /// Before an element of an argument's gradient is written (`d_w[0]`):
    /// the container it indexes made ready, since an array leaf starts as an
    /// empty placeholder (see `Differentiable::ready_to_index`).
    fn whole_container(&self, place: &crate::ir::Place) -> TokenStream {
        let tokens: Vec<proc_macro2::TokenTree> = place.path.clone().into_iter().collect();
        let last_index = tokens.iter().rposition(
            |t| matches!(t, proc_macro2::TokenTree::Group(g) if g.delimiter() == proc_macro2::Delimiter::Bracket),
        );
        let Some(last_index) = last_index else {
            return TokenStream::new();
        };
        let prefix: TokenStream = tokens[..last_index].iter().cloned().collect();
        let gg = &self.gg;
        let param = &self.func.params[place.param];
        let root = &param.name;
        let d = &self.param_adjoints[place.param];
        let value = if prefix.is_empty() && param.by_ref {
            quote!(#root)
        } else {
            quote!(&#root #prefix)
        };
        let adjoint = if prefix.is_empty() {
            quote!(&mut *#d)
        } else {
            quote!(&mut #d #prefix)
        };
        quote!(#gg::ready_to_index(#value, #adjoint);)
    }

    /// The backward pass of a call (of a function or a method): the slots
    /// of its arguments, what they need before and after, and `call(slots)`,
    /// the entry point's call, whose value is dropped. The entry point of
    /// a `fallible` callee returns an `Option` or `Result`, which holds a
    /// value here: the forward pass ran through.
    fn call_reverse(
        &mut self,
        args: &[Operand],
        span: Span,
        fallible: bool,
        call: impl FnOnce(&[TokenStream]) -> TokenStream,
    ) -> TokenStream {
        let gg = self.gg.clone();
        let (mut before, mut after, mut taken) =
            (TokenStream::new(), TokenStream::new(), Vec::new());
        let mut slots = Vec::new();
        for arg in args {
            let slot = self.slot(&arg.value, &mut before, &mut after, &mut taken);
            // At the call's span, so that an active value passed where the
            // callee has no gradient slot is reported there.
            let slot = respan(slot, span);
            slots.push(quote_spanned!(span=> #gg::IntoSlot::into_slot(#slot)));
        }
        let mut call = call(&slots);
        if fallible {
            call = quote_spanned!(span=> #gg::finished(#call));
        }
        before.extend(quote_spanned!(span=> let #gg::Dropped = #call;));
        before.extend(after);
        before
    }

    /// What a call's reverse pass adds an argument's adjoint into: the
    /// argument's gradient, the adjoint of a computed value (an empty one the
    /// contribution moves into, if it has none yet), or nothing for a
    /// constant. `before` and `after` receive what the slot needs around the
    /// call; `taken` holds the slots this call already uses, so an argument
    /// passed twice gets a second adjoint added in afterwards.
    fn slot(
        &mut self,
        value: &Value,
        before: &mut TokenStream,
        after: &mut TokenStream,
        taken: &mut Vec<String>,
    ) -> TokenStream {
        let gg = self.gg.clone();
        let (direct, fresh_var) = match value {
            Value::Var(v) if self.func.vars[v.0].varied => {
                let d = self.adjoint(*v);
                (quote!(&mut #d), (!self.seen[v.0]).then_some(*v))
            }
            Value::Place(p) if self.func.params[p.param].active => {
                let d = self.param_adjoints[p.param].clone();
                let path = &p.path;
                let slot = if path.is_empty() {
                    quote!(&mut *#d)
                } else {
                    quote!(&mut #d #path)
                };
                (slot, None)
            }
            _ => return quote!(#gg::NoGrad),
        };
        // One adjoint borrowed mutably once per call: a place borrows its
        // argument's whole gradient (`d_a[0]` and `d_a[1]` both borrow `d_a`).
        let key = match value {
            Value::Place(p) => format!("place {}", p.param),
            _ => direct.to_string(),
        };
        if taken.contains(&key) {
            // The same adjoint twice in one call: the second goes through
            // an adjoint of its own, added in after the call.
            let x = self.value_tokens(value);
            let extra = self.names.fresh("d_again", Span::call_site());
            before.extend(quote!(let mut #extra = ::core::option::Option::None;));
            let target = match value {
                Value::Var(v) => {
                    let d = self.adjoint(*v);
                    quote!(&mut #d)
                }
                _ => direct.clone(),
            };
            after.extend(quote!(#gg::acc(#target, #gg::filled(#extra, &#x));));
            return quote!(&mut #extra);
        }
        taken.push(key);
        if let Some(v) = fresh_var {
            // The first contribution: the callee moves it in.
            self.seen[v.0] = true;
            let d = self.adjoint(v);
            let x = self.var(v);
            let mutability = (self.analysis.uses[v.0] > 1).then(|| quote!(mut));
            before.extend(quote!(let mut #d = ::core::option::Option::None;));
            let mut fill = quote!(let #mutability #d = #gg::filled(#d, &#x););
            // Added first, so later duplicates add into the filled adjoint.
            fill.extend(std::mem::take(after));
            *after = fill;
        }
        direct
    }

    fn reverse(&mut self) -> TokenStream {
        let func = self.func;
        self.reverse_block(&func.body)
    }

    fn reverse_block(&mut self, block: &crate::ir::Block) -> TokenStream {
        let mut out = TokenStream::new();
        for stmt in block.stmts.iter().rev() {
            match stmt {
                crate::ir::Stmt::Step(step) if self.useful(step) => {
                    out.extend(self.reverse_step(step))
                }
                crate::ir::Stmt::Branch(branch) => out.extend(self.reverse_branch(branch)),
                crate::ir::Stmt::Loop(lp) => out.extend(self.reverse_loop(lp)),
                _ => {}
            }
        }
        out
    }

    /// A loop in the forward sweep: each pass computes its values and
    /// pushes on a stack what the backward pass of that pass reads (the
    /// loop variable, the operands and results of its steps), nothing more.
    fn forward_loop(&mut self, lp: &crate::ir::Loop) -> TokenStream {
        let span = lp.span;
        let item = self.names.fresh("item", span);
        let stack = self.names.fresh("stack", span);
        self.stacks
            .push((lp.outs.first().copied(), stack.clone(), item.clone()));
        let plain = std::mem::replace(&mut self.plain, true);
        let body = self.forward_block(&lp.body.block);
        self.plain = plain;
        let outs: Vec<Ident> = lp.outs.iter().map(|v| self.var(*v).clone()).collect();
        let phis: Vec<Ident> = lp.phis.iter().map(|v| self.var(*v).clone()).collect();
        let inits: Vec<TokenStream> = lp.inits.iter().map(|v| self.moved_value(v)).collect();
        // What the backward pass of one pass reads, of what the pass binds.
        let differentiated = lp.outs.iter().any(|v| self.analysis.useful[v.0]);
        let pushed: Vec<Ident> = if differentiated {
            let pass = self.loop_pass(lp, phis.iter().cloned().chain(let_bound(&body)));
            let pushed = pass.pushed.clone();
            self.passes.push((loop_key(lp), pass));
            pushed
        } else {
            Vec::new()
        };
        // A result the stack keeps is copied into the next pass.
        let results: Vec<TokenStream> = lp
            .body
            .results
            .iter()
            .map(|v| {
                self.copy_if_kept(v, &pushed)
                    .unwrap_or_else(|| self.value_tokens(v))
            })
            .collect();
        // A view that comes out of a branch borrows what the stack holds
        // too: the stack holds a copy of what it sees.
        let owned = views_out_of_branches(self.func, &lp.body.block)
            .into_iter()
            .map(|v| self.var(v).clone())
            .filter(|v| pushed.contains(v));
        let push = differentiated.then(|| {
            quote_spanned! {span=>
                #(let #owned = #owned.to_owned();)*
                #stack.push((#item, #(#pushed),*));
            }
        });
        // A `break` reached in this pass leaves after it.
        let exit = lp.exit.as_ref().map(|e| {
            let e = self.value_tokens(e);
            quote_spanned!(span=> if #e { break; })
        });
        let pass = quote_spanned! {span=>
            #body
            #(#outs = #results;)*
            #push
            #exit
        };
        let new_stack = |capacity: TokenStream| {
            differentiated.then(|| quote_spanned!(span=> let mut #stack = ::std::vec::Vec::with_capacity(#capacity);))
        };
        match &lp.head {
            crate::ir::LoopHead::For { pat, iter } => {
                // The trip count is known up front for ranges and slices: reserve it.
                let items = self.names.fresh("items", span);
                let new_stack = new_stack(quote!(::core::iter::Iterator::size_hint(&#items).0));
                quote_spanned! {span=>
                    #(let mut #outs = #inits;)*
                    let #items = ::core::iter::IntoIterator::into_iter(#iter);
                    #new_stack
                    for #item in #items {
                        let #pat = ::core::clone::Clone::clone(&#item);
                        #(let #phis = #outs;)*
                        #pass
                    }
                }
            }
            crate::ir::LoopHead::While(_) | crate::ir::LoopHead::Loop => {
                // `while`: the condition reads the carried values of this pass.
                let test = match &lp.head {
                    crate::ir::LoopHead::While(cond) => quote_spanned! {span=>
                        if !(#cond) {
                            #(#outs = #phis;)*
                            break;
                        }
                    },
                    _ => TokenStream::new(),
                };
                let new_stack = new_stack(quote!(0));
                quote_spanned! {span=>
                    #(let mut #outs = #inits;)*
                    #new_stack
                    loop {
                        let #item = ();
                        #(let #phis = #outs;)*
                        #test
                        #pass
                    }
                }
            }
        }
    }

    /// The backward pass of one pass of a loop, on the values its forward
    /// pass left on the stack: the adjoints of the carried values come in
    /// from the next pass (`carried`) and go out to the previous one.
    /// `bound` are the names the pass binds; those the backward pass reads
    /// are what the pass pushes.
    fn loop_pass(
        &mut self,
        lp: &crate::ir::Loop,
        bound: impl IntoIterator<Item = Ident>,
    ) -> LoopPass {
        let gg = self.gg.clone();
        let span = lp.span;
        let (seen, plain) = (self.seen.clone(), std::mem::replace(&mut self.plain, false));
        // The adjoints of what the body reads from outside exist by then.
        for v in outer_vars(&lp.body) {
            if self.func.vars[v.0].varied && !lp.phis.contains(&v) {
                self.seen[v.0] = true;
            }
        }
        let mut carried = Vec::new();
        let mut code = TokenStream::new();
        let mut hand_on = TokenStream::new();
        for phi in &lp.phis {
            if !self.func.vars[phi.0].varied {
                carried.push(None);
                continue;
            }
            let d_carried = self
                .names
                .fresh(&format!("d_{}_next", self.var(*phi)), span);
            carried.push(Some(d_carried));
        }
        // Body variables (and the carried values at the start of the pass)
        // get their adjoints afresh in every pass.
        inner_vars(&lp.body.block)
            .iter()
            .chain(&lp.phis)
            .for_each(|v| self.seen[v.0] = false);
        for ((result, d_carried), phi) in lp.body.results.iter().zip(&carried).zip(&lp.phis) {
            if let (Some(d_carried), true) = (d_carried, self.analysis.useful[phi.0]) {
                code.extend(self.contribute(result, d_carried.to_token_stream()));
            }
        }
        code.extend(self.reverse_block(&lp.body.block));
        // What reached the carried values goes to the pass before.
        for (phi, d_carried) in lp.phis.iter().zip(&carried) {
            let Some(d_carried) = d_carried else { continue };
            if self.seen[phi.0] {
                let d = self.adjoint(*phi);
                hand_on.extend(quote!(#d_carried = #d;));
            } else {
                let x = self.var(*phi);
                hand_on.extend(quote!(#d_carried = #gg::zero_like(&#x);));
            }
        }
        code.extend(hand_on);
        // Views of the pass's values are made again rather than kept: they
        // borrow what the stack holds.
        let mut views = self.remade_views(&lp.body.block);
        views.extend(code);
        let code = views;
        (self.seen, self.plain) = (seen, plain);
        LoopPass {
            pushed: kept_for(&code, bound),
            code,
            carried,
        }
    }

    /// A loop in the backward sweep: pops each pass's values, last first,
    /// and runs that pass's backward pass, handing the adjoints of the
    /// carried values back a pass.
    fn reverse_loop(&mut self, lp: &crate::ir::Loop) -> TokenStream {
        if !lp.outs.iter().any(|v| self.analysis.useful[v.0]) {
            return TokenStream::new();
        }
        let gg = self.gg.clone();
        let span = lp.span;
        let (stack, item) = match self
            .stacks
            .iter()
            .rfind(|(o, _, _)| *o == lp.outs.first().copied())
        {
            Some((_, stack, item)) => (stack.clone(), item.clone()),
            None => return TokenStream::new(),
        };
        let Some(pass) = self
            .passes
            .iter()
            .rfind(|(key, _)| *key == loop_key(lp))
            .map(|(_, pass)| pass.clone())
        else {
            return TokenStream::new();
        };
        let bind_item = match &lp.head {
            crate::ir::LoopHead::For { pat, .. } => quote!(let #pat = #item;),
            _ => TokenStream::new(),
        };
        let mut accumulators = self.outer_adjoints(std::slice::from_ref(&lp.body), &lp.phis);
        // The adjoint of each carried value after the last pass.
        for (out, d_carried) in lp.outs.iter().zip(&pass.carried) {
            let Some(d_carried) = d_carried else { continue };
            let x = self.var(*out).clone();
            let start = if self.seen[out.0] {
                self.adjoint(*out).into_token_stream()
            } else {
                quote!(#gg::zero_like(&#x))
            };
            accumulators.extend(quote!(let mut #d_carried = #start;));
        }
        let mut after = TokenStream::new();
        for ((init, d_carried), phi) in lp.inits.iter().zip(&pass.carried).zip(&lp.phis) {
            if let (Some(d_carried), true) = (d_carried, self.analysis.useful[phi.0]) {
                after.extend(self.contribute(init, d_carried.to_token_stream()));
            }
        }
        let pushed = self.kept_bindings(&pass.pushed);
        let code = &pass.code;
        quote_spanned! {span=>
            #accumulators
            while let ::core::option::Option::Some((#item, #(#pushed),*)) = #stack.pop() {
                #bind_item
                #code
            }
            #after
        }
    }

    /// The adjoints (zeros to add into) of what `regions` read from outside
    /// and that have none yet, but for `except`.
    fn outer_adjoints(&mut self, regions: &[crate::ir::Region], except: &[VarId]) -> TokenStream {
        let gg = self.gg.clone();
        let mut out = TokenStream::new();
        for v in regions.iter().flat_map(outer_vars) {
            if self.func.vars[v.0].varied && !self.seen[v.0] && !except.contains(&v) {
                self.seen[v.0] = true;
                let (d, x) = (self.adjoint(v), self.var(v).clone());
                out.extend(quote!(let mut #d = #gg::zero_like(&#x);));
            }
        }
        out
    }

    /// A branch in the backward sweep: the arm taken runs its backward pass
    /// on what it kept. Outer values it adds into get their adjoints (zeros)
    /// first.
    fn reverse_branch(&mut self, branch: &crate::ir::Branch) -> TokenStream {
        if !branch.outs.iter().any(|v| self.analysis.useful[v.0]) {
            return TokenStream::new();
        }
        let Some(passes) = self
            .arm_passes
            .iter()
            .rfind(|(key, _)| *key == branch_key(branch))
            .map(|(_, p)| p.clone())
        else {
            return TokenStream::new();
        };
        let accumulators = self.outer_adjoints(&branch.arms, &[]);
        let arms = passes.slots.iter().zip(&passes.kept).zip(&passes.codes);
        let crate::ir::Head::Match {
            scrutinee,
            patterns,
        } = &branch.head
        else {
            let arms: Vec<TokenStream> = arms
                .map(|((slot, kept), code)| {
                    let kept = self.kept_bindings(kept);
                    quote!({
                        let ::core::option::Option::Some((#(#kept,)*)) = #slot else {
                            ::core::unreachable!("the arm taken kept its values")
                        };
                        #code
                    })
                })
                .collect();
            let choice = self.choose(branch, &arms);
            return quote!(#accumulators #choice);
        };
        // A `match` takes the arm whose slot holds values: its guard does not
        // run again. What the pattern binds is bound again from a copy of
        // the scrutinee, matching the pattern alone.
        let s = self.var(*scrutinee).clone();
        let arms: Vec<TokenStream> = arms
            .enumerate()
            .map(|(k, ((slot, kept), code))| {
                let kept = self.kept_bindings(kept);
                let code = if pattern_bound(branch, k).is_empty() {
                    code.clone()
                } else {
                    let pattern = pattern_alone(&patterns[k]);
                    quote! {
                        match ::core::clone::Clone::clone(&#s) {
                            #pattern => { #code }
                            _ => ::core::unreachable!("the arm taken matches again"),
                        }
                    }
                };
                quote!(if let ::core::option::Option::Some((#(#kept,)*)) = #slot { #code })
            })
            .collect();
        quote! {
            #accumulators
            #(#arms else)* {
                ::core::unreachable!("the arm taken kept its values")
            }
        }
    }

    fn reverse_step(&mut self, step: &Step) -> TokenStream {
        let d_y = self.adjoint(step.out);
        let gg = self.gg.clone();
        let span = step.span;
        match &step.op {
            Op::Const(_) => TokenStream::new(),
            Op::Neg(a) => self.contribute(&a.value, quote_spanned!(span=> #gg::d_neg(#d_y))),
            Op::Index { base, index } => {
                // The element's adjoint lands in its place in the container's.
                let Value::Var(v) = base.value else {
                    return self.contribute(&base.value, d_y.to_token_stream());
                };
                if !self.func.vars[v.0].varied {
                    return TokenStream::new();
                }
                let d = self.adjoint(v);
                let mut out = TokenStream::new();
                if !self.seen[v.0] {
                    self.seen[v.0] = true;
                    let x = self.var(v);
                    out.extend(quote_spanned!(span=> let mut #d = #gg::zero_like(&#x);));
                }
                out.extend(quote_spanned!(span=> #gg::acc(&mut #d[#index], #d_y);));
                out
            }
            Op::SetIndex {
                base,
                index,
                op,
                value,
            } => {
                // The written element's adjoint goes to the value; a plain
                // `=` leaves nothing of it to the container before.
                let rest = self.names.derived(&d_y, "rest");
                let part = self.names.derived(&d_y, "element");
                let element = match op {
                    None => quote_spanned!(span=> ::core::mem::take(&mut #rest[#index])),
                    Some(BinOp::Sub) => {
                        quote_spanned!(span=> #gg::d_neg(::core::clone::Clone::clone(&#rest[#index])))
                    }
                    Some(_) => quote_spanned!(span=> ::core::clone::Clone::clone(&#rest[#index])),
                };
                let mut out = quote_spanned!(span=> let mut #rest = #d_y; let #part = #element;);
                out.extend(self.contribute(&value.value, part.to_token_stream()));
                out.extend(self.contribute(&base.value, rest.to_token_stream()));
                out
            }
            Op::Array(parts) => {
                // The adjoint of each element is its element of the adjoint.
                let names: Vec<Ident> = (0..parts.len())
                    .map(|k| self.names.derived(&d_y, &k.to_string()))
                    .collect();
                let mut out = quote_spanned!(span=> let [#(#names),*] = #d_y;);
                for (part, name) in parts.iter().zip(&names) {
                    out.extend(self.contribute(&part.value, name.to_token_stream()));
                }
                out
            }
            Op::Push { base, value } => {
                let rest = self.names.derived(&d_y, "rest");
                let part = self.names.derived(&d_y, "element");
                let mut out = quote_spanned!(span=>
                    let mut #rest = #d_y;
                    let #part = ::core::option::Option::unwrap(#rest.pop());
                );
                out.extend(self.contribute(&value.value, part.to_token_stream()));
                out.extend(self.contribute(&base.value, rest.to_token_stream()));
                out
            }
            Op::Binary(op, a, b) => {
                let mut out = TokenStream::new();
                let tape = self
                    .tapes
                    .iter()
                    .rfind(|(v, _)| *v == step.out)
                    .map(|(_, t)| t.clone());
                let tape = match tape {
                    Some(tape) => tape,
                    None => {
                        // In a loop's pass, the operands were kept on the
                        // stack: the tape is made from them, not recomputed.
                        let y = self.var(step.out).clone();
                        let tape = self.names.derived(&y, "tape");
                        let f = format_ident!("{}_tape", op_fn(*op));
                        let (a, b) = (self.kept_operand_tokens(a), self.kept_operand_tokens(b));
                        out.extend(quote_spanned!(span=> let #tape = #gg::#f(#a, #b);));
                        tape
                    }
                };
                let mut sides: Vec<(&Value, bool)> = [(&a.value, true), (&b.value, false)]
                    .into_iter()
                    .filter(|(v, _)| self.func.varied(v))
                    .collect();
                // `+` and `-` hand the adjoint itself to the last reader, so it
                // moves on instead of being copied; the chain of computed
                // values (rather than a parameter) gets it.
                let moves = matches!(op, BinOp::Add | BinOp::Sub);
                if moves && sides.len() == 2 && !matches!(sides[1].0, Value::Var(_)) {
                    sides.swap(0, 1);
                }
                let last = sides.len().saturating_sub(1);
                for (k, (value, is_lhs)) in sides.into_iter().enumerate() {
                    let contribution = match (is_lhs, moves && k == last) {
                        (true, false) => quote_spanned!(span=> #tape.lhs(&#d_y)),
                        (false, false) => quote_spanned!(span=> #tape.rhs(&#d_y)),
                        (true, true) => quote_spanned!(span=> #tape.lhs_owned(#d_y)),
                        (false, true) => quote_spanned!(span=> #tape.rhs_owned(#d_y)),
                    };
                    out.extend(self.contribute(value, contribution));
                }
                out
            }
            Op::Call {
                path,
                generics,
                args,
                suffix,
            } => {
                // The callee's own backward pass, on the same arguments.
                let args_again: Vec<TokenStream> =
                    args.iter().map(|a| self.passed_again(a)).collect();
                let generics = with_inferred_keep(generics);
                let call = |slots: &[TokenStream]| quote_spanned!(span=> #path::reverse #generics (#(#args_again,)* #d_y, #(#slots),*));
                self.call_reverse(args, span, !suffix.is_empty(), call)
            }
            Op::MethodCall {
                method,
                generics,
                args,
                suffix,
            } => {
                // The method's own backward pass, on the same receiver and arguments.
                let recv = self.receiver_tokens(&args[0]);
                let rest: Vec<TokenStream> =
                    args[1..].iter().map(|a| self.passed_again(a)).collect();
                let entry = method_entry(method);
                let generics = with_inferred_keep(generics);
                let call = |slots: &[TokenStream]| quote_spanned!(span=> #recv.#entry #generics (#(#rest,)* #d_y, #(#slots),*));
                self.call_reverse(args, span, !suffix.is_empty(), call)
            }
            Op::Join {
                stack, axis, parts, ..
            } => {
                let all: Vec<TokenStream> = parts.iter().map(|a| self.operand_tokens(a)).collect();
                let mut out = TokenStream::new();
                for (k, part) in parts.iter().enumerate() {
                    if !self.func.varied(&part.value) {
                        continue;
                    }
                    let contribution = if *stack {
                        quote_spanned!(span=> #gg::d_stack(&#d_y, #axis, #k))
                    } else {
                        quote_spanned!(span=> #gg::d_concatenate(&#d_y, #axis, &[#(#all),*], #k))
                    };
                    out.extend(self.contribute(&part.value, contribution));
                }
                out
            }
            Op::Method { rule, args, .. } => {
                let f = Ident::new(rule.function, span);
                let saved = rule.saves.iter().map(|s| match s {
                    Saved::Input(i) => self.saved_ref(&args[*i].value),
                    Saved::Value(i) => self.value_tokens(&args[*i].value),
                    Saved::Output => {
                        let y = self.var(step.out);
                        quote!(&#y)
                    }
                    Saved::Dim(_) => {
                        let dim = self
                            .dims
                            .iter()
                            .rfind(|(v, _)| *v == step.out)
                            .map(|(_, d)| d.clone());
                        quote!(&#dim)
                    }
                });
                let saved: Vec<TokenStream> = saved.collect();
                let inputs: Vec<(usize, &Operand)> = args
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| rule.differentiable(*i))
                    .collect();
                if let [(_, input)] = inputs.as_slice() {
                    let call = quote_spanned!(span=> #gg::#f(#d_y, #(#saved),*));
                    return self.contribute(&input.value, call);
                }
                // Several inputs: one function per input, for those that need it.
                let mut out = TokenStream::new();
                for (i, input) in inputs {
                    if self.func.varied(&input.value) {
                        let f = format_ident!("{}_{}", rule.function, i, span = span);
                        let call = quote_spanned!(span=> #gg::#f(&#d_y, #(#saved),*));
                        out.extend(self.contribute(&input.value, call));
                    }
                }
                out
            }
        }
    }
}

/// Whether a step makes a view of a value, or borrows it: cheap to make
/// again, and not to be kept apart from what it borrows.
fn is_view(func: &Func, op: &Op) -> bool {
    match op {
        // `insert_axis` takes its receiver: an owned array gives an owned
        // one, which is kept like any value (making it again would need
        // the receiver it consumed).
        Op::Method { rule, args, .. } if rule.name == "insert_axis" => match &args[0] {
            Operand {
                value: Value::Var(v),
                borrowed: false,
            } => made_by_view(func, &func.body, *v),
            _ => true,
        },
        Op::Method { rule, .. } => crate::rules::VIEWS.contains(&rule.name),
        Op::Const(tokens) => match syn::parse2::<syn::Expr>(tokens.clone()) {
            // Made again in the backward pass, code that may stop early
            // could stop there: it is kept instead.
            Ok(e) if crate::fallible::stops_early(&e) => false,
            Ok(syn::Expr::Reference(_)) => true,
            Ok(syn::Expr::MethodCall(m)) => {
                crate::rules::VIEWS.contains(&m.method.to_string().as_str())
            }
            _ => false,
        },
        _ => false,
    }
}

/// Whether `v` is made by a view step somewhere in `block`.
fn made_by_view(func: &Func, block: &crate::ir::Block, v: VarId) -> bool {
    block.stmts.iter().any(|s| match s {
        crate::ir::Stmt::Step(step) => step.out == v && is_view(func, &step.op),
        crate::ir::Stmt::Branch(branch) => branch
            .arms
            .iter()
            .any(|region| made_by_view(func, &region.block, v)),
        crate::ir::Stmt::Loop(lp) => made_by_view(func, &lp.body.block, v),
        crate::ir::Stmt::Verbatim(_) => false,
    })
}

/// The backward passes of a branch's arms, and what each arm keeps for it.
#[derive(Clone)]
struct ArmPasses {
    /// The variable that holds each arm's kept values (`Some` for the arm
    /// taken).
    slots: Vec<Ident>,
    kept: Vec<Vec<Ident>>,
    codes: Vec<TokenStream>,
}

/// The outputs of the branches of `block` that are views an arm made
/// (`let r = if c { m.row(0) } else { m.row(1) };`), in nested branches too.
fn views_out_of_branches(func: &Func, block: &crate::ir::Block) -> Vec<VarId> {
    /// Whether `v` is a view made in `block`: by a step, or as the output
    /// of a branch of it whose arm made one.
    fn made_view(func: &Func, block: &crate::ir::Block, v: VarId) -> bool {
        block.stmts.iter().any(|s| match s {
            crate::ir::Stmt::Step(step) => step.out == v && is_view(func, &step.op),
            crate::ir::Stmt::Branch(branch) => branch
                .outs
                .iter()
                .position(|out| *out == v)
                .is_some_and(|j| {
                    branch.arms.iter().any(|region| {
                        matches!(region.results.get(j), Some(Value::Var(r)) if made_view(func, &region.block, *r))
                    })
                }),
            _ => false,
        })
    }
    let mut views = Vec::new();
    for stmt in &block.stmts {
        if let crate::ir::Stmt::Branch(branch) = stmt {
            for out in &branch.outs {
                if func.vars[out.0].varied && made_view(func, block, *out) {
                    views.push(*out);
                }
            }
        }
    }
    views
}

/// A `match` arm's pattern without its guard.
fn pattern_alone(pattern: &TokenStream) -> TokenStream {
    pattern
        .clone()
        .into_iter()
        .take_while(|tt| !matches!(tt, proc_macro2::TokenTree::Ident(i) if i == "if"))
        .collect()
}

/// The names the pattern of arm `k` of a `match` binds.
fn pattern_bound(branch: &crate::ir::Branch, k: usize) -> Vec<Ident> {
    let crate::ir::Head::Match { patterns, .. } = &branch.head else {
        return Vec::new();
    };
    let pattern = pattern_alone(&patterns[k]);
    let Ok(pat) = syn::parse::Parser::parse2(syn::Pat::parse_multi_with_leading_vert, pattern)
    else {
        return Vec::new();
    };
    let mut names = Vec::new();
    crate::lower::pattern_names(&pat, &mut names);
    names
        .iter()
        .filter_map(|n| syn::parse_str::<Ident>(n).ok())
        .collect()
}

/// A branch's identity: its place in the IR.
fn branch_key(branch: &crate::ir::Branch) -> usize {
    branch as *const crate::ir::Branch as usize
}

/// A loop's backward pass of one iteration, and what it needs around it.
#[derive(Clone)]
struct LoopPass {
    /// The code, run once per pass popped off the stack.
    code: TokenStream,
    /// The adjoint of each carried value coming in from the next pass (none
    /// for a carried value without derivative).
    carried: Vec<Option<Ident>>,
    /// What each pass pushes and the backward pass pops, after the loop
    /// variable.
    pushed: Vec<Ident>,
}

/// A loop's identity: its place in the IR.
fn loop_key(lp: &crate::ir::Loop) -> usize {
    lp as *const crate::ir::Loop as usize
}

/// Of `bound` (what a pass or an arm binds), those its backward `code`
/// reads, once each, but for the views the code makes again itself.
fn kept_for(code: &TokenStream, bound: impl IntoIterator<Item = Ident>) -> Vec<Ident> {
    let (read, remade) = (idents(code), let_bound(code));
    let mut kept: Vec<Ident> = Vec::new();
    for name in bound {
        if read.contains(&name.to_string()) && !remade.contains(&name) && !kept.contains(&name) {
            kept.push(name);
        }
    }
    kept
}

/// Every identifier in `tokens`, as text.
fn idents(tokens: &TokenStream) -> std::collections::HashSet<String> {
    let mut out = std::collections::HashSet::new();
    fn walk(tokens: &TokenStream, out: &mut std::collections::HashSet<String>) {
        for tt in tokens.clone() {
            match tt {
                proc_macro2::TokenTree::Ident(i) => {
                    out.insert(i.to_string());
                }
                proc_macro2::TokenTree::Group(g) => walk(&g.stream(), out),
                _ => {}
            }
        }
    }
    walk(tokens, &mut out);
    out
}

/// The names `let` binds at the top level of generated statements (not
/// inside blocks, where they end with the block): `let x`, `let mut x`,
/// `let (a, b)`.
fn let_bound(tokens: &TokenStream) -> Vec<Ident> {
    fn pattern(tokens: TokenStream, out: &mut Vec<Ident>) {
        for tt in tokens {
            match tt {
                proc_macro2::TokenTree::Ident(i)
                    if i != "mut"
                        && i != "ref"
                        && i != "_"
                        && i.to_string()
                            .starts_with(|c: char| c.is_lowercase() || c == '_') =>
                {
                    out.push(i)
                }
                proc_macro2::TokenTree::Group(g) => pattern(g.stream(), out),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    let mut iter = tokens.clone().into_iter().peekable();
    while let Some(tt) = iter.next() {
        if !matches!(&tt, proc_macro2::TokenTree::Ident(i) if i == "let") {
            continue;
        }
        let mut pat = TokenStream::new();
        while let Some(tt) = iter.peek() {
            if matches!(tt, proc_macro2::TokenTree::Punct(p) if p.as_char() == '=' || p.as_char() == ':')
            {
                break;
            }
            pat.extend(iter.next());
        }
        pattern(pat, &mut out);
    }
    out
}

/// `tokens` with every span set to `span`. Generated names resolve the same
/// at a user's span as at the call site, so only where errors point changes.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tt| {
            if let proc_macro2::TokenTree::Group(g) = &tt {
                let mut group = proc_macro2::Group::new(g.delimiter(), respan(g.stream(), span));
                group.set_span(span);
                tt = proc_macro2::TokenTree::Group(group);
            }
            tt.set_span(span);
            tt
        })
        .collect()
}

/// A call's generic arguments with one `_` more, for the entry point's
/// `Keep` parameter: `::<f32>` becomes `::<f32, _>`; none stay none.
fn with_inferred_keep(generics: &TokenStream) -> TokenStream {
    match syn::parse2::<syn::AngleBracketedGenericArguments>(generics.clone()) {
        Ok(mut args) => {
            args.args.push(syn::GenericArgument::Type(syn::Type::Infer(
                syn::TypeInfer {
                    underscore_token: Default::default(),
                },
            )));
            args.to_token_stream()
        }
        Err(_) => generics.clone(),
    }
}

/// The variables a block defines, nested ones included.
fn inner_vars(block: &crate::ir::Block) -> Vec<VarId> {
    let mut out = Vec::new();
    for stmt in &block.stmts {
        match stmt {
            crate::ir::Stmt::Step(step) => out.push(step.out),
            crate::ir::Stmt::Verbatim(_) => {}
            crate::ir::Stmt::Branch(branch) => {
                for region in &branch.arms {
                    out.extend(inner_vars(&region.block));
                }
                out.extend(branch.outs.iter().copied());
            }
            crate::ir::Stmt::Loop(lp) => {
                out.extend(inner_vars(&lp.body.block));
                out.extend(lp.phis.iter().chain(&lp.outs).copied());
            }
        }
    }
    out
}

/// The variables a branch reads that are defined outside it.
fn outer_vars(region: &crate::ir::Region) -> Vec<VarId> {
    fn walk(block: &crate::ir::Block, defined: &mut Vec<VarId>, read: &mut Vec<VarId>) {
        for stmt in &block.stmts {
            match stmt {
                crate::ir::Stmt::Step(step) => {
                    for (_, o) in step.op.operands() {
                        if let Value::Var(v) = o.value {
                            read.push(v);
                        }
                    }
                    defined.push(step.out);
                }
                crate::ir::Stmt::Verbatim(_) => {}
                crate::ir::Stmt::Branch(branch) => {
                    for region in &branch.arms {
                        walk(&region.block, defined, read);
                        read.extend(region.results.iter().filter_map(|r| match r {
                            Value::Var(v) => Some(*v),
                            _ => None,
                        }));
                    }
                    defined.extend(branch.outs.iter().copied());
                }
                crate::ir::Stmt::Loop(lp) => {
                    walk(&lp.body.block, defined, read);
                    read.extend(
                        lp.inits
                            .iter()
                            .chain(&lp.body.results)
                            .filter_map(|r| match r {
                                Value::Var(v) => Some(*v),
                                _ => None,
                            }),
                    );
                    defined.extend(lp.phis.iter().chain(&lp.outs).copied());
                }
            }
        }
    }
    let (mut defined, mut read) = (Vec::new(), Vec::new());
    walk(&region.block, &mut defined, &mut read);
    read.extend(region.results.iter().filter_map(|r| match r {
        Value::Var(v) => Some(*v),
        _ => None,
    }));
    let mut outer: Vec<VarId> = read.into_iter().filter(|v| !defined.contains(v)).collect();
    outer.sort();
    outer.dedup();
    outer
}

fn op_fn(op: BinOp) -> Ident {
    let name = match op {
        BinOp::Add => "add",
        BinOp::Sub => "sub",
        BinOp::Mul => "mul",
        BinOp::Div => "div",
    };
    Ident::new(name, Span::call_site())
}

/// Whether a constant's tokens stand as one operand without parentheses:
/// a literal, a name, a path, a parenthesized or tuple expression.
fn needs_no_parens(tokens: &TokenStream) -> bool {
    let mut iter = tokens.clone().into_iter();
    matches!(
        (iter.next(), iter.next()),
        (
            Some(proc_macro2::TokenTree::Literal(_) | proc_macro2::TokenTree::Ident(_)),
            None
        )
    ) || syn::parse2::<syn::ExprPath>(tokens.clone()).is_ok()
        || matches!(
            syn::parse2::<syn::Expr>(tokens.clone()),
            Ok(syn::Expr::Paren(_) | syn::Expr::Tuple(_))
        )
}

// ----- the wrappers ----------------------------------------------------------

fn vjp(shared: &Shared, doc: String, names: &mut Names) -> TokenStream {
    let (function, entry) = call_paths(shared);
    let passed = passed_to_entry(shared);
    let Shared {
        item,
        name,
        named_args,
        named_generics,
        captures,
        ret_grad,
        ..
    } = shared;
    let vis = &item.vis;
    let attrs = &shared.attrs;
    let ret = &shared.sig.ret;
    let vjp_name = format_ident!("{}_vjp", name);
    let where_clause = &named_generics.where_clause;
    let generic_params = &named_generics.params;
    let grads_ty = shared.grads_type();
    let value = names.fresh("value", Span::call_site());
    let d_value = names.fresh("d_value", Span::call_site());
    // The pullback runs the function again with its backward pass, so it
    // keeps the arguments: copies of those passed by value.
    let forward_args = shared
        .sig
        .args
        .iter()
        .map(|a| copy_or_clone(&a.name, &a.ty));
    let GradientParts {
        zeros,
        slots,
        completes,
        grads,
    } = gradient_parts(shared, names);
    let param_list = named_args.iter().map(|(n, t)| quote!(#n: #t));
    let returns = shared
        .outcome(quote!((#ret, impl ::core::ops::FnOnce(#ret_grad) -> #grads_ty + #captures)));
    let forward = shared.or_stop(quote!(#function(#(#forward_args),*)));
    // The forward pass ran through once, so it does again.
    let turbofish = shared.entry_turbofish();
    let mut entry_call = quote!(#entry #turbofish (#(#passed,)* #d_value, #(#slots),*));
    if shared.sig.fallible.is_some() {
        entry_call = quote!(::gradgen::__private::finished(#entry_call));
    }
    let result = shared.succeed(quote! {
        (#value, move |#d_value| {
            #(#zeros)*
            let ::gradgen::__private::Dropped = #entry_call;
            #(#completes)*
            #grads
        })
    });
    quote! {
        #[doc = #doc]
        #(#attrs)*
        #[allow(dead_code, clippy::type_complexity, clippy::double_must_use, clippy::needless_arbitrary_self_type)]
        #[must_use]
        #vis fn #vjp_name<#generic_params>(#(#param_list),*)
            -> #returns
            #where_clause
        {
            let #value = #forward;
            #result
        }
    }
}

fn grad(shared: &Shared, doc: String, names: &mut Names) -> TokenStream {
    let (_, entry) = call_paths(shared);
    let passed = passed_to_entry(shared);
    let Shared { item, name, .. } = shared;
    let vis = &item.vis;
    let attrs = &shared.attrs;
    let ret = &shared.sig.ret;
    let grad_name = format_ident!("{}_grad", name);
    let generics = &item.sig.generics;
    let generic_params = &generics.params;
    let where_clause = &generics.where_clause;
    let grads_ty = shared.grads_type();
    let inputs = &item.sig.inputs;
    let value = names.fresh("value", Span::call_site());
    let GradientParts {
        zeros,
        slots,
        completes,
        grads,
    } = gradient_parts(shared, names);
    let returns = shared.outcome(quote!((#ret, #grads_ty)));
    let kept =
        shared.or_stop(quote!(#entry(#(#passed,)* ::gradgen::__private::one(), #(#slots),*)));
    let result = shared.succeed(quote!((#value, #grads)));
    quote! {
        #[doc = #doc]
        #(#attrs)*
        #[allow(dead_code, clippy::type_complexity)]
        #vis fn #grad_name<#generic_params>(#inputs) -> #returns #where_clause {
            #(#zeros)*
            let ::gradgen::__private::Kept(#value) = #kept;
            #(#completes)*
            #result
        }
    }
}

/// The zero gradients a wrapper starts from, the slots it passes, and the
/// gradient it returns.
fn gradient_parts(shared: &Shared, names: &mut Names) -> GradientParts {
    let mut zeros = Vec::new();
    let mut completes = Vec::new();
    let mut slots = Vec::new();
    let mut grads = Vec::new();
    for arg in &shared.sig.args {
        let a = &arg.name;
        if arg.active {
            let d = names.adjoint(a);
            zeros.push(quote!(let mut #d = ::gradgen::__private::empty_tangent(&#a);));
            completes.push(quote!(::gradgen::__private::complete_tangent(&#a, &mut #d);));
            slots.push(quote!(::gradgen::__private::slot(&mut #d)));
            grads.push(d);
        } else {
            slots.push(quote!(::gradgen::__private::NoGrad));
        }
    }
    let grads = match grads.as_slice() {
        [one] => quote!(#one),
        many => quote!((#(#many),*)),
    };
    GradientParts {
        zeros,
        slots,
        completes,
        grads,
    }
}

/// What `_grad` and `_vjp` wrap around the composition entry point: the
/// gradients they start from (placeholders that first contributions move
/// into), the slots they pass, what makes the gradients whole, and the
/// gradient they return.
struct GradientParts {
    zeros: Vec<TokenStream>,
    slots: Vec<TokenStream>,
    completes: Vec<TokenStream>,
    grads: TokenStream,
}

/// Stand-ins with the right signatures, emitted when the body has errors so
/// that one rejection does not cascade into "cannot find function" errors.
pub fn fallback(item: &ItemFn, sig: &Signature, names: &mut Names) -> TokenStream {
    if matches!(&sig.ret, Type::Tuple(t) if t.elems.is_empty()) {
        // No result (already reported): nothing to differentiate, nothing to stand in for.
        return TokenStream::new();
    }
    let shared = Shared::new(item, sig, names);
    let name = shared.name;
    let vis = &item.vis;
    let attrs = &shared.attrs;
    let ret = &sig.ret;
    let generics = &item.sig.generics;
    let generic_params = &generics.params;
    let where_clause = &generics.where_clause;
    let inputs = &item.sig.inputs;
    let grads_ty = shared.grads_type();
    let grad_name = format_ident!("{}_grad", name);
    let vjp_name = format_ident!("{}_vjp", name);
    let ret_grad = &shared.ret_grad;
    let named_generic_params = &shared.named_generics.params;
    let param_list = shared.named_args.iter().map(|(n, t)| quote!(#n: #t));
    let captures = &shared.captures;
    let grad_returns = shared.outcome(quote!((#ret, #grads_ty)));
    let grad = is_scalar_type(ret).then(|| {
        quote! {
            #(#attrs)*
            #[allow(dead_code, unused_variables)]
            #vis fn #grad_name<#generic_params>(#inputs) -> #grad_returns #where_clause {
                ::core::unreachable!()
            }
        }
    });
    let vjp_returns = shared
        .outcome(quote!((#ret, impl ::core::ops::FnOnce(#ret_grad) -> #grads_ty + #captures)));
    let stand_in = shared.succeed(quote!((::core::unreachable!(), |_| ::core::unreachable!())));
    quote! {
        #(#attrs)*
        #[allow(dead_code, unused_variables, unreachable_code, clippy::type_complexity)]
        #vis fn #vjp_name<#named_generic_params>(#(#param_list),*)
            -> #vjp_returns
            #where_clause
        {
            #stand_in
        }
        #grad
    }
}
