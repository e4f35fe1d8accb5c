//! Tests of the expansion itself, without rustc: snapshots of what the macro
//! writes, and inputs that must give code or spanned errors, never a panic.

mod fuzz;
mod snapshot;
