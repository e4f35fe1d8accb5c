//! The generated gradient of scalar code allocates nothing: a counting
//! global allocator watches `toy_loss_grad`, and `toy_loss_vjp` with its
//! pullback, on the lecture's toy chain.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

use gradgen::prelude::*;

/// The system allocator, counting the allocations of each thread (tests
/// run on several threads; each counts only its own).
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counter is a const-initialised thread-local `Cell`, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller upholds `GlobalAlloc::dealloc`'s contract.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// How many allocations `f` makes on this thread, and its result.
fn allocations<R>(f: impl FnOnce() -> R) -> (usize, R) {
    let before = ALLOCATIONS.with(Cell::get);
    let result = f();
    (ALLOCATIONS.with(Cell::get) - before, result)
}

#[derive(Parameters, Clone, Debug, PartialEq)]
struct Toy {
    beta: [f64; 4],
    omega: [f64; 4],
}

#[differentiable(wrt(p))]
fn toy_loss(p: &Toy, x: f64, y: f64) -> f64 {
    let f0 = p.beta[0] + p.omega[0] * x;
    let h1 = f0.sin();
    let f1 = p.beta[1] + p.omega[1] * h1;
    let h2 = f1.exp();
    let f2 = p.beta[2] + p.omega[2] * h2;
    let h3 = f2.cos();
    let f3 = p.beta[3] + p.omega[3] * h3;
    (f3 - y).powi(2)
}

fn toy() -> Toy {
    Toy {
        beta: [1.0, 2.0, -3.0, 0.4],
        omega: [0.1, -0.4, 2.0, 3.0],
    }
}

#[test]
fn the_counter_sees_an_allocation() {
    // Without this the other tests would pass with a counter that counts nothing.
    let (n, v) = allocations(|| black_box(vec![1.0_f64; 8]));
    assert!(n >= 1, "a Vec of 8 floats made {n} allocations");
    assert_eq!(v.len(), 8);
}

#[test]
fn grad_allocates_nothing() {
    let p = toy();
    let (n, (loss, g)) =
        allocations(|| toy_loss_grad(black_box(&p), black_box(2.3), black_box(2.0)));
    assert_eq!(n, 0, "toy_loss_grad allocated {n} times");
    // The gradient is real work, not optimised away: the lecture's dl/db3.
    assert!((loss - toy_loss(&p, 2.3, 2.0)).abs() < 1e-15);
    assert!((g.beta[3] - 0.7445282168318492).abs() < 1e-12, "{g:?}");
}

#[test]
fn vjp_and_its_pullback_allocate_nothing() {
    let p = toy();
    let (n, (loss, pullback)) =
        allocations(|| toy_loss_vjp(black_box(&p), black_box(2.3), black_box(2.0)));
    assert_eq!(n, 0, "toy_loss_vjp allocated {n} times");
    let (n, g) = allocations(|| pullback(black_box(1.0)));
    assert_eq!(n, 0, "the pullback of toy_loss_vjp allocated {n} times");
    assert!((loss - toy_loss(&p, 2.3, 2.0)).abs() < 1e-15);
    assert!((g.omega[0] - 5.246071430989502).abs() < 1e-12, "{g:?}");
}

#[test]
fn repeated_gradients_allocate_nothing() {
    // A training loop's use: many calls, at many points.
    let mut p = toy();
    let (n, ()) = allocations(|| {
        for step in 0..100 {
            let x = f64::from(step) * 0.01;
            let (_, g) = toy_loss_grad(&p, x, 2.0);
            for k in 0..4 {
                p.beta[k] -= 1e-3 * g.beta[k];
                p.omega[k] -= 1e-3 * g.omega[k];
            }
        }
    });
    assert_eq!(n, 0, "100 gradient steps allocated {n} times");
    assert_ne!(p, toy(), "the steps moved the parameters");
}
