//! The macros of gradgen: `#[differentiable]` and `#[derive(Parameters)]`.
//!
//! Use them through the `gradgen` crate, which re-exports them with the
//! runtime that the generated code calls.
//!
//! `#[differentiable]` is a small compiler, one file per stage:
//! [`parse`] (signature, body, options), [`fence`] (the supported language),
//! [`lower`] (a flat single-assignment form), [`analyse`] (activity, use
//! counts), [`emit`] (forward sweep, reverse sweep, wrappers, docs), with the
//! derivative rules in one table, [`rules`].

mod parameters;

use proc_macro::TokenStream;

/// Derives `gradgen::Parameters` (and `gradgen::Differentiable`, with the
/// struct as its own gradient type) for a struct whose fields are
/// parameters: scalars, fixed arrays, `Vec`s, arrays and nested structs.
///
/// Mark a field that is not a parameter (a size, a name) with
/// `#[parameters(skip)]`: it is cloned into zeros and never visited.
#[proc_macro_derive(Parameters, attributes(parameters))]
pub fn derive_parameters(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    parameters::expand(&input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
