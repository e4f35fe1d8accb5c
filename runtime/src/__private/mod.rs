//! What generated code calls. Not a public API: names here change freely.
//!
//! Generated code names everything here by absolute path through the facade
//! (`::gradgen::__private`), so it never depends on a user's imports.

pub(crate) mod array;
mod ops;
mod rules;
mod slots;
mod tensor;

pub use crate as runtime;
pub use crate::{Differentiable, Grad};

pub use array::{ArrayLike, Operand, Reuse, reuse};
pub use ops::{
    AddArrayTape, AddFwd, AddTape, DivArrayTape, DivFwd, DivTape, MulArrayTape, MulFwd, MulTape,
    OutArray, OutDim, ReduceTo, ShapeTape, Shaped, SubArrayTape, SubFwd, SubTape, add, add_shapes,
    add_tape, div, div_tape, mul, mul_tape, sub, sub_shapes, sub_tape,
};
pub use rules::*;
pub use slots::{
    Accumulate, Dropped, IntoSlot, Keep, Kept, NoGrad, ScalarResult, Slot, acc, complete_tangent,
    empty_tangent, filled, one, ready_to_index, seed, slot, zero_like,
};
pub use tensor::*;

mod early;
pub use crate::__gradgen_bail as bail;
pub use early::{Ends, Finished, diverged, finished, first_index, last_index, never};
