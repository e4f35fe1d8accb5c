//! The derivative rules: one entry per primitive.
//!
//! An entry names the method, says which of its inputs are differentiable,
//! what its reverse step reads from the forward sweep, and the adjoint of
//! each differentiable input as a formula (for the generated docs). The
//! reverse step itself is the runtime function `::gradgen::__private::d_NAME`,
//! whose trait impls cover every scalar (and array) type, so one entry serves
//! them all. Its arguments are the adjoint of the result and then, by
//! reference, what `saves` lists; it returns one adjoint per differentiable
//! input (a tuple when there are several).

/// What a reverse step reads from the forward sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Saved {
    /// Input `i` (the receiver is 0), by reference.
    Input(usize),
    /// Input `i`, a constant passed by value (`powi`'s exponent, an `Axis`).
    Value(usize),
    /// The result.
    Output,
    /// The shape of input `i`, taken before the forward call consumes it.
    Dim(usize),
}

/// A derivative rule of a method.
#[derive(Debug)]
pub struct Rule {
    /// The method's name.
    pub name: &'static str,
    /// The number of inputs, receiver included.
    pub arity: usize,
    /// The inputs that carry no derivative: integers, axes, indices, shapes.
    pub constant: &'static [usize],
    /// What the reverse step reads.
    pub saves: &'static [Saved],
    /// The adjoint of each differentiable input, in input order: `{d}` is
    /// the adjoint of the result, `{0}`, `{1}`, ... the inputs, `{y}` the result.
    pub math: &'static [&'static str],
    /// The runtime function of the reverse step (`d_sin`); a rule of several
    /// differentiable inputs has one per input, suffixed `_0`, `_1`, ...
    pub function: &'static str,
    /// Whether the method returns an `Option` or `Result` that the user
    /// unwraps in place (`x.mean().unwrap()`).
    pub unwraps: bool,
}

impl Rule {
    /// Whether input `i` carries a derivative.
    pub fn differentiable(&self, i: usize) -> bool {
        !self.constant.contains(&i)
    }
}

use Saved::{Dim, Input, Output, Value};

macro_rules! rules {
    ($($name:ident / $arity:literal $(const($($c:literal),*))? $({$flag:ident})?:
        [$($saved:expr),*] => [$($math:literal),+] $(as $function:ident)?;)*) => {
        /// Every rule, by method name.
        pub static RULES: &[Rule] = &[$(Rule {
            name: stringify!($name),
            arity: $arity,
            constant: &[$($($c),*)?],
            saves: &[$($saved),*],
            math: &[$($math),+],
            function: rules!(@function $name $($function)?),
            unwraps: rules!(@flag $($flag)?),
        }),*];
    };
    (@function $name:ident) => { concat!("d_", stringify!($name)) };
    (@function $name:ident $function:ident) => { stringify!($function) };
    (@flag) => { false };
    (@flag unwrap) => { true };
}

rules! {
    // Float methods, on scalars and elementwise on arrays.
    sin/1: [Input(0)] => ["{d} * cos({0})"];
    cos/1: [Input(0)] => ["-{d} * sin({0})"];
    tan/1: [Output] => ["{d} * (1 + {y}^2)"];
    asin/1: [Input(0)] => ["{d} / sqrt(1 - {0}^2)"];
    acos/1: [Input(0)] => ["-{d} / sqrt(1 - {0}^2)"];
    atan/1: [Input(0)] => ["{d} / (1 + {0}^2)"];
    atan2/2: [Input(0), Input(1)] => ["{d} * {1} / ({0}^2 + {1}^2)", "-{d} * {0} / ({0}^2 + {1}^2)"];
    sinh/1: [Input(0)] => ["{d} * cosh({0})"];
    cosh/1: [Input(0)] => ["{d} * sinh({0})"];
    tanh/1: [Output] => ["{d} * (1 - {y}^2)"];
    asinh/1: [Input(0)] => ["{d} / sqrt({0}^2 + 1)"];
    acosh/1: [Input(0)] => ["{d} / sqrt({0}^2 - 1)"];
    atanh/1: [Input(0)] => ["{d} / (1 - {0}^2)"];
    exp/1: [Output] => ["{d} * {y}"];
    exp2/1: [Output] => ["{d} * {y} * ln(2)"];
    exp_m1/1: [Output] => ["{d} * ({y} + 1)"];
    ln/1: [Input(0)] => ["{d} / {0}"];
    log/2: [Input(0), Input(1), Output] => ["{d} / ({0} * ln({1}))", "-{d} * {y} / ({1} * ln({1}))"];
    log2/1: [Input(0)] => ["{d} / ({0} * ln(2))"];
    log10/1: [Input(0)] => ["{d} / ({0} * ln(10))"];
    ln_1p/1: [Input(0)] => ["{d} / (1 + {0})"];
    sqrt/1: [Output] => ["{d} / (2 * {y})"];
    cbrt/1: [Output] => ["{d} / (3 * {y}^2)"];
    powi/2 const(1): [Input(0), Value(1)] => ["{d} * {1} * {0}^({1} - 1)"];
    powf/2: [Input(0), Input(1), Output] => ["{d} * {1} * {0}^({1} - 1)", "{d} * {y} * ln({0})"];
    recip/1: [Output] => ["-{d} * {y}^2"];
    abs/1: [Input(0)] => ["{d} * sign({0})"];
    signum/1: [Input(0)] => ["0"];
    hypot/2: [Input(0), Input(1), Output] => ["{d} * {0} / {y}", "{d} * {1} / {y}"];
    min/2: [Input(0), Input(1)] => ["{d} where {0} < {1}, {d}/2 where equal, else 0", "{d} where {1} < {0}, {d}/2 where equal, else 0"];
    max/2: [Input(0), Input(1)] => ["{d} where {0} > {1}, {d}/2 where equal, else 0", "{d} where {1} > {0}, {d}/2 where equal, else 0"];
    clamp/3: [Input(0), Input(1), Input(2)] => ["{d} where {1} <= {0} <= {2}, else 0", "{d} where {0} < {1}, else 0", "{d} where {0} > {2}, else 0"];
    mul_add/3: [Input(0), Input(1)] => ["{d} * {1}", "{d} * {0}", "{d}"];

    // Copies and views: the same values.
    clone/1: [] => ["{d}"] as d_identity;
    to_owned/1: [] => ["{d}"] as d_identity;
    into_owned/1: [] => ["{d}"] as d_identity;
    view/1: [] => ["{d}"] as d_identity;

    // ndarray: products, reductions, shapes and selections.
    dot/2: [Input(0), Input(1)] => ["{d} · {1}ᵀ", "{0}ᵀ · {d}"];
    t/1: [Input(0)] => ["{d}ᵀ"];
    sum/1: [Input(0)] => ["{d}, in every element of {0}"];
    mean/1 {unwrap}: [Input(0)] => ["{d} / n, in every element of {0}"];
    sum_axis/2 const(1): [Input(0), Value(1)] => ["{d}, repeated along {1}"];
    mean_axis/2 const(1) {unwrap}: [Input(0), Value(1)] => ["{d} / n, repeated along {1}"];
    insert_axis/2 const(1): [Value(1)] => ["{d} without {1}"];
    to_shape/2 const(1) {unwrap}: [Input(0)] => ["{d} in the shape of {0}"];
    into_shape_with_order/2 const(1) {unwrap}: [Dim(0)] => ["{d} in the shape of {0}"];
    slice/2 const(1): [Input(0), Value(1)] => ["{d} in the slice {1} of {0}, 0 elsewhere"];
    row/2 const(1): [Input(0), Value(1)] => ["{d} in row {1}, 0 elsewhere"];
    column/2 const(1): [Input(0), Value(1)] => ["{d} in column {1}, 0 elsewhere"];
    select/3 const(1, 2): [Input(0), Value(1), Input(2)] => ["{d} added into the rows {2} along {1}"];
}

/// Methods whose result is a view of their receiver: cheap to make again,
/// and not to be kept apart from what they borrow.
pub const VIEWS: &[&str] = &[
    "view",
    "t",
    "slice",
    "row",
    "column",
    "to_shape",
    "insert_axis",
];

/// The rule of a method, if it has one.
pub fn lookup(name: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.name == name)
}

/// Methods whose result carries no derivative: shape queries and tests.
/// They pass through as written, even on active values.
pub const CONSTANT_METHODS: &[&str] = &[
    "len",
    "is_empty",
    "shape",
    "dim",
    "ndim",
    "nrows",
    "ncols",
    "raw_dim",
    "is_nan",
    "is_finite",
    "is_infinite",
    "is_normal",
    "is_sign_positive",
    "is_sign_negative",
    "partial_cmp",
    "total_cmp",
    "to_bits",
    "floor",
    "ceil",
    "round",
    "trunc",
];

/// Methods of floats and arrays that have no rule: a call of one of them on
/// a value with a derivative is the rule error, not a call of a
/// differentiable method of the user's.
pub const WITHOUT_RULES: &[&str] = &[
    "iter",
    "iter_mut",
    "into_iter",
    "fold",
    "map",
    "map_inplace",
    "mapv_inplace",
    "mapv_into",
    "zip_mut_with",
    "for_each",
    "axis_iter",
    "outer_iter",
    "rows",
    "columns",
    "lanes",
    "indexed_iter",
    "assign",
    "fill",
    "get",
    "first",
    "last",
    "windows",
    "exact_chunks",
    "product",
    "var",
    "std",
    "var_axis",
    "std_axis",
    "sort",
    "powc",
    "sin_cos",
    "to_degrees",
    "to_radians",
    "fract",
    "rem_euclid",
    "div_euclid",
    "copysign",
    "abs_sub",
    "to_vec",
    "into_raw_vec",
    "as_slice",
    "reversed_axes",
    "permuted_axes",
    "swap_axes",
    "broadcast",
    "split_at",
    "accumulate_axis_inplace",
];

/// The formula of the adjoint of `+ - * /` and unary `-` (for the docs).
pub fn operator_math(op: crate::ir::BinOp) -> [&'static str; 2] {
    use crate::ir::BinOp::*;
    match op {
        Add => ["{d}", "{d}"],
        Sub => ["{d}", "-{d}"],
        Mul => ["{d} * {1}", "{d} * {0}"],
        Div => ["{d} / {1}", "-{d} * {0} / {1}^2"],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_consistent() {
        for rule in RULES {
            let differentiable = (0..rule.arity).filter(|&i| rule.differentiable(i)).count();
            assert_eq!(differentiable, rule.math.len(), "{}", rule.name);
            for saved in rule.saves {
                if let Input(i) | Value(i) | Dim(i) = saved {
                    assert!(*i < rule.arity, "{}", rule.name);
                }
            }
            for c in rule.constant {
                assert!(*c < rule.arity, "{}", rule.name);
            }
            assert_eq!(lookup(rule.name).map(|r| r.name), Some(rule.name));
        }
    }
}
