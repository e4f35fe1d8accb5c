//! Stage 1: the attribute's options and the function's signature.

use proc_macro2::TokenStream;
use syn::spanned::Spanned;
use syn::{FnArg, Ident, ItemFn, Pat, ReturnType, Type};

use crate::diag::Errors;

/// `#[differentiable(...)]`'s options.
#[derive(Default)]
pub struct Options {
    /// `wrt(a, b)`: the arguments to differentiate with respect to.
    pub wrt: Option<Vec<Ident>>,
    /// `rule = path`: a hand-written reverse step instead of a generated one.
    pub rule: Option<syn::Path>,
}

impl Options {
    pub fn parse(args: TokenStream) -> syn::Result<Self> {
        let mut options = Options::default();
        let parser = syn::meta::parser(|meta| {
            if meta.path.is_ident("wrt") {
                if options.wrt.is_some() {
                    return Err(
                        meta.error("`wrt` is given twice: list every argument in one `wrt(...)`")
                    );
                }
                let content;
                syn::parenthesized!(content in meta.input);
                let names =
                    content.parse_terminated(syn::ext::IdentExt::parse_any, syn::Token![,])?;
                options.wrt = Some(names.into_iter().collect());
                Ok(())
            } else if meta.path.is_ident("rule") {
                if options.rule.is_some() {
                    return Err(
                        meta.error("`rule` is given twice: a function has one derivative rule")
                    );
                }
                options.rule = Some(meta.value()?.parse()?);
                Ok(())
            } else {
                Err(meta.error(
                    "unknown option: `#[differentiable]` takes `wrt(arg, ...)`, the arguments to differentiate with respect to, and `rule = path`, a derivative rule of your own",
                ))
            }
        });
        syn::parse::Parser::parse2(parser, args)?;
        Ok(options)
    }
}

/// An argument of the function, as the signature gives it.
pub struct Arg {
    pub name: Ident,
    /// The type as written.
    pub ty: Type,
    /// Whether the function differentiates with respect to it.
    pub active: bool,
}

/// The signature, checked.
pub struct Signature {
    pub args: Vec<Arg>,
    /// The type of the value the function computes: the return type as
    /// written, or what its `Option` or `Result` holds.
    pub ret: Type,
    /// The `Option` or `Result` the value comes in, if it comes in one.
    pub fallible: Option<Fallible>,
    /// Whether the function is a method (its first argument is `self`).
    pub method: bool,
}

impl Signature {
    /// The arguments the gradient is taken with respect to, in order.
    pub fn active(&self) -> impl Iterator<Item = &Arg> {
        self.args.iter().filter(|a| a.active)
    }
}

/// Checks the signature and decides which arguments are active.
pub fn signature(item: &ItemFn, options: &Options, errors: &mut Errors) -> Option<Signature> {
    let sig = &item.sig;
    if let Some(t) = &sig.asyncness {
        errors.push(
            t.span(),
            "`async fn` cannot be differentiated: write the computation as a plain `fn`",
        );
    }
    if let Some(t) = &sig.unsafety {
        errors.push(
            t.span(),
            "`unsafe fn` cannot be differentiated: keep the unsafe part in a function of its own",
        );
    }
    if let Some(t) = &sig.constness {
        errors.push(
            t.span(),
            "`const fn` cannot be differentiated: remove `const`",
        );
    }
    if let Some(t) = &sig.variadic {
        errors.push(t.span(), "variadic functions cannot be differentiated");
    }
    let ret = match &sig.output {
        ReturnType::Type(_, ty) => {
            if let Type::ImplTrait(_) = **ty {
                errors.push(
                    ty.span(),
                    "an `impl Trait` result cannot be differentiated: name the result type",
                );
            }
            (**ty).clone()
        }
        ReturnType::Default => {
            errors.push(sig.ident.span(), "a differentiable function must return a value: add `-> f64` (or the type it computes)");
            syn::parse_quote!(())
        }
    };

    let mut args = Vec::new();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(r) => {
                if let Type::Reference(reference) = &*r.ty
                    && let Some(m) = &reference.mutability
                {
                    errors.push(
                        m.span(),
                        "a `&mut self` method cannot be differentiated: take `&self` and return the result",
                    );
                }
                args.push(Arg {
                    name: Ident::new("self", r.self_token.span),
                    ty: (*r.ty).clone(),
                    active: true,
                });
            }
            FnArg::Typed(typed) => {
                let name = match &*typed.pat {
                    Pat::Ident(p) if p.by_ref.is_none() && p.subpat.is_none() => p.ident.clone(),
                    other => {
                        errors.push(other.span(), "a differentiable function's arguments must be plain names: destructure inside the body");
                        continue;
                    }
                };
                if let Type::Reference(r) = &*typed.ty
                    && let Some(m) = &r.mutability
                {
                    errors.push(
                            m.span(),
                            "a `&mut` argument cannot be differentiated: take the value by `&` and return the result",
                        );
                }
                let active = !is_constant_type(&typed.ty);
                args.push(Arg {
                    name,
                    ty: (*typed.ty).clone(),
                    active,
                });
            }
        }
    }

    if let Some(wrt) = &options.wrt {
        for arg in &mut args {
            arg.active = wrt.contains(&arg.name);
        }
        for (k, w) in wrt.iter().enumerate() {
            if wrt[..k].contains(w) {
                errors.push(
                    w.span(),
                    format!("`{w}` is listed twice in `wrt(...)`: list each argument once"),
                );
            }
            if !args.iter().any(|a| a.name == *w) {
                errors.push(
                    w.span(),
                    format!(
                        "`{w}` is not an argument of this function: `wrt(...)` lists argument names"
                    ),
                );
            }
        }
        for arg in args.iter_mut().filter(|a| a.active) {
            if is_constant_type(&arg.ty) {
                // Reported here; no second error from the generated code.
                arg.active = false;
                errors.push(arg.ty.span(), format!("`{}` has an integer, boolean or text type and has no derivative: leave it out of `wrt(...)`", arg.name));
            }
        }
    }
    if !args.iter().any(|a| a.active) && options.wrt.as_ref().is_none_or(|w| w.is_empty()) {
        errors.push(
            sig.ident.span(),
            "this function has no argument to differentiate with respect to: give it a float, array or `Parameters` argument",
        );
    }
    let method = matches!(sig.inputs.first(), Some(FnArg::Receiver(_)));
    let fallible = Fallible::of(&ret);
    if let Some(f) = &fallible
        && let Some(span) = elided_lifetime(&f.outer)
    {
        errors.push(
            span,
            "name this lifetime (`fn f<'a>(x: f64, tag: &'a str) -> Result<f64, &'a str>`): the derivative's entry point takes references of its own, so the result's lifetime cannot be left to elision",
        );
    }
    let ret = fallible.as_ref().map_or(ret, |f| f.value.clone());
    Some(Signature {
        args,
        ret,
        fallible,
        method,
    })
}

/// Where `ty` leaves a lifetime to elision (`&str`, `Cow<'_, str>`), if anywhere.
fn elided_lifetime(ty: &Type) -> Option<proc_macro2::Span> {
    struct Finder(Option<proc_macro2::Span>);
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_type_reference(&mut self, r: &'ast syn::TypeReference) {
            if r.lifetime.is_none() {
                self.0.get_or_insert(r.and_token.span);
            }
            syn::visit::visit_type_reference(self, r);
        }
        fn visit_lifetime(&mut self, lt: &'ast syn::Lifetime) {
            if lt.ident == "_" {
                self.0.get_or_insert(lt.span());
            }
        }
        fn visit_type_bare_fn(&mut self, _: &'ast syn::TypeBareFn) {}
    }
    let mut finder = Finder(None);
    syn::visit::Visit::visit_type(&mut finder, ty);
    finder.0
}

/// A result that comes in an `Option` or a `Result` (`Option<f64>`,
/// `Result<f64, ShapeError>`, an alias such as `io::Result<f64>`): the
/// function may stop early with `?`, `None` or `Err(..)`, and its
/// derivative does too. Read from the tokens: the last segment of the
/// path is `Option` or `Result`, and its first generic argument is the value.
pub struct Fallible {
    /// The return type as written.
    pub outer: Type,
    /// What it holds on success.
    pub value: Type,
    /// The error type, where written (`E` in `Result<f64, E>`).
    pub error: Option<Type>,
    /// `Option` rather than `Result`.
    pub option: bool,
}

impl Fallible {
    fn of(ty: &Type) -> Option<Fallible> {
        let Type::Path(p) = ty else { return None };
        let last = p.path.segments.last()?;
        let option = match last.ident.to_string().as_str() {
            "Option" => true,
            "Result" => false,
            _ => return None,
        };
        let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
            return None;
        };
        let Some(syn::GenericArgument::Type(value)) = args.args.first() else {
            return None;
        };
        let error = match args.args.get(1) {
            Some(syn::GenericArgument::Type(error)) if !option => Some(error.clone()),
            _ => None,
        };
        Some(Fallible {
            outer: ty.clone(),
            value: value.clone(),
            error,
            option,
        })
    }

    /// The return type with `inner` in place of the value: what `_grad`
    /// (`Option<(f64, G)>`) and the entry point return.
    pub fn wrap(&self, inner: &TokenStream) -> Type {
        let mut ty = self.outer.clone();
        if let Type::Path(p) = &mut ty
            && let Some(last) = p.path.segments.last_mut()
            && let syn::PathArguments::AngleBracketed(args) = &mut last.arguments
            && let Some(first) = args.args.first_mut()
        {
            *first = syn::GenericArgument::Type(Type::Verbatim(inner.clone()));
        }
        ty
    }

    /// `Some(value)` or `Ok(value)`.
    pub fn success(&self, value: TokenStream) -> TokenStream {
        if self.option {
            quote::quote!(::core::option::Option::Some(#value))
        } else {
            quote::quote!(::core::result::Result::Ok(#value))
        }
    }
}

/// The integer types and `bool`: values that carry no derivative.
const INTEGERS: &[&str] = &[
    "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64", "u128", "usize", "bool",
];

/// The name of a type written as one bare identifier (`f64`, `usize`,
/// `T`), through parentheses and invisible groups.
fn bare_name(ty: &Type) -> Option<String> {
    match ty {
        Type::Paren(p) => bare_name(&p.elem),
        Type::Group(g) => bare_name(&g.elem),
        Type::Path(p) if p.qself.is_none() => p.path.get_ident().map(ToString::to_string),
        _ => None,
    }
}

/// Whether `ty` is an integer type or `bool`.
pub fn is_integer_type(ty: &Type) -> bool {
    bare_name(ty).is_some_and(|n| INTEGERS.contains(&n.as_str()))
}

/// Whether passing an argument of this type copies it: references, floats,
/// integers, `bool` and `char`.
pub fn is_copied(ty: &Type) -> bool {
    match ty {
        Type::Reference(_) => true,
        Type::Paren(p) => is_copied(&p.elem),
        _ => bare_name(ty).is_some_and(|n| {
            INTEGERS.contains(&n.as_str()) || ["f32", "f64", "char"].contains(&n.as_str())
        }),
    }
}

/// Types whose values are constants: integers, `bool`, `char`, text, and
/// references to them. The macro sees no types, so this reads the tokens.
pub fn is_constant_type(ty: &Type) -> bool {
    match ty {
        Type::Reference(r) => is_constant_type(&r.elem),
        Type::Paren(p) => is_constant_type(&p.elem),
        Type::Group(g) => is_constant_type(&g.elem),
        Type::Tuple(t) => t.elems.is_empty(),
        _ => bare_name(ty).is_some_and(|n| {
            INTEGERS.contains(&n.as_str()) || ["char", "str", "String"].contains(&n.as_str())
        }),
    }
}

/// The type with references removed: `&Toy` differentiates as `Toy`.
pub fn strip_refs(ty: &Type) -> Type {
    match ty {
        Type::Reference(r) => strip_refs(&r.elem),
        Type::Paren(p) => strip_refs(&p.elem),
        other => other.clone(),
    }
}

/// Whether a return type is a scalar that `_grad` can seed with one: `f32`,
/// `f64` or a single name (a type parameter or an alias).
pub fn is_scalar_type(ty: &Type) -> bool {
    match ty {
        Type::Path(p) => p.qself.is_none() && p.path.get_ident().is_some(),
        Type::Paren(p) => is_scalar_type(&p.elem),
        _ => false,
    }
}
