//! Expansion snapshots: every `tests/expand/NAME.rs` is expanded and
//! pretty-printed, and must equal `tests/expand/NAME.expanded.rs`, so every
//! change to generated code shows up in review as a diff of readable Rust.
//! Run with `GRADGEN_BLESS=1` to write the snapshots anew.

use std::fs;
use std::path::Path;

use proc_macro2::TokenStream;
use quote::ToTokens;

/// Expands every `#[differentiable]` function of a file, as rustc would.
pub fn expand_file(source: &str) -> String {
    let file: syn::File = match syn::parse_str(source) {
        Ok(file) => file,
        Err(e) => return format!("// the input does not parse: {e}\n"),
    };
    let mut out = syn::File {
        shebang: None,
        attrs: file.attrs.clone(),
        items: Vec::new(),
    };
    for item in file.items {
        match item {
            syn::Item::Fn(mut f) => {
                let position = f
                    .attrs
                    .iter()
                    .position(|a| a.path().is_ident("differentiable"));
                let Some(position) = position else {
                    out.items.push(syn::Item::Fn(f));
                    continue;
                };
                let attr = f.attrs.remove(position);
                let args = match attr.meta {
                    syn::Meta::List(list) => list.tokens,
                    _ => TokenStream::new(),
                };
                let expanded = crate::expand::differentiable(args, f.into_token_stream());
                let parsed: syn::File =
                    syn::parse2(expanded).expect("the expansion parses as items");
                out.items.extend(parsed.items);
            }
            syn::Item::Impl(mut block) => {
                let mut items = Vec::new();
                for item in std::mem::take(&mut block.items) {
                    let syn::ImplItem::Fn(mut f) = item else {
                        items.push(item);
                        continue;
                    };
                    let Some(position) = f
                        .attrs
                        .iter()
                        .position(|a| a.path().is_ident("differentiable"))
                    else {
                        items.push(syn::ImplItem::Fn(f));
                        continue;
                    };
                    let attr = f.attrs.remove(position);
                    let args = match attr.meta {
                        syn::Meta::List(list) => list.tokens,
                        _ => TokenStream::new(),
                    };
                    let expanded = crate::expand::differentiable(args, f.into_token_stream());
                    let wrapped: syn::ItemImpl = syn::parse2(quote::quote!(impl X { #expanded }))
                        .expect("the expansion parses as impl items");
                    items.extend(wrapped.items);
                }
                block.items = items;
                out.items.push(syn::Item::Impl(block));
            }
            other => out.items.push(other),
        }
    }
    prettyplease::unparse(&out)
}

#[test]
fn expansions_match_their_snapshots() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/expand");
    let bless = std::env::var_os("GRADGEN_BLESS").is_some();
    let mut inputs: Vec<_> = fs::read_dir(&dir)
        .expect("tests/expand exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "rs")
                && !p.to_string_lossy().ends_with(".expanded.rs")
        })
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no inputs in {}", dir.display());
    let mut stale = Vec::new();
    for input in inputs {
        let source = fs::read_to_string(&input).expect("readable input");
        let expanded = expand_file(&source);
        let snapshot = input.with_extension("expanded.rs");
        if bless {
            fs::write(&snapshot, &expanded).expect("writable snapshot");
            continue;
        }
        let expected = fs::read_to_string(&snapshot).unwrap_or_default();
        if expected != expanded {
            stale.push(format!(
                "{}\n--- expected\n{expected}\n--- got\n{expanded}",
                snapshot.display()
            ));
        }
    }
    assert!(
        stale.is_empty(),
        "stale snapshots (run with GRADGEN_BLESS=1 to update):\n{}",
        stale.join("\n\n")
    );
}
