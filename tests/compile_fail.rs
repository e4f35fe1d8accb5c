//! The compile errors a user meets, one file per mistake under `tests/ui/`,
//! each with the compiler's output as a `.stderr` snapshot beside it.
//! Regenerate the snapshots with `TRYBUILD=overwrite cargo test --test compile_fail`
//! and read every changed one: the error must point at the offending code and
//! say what to write instead.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
