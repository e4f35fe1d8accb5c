//! Errors, collected so that one run reports every problem of a body.

use proc_macro2::Span;

/// The errors of one expansion.
#[derive(Clone, Default)]
pub struct Errors {
    all: Option<syn::Error>,
}

impl Errors {
    /// Records an error at `span`.
    pub fn push(&mut self, span: Span, message: impl std::fmt::Display) {
        self.add(syn::Error::new(span, message));
    }

    /// Records an error (which may itself hold several).
    pub fn add(&mut self, error: syn::Error) {
        match &mut self.all {
            Some(all) => all.combine(error),
            None => self.all = Some(error),
        }
    }

    /// `Ok(value)` if nothing went wrong, else every error at once.
    pub fn finish<T>(self, value: T) -> syn::Result<T> {
        match self.all {
            Some(e) => Err(e),
            None => Ok(value),
        }
    }
}
