//! `#[derive(Parameters)]`: visit the fields in declaration order.

use proc_macro2::TokenStream;
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Index, Member};

struct Field<'a> {
    member: Member,
    ty: &'a syn::Type,
    skip: bool,
}

pub fn expand(input: &DeriveInput) -> syn::Result<TokenStream> {
    let fields = fields(input)?;
    let name = &input.ident;
    let krate = quote!(::gradgen::__private::runtime);
    let params: Vec<&Field> = fields.iter().filter(|f| !f.skip).collect();
    let Some(first) = params.first() else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "`Parameters` needs at least one field that is a parameter",
        ));
    };
    let first_ty = first.ty;
    let scalar = quote!(<#first_ty as #krate::Parameters>::Scalar);

    // Bounds only for fields whose type names a type parameter: bounds on
    // concrete types are checked where the fields are used, and rustc
    // overflows on bounds that restate an impl it is in the middle of.
    let type_params: Vec<&syn::Ident> = input.generics.type_params().map(|p| &p.ident).collect();
    let mentions_param = |ty: &syn::Type| {
        ty.to_token_stream()
            .into_iter()
            .any(|t| matches!(&t, proc_macro2::TokenTree::Ident(i) if type_params.contains(&i)))
    };
    let mut generics = input.generics.clone();
    let where_clause = generics.make_where_clause();
    for (i, field) in params.iter().enumerate() {
        let ty = field.ty;
        if !mentions_param(ty) {
            continue;
        }
        let bound = if i == 0 {
            quote!(#krate::Parameters)
        } else {
            quote!(#krate::Parameters<Scalar = #scalar>)
        };
        where_clause
            .predicates
            .push(syn::parse_quote_spanned!(ty.span()=> #ty: #bound));
    }
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();

    let zeros = fields.iter().map(|f| {
        let member = &f.member;
        if f.skip {
            quote!(#member: ::core::clone::Clone::clone(&self.#member))
        } else {
            quote_spanned!(f.ty.span()=> #member: #krate::Parameters::zeros_like(&self.#member))
        }
    });
    let empties = fields.iter().map(|f| {
        let member = &f.member;
        if f.skip {
            quote!(#member: ::core::clone::Clone::clone(&self.#member))
        } else {
            quote_spanned!(f.ty.span()=> #member: #krate::Differentiable::empty_tangent(&self.#member))
        }
    });
    let completes = params.iter().map(|f| {
        let member = &f.member;
        quote!(#krate::Differentiable::complete_tangent(&self.#member, &mut tangent.#member);)
    });
    let visits = params.iter().map(|f| {
        let member = &f.member;
        quote!(#krate::Parameters::visit(&self.#member, f);)
    });
    let visits_mut = params.iter().map(|f| {
        let member = &f.member;
        quote!(#krate::Parameters::visit_mut(&mut self.#member, f);)
    });
    let f = format_ident!("f");

    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics #krate::Parameters for #name #ty_generics #where_clause {
            type Scalar = #scalar;
            fn zeros_like(&self) -> Self {
                Self { #(#zeros,)* }
            }
            fn visit<'a>(&'a self, #f: &mut #krate::LeafVisitor<'_, 'a, Self::Scalar>) {
                #(#visits)*
            }
            fn visit_mut<'a>(&'a mut self, #f: &mut #krate::LeafVisitorMut<'_, 'a, Self::Scalar>) {
                #(#visits_mut)*
            }
        }

        #[automatically_derived]
        impl #impl_generics #krate::Differentiable for #name #ty_generics #where_clause {
            type Tangent = Self;
            fn zero_tangent(&self) -> Self {
                #krate::Parameters::zeros_like(self)
            }
            fn empty_tangent(&self) -> Self {
                Self { #(#empties,)* }
            }
            fn complete_tangent(&self, tangent: &mut Self) {
                #(#completes)*
            }
        }
    })
}

fn fields(input: &DeriveInput) -> syn::Result<Vec<Field<'_>>> {
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            &input.ident,
            "`Parameters` can be derived for structs only: put the tensors of an enum's variants in a struct",
        ));
    };
    let raw: Vec<(Member, &syn::Field)> = match &data.fields {
        Fields::Named(named) => named
            .named
            .iter()
            .filter_map(|f| f.ident.clone().map(|i| (Member::Named(i), f)))
            .collect(),
        Fields::Unnamed(unnamed) => unnamed
            .unnamed
            .iter()
            .enumerate()
            .map(|(i, f)| (Member::Unnamed(Index::from(i)), f))
            .collect(),
        Fields::Unit => Vec::new(),
    };
    let mut errors: Option<syn::Error> = None;
    let mut out = Vec::new();
    for (member, field) in raw {
        let mut skip = false;
        for attr in field
            .attrs
            .iter()
            .filter(|a| a.path().is_ident("parameters"))
        {
            let parsed = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident("skip") {
                    skip = true;
                    Ok(())
                } else {
                    Err(meta.error("unknown option: the only option is `#[parameters(skip)]`"))
                }
            });
            if let Err(e) = parsed {
                match &mut errors {
                    Some(all) => all.combine(e),
                    None => errors = Some(e),
                }
            }
        }
        out.push(Field {
            member,
            ty: &field.ty,
            skip,
        });
    }
    match errors {
        Some(e) => Err(e),
        None => Ok(out),
    }
}
