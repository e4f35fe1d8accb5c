//! The top level of `#[differentiable]`: parse, fence, lower, analyse, emit.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::ItemFn;

use crate::diag::Errors;
use crate::naming::Names;
use crate::parse::{self, Options};
use crate::{analyse, emit, fallible, fence, lower};

/// Expands `#[differentiable(args)]` on `item`. Never panics: every problem
/// with the input is a spanned error in the returned tokens.
pub fn differentiable(args: TokenStream, item: TokenStream) -> TokenStream {
    let item: ItemFn = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(e) => {
            let message = syn::Error::new(
                e.span(),
                format!("`#[differentiable]` goes on a function with a body: {e}"),
            );
            let error = message.into_compile_error();
            return quote!(#error #item);
        }
    };
    let output = match expand(args, &item) {
        Ok(generated) => quote!(#item #generated),
        Err((error, fallback)) => {
            let error = error.into_compile_error();
            quote!(#item #error #fallback)
        }
    };
    if let Some(dir) = std::env::var_os("GRADGEN_EXPAND_DIR") {
        write_expansion(std::path::Path::new(&dir), &item.sig.ident, &output);
    }
    output
}

/// Writes the expansion of one function, pretty-printed, to `dir/NAME.rs`:
/// a way to read generated code with nothing beyond a stable toolchain.
/// Best effort: a debugging aid never fails the build.
fn write_expansion(dir: &std::path::Path, name: &syn::Ident, output: &TokenStream) {
    let Ok(file) = syn::parse2::<syn::File>(output.clone()) else {
        return;
    };
    let _ = std::fs::create_dir_all(dir);
    let _ = std::fs::write(dir.join(format!("{name}.rs")), prettyplease::unparse(&file));
}

/// The generated items, or the errors and stand-ins for what could not be generated.
fn expand(args: TokenStream, item: &ItemFn) -> Result<TokenStream, (syn::Error, TokenStream)> {
    let mut errors = Errors::default();
    let options = match Options::parse(args) {
        Ok(options) => options,
        Err(e) => {
            errors.add(e);
            Options::default()
        }
    };
    let mut names = Names::new(item.to_token_stream());
    let Some(sig) = parse::signature(item, &options, &mut errors) else {
        return Err((
            errors
                .finish(())
                .err()
                .unwrap_or_else(|| syn::Error::new_spanned(&item.sig, "invalid signature")),
            TokenStream::new(),
        ));
    };
    if let Some(rule) = &options.rule {
        // A rule of the user's own: the body is not differentiated.
        if let Err(e) = errors.finish(()) {
            return Err((e, emit::fallback(item, &sig, &mut names)));
        }
        return Ok(emit::emit_with_rule(item, &sig, rule, &mut names));
    }
    let body = match &sig.fallible {
        Some(fallible) => fallible::rewrite(&item.block, fallible),
        None => (*item.block).clone(),
    };
    fence::check(&body, sig.fallible.is_some(), &mut errors);
    let func = lower::lower(&sig, &item.sig.generics, &body, &mut names, &mut errors);
    if let Err(e) = errors.finish(()) {
        let fallback = if sig.active().next().is_some() {
            emit::fallback(item, &sig, &mut names)
        } else {
            TokenStream::new()
        };
        return Err((e, fallback));
    }
    let analysis = analyse::analyse(&func);
    Ok(emit::emit(item, &sig, &func, &analysis, &mut names))
}
