//! The tree of tensors that a model's parameters form.

use num_traits::{Float, Zero};

use crate::Real;

/// What [`Parameters::visit`] calls per leaf: its shape and its elements.
pub type LeafVisitor<'v, 'a, S> = dyn FnMut(&[usize], &'a [S]) + 'v;

/// What [`Parameters::visit_mut`] calls per leaf: its shape and its elements.
pub type LeafVisitorMut<'v, 'a, S> = dyn FnMut(&[usize], &'a mut [S]) + 'v;

/// A model's parameters: a tree of tensors over one scalar type.
///
/// Leaves are scalars, fixed arrays, `Vec`s and (with the tensor rules)
/// ndarray arrays; inner nodes are structs deriving this trait, nested to any
/// depth. Everything that works on "all the parameters" (optimizers,
/// initialisers, checkpoints, gradient norms) is written once against this
/// trait, by visiting the leaves of several values of the same type together:
/// the parameters, their gradient and the optimizer's state. Leaves come in
/// one fixed order (fields in declaration order, elements in index order), so
/// leaf `i` of a gradient belongs to leaf `i` of the parameters.
///
/// Derive it with `#[derive(Parameters)]`:
///
/// ```
/// use gradgen::prelude::*;
///
/// #[derive(Parameters, Clone, Debug, PartialEq)]
/// struct Toy {
///     beta: [f64; 4],
///     omega: [f64; 4],
/// }
///
/// let mut p = Toy { beta: [1.0; 4], omega: [2.0; 4] };
/// let g = Toy { beta: [0.5; 4], omega: [0.25; 4] };
/// // One gradient-descent step, written once for every model:
/// for (phi, grad) in p.leaves_mut().into_iter().zip(g.leaves()) {
///     for (phi, grad) in phi.iter_mut().zip(grad) {
///         *phi -= 0.1 * grad;
///     }
/// }
/// assert_eq!(p.beta[0], 0.95);
/// assert_eq!(p.zeros_like(), Toy { beta: [0.0; 4], omega: [0.0; 4] });
/// ```
pub trait Parameters: Clone {
    /// The scalar type of every leaf.
    type Scalar: Real;

    /// A value of the same shape with every element zero.
    fn zeros_like(&self) -> Self;

    /// Calls `f` once per leaf, in the fixed order, with the leaf's shape
    /// (empty for a scalar) and its elements in row-major order.
    fn visit<'a>(&'a self, f: &mut LeafVisitor<'_, 'a, Self::Scalar>);

    /// Like [`visit`](Parameters::visit), with mutable elements.
    fn visit_mut<'a>(&'a mut self, f: &mut LeafVisitorMut<'_, 'a, Self::Scalar>);

    /// Views a run of values of this type as one run of scalars, when this
    /// type is a scalar. Lets `[f64; N]` and `Vec<f64>` be one leaf each
    /// rather than one leaf per element.
    #[doc(hidden)]
    fn as_scalars(items: &[Self]) -> Option<&[Self::Scalar]>
    where
        Self: Sized,
    {
        let _ = items;
        None
    }

    /// The mutable form of [`as_scalars`](Parameters::as_scalars).
    #[doc(hidden)]
    fn as_scalars_mut(items: &mut [Self]) -> Option<&mut [Self::Scalar]>
    where
        Self: Sized,
    {
        let _ = items;
        None
    }

    /// The leaves, in the fixed order.
    fn leaves(&self) -> Vec<&[Self::Scalar]> {
        let mut out = Vec::new();
        self.visit(&mut |_, leaf| out.push(leaf));
        out
    }

    /// The leaves, mutably, in the fixed order.
    fn leaves_mut(&mut self) -> Vec<&mut [Self::Scalar]> {
        let mut out = Vec::new();
        self.visit_mut(&mut |_, leaf| out.push(leaf));
        out
    }

    /// The shape of every leaf, in the fixed order.
    fn shapes(&self) -> Vec<Vec<usize>> {
        let mut out = Vec::new();
        self.visit(&mut |shape, _| out.push(shape.to_vec()));
        out
    }

    /// The number of scalars in all leaves together.
    fn num_scalars(&self) -> usize {
        let mut n = 0;
        self.visit(&mut |_, leaf| n += leaf.len());
        n
    }

    /// All scalars, leaf after leaf, in one vector.
    fn to_flat(&self) -> Vec<Self::Scalar> {
        let mut out = Vec::with_capacity(self.num_scalars());
        self.visit(&mut |_, leaf| out.extend_from_slice(leaf));
        out
    }

    /// Overwrites every scalar from `flat`, which holds them leaf after leaf
    /// as [`to_flat`](Parameters::to_flat) writes them.
    ///
    /// # Errors
    ///
    /// Returns the number of scalars this value holds when `flat` has a
    /// different length; `self` is left unchanged then.
    fn copy_from_flat(&mut self, flat: &[Self::Scalar]) -> Result<(), usize> {
        let n = self.num_scalars();
        if flat.len() != n {
            return Err(n);
        }
        let mut rest = flat;
        self.visit_mut(&mut |_, leaf| {
            let (head, tail) = rest.split_at(leaf.len());
            leaf.copy_from_slice(head);
            rest = tail;
        });
        Ok(())
    }

    /// The Euclidean norm of all scalars together (the global gradient norm
    /// when `self` is a gradient).
    fn norm(&self) -> Self::Scalar {
        let mut sum = Self::Scalar::zero();
        self.visit(&mut |_, leaf| {
            for &x in leaf {
                sum += x * x;
            }
        });
        sum.sqrt()
    }

    /// Whether every scalar is finite (no NaN, no infinity).
    fn all_finite(&self) -> bool {
        let mut finite = true;
        self.visit(&mut |_, leaf| finite &= leaf.iter().all(|x| x.is_finite()));
        finite
    }
}

macro_rules! scalar_parameters {
    ($($t:ty),*) => {$(
        impl Parameters for $t {
            type Scalar = $t;
            #[inline]
            fn zeros_like(&self) -> Self {
                0.0
            }
            fn visit<'a>(&'a self, f: &mut LeafVisitor<'_, 'a, $t>) {
                f(&[], std::slice::from_ref(self));
            }
            fn visit_mut<'a>(&'a mut self, f: &mut LeafVisitorMut<'_, 'a, $t>) {
                f(&[], std::slice::from_mut(self));
            }
            fn as_scalars(items: &[Self]) -> Option<&[$t]> {
                Some(items)
            }
            fn as_scalars_mut(items: &mut [Self]) -> Option<&mut [$t]> {
                Some(items)
            }
        }
    )*};
}
scalar_parameters!(f32, f64);

/// Visits a run of values: one leaf if they are scalars, their own leaves otherwise.
fn visit_run<'a, T: Parameters>(items: &'a [T], f: &mut LeafVisitor<'_, 'a, T::Scalar>) {
    match T::as_scalars(items) {
        Some(scalars) => f(&[scalars.len()], scalars),
        None => items.iter().for_each(|item| item.visit(f)),
    }
}

fn visit_run_mut<'a, T: Parameters>(items: &'a mut [T], f: &mut LeafVisitorMut<'_, 'a, T::Scalar>) {
    if T::as_scalars(items).is_some() {
        if let Some(scalars) = T::as_scalars_mut(items) {
            f(&[scalars.len()], scalars);
        }
    } else {
        items.iter_mut().for_each(|item| item.visit_mut(f));
    }
}

impl<T: Parameters, const N: usize> Parameters for [T; N] {
    type Scalar = T::Scalar;
    fn zeros_like(&self) -> Self {
        std::array::from_fn(|i| self[i].zeros_like())
    }
    fn visit<'a>(&'a self, f: &mut LeafVisitor<'_, 'a, T::Scalar>) {
        visit_run(self, f);
    }
    fn visit_mut<'a>(&'a mut self, f: &mut LeafVisitorMut<'_, 'a, T::Scalar>) {
        visit_run_mut(self, f);
    }
}

impl<T: Parameters> Parameters for Vec<T> {
    type Scalar = T::Scalar;
    fn zeros_like(&self) -> Self {
        self.iter().map(Parameters::zeros_like).collect()
    }
    fn visit<'a>(&'a self, f: &mut LeafVisitor<'_, 'a, T::Scalar>) {
        visit_run(self, f);
    }
    fn visit_mut<'a>(&'a mut self, f: &mut LeafVisitorMut<'_, 'a, T::Scalar>) {
        visit_run_mut(self, f);
    }
}

impl<T: Parameters> Parameters for Box<T> {
    type Scalar = T::Scalar;
    fn zeros_like(&self) -> Self {
        Box::new((**self).zeros_like())
    }
    fn visit<'a>(&'a self, f: &mut LeafVisitor<'_, 'a, T::Scalar>) {
        (**self).visit(f);
    }
    fn visit_mut<'a>(&'a mut self, f: &mut LeafVisitorMut<'_, 'a, T::Scalar>) {
        (**self).visit_mut(f);
    }
}

/// An owned ndarray array is one leaf: its shape and its elements in
/// row-major order.
///
/// Every array gradgen makes (zeros, gradients, optimizer state) is in
/// standard (row-major) layout, so the leaves of parameters, gradient and
/// state line up element by element. An array in another layout (built from
/// a transposed view, or in column-major order) is first reordered into
/// standard layout by [`visit_mut`](Parameters::visit_mut), which every
/// optimizer and initialiser calls, so it is row-major from then on. Before
/// that, [`visit`](Parameters::visit) gives such an array's elements in
/// memory order when they are contiguous (column-major order for a
/// column-major array), and no elements (an empty leaf of its shape) when
/// they are not, since a shared borrow cannot reorder them.
///
/// ```
/// use gradgen::ndarray::{array, Array2, ShapeBuilder};
/// use gradgen::prelude::*;
///
/// let w = array![[1.0, 2.0], [3.0, 4.0]];
/// assert_eq!(w.shapes(), vec![vec![2, 2]]);
/// assert_eq!(w.to_flat(), vec![1.0, 2.0, 3.0, 4.0]);
///
/// // A column-major array is row-major after its first mutable visit.
/// let mut f = Array2::<f64>::zeros((2, 2).f());
/// f.assign(&w);
/// f.visit_mut(&mut |_, leaf| leaf.iter_mut().for_each(|x| *x *= 10.0));
/// assert!(f.is_standard_layout());
/// assert_eq!(f.to_flat(), vec![10.0, 20.0, 30.0, 40.0]);
/// ```
impl<A: Real, D: ndarray::Dimension> Parameters for ndarray::Array<A, D> {
    type Scalar = A;

    /// Zeros of the same shape, in standard layout.
    fn zeros_like(&self) -> Self {
        ndarray::Array::zeros(self.raw_dim())
    }

    fn visit<'a>(&'a self, f: &mut LeafVisitor<'_, 'a, A>) {
        let elements = match self.as_slice() {
            Some(row_major) => row_major,
            None => self.as_slice_memory_order().unwrap_or(&[]),
        };
        f(self.shape(), elements);
    }

    fn visit_mut<'a>(&'a mut self, f: &mut LeafVisitorMut<'_, 'a, A>) {
        if !self.is_standard_layout() {
            *self = self.as_standard_layout().into_owned();
        }
        let dim = self.raw_dim();
        match self.as_slice_mut() {
            Some(row_major) => f(dim.slice(), row_major),
            // Unreachable: a standard-layout array is a contiguous slice.
            None => f(dim.slice(), &mut []),
        }
    }
}
