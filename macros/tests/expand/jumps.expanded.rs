/// `continue`, `break` and a `return` from inside a loop.
fn newton_sqrt(a: f64) -> f64 {
    let mut x = a;
    for k in 0..100 {
        if k % 2 == 1 {
            continue;
        }
        let next = 0.5 * (x + a / x);
        if (next - x).abs() < 1e-12 {
            return next;
        }
        x = next;
        if x > 1e6 {
            break;
        }
    }
    x
}
#[doc(hidden)]
#[allow(non_camel_case_types, dead_code)]
struct newton_sqrt {}
#[allow(
    dead_code,
    unused_variables,
    unused_mut,
    unused_parens,
    unused_assignments,
    unreachable_code,
    clippy::diverging_sub_expression,
    clippy::too_many_arguments,
    clippy::double_parens,
    clippy::let_and_return,
    clippy::redundant_locals,
    clippy::clone_on_copy,
    clippy::redundant_clone,
    clippy::neg_cmp_op_on_partial_ord,
    clippy::nonminimal_bool,
    clippy::let_unit_value,
    clippy::unused_unit
)]
impl newton_sqrt {
    ///The composition entry point of [`newton_sqrt`](newton_sqrt): runs the forward pass and the backward pass for the adjoint `d_t6` of the result, adds the adjoint of every argument into its slot, and returns the value.
    #[inline]
    pub fn reverse<K: ::gradgen::__private::Keep<f64>>(
        a: f64,
        d_t6: f64,
        d_a: ::gradgen::__private::Slot<'_, f64>,
    ) -> K {
        use ::gradgen::__private as gg;
        let _ = newton_sqrt;
        let mut result: f64 = ::core::default::Default::default();
        let mut returned = false;
        let mut result_4 = result;
        let mut returned_5 = returned;
        let mut x_3 = a;
        let items = ::core::iter::IntoIterator::into_iter(0..100);
        let mut stack = ::std::vec::Vec::with_capacity(
            ::core::iter::Iterator::size_hint(&items).0,
        );
        for item in items {
            let k = ::core::clone::Clone::clone(&item);
            let result_1 = result_4;
            let returned_1 = returned_5;
            let x = x_3;
            let t0 = k % 2 == 1;
            let (exit_2, result_3, returned_4, x_2, arm0_1, arm1_1) = if t0 {
                (
                    false,
                    result_1,
                    returned_1,
                    ::core::clone::Clone::clone(&x),
                    ::core::option::Option::Some(()),
                    ::core::option::Option::None,
                )
            } else {
                let t1 = gg::div(a, gg::reuse(&x)).0;
                let t2_shapes = gg::add_shapes(&x, &t1);
                let t2 = gg::add(gg::reuse(&x), t1).0;
                let next = gg::mul(0.5, gg::reuse(&t2)).0;
                let t3 = (next - x).abs() < 1e-12;
                let (exit_1, result_2, returned_3, x_1, arm0, arm1) = if t3 {
                    let mut returned_2 = true;
                    (
                        true,
                        next,
                        returned_2,
                        ::core::clone::Clone::clone(&x),
                        ::core::option::Option::Some(()),
                        ::core::option::Option::None,
                    )
                } else {
                    let t4 = next > 1e6;
                    let exit = if t4 { true } else { false };
                    (
                        exit,
                        result_1,
                        returned_1,
                        next,
                        ::core::option::Option::None,
                        ::core::option::Option::Some(()),
                    )
                };
                (
                    exit_1,
                    result_2,
                    returned_3,
                    x_1,
                    ::core::option::Option::None,
                    ::core::option::Option::Some((t2_shapes, t2, next, t3, arm0, arm1)),
                )
            };
            result_4 = result_3;
            returned_5 = returned_4;
            x_3 = x_2;
            stack.push((item, result_1, x, t0, arm0_1, arm1_1));
            if exit_2 {
                break;
            }
        }
        let t5 = returned_5;
        let (t6, arm0_2, arm1_2) = if t5 {
            (
                ::core::clone::Clone::clone(&result_4),
                ::core::option::Option::Some(()),
                ::core::option::Option::None,
            )
        } else {
            (
                ::core::clone::Clone::clone(&x_3),
                ::core::option::Option::None,
                ::core::option::Option::Some(()),
            )
        };
        let mut d_a_scratch = ::core::option::Option::None;
        let d_a = d_a.or_scratch(&mut d_a_scratch, &a);
        let mut d_result_4 = gg::zero_like(&result_4);
        let mut d_x_3 = gg::zero_like(&x_3);
        if t5 {
            let ::core::option::Option::Some(()) = arm0_2 else {
                ::core::unreachable!("the arm taken kept its values")
            };
            gg::acc(&mut d_result_4, d_t6);
        } else {
            let ::core::option::Option::Some(()) = arm1_2 else {
                ::core::unreachable!("the arm taken kept its values")
            };
            gg::acc(&mut d_x_3, d_t6);
        }
        let mut d_result_1_next = d_result_4;
        let mut d_x_next = d_x_3;
        while let ::core::option::Option::Some(
            (item, result_1, x, t0, arm0_1, arm1_1),
        ) = stack.pop()
        {
            let k = item;
            let mut d_result_3 = d_result_1_next;
            let mut d_x_2 = d_x_next;
            let mut d_result_1 = gg::zero_like(&result_1);
            let mut d_x = gg::zero_like(&x);
            if t0 {
                let ::core::option::Option::Some(()) = arm0_1 else {
                    ::core::unreachable!("the arm taken kept its values")
                };
                gg::acc(&mut d_result_1, d_result_3);
                gg::acc(&mut d_x, d_x_2);
            } else {
                let ::core::option::Option::Some(
                    (t2_shapes, t2, next, t3, arm0, arm1),
                ) = arm1_1 else {
                    ::core::unreachable!("the arm taken kept its values")
                };
                let mut d_result_2 = d_result_3;
                let mut d_x_1 = d_x_2;
                let mut d_next = gg::zero_like(&next);
                if t3 {
                    let ::core::option::Option::Some(()) = arm0 else {
                        ::core::unreachable!("the arm taken kept its values")
                    };
                    gg::acc(&mut d_next, d_result_2);
                    gg::acc(&mut d_x, d_x_1);
                } else {
                    let ::core::option::Option::Some(()) = arm1 else {
                        ::core::unreachable!("the arm taken kept its values")
                    };
                    gg::acc(&mut d_result_1, d_result_2);
                    gg::acc(&mut d_next, d_x_1);
                }
                let next_tape = gg::mul_tape(0.5, gg::reuse(&t2));
                let mut d_t2 = next_tape.rhs(&d_next);
                gg::acc(&mut d_x, t2_shapes.lhs(&d_t2));
                let mut d_t1 = t2_shapes.rhs_owned(d_t2);
                let t1_tape = gg::div_tape(a, gg::reuse(&x));
                gg::acc(&mut *d_a, t1_tape.lhs(&d_t1));
                gg::acc(&mut d_x, t1_tape.rhs(&d_t1));
            }
            d_result_1_next = d_result_1;
            d_x_next = d_x;
        }
        gg::acc(&mut *d_a, d_x_next);
        K::keep(move || t6)
    }
}
/** The value of [`newton_sqrt`](newton_sqrt) and its pullback (vector-Jacobian product) with respect to `a`.

 Returns `(newton_sqrt(a), pullback)`: `pullback(d)` returns the adjoints of `a` for an adjoint `d` of the result, shaped as the arguments. Generated by `#[differentiable]`.

 The derivation is in the documentation of [`newton_sqrt_grad`](newton_sqrt_grad).*/
#[allow(
    dead_code,
    clippy::type_complexity,
    clippy::double_must_use,
    clippy::needless_arbitrary_self_type
)]
#[must_use]
fn newton_sqrt_vjp(a: f64) -> (f64, impl ::core::ops::FnOnce(f64) -> f64 + use<>) {
    let value = newton_sqrt(a);
    (
        value,
        move |d_value| {
            let mut d_a = ::gradgen::__private::empty_tangent(&a);
            let ::gradgen::__private::Dropped = newton_sqrt::reverse(
                a,
                d_value,
                ::gradgen::__private::slot(&mut d_a),
            );
            ::gradgen::__private::complete_tangent(&a, &mut d_a);
            d_a
        },
    )
}
/** The value of [`newton_sqrt`](newton_sqrt) and its gradient with respect to `a`.

 Returns `(newton_sqrt(a), gradient)`; the gradient of an argument has the type of what it differentiates (`&P` gives a `P`). Generated by `#[differentiable]`.

 # Derivation

 The forward pass, one step per line:

 ```text
 result = :: core :: default :: Default :: default ()
 returned = false
 for k in 0 .. 100:
     result_1 = result (on the first pass)
     returned_1 = returned (on the first pass)
     x = a (on the first pass)
     t0 = k % 2 == 1
     if t0:
         exit_2 = false
         result_3 = result_1
         returned_4 = returned_1
         x_2 = x
     else:
         t1 = a / x
         t2 = x + t1
         next = 0.5 * t2
         t3 = (next - x) . abs () < 1e-12
         if t3:
             returned_2 = true
             exit_1 = true
             result_2 = next
             returned_3 = returned_2
             x_1 = x
         else:
             t4 = next > 1e6
             if t4:
                 exit = true
             else:
                 exit = false
             exit_1 = exit
             result_2 = result_1
             returned_3 = returned_1
             x_1 = next
         exit_2 = exit_1
         result_3 = result_2
         returned_4 = returned_3
         x_2 = x_1
     result_1 = result_3 (into the next pass)
     returned_1 = returned_4 (into the next pass)
     x = x_2 (into the next pass)
     leave the loop if exit_2
 result_4 = result_1
 returned_5 = returned_1
 x_3 = x
 t5 = returned_5
 if t5:
     t6 = result_4
 else:
     t6 = x_3
 result = t6
 ```

 The backward pass, in the order the chain rule runs, where `d_v` is the derivative of the result with respect to `v`:

 ```text
 d_t6 = 1
 if t5:
     d_result_4 = d_t6
 else:
     d_x_3 = d_t6
 for k in 0 .. 100, last pass first:
     d_result_3 = d_result_1 (from the next pass)
     d_x_2 = d_x (from the next pass)
     if t0:
         d_result_1 = d_result_3
         d_x = d_x_2
     else:
         d_result_2 = d_result_3
         d_x_1 = d_x_2
         if t3:
             d_next = d_result_2
             d_x += d_x_1
         else:
             d_result_1 += d_result_2
             d_next += d_x_1
             if t4:
             else:
         d_t2 = d_next * 0.5
         d_x += d_t2
         d_t1 = d_t2
         d_a += d_t1 / x
         d_x += -d_t1 * a / x^2
 d_a += d_x (of the first pass)
 ```*/
#[allow(dead_code, clippy::type_complexity)]
fn newton_sqrt_grad(a: f64) -> (f64, f64) {
    let mut d_a = ::gradgen::__private::empty_tangent(&a);
    let ::gradgen::__private::Kept(value) = newton_sqrt::reverse(
        a,
        ::gradgen::__private::one(),
        ::gradgen::__private::slot(&mut d_a),
    );
    ::gradgen::__private::complete_tangent(&a, &mut d_a);
    (value, d_a)
}
