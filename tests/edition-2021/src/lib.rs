//! gradgen used from an edition-2021 crate, as a user's crate uses it: the
//! same source as the other edition's crate, `tests/editions/uses.rs`.
//!
//! The pullback of `NAME_vjp` keeps borrows of the arguments; under edition
//! 2021 a returned `impl Trait` captures a borrow only when its bounds say so,
//! which is why the macro writes `+ use<...>`.

include!("../../editions/uses.rs");
