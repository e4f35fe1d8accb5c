//! Every name the generated code introduces, from one place.
//!
//! Names are unique against every identifier in the user's function, so
//! generated code never shadows or captures a name the user wrote. User
//! names are kept (`f0`, `h1`); a name bound again gets a suffix (`x_1`);
//! temporaries are numbered (`t0`); adjoints are `d_` + the value's name.

use std::collections::HashSet;

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::Ident;

/// The prefix of the names of variables the lowering introduces, which no
/// user's name has.
pub const HIDDEN: &str = "__gradgen_";

/// The set of names in use, and a source of fresh ones.
#[derive(Clone)]
pub struct Names {
    taken: HashSet<String>,
    bound: HashSet<String>,
    next_temp: usize,
}

impl Names {
    /// Names in use: every identifier in `tokens` (the whole function).
    pub fn new(tokens: TokenStream) -> Self {
        let mut taken = HashSet::new();
        collect(tokens, &mut taken);
        Names {
            taken,
            bound: HashSet::new(),
            next_temp: 0,
        }
    }

    /// Takes `base` if it is free, else the first free `base_1`, `base_2`, ...
    pub fn fresh(&mut self, base: &str, span: Span) -> Ident {
        let base = base.trim_start_matches("r#");
        let mut candidate = base.to_string();
        let mut n = 0;
        while self.taken.contains(&candidate) || is_keyword(&candidate) {
            n += 1;
            candidate = format!("{base}_{n}");
        }
        self.taken.insert(candidate.clone());
        Ident::new(&candidate, span)
    }

    /// The name of a binding the user wrote: their own name for its first
    /// binding, a suffixed one for every later binding of the same name.
    pub fn user(&mut self, name: &Ident) -> Ident {
        let s = name.to_string();
        // A variable the lowering introduces (`__gradgen_returned`): a
        // readable name, fresh against the user's.
        if let Some(plain) = s.strip_prefix(HIDDEN) {
            return self.fresh(plain, name.span());
        }
        if self.bound.insert(s) {
            return name.clone();
        }
        self.fresh(&name.to_string(), name.span())
    }

    /// A fresh temporary: `t0`, `t1`, ...
    pub fn temp(&mut self, span: Span) -> Ident {
        loop {
            let candidate = format!("t{}", self.next_temp);
            self.next_temp += 1;
            if !self.taken.contains(&candidate) {
                self.taken.insert(candidate.clone());
                return Ident::new(&candidate, span);
            }
        }
    }

    /// The adjoint's name of `value`: `d_value`, fresh.
    pub fn adjoint(&mut self, value: &Ident) -> Ident {
        self.fresh(
            &format!(
                "d_{}",
                value
                    .to_string()
                    .trim_start_matches("r#")
                    .trim_start_matches('_')
            ),
            value.span(),
        )
    }

    /// A fresh name derived from `base` with a suffix: `f0_tape`.
    pub fn derived(&mut self, base: &Ident, suffix: &str) -> Ident {
        self.fresh(
            &format!("{}_{suffix}", base.to_string().trim_start_matches("r#")),
            base.span(),
        )
    }
}

fn collect(tokens: TokenStream, out: &mut HashSet<String>) {
    for tt in tokens {
        match tt {
            TokenTree::Ident(i) => {
                out.insert(i.to_string().trim_start_matches("r#").to_string());
            }
            TokenTree::Group(g) => collect(g.stream(), out),
            _ => {}
        }
    }
}

fn is_keyword(s: &str) -> bool {
    syn::parse_str::<Ident>(s).is_err()
}
