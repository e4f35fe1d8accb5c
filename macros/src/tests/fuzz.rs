//! The macro never panics: a seeded run feeds `#[differentiable]`'s expand
//! function thousands of random and mutated functions, no rustc involved, and
//! checks that each gives generated code or errors, and that what it gives
//! for an input that parses as an item parses as items too.
//!
//! The inputs: a corpus of valid functions, mutated token by token (deleted,
//! duplicated, swapped, replaced); bodies of random expressions from a grammar
//! that covers every kind of `syn::Expr`; odd signatures (receivers, patterns,
//! generics, lifetimes, `impl Trait`, no result, qualifiers); and garbage in
//! the attribute's arguments.
//!
//! `GRADGEN_FUZZ_SEED` and `GRADGEN_FUZZ_CASES` override the seed and the
//! number of cases.

use std::panic::{AssertUnwindSafe, catch_unwind};

use proc_macro2::{Delimiter, Group, Ident, Literal, Punct, Spacing, Span, TokenStream, TokenTree};
use quote::{format_ident, quote};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Valid functions: the attribute's arguments and the function.
const CORPUS: &[(&str, &str)] = &[
    (
        "wrt(p)",
        "fn toy_loss(p: &Toy, x: f64, y: f64) -> f64 {
            let f0 = p.beta[0] + p.omega[0] * x;
            let h1 = f0.sin();
            let f1 = p.beta[1] + p.omega[1] * h1;
            let h2 = f1.exp();
            (f1 + h2 - y).powi(2)
        }",
    ),
    (
        "",
        "fn shadowing(x: f64, y: f64, n: usize) -> f64 {
            let k = n as f64 * SCALE;
            let mut acc = x * y;
            acc += x.sin();
            acc *= k;
            let x = x * x;
            let (a, b) = (acc, x.atan2(y));
            a / b + std::f64::consts::PI
        }",
    ),
    (
        "",
        "pub fn polar(x: f32, y: f32) -> (f32, f32) {
            let r = x.hypot(y);
            (r, y.atan2(x))
        }",
    ),
    (
        "wrt(w, b)",
        "pub(crate) fn neuron<'a>(w: &'a [f64], b: f64, x: &'a [f64]) -> f64 {
            let z = w[0] * x[0] + w[1] * x[1] + b;
            let z = f64::tanh(z);
            -z.clamp(-1.0, 1.0).mul_add(2.0, b)
        }",
    ),
    (
        "",
        "fn generic<T: Real>(x: T, y: T) -> T where T: Copy {
            let s = T::sin(x) * y.exp();
            { let t = s.sqrt(); t / y }
        }",
    ),
    (
        "",
        "fn calls(x: f64, y: f64) -> f64 {
            let a = helper(x, no_grad(y));
            let b = module::other::<f64>(a, 2.0);
            println!(\"{}\", 1);
            return a * b;
        }",
    ),
];

#[test]
fn random_and_mutated_functions_never_panic() {
    let seed = env_number("GRADGEN_FUZZ_SEED").unwrap_or(0x9e37_79b9_7f4a_7c15);
    let cases = env_number("GRADGEN_FUZZ_CASES").unwrap_or(12_000);
    let mut rng = StdRng::seed_from_u64(seed);
    let corpus: Vec<(TokenStream, TokenStream)> = CORPUS
        .iter()
        .map(|(args, item)| {
            (
                args.parse().expect("corpus args lex"),
                item.parse().expect("corpus item lexes"),
            )
        })
        .collect();

    // The corpus itself expands without errors.
    for (args, item) in &corpus {
        let out = crate::expand::differentiable(args.clone(), item.clone());
        assert!(
            !has_compile_error(&out),
            "a corpus function is rejected:\n{item}\n=>\n{out}"
        );
    }

    let mut failures = Vec::new();
    let mut generated = 0;
    for case in 0..cases {
        let (args, item) = match case % 5 {
            0 => {
                let (args, item) = &corpus[rng.random_range(0..corpus.len())];
                let rounds = rng.random_range(1..=4);
                let mut item = item.clone();
                for _ in 0..rounds {
                    item = mutate(&mut rng, item);
                }
                (args.clone(), item)
            }
            1 => (random_args(&mut rng), random_function(&mut rng)),
            2 => (TokenStream::new(), random_function(&mut rng)),
            3 => {
                let item = valid_function(&mut rng);
                if rng.random_bool(0.3) {
                    (TokenStream::new(), mutate(&mut rng, item))
                } else {
                    (TokenStream::new(), item)
                }
            }
            _ => {
                let (_, item) = &corpus[rng.random_range(0..corpus.len())];
                (random_args(&mut rng), mutate(&mut rng, item.clone()))
            }
        };
        match check(args.clone(), item.clone()) {
            Ok(true) => generated += 1,
            Ok(false) => {}
            Err(problem) => failures.push(format!(
                "case {case}: {problem}\nargs: {args}\nitem: {item}"
            )),
        }
        if failures.len() >= 5 {
            break;
        }
    }
    assert!(
        failures.is_empty(),
        "seed {seed:#x}:\n\n{}",
        failures.join("\n\n")
    );
    // The run must exercise the generator, not only the error paths.
    assert!(
        generated >= cases / 8,
        "only {generated} of {cases} inputs gave generated code"
    );
}

/// Expands one input: `Ok(true)` for generated code, `Ok(false)` for errors.
fn check(args: TokenStream, item: TokenStream) -> Result<bool, String> {
    let parses = syn::parse2::<syn::Item>(item.clone()).is_ok();
    let out = catch_unwind(AssertUnwindSafe(|| {
        crate::expand::differentiable(args, item)
    }))
    .map_err(|e| format!("panicked: {}", panic_message(&e)))?;
    if !parses {
        // What is not an item comes back as it was, after the error, for
        // rustc to report as it would without the attribute.
        return if has_compile_error(&out) {
            Ok(false)
        } else {
            Err(format!(
                "an input that is not an item gave no error:\n{out}"
            ))
        };
    }
    let file: syn::File = syn::parse2(out.clone())
        .map_err(|e| format!("the output does not parse as items ({e}):\n{out}"))?;
    if has_compile_error(&out) {
        return Ok(false);
    }
    // Without errors the function comes back with at least its `_vjp`.
    let vjp = file
        .items
        .iter()
        .any(|i| matches!(i, syn::Item::Fn(f) if f.sig.ident.to_string().ends_with("_vjp")));
    if vjp {
        Ok(true)
    } else {
        Err(format!("no errors, and no `_vjp` in the output:\n{out}"))
    }
}

fn has_compile_error(tokens: &TokenStream) -> bool {
    let mut previous_was_name = false;
    for tt in tokens.clone() {
        match &tt {
            TokenTree::Ident(i) => previous_was_name = i == "compile_error",
            TokenTree::Punct(p) if p.as_char() == '!' && previous_was_name => return true,
            TokenTree::Group(g) if has_compile_error(&g.stream()) => return true,
            _ => previous_was_name = false,
        }
    }
    false
}

fn panic_message(e: &Box<dyn std::any::Any + Send>) -> String {
    e.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| e.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(not a string)".to_string())
}

fn env_number(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    match value.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => value.parse().ok(),
    }
}

// ----- mutations ---------------------------------------------------------------

/// One random change somewhere in the token tree.
fn mutate(rng: &mut StdRng, tokens: TokenStream) -> TokenStream {
    let mut trees: Vec<TokenTree> = tokens.into_iter().collect();
    // Descend into a group half of the time, if there is one.
    let groups: Vec<usize> = (0..trees.len())
        .filter(|&i| matches!(trees[i], TokenTree::Group(_)))
        .collect();
    if !groups.is_empty() && rng.random_bool(0.6) {
        let i = groups[rng.random_range(0..groups.len())];
        if let TokenTree::Group(g) = &trees[i] {
            let mut group = Group::new(g.delimiter(), mutate(rng, g.stream()));
            group.set_span(g.span());
            trees[i] = TokenTree::Group(group);
        }
        return trees.into_iter().collect();
    }
    let n = trees.len();
    match rng.random_range(0..6) {
        0 if n > 0 => {
            trees.remove(rng.random_range(0..n));
        }
        1 if n > 0 => {
            let i = rng.random_range(0..n);
            let copy = trees[i].clone();
            trees.insert(i, copy);
        }
        2 if n > 1 => {
            let i = rng.random_range(0..n - 1);
            trees.swap(i, i + 1);
        }
        3 if n > 0 => {
            let i = rng.random_range(0..n);
            trees[i] = random_token(rng);
        }
        4 if n > 0 => {
            // Move a token somewhere else.
            let t = trees.remove(rng.random_range(0..n));
            let j = rng.random_range(0..trees.len() + 1);
            trees.insert(j, t);
        }
        _ => {
            let i = rng.random_range(0..n + 1);
            trees.insert(i, random_token(rng));
        }
    }
    trees.into_iter().collect()
}

fn random_token(rng: &mut StdRng) -> TokenTree {
    const WORDS: &[&str] = &[
        "x", "y", "p", "self", "Self", "f64", "f32", "i32", "usize", "let", "mut", "ref", "fn",
        "return", "if", "else", "match", "for", "in", "while", "loop", "break", "continue", "move",
        "async", "await", "unsafe", "const", "static", "impl", "dyn", "where", "as", "sin", "powi",
        "no_grad", "wrt", "_", "crate", "super", "r#type", "r#try",
    ];
    const PUNCTS: &[char] = &[
        '+', '-', '*', '/', '=', '!', '&', '|', '<', '>', '.', ',', ';', ':', '?', '#', '@', '^',
        '%', '~', '$', '\'',
    ];
    match rng.random_range(0..10) {
        0..=3 => TokenTree::Ident(word(WORDS[rng.random_range(0..WORDS.len())])),
        4..=6 => {
            let spacing = if rng.random_bool(0.3) {
                Spacing::Joint
            } else {
                Spacing::Alone
            };
            TokenTree::Punct(Punct::new(
                PUNCTS[rng.random_range(0..PUNCTS.len())],
                spacing,
            ))
        }
        7 => TokenTree::Literal(match rng.random_range(0..5) {
            0 => Literal::f64_unsuffixed(rng.random_range(-3.0..3.0)),
            1 => Literal::i32_unsuffixed(rng.random_range(-3..10)),
            2 => Literal::string("text {x}"),
            3 => Literal::f32_suffixed(0.5),
            _ => Literal::usize_suffixed(2),
        }),
        _ => {
            let delimiter = [
                Delimiter::Parenthesis,
                Delimiter::Bracket,
                Delimiter::Brace,
                Delimiter::None,
            ][rng.random_range(0..4)];
            let inner = if rng.random_bool(0.5) {
                TokenStream::new()
            } else {
                random_expr(rng, 1)
            };
            TokenTree::Group(Group::new(delimiter, inner))
        }
    }
}

fn word(word: &str) -> Ident {
    match word.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(word, Span::call_site()),
    }
}

// ----- a grammar of functions --------------------------------------------------

/// Attribute arguments: mostly `wrt(...)` of real or unknown names, else garbage.
fn random_args(rng: &mut StdRng) -> TokenStream {
    match rng.random_range(0..10) {
        0 => TokenStream::new(),
        1..=4 => {
            let names: Vec<Ident> = (0..rng.random_range(0..4)).map(|_| arg_name(rng)).collect();
            quote!(wrt(#(#names),*))
        }
        5 => quote!(wrt(x, x)),
        6 => quote!(wrt(x) wrt(y)),
        7 => quote!(wrt = 3),
        8 => quote!(wrt(1, "y", self)),
        _ => (0..rng.random_range(1..6))
            .map(|_| random_token(rng))
            .collect(),
    }
}

fn arg_name(rng: &mut StdRng) -> Ident {
    format_ident!("{}", ["x", "y", "p", "w", "n", "z"][rng.random_range(0..6)])
}

fn random_function(rng: &mut StdRng) -> TokenStream {
    let mut qualifiers = TokenStream::new();
    for q in [
        quote!(pub),
        quote!(const),
        quote!(async),
        quote!(unsafe),
        quote!(extern "C"),
    ] {
        if rng.random_bool(0.06) {
            qualifiers.extend(q);
        }
    }
    let generics = match rng.random_range(0..8) {
        0 => quote!(<T: Real>),
        1 => quote!(<'a, T>),
        2 => quote!(<'a, const N: usize>),
        3 => quote!(<T: Real, U>),
        _ => TokenStream::new(),
    };
    let mut inputs = Vec::new();
    for _ in 0..rng.random_range(0..5) {
        inputs.push(random_input(rng));
    }
    let output = match rng.random_range(0..12) {
        0 => TokenStream::new(),
        1 => quote!(-> impl Fn(f64) -> f64),
        2 => quote!(-> (f64, f64)),
        3 => quote!(-> [f64; 2]),
        4 => quote!(-> T),
        5 => quote!(-> Self),
        6 => quote!(-> &'a f64),
        7 => quote!(-> f32),
        _ => quote!(-> f64),
    };
    let where_clause = if rng.random_bool(0.1) {
        quote!(where T: Copy)
    } else {
        TokenStream::new()
    };
    let attrs = if rng.random_bool(0.1) {
        quote!(#[allow(clippy::too_many_arguments)] #[cfg(test)])
    } else {
        TokenStream::new()
    };
    let body = random_block(rng, 3);
    quote!(#attrs #qualifiers fn f #generics (#(#inputs),*) #output #where_clause #body)
}

/// A function of the supported language only: straight-line scalar code.
fn valid_function(rng: &mut StdRng) -> TokenStream {
    let mut names = vec![format_ident!("x"), format_ident!("y")];
    let mut stmts = Vec::new();
    for i in 0..rng.random_range(1..12) {
        let e = valid_expr(rng, &names, 3);
        let name = if rng.random_bool(0.2) {
            names[rng.random_range(0..names.len())].clone()
        } else {
            format_ident!("v{i}")
        };
        stmts.push(match rng.random_range(0..6) {
            0 if names.contains(&name) && name != "x" && name != "y" => quote!(#name += #e;),
            1 => quote!(let #name: f64 = #e;),
            2 => quote!(let (#name, _) = (#e, 1.0);),
            _ => quote!(let #name = #e;),
        });
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let tail = valid_expr(rng, &names, 2);
    if rng.random_bool(0.2) {
        let other = valid_expr(rng, &names, 1);
        quote!(fn f(x: f64, y: f64, p: &Toy, n: usize) -> (f64, f64) { #(#stmts)* (#tail, #other) })
    } else {
        quote!(fn f(x: f64, y: f64, p: &Toy, n: usize) -> f64 { #(#stmts)* #tail })
    }
}

fn valid_expr(rng: &mut StdRng, names: &[Ident], depth: u32) -> TokenStream {
    if depth == 0 || rng.random_bool(0.3) {
        return match rng.random_range(0..6) {
            0 => quote!(2.5),
            1 => quote!(p.beta[1]),
            2 => quote!((n as f64)),
            _ => {
                let name = &names[rng.random_range(0..names.len())];
                quote!(#name)
            }
        };
    }
    let a = valid_expr(rng, names, depth - 1);
    let b = valid_expr(rng, names, depth - 1);
    let unary = format_ident!(
        "{}",
        [
            "sin", "exp", "tanh", "sqrt", "abs", "ln_1p", "recip", "cbrt"
        ][rng.random_range(0..8)]
    );
    match rng.random_range(0..12) {
        0 => quote!(#a + #b),
        1 => quote!(#a - #b),
        2 => quote!(#a * #b),
        3 => quote!(#a / #b),
        4 => quote!(-#a),
        5 => quote!((#a).#unary()),
        6 => quote!(f64::#unary(#a)),
        7 => quote!((#a).powi(3)),
        8 => quote!((#a).atan2(#b)),
        9 => quote!((#a).clamp(-1.0, 1.0)),
        10 => quote!(no_grad(#a) * #b),
        _ => quote!({ let t = #a; t * #b }),
    }
}

fn random_input(rng: &mut StdRng) -> TokenStream {
    let name = arg_name(rng);
    match rng.random_range(0..16) {
        0 => quote!(self),
        1 => quote!(&self),
        2 => quote!(&mut self),
        3 => quote!(mut #name: f64),
        4 => quote!((a, b): (f64, f64)),
        5 => quote!(_: f64),
        6 => quote!(ref #name: f64),
        7 => quote!(#name: impl Into<f64>),
        8 => quote!(#name: &mut f64),
        9 => quote!(#name: &'a [f64]),
        10 => quote!(#name: T),
        11 => quote!(#name: usize),
        12 => quote!(#name: &Toy),
        13 => quote!(#name: [f64; 3]),
        14 => quote!(#name: fn(&f64) -> f64),
        _ => quote!(#name: f64),
    }
}

fn random_block(rng: &mut StdRng, depth: u32) -> TokenStream {
    let mut stmts = Vec::new();
    for _ in 0..rng.random_range(0..5) {
        stmts.push(random_stmt(rng, depth));
    }
    let tail = if rng.random_bool(0.8) {
        random_expr(rng, depth)
    } else {
        TokenStream::new()
    };
    quote!({ #(#stmts)* #tail })
}

fn random_stmt(rng: &mut StdRng, depth: u32) -> TokenStream {
    let name = arg_name(rng);
    let e = random_expr(rng, depth);
    match rng.random_range(0..12) {
        0..=3 => quote!(let #name = #e;),
        4 => quote!(let mut #name: f64 = #e;),
        5 => quote!(let (#name, _) = #e;),
        6 => quote!(let Some(#name) = #e else { return 0.0; };),
        7 => quote!(#name += #e;),
        8 => quote!(#name = #e;),
        9 => quote!(let #name;),
        10 => quote!(
            fn inner(v: f64) -> f64 {
                v
            }
        ),
        _ => quote!(#e;),
    }
}

/// A random expression; at depth 0 only leaves. Covers every kind of
/// `syn::Expr` (the verbatim and group kinds come from the mutations).
fn random_expr(rng: &mut StdRng, depth: u32) -> TokenStream {
    if depth == 0 || rng.random_bool(0.25) {
        return leaf(rng);
    }
    let d = depth - 1;
    let sub = |rng: &mut StdRng| random_expr(rng, d);
    let a = sub(rng);
    let b = sub(rng);
    let name = arg_name(rng);
    let block = random_block(rng, d);
    let method = format_ident!(
        "{}",
        [
            "sin", "powi", "powf", "clamp", "atan2", "mul_add", "erf", "len", "clone", "sum",
            "iter", "min"
        ][rng.random_range(0..12)]
    );
    match rng.random_range(0..40) {
        0 => quote!([#a, #b]),
        1 => quote!(#name = #a),
        2 => quote!(async { #a }),
        3 => quote!(#a.await),
        4 => quote!(#a + #b),
        5 => quote!(#a * #b),
        6 => quote!(#a - #b / #b),
        7 => block,
        8 => quote!(break),
        9 => quote!(helper(#a, #b)),
        10 => quote!(#a as f32),
        11 => quote!(|v: f64| #a * v),
        12 => quote!(const { 1.0 }),
        13 => quote!(continue),
        14 => quote!(#a.0),
        15 => quote!(for i in 0..3 #block),
        16 => quote!(if #a > #b { #a } else { #b }),
        17 => quote!(#a[0]),
        18 => quote!(_),
        19 => quote!(if let Some(v) = #a { v } else { #b }),
        20 => quote!(loop #block),
        21 => quote!(println!("{}", #a)),
        22 => quote!(match #a { 0 => #b, _ => #a }),
        23 => quote!(#a.#method(#b)),
        24 => quote!((#a)),
        25 => quote!(std::f64::consts::PI),
        26 => quote!(..#a),
        27 => quote!(&raw const #a),
        28 => quote!(&#a),
        29 => quote!([#a; 3]),
        30 => quote!(return #a),
        31 => quote!(Toy { beta: #a, ..Default::default() }),
        32 => quote!(#a?),
        33 => quote!(try { #a }),
        34 => quote!((#a, #b)),
        35 => quote!(-#a),
        36 => quote!(unsafe { #a }),
        37 => quote!(while #a < #b #block),
        38 => quote!(yield #a),
        _ => quote!(f64::#method(#a, #b)),
    }
}

fn leaf(rng: &mut StdRng) -> TokenStream {
    match rng.random_range(0..8) {
        0 => quote!(1.5),
        1 => quote!(2),
        2 => quote!(p.beta[0]),
        3 => quote!(SCALE),
        4 => quote!(no_grad(y)),
        5 => quote!(self),
        _ => {
            let name = arg_name(rng);
            quote!(#name)
        }
    }
}
