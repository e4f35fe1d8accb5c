//! Programs a review of this session's additions to the body language
//! wrote against them (guards read again, indices that call something or
//! read what changes, tuples of constants and of arguments, arms that stop,
//! format specs, `first`/`last` through a `Box`, arguments moved into
//! arrays): each failed before its fix. One module per review file.

#![allow(
    clippy::needless_range_loop,
    clippy::let_and_return,
    clippy::get_first,
    clippy::useless_vec,
    clippy::assign_op_pattern,
    clippy::op_ref,
    clippy::redundant_clone,
    clippy::needless_return,
    clippy::eq_op
)]

mod common;

mod array {
    #![allow(unused_imports)]
    use crate::common::{assert_close, central_array, check};
    use gradgen::ndarray::{Array1, Array2, array};
    use gradgen::prelude::*;

    #[differentiable]
    fn r1(x: &Array1<f64>) -> f64 {
        let h = x * 2.0;
        let g = x.mapv(f64::sin);
        let r = [h, g * 3.0];
        (&r[0] * &r[1]).sum() + (&r[0] * x).sum()
    }
    #[test]
    fn t_r1() {
        let x = array![0.3, 0.7];
        let (v, d) = r1_grad(&x);
        assert_eq!(v, r1(&x));
        assert_close(&d, &central_array(&x, r1));
    }

    #[differentiable]
    fn r2(x: &Array1<f64>) -> f64 {
        let h = x * 2.0;
        let r = [&h, x];
        (r[0] * r[1]).sum() + h.sum()
    }
    #[test]
    fn t_r2() {
        let x = array![0.3, 0.7];
        let (v, d) = r2_grad(&x);
        assert_eq!(v, r2(&x));
        assert_close(&d, &central_array(&x, r2));
    }

    #[differentiable]
    fn r3(x: f64, n: usize) -> f64 {
        let mut a = [x, 1.0];
        for _ in 0..n {
            a = [a[1] * x, a[0] + a[1]];
        }
        a[0] * a[1]
    }
    #[test]
    fn t_r3() {
        check(|x| r3(x, 3), |x| r3_grad(x, 3), &[0.5, 1.2]);
    }

    #[differentiable]
    fn r4<T: Real>(x: T, y: T) -> T {
        let m = [[x, y], [y * x, T::one()]];
        let v = [m[0][1], m[1][0] * x];
        m[0][0] * v[1] + v[0]
    }
    #[test]
    fn t_r4() {
        check(
            |x| r4(x, 1.5),
            |x| {
                let (v, (d, _)) = r4_grad(x, 1.5);
                (v, d)
            },
            &[0.5],
        );
        let (_, (dx, dy)) = r4_grad(0.5f32, 1.5f32);
        assert!((dx - (3.0 * 0.25 * 1.5)).abs() < 1e-5, "{dx}");
        assert!((dy - (0.125 + 1.0)).abs() < 1e-5, "{dy}");
    }

    #[differentiable]
    fn r5(x: f64, y: f64) -> [f64; 2] {
        [x * y, y.sin()]
    }
    #[test]
    fn t_r5() {
        let (v, pb) = r5_vjp(0.5, 1.5);
        assert_eq!(v, [0.75, 1.5f64.sin()]);
        let (dx, dy) = pb([1.0, 2.0]);
        assert!((dx - 1.5).abs() < 1e-12);
        assert!((dy - (0.5 + 2.0 * 1.5f64.cos())).abs() < 1e-12);
    }

    #[differentiable]
    fn r6(m: &Array2<f64>, c: bool) -> f64 {
        let rows = if c {
            [m.row(0), m.row(1)]
        } else {
            [m.row(1), m.column(0)]
        };
        (&rows[0] * &rows[1]).sum()
    }
    #[test]
    fn t_r6() {
        let m = array![[1.0, 2.0], [3.0, 4.0]];
        for c in [true, false] {
            let (v, d) = r6_grad(&m, c);
            assert_eq!(v, r6(&m, c));
            assert_close(&d, &central_array(&m, |m| r6(m, c)));
        }
    }

    // array of arrays used twice (accumulate)
    #[differentiable]
    fn r7(x: f64, n: usize) -> f64 {
        let mut s = 0.0;
        let a = [x, x * x];
        for i in 0..n {
            let b = a;
            s = s + b[i % 2] * a[(i + 1) % 2];
        }
        s
    }
    #[test]
    fn t_r7() {
        check(|x| r7(x, 3), |x| r7_grad(x, 3), &[0.5, 1.2]);
    }

    // array built in a loop from arrays
    #[differentiable]
    fn r8(x: &Array1<f64>, n: usize) -> f64 {
        let mut a = [x.to_owned(), x * 2.0];
        for _ in 0..n {
            a = [&a[1] * 0.5, &a[0] + &a[1]];
        }
        (&a[0] * &a[1]).sum()
    }
    #[test]
    fn t_r8() {
        let x = array![0.3, 0.7];
        let (v, d) = r8_grad(&x, 3);
        assert_eq!(v, r8(&x, 3));
        assert_close(&d, &central_array(&x, |x| r8(x, 3)));
    }
}

mod array2 {
    #![allow(unused_imports)]
    use crate::common::{assert_close, central_array};
    use gradgen::ndarray::{Array1, array};
    use gradgen::prelude::*;

    #[differentiable(wrt(x))]
    fn o1(x: Array1<f64>, y: f64) -> f64 {
        let a = [x.clone(), &x * y];
        let b = [&x, &a[1]];
        (b[0] * b[1]).sum() + (&a[0] * &x).sum()
    }
    #[test]
    fn t_o1() {
        let x = array![0.3, 0.7];
        let (v, d) = o1_grad(x.clone(), 2.0);
        assert_eq!(v, o1(x.clone(), 2.0));
        assert_close(&d, &central_array(&x, |x| o1(x.clone(), 2.0)));
    }

    #[differentiable(wrt(x))]
    fn o2(x: Array1<f64>, n: usize) -> f64 {
        let mut a = [x.clone(), x];
        for _ in 0..n {
            let s = a[0].sum();
            a = [&a[1] * s, a[0].mapv(f64::sin)];
        }
        (&a[0] + &a[1]).sum()
    }
    #[test]
    fn t_o2() {
        let x = array![0.3, 0.7];
        let (v, d) = o2_grad(x.clone(), 3);
        assert_eq!(v, o2(x.clone(), 3));
        assert_close(&d, &central_array(&x, |x| o2(x.clone(), 3)));
    }
}

mod array3 {
    #![allow(unused_imports)]
    use gradgen::ndarray::Array1;
    use gradgen::prelude::*;

    #[differentiable(wrt(x))]
    fn o3(x: Array1<f64>) -> f64 {
        let a = [x.clone(), x];
        (&a[0] * &a[1]).sum()
    }
    #[differentiable(wrt(x))]
    fn o4(x: Array1<f64>) -> f64 {
        let a = vec![x.clone(), x];
        (&a[0] * &a[1]).sum()
    }
    #[differentiable(wrt(x))]
    fn o5(x: Array1<f64>) -> f64 {
        let y = x;
        (&y * &y).sum()
    }
}

mod div {
    #![allow(unused_imports)]
    use crate::common::check;
    use gradgen::prelude::*;

    #[derive(Debug)]
    struct E;

    #[differentiable(wrt(x))]
    fn q1(x: f64, k: Option<f64>) -> Result<f64, E> {
        let t = match k {
            None => return Err(E),
            Some(s) => (x * s, x.sin()),
        };
        Ok(t.0 * t.1)
    }
    #[test]
    fn t_q1() {
        assert!(q1_grad(0.5, None).is_err());
        check(
            |x| q1(x, Some(2.0)).unwrap(),
            |x| q1_grad(x, Some(2.0)).unwrap(),
            &[0.5],
        );
    }

    #[differentiable]
    fn q3(x: f64, k: u8) -> f64 {
        let t = match k {
            0 => unreachable!("k = {k}"),
            1 => (x, x * x),
            _ => todo!(),
        };
        t.0 * t.1
    }
    #[test]
    fn t_q3() {
        check(|x| q3(x, 1), |x| q3_grad(x, 1), &[0.5]);
    }

    #[differentiable(wrt(x))]
    fn q4(x: f64, ks: &[u8]) -> f64 {
        let mut acc = (x, 1.0);
        for i in 0..ks.len() {
            acc = match ks[i] {
                0 => panic!("at {i}"),
                _ => (acc.0 * acc.1 + x, acc.1 * x),
            };
        }
        acc.0 + acc.1
    }
    #[test]
    fn t_q4() {
        check(|x| q4(x, &[1, 2, 3]), |x| q4_grad(x, &[1, 2, 3]), &[0.5]);
    }

    #[differentiable(wrt(x))]
    fn q5(x: f64, k: Option<f64>) -> Option<f64> {
        let t = if let Some(s) = k {
            (x * s, x)
        } else {
            return None;
        };
        Some(t.0 * t.1)
    }
    #[test]
    fn t_q5() {
        assert!(q5_grad(0.5, None).is_none());
        check(
            |x| q5(x, Some(2.0)).unwrap(),
            |x| q5_grad(x, Some(2.0)).unwrap(),
            &[0.5],
        );
    }
}

mod fmt {
    #![allow(unused_imports)]
    use crate::common::check;
    use gradgen::prelude::*;
    use std::fmt::Write;

    #[differentiable(wrt(w))]
    fn f1(w: &[f64], x: f64) -> f64 {
        let a = w[0];
        let mut y = x;
        y = y * a;
        let mut s = String::new();
        write!(s, "{a} {y:.3}").unwrap();
        writeln!(s, "{} {a}", 1,).unwrap();
        assert!(a > -100.0, "a is {a}, y is {y}");
        assert_eq!(a, a, "{a:?} {}", y,);
        let msg = format!("{a}{a:?}{y}");
        println!("{msg} {s}");
        y * a
    }
    #[test]
    fn t_f1() {
        let (v, d) = f1_grad(&[2.0, 1.0], 3.0);
        assert_eq!(v, 12.0);
        assert_eq!(d, vec![12.0, 0.0]);
    }

    #[differentiable]
    fn f2(p: (f64, f64), n: usize) -> f64 {
        let mut acc = p;
        for i in 0..n {
            acc = (acc.0 * acc.1, acc.1 + 1.0);
            println!("{i}: {acc:?}");
        }
        let (a, b) = acc;
        println!("{a} {b}");
        a + b
    }
    #[test]
    fn t_f2() {
        let (v, _) = f2_grad((1.0, 2.0), 2);
        assert_eq!(v, f2((1.0, 2.0), 2));
    }

    #[differentiable]
    fn f3(x: f64, width: usize) -> f64 {
        let y = x * 2.0;
        let y = y + 1.0;
        let width = width + 2;
        println!("{y:>width$.2}");
        y * y
    }
    #[test]
    fn t_f3() {
        check(|x| f3(x, 3), |x| f3_grad(x, 3), &[0.5]);
    }
}

mod get {
    #![allow(unused_imports)]
    use crate::common::{assert_close, central_array, check};
    use gradgen::ndarray::{Array1, Array2, array};
    use gradgen::prelude::*;
    use std::cell::Cell;

    fn idx(c: &Cell<usize>, i: usize) -> usize {
        c.set(c.get() + 1);
        i % 3
    }

    // get with a call index inside a loop
    #[differentiable(wrt(w))]
    fn g1(w: &Array1<f64>, n: usize, c: &Cell<usize>) -> Option<f64> {
        let mut s = 0.0;
        for i in 0..n {
            let a = *w.get(idx(c, i))?;
            s = s + a * a * (i as f64 + 1.0);
        }
        Some(s)
    }
    #[test]
    fn t_g1() {
        let w = array![1.0, 2.0, 3.0];
        let c = Cell::new(0);
        let (v, d) = g1_grad(&w, 4, &c).unwrap();
        assert_eq!(c.get(), 4);
        assert_eq!(v, g1(&w, 4, &Cell::new(0)).unwrap());
        assert_close(&d, &central_array(&w, |w| g1(w, 4, &Cell::new(0)).unwrap()));
    }

    // index by call inside a loop
    #[differentiable(wrt(w))]
    fn g2(w: &[f64], n: usize, c: &Cell<usize>) -> f64 {
        let mut s = 0.0;
        for i in 0..n {
            s = s + w[idx(c, i)] * (i as f64 + 1.0) * w[idx(c, i + 1)];
        }
        s
    }
    #[test]
    fn t_g2() {
        let w = vec![1.0, 2.0, 3.0];
        let c = Cell::new(0);
        let (v, d) = g2_grad(&w, 4, &c);
        assert_eq!(c.get(), 8);
        assert_eq!(v, g2(&w, 4, &Cell::new(0)));
        let wa = Array1::from(w.clone());
        assert_close(
            &Array1::from(d),
            &central_array(&wa, |w| g2(w.as_slice().unwrap(), 4, &Cell::new(0))),
        );
    }

    // get on a computed array, index non-trivial, in a loop
    #[differentiable(wrt(x))]
    fn g3(x: &Array1<f64>, perm: &[usize]) -> Option<f64> {
        let y = x * 2.0 + 1.0;
        let mut s = 0.0;
        for k in 0..perm.len() {
            let a = y.get(perm[k])?;
            s = s + a * a;
        }
        Some(s)
    }
    #[test]
    fn t_g3() {
        let x = array![1.0, 2.0, 3.0];
        let perm = [2, 0, 2];
        let (v, d) = g3_grad(&x, &perm).unwrap();
        assert_eq!(v, g3(&x, &perm).unwrap());
        assert_close(&d, &central_array(&x, |x| g3(x, &perm).unwrap()));
    }

    // last on an Array2 computed
    #[differentiable(wrt(m))]
    fn g4(m: &Array2<f64>) -> Option<f64> {
        let y = m * m;
        let a = *y.last()?;
        let b = y.first().copied()?;
        Some(a * b + *m.last()?)
    }
    #[test]
    fn t_g4() {
        let m = array![[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]];
        let (v, d) = g4_grad(&m).unwrap();
        assert_eq!(v, g4(&m).unwrap());
        assert_close(&d, &central_array(&m, |m| g4(m).unwrap()));
    }

    // generic, borrowed element used in arithmetic
    #[differentiable]
    fn g5<T: Real>(w: &[T], x: T) -> Option<T> {
        let a = w.get(1)?;
        let b = w.last()?;
        Some(*a * x + *b * *b)
    }
    #[test]
    fn t_g5() {
        let (v, (dw, dx)) = g5_grad(&[1.0f32, 2.0, 3.0], 2.0f32).unwrap();
        assert_eq!(v, 13.0);
        assert_eq!(dw, vec![0.0, 2.0, 6.0]);
        assert_eq!(dx, 2.0);
    }

    // get on a view
    #[differentiable(wrt(m))]
    fn g6(m: &Array2<f64>, i: usize) -> Option<f64> {
        let r = m.row(i);
        let a = *r.get(1)?;
        let b = *r.last()?;
        Some(a * b)
    }
    #[test]
    fn t_g6() {
        let m = array![[1.0, 2.0, 7.0], [3.0, 4.0, 5.0]];
        let (v, d) = g6_grad(&m, 1).unwrap();
        assert_eq!(v, 20.0);
        assert_close(&d, &central_array(&m, |m| g6(m, 1).unwrap()));
    }

    // get inside a branch inside a loop
    #[differentiable(wrt(w))]
    fn g7(w: &[f64], ks: &[usize]) -> Option<f64> {
        let mut s = 1.0;
        for k in ks {
            if *k > 0 {
                s = s * w.get(*k - 1)?;
            } else {
                s = s + w.first()?;
            }
        }
        Some(s)
    }
    #[test]
    fn t_g7() {
        let w = vec![1.5, 2.0, 3.0];
        let ks = [1usize, 0, 3, 2];
        let (v, d) = g7_grad(&w, &ks).unwrap();
        assert_eq!(v, g7(&w, &ks).unwrap());
        let wa = Array1::from(w.clone());
        assert_close(
            &Array1::from(d),
            &central_array(&wa, |w| g7(w.as_slice().unwrap(), &ks).unwrap()),
        );
    }

    // first on a vec built in the body
    #[differentiable]
    fn g8(x: f64, y: f64) -> f64 {
        let v = vec![x * y, y];
        let a = v.first().unwrap();
        let b = *v.last().unwrap();
        a * b + x
    }
    #[test]
    fn t_g8() {
        check(
            |x| g8(x, 1.5),
            |x| {
                let (v, (dx, _)) = g8_grad(x, 1.5);
                (v, dx)
            },
            &[0.5],
        );
    }
}

mod get2 {
    #![allow(unused_imports)]
    use crate::common::{assert_close, central_array};
    use gradgen::ndarray::{Array1, array};
    use gradgen::prelude::*;

    #[differentiable(wrt(x))]
    fn k1(x: &Array1<f64>, s: f64) -> Option<f64> {
        let vs = vec![x * 2.0, x.mapv(f64::exp)];
        let r = vs.get(1)?;
        let q = vs.last()?;
        let f = vs.first().cloned()?;
        Some((r * s).sum() + (q * &f).sum() + f.sum())
    }
    #[test]
    fn t_k1() {
        let x = array![0.3, 0.7];
        let (v, d) = k1_grad(&x, 2.0).unwrap();
        assert_eq!(v, k1(&x, 2.0).unwrap());
        assert_close(&d, &central_array(&x, |x| k1(x, 2.0).unwrap()));
    }
}

mod index {
    #![allow(unused_imports)]
    use crate::common::{assert_close, central_array};
    use gradgen::ndarray::{Array1, Array2, array};
    use gradgen::prelude::*;
    use std::cell::Cell;

    fn idx(c: &Cell<usize>, i: usize) -> usize {
        c.set(c.get() + 1);
        (i * 7 + 1) % 3
    }

    #[differentiable(wrt(w))]
    fn i1(w: &Array1<f64>, n: usize, k: Option<u8>, c: &Cell<usize>) -> f64 {
        let mut s = 1.0;
        let mut i = 0;
        while i < n {
            i += 1;
            s = match k {
                Some(m) if m > 1 => {
                    if i % 2 == 0 {
                        s * w[idx(c, i)]
                    } else {
                        s + w[idx(c, i + 1)] * w[idx(c, i)]
                    }
                }
                _ => s * w[idx(c, i)].sin(),
            };
            if s > 100.0 {
                break;
            }
        }
        s
    }
    #[test]
    fn t_i1() {
        let w = array![1.1, 1.3, -0.7];
        for k in [Some(2u8), None] {
            let c = Cell::new(0);
            let (v, d) = i1_grad(&w, 5, k, &c);
            let c2 = Cell::new(0);
            assert_eq!(v, i1(&w, 5, k, &c2));
            assert_eq!(c.get(), c2.get());
            assert_close(&d, &central_array(&w, |w| i1(w, 5, k, &Cell::new(0))));
        }
    }

    // 2-D index with a call; computed matrix
    #[differentiable(wrt(m))]
    fn i2(m: &Array2<f64>, c: &Cell<usize>) -> f64 {
        let y = m * m;
        let mut s = 0.0;
        for i in 0..3 {
            s = s + y[[idx(c, i) % 2, i % 2]] * m[(i % 2, idx(c, i) % 2)];
        }
        s
    }
    #[test]
    fn t_i2() {
        let m = array![[1.1, 1.3], [-0.7, 0.4]];
        let c = Cell::new(0);
        let (v, d) = i2_grad(&m, &c);
        assert_eq!(c.get(), 6);
        assert_eq!(v, i2(&m, &Cell::new(0)));
        assert_close(&d, &central_array(&m, |m| i2(m, &Cell::new(0))));
    }

    // assignment with an index that calls
    #[differentiable(wrt(x))]
    fn i3(x: f64, c: &Cell<usize>) -> f64 {
        let mut v = vec![0.0; 3];
        v[idx(c, 0)] = x * 2.0;
        v[idx(c, 1)] += x * x;
        v[0] * v[1] + v[2] * x
    }
    #[test]
    fn t_i3() {
        let c = Cell::new(0);
        let (val, d) = i3_grad(0.7, &c);
        assert_eq!(c.get(), 2);
        assert_eq!(val, i3(0.7, &Cell::new(0)));
        let h = 1e-6;
        let want = (i3(0.7 + h, &Cell::new(0)) - i3(0.7 - h, &Cell::new(0))) / (2.0 * h);
        assert!((d - want).abs() < 1e-6, "{d} {want}");
    }

    fn next(c: &Cell<usize>) -> usize {
        let k = c.get();
        c.set(k + 1);
        k % 3
    }
    #[differentiable(wrt(x))]
    fn i4(x: f64, c: &Cell<usize>) -> f64 {
        let mut v = vec![1.0; 3];
        v[next(c)] = x * 2.0;
        v[0] * v[1] * v[2]
    }
    #[test]
    fn t_i4() {
        let (val, d) = i4_grad(0.7, &Cell::new(0));
        assert_eq!(val, 1.4);
        assert_eq!(d, 2.0);
    }
}

mod index2 {
    #![allow(unused_imports)]
    use gradgen::prelude::*;

    #[differentiable(wrt(w))]
    fn z1(w: &[f64]) -> f64 {
        let mut perm = vec![1usize, 0];
        let a = w[perm[0]];
        perm.swap(0, 1);
        println!("{perm:?}");
        a * a
    }
    #[test]
    fn t_z1() {
        let (v, d) = z1_grad(&[2.0, 3.0]);
        assert_eq!(v, 9.0);
        assert_eq!(d, vec![0.0, 6.0]);
    }

    #[differentiable(wrt(w))]
    fn z2(w: &[f64]) -> Option<f64> {
        let mut perm = vec![1usize, 0];
        let a = *w.get(perm[0])?;
        perm.swap(0, 1);
        println!("{perm:?}");
        Some(a * a)
    }
    #[test]
    fn t_z2() {
        let (v, d) = z2_grad(&[2.0, 3.0]).unwrap();
        assert_eq!(v, 9.0);
        assert_eq!(d, vec![0.0, 6.0]);
    }
}

mod match2 {
    #![allow(unused_imports)]
    use crate::common::{assert_close, central_array};
    use gradgen::ndarray::{Array1, array};
    use gradgen::prelude::*;

    #[differentiable(wrt(x))]
    fn h1(x: &Array1<f64>, k: Option<usize>) -> f64 {
        let y = x * 2.0;
        let s = match k {
            Some(n) if y[0] > 0.5 => x[n] * 3.0,
            _ => x[0].sin(),
        };
        let z = y + s;
        z.sum()
    }
    #[test]
    fn t_h1() {
        let x = array![0.3, 0.7];
        for k in [Some(1), None] {
            let (v, d) = h1_grad(&x, k);
            assert_eq!(v, h1(&x, k));
            assert_close(&d, &central_array(&x, |x| h1(x, k)));
        }
    }

    #[differentiable(wrt(x))]
    fn h2(x: &Array1<f64>, k: Option<usize>, names: Vec<String>) -> f64 {
        let s = match k {
            Some(n) if names[n] == "a" => x[n] * 3.0,
            _ => x[0].sin(),
        };
        let total = names;
        drop(total);
        s
    }
    #[test]
    fn t_h2() {
        let x = array![0.3, 0.7];
        let (v, _) = h2_grad(&x, Some(1), vec!["b".into(), "a".into()]);
        assert!((v - 2.1).abs() < 1e-12, "{v}");
    }
}

mod match3 {
    #![allow(unused_imports)]
    use crate::common::check;
    use gradgen::prelude::*;

    #[differentiable(wrt(x))]
    fn h3(x: f64, k: Option<usize>) -> f64 {
        let mut flags = vec![true, false];
        let s = match k {
            Some(n) if flags[n] => x * 3.0,
            _ => x.sin(),
        };
        flags.swap(0, 1);
        println!("{flags:?}");
        s * 2.0
    }
    #[test]
    fn t_h3() {
        check(|x| h3(x, Some(0)), |x| h3_grad(x, Some(0)), &[0.5]);
    }
}

mod tuple {
    #![allow(unused_imports)]
    use crate::common::{central, check};
    use gradgen::prelude::*;
    use std::cell::Cell;

    fn pair(c: &Cell<usize>) -> (f64, f64) {
        c.set(c.get() + 1);
        (1.0, 2.0)
    }

    #[differentiable(wrt(x))]
    fn a1(x: f64, b: bool, c: &Cell<usize>) -> f64 {
        let t = if b { pair(c) } else { (x, x * x) };
        t.0 * t.1
    }
    #[test]
    fn t_a1() {
        let c = Cell::new(0);
        let (v, _d) = a1_grad(2.0, true, &c);
        assert_eq!(v, 2.0);
        assert_eq!(c.get(), 1, "pair called {} times", c.get());
    }

    // argument tuple carried through a loop
    #[differentiable]
    fn a2(p: (f64, f64), n: usize) -> f64 {
        let mut acc = p;
        for _ in 0..n {
            acc = (acc.0 * acc.1, acc.1 + acc.0);
        }
        acc.0 + acc.1
    }
    #[test]
    fn t_a2() {
        let (v, (d0, d1)) = a2_grad((0.5, 1.5), 3);
        assert_eq!(v, a2((0.5, 1.5), 3));
        let w0 = central(|a| a2((a, 1.5), 3), 0.5);
        let w1 = central(|b| a2((0.5, b), 3), 1.5);
        assert!(
            (d0 - w0).abs() < 1e-6 && (d1 - w1).abs() < 1e-6,
            "{d0} {w0} {d1} {w1}"
        );
    }

    // reference to a tuple
    #[differentiable]
    fn a3(p: &(f64, f64), b: bool) -> f64 {
        let t = if b { *p } else { (p.1, p.0 * 2.0) };
        t.0 * t.1 * t.1
    }
    #[test]
    fn t_a3() {
        for b in [true, false] {
            let (v, d) = a3_grad(&(0.5, 1.5), b);
            assert_eq!(v, a3(&(0.5, 1.5), b));
            let w0 = central(|a| a3(&(a, 1.5), b), 0.5);
            let w1 = central(|c| a3(&(0.5, c), b), 1.5);
            assert!(
                (d.0 - w0).abs() < 1e-6 && (d.1 - w1).abs() < 1e-6,
                "{d:?} {w0} {w1}"
            );
        }
    }

    // nested tuples
    #[differentiable]
    fn a4(x: f64, n: usize) -> f64 {
        let mut acc = ((x, 1.0), 0.5);
        for _ in 0..n {
            acc = ((acc.0.0 * x, acc.0.1 + acc.1), acc.1 * acc.0.0);
        }
        acc.0.0 + acc.0.1 * acc.1
    }
    #[test]
    fn t_a4() {
        check(|x| a4(x, 3), |x| a4_grad(x, 3), &[0.4, 1.3]);
    }

    // generic constant tuple
    #[differentiable]
    fn a5<T: Real>(x: T, n: usize) -> T {
        let mut acc = (T::zero(), T::one());
        for _ in 0..n {
            acc = (acc.0 + x * acc.1, acc.1 * x);
        }
        acc.0 + acc.1
    }
    #[test]
    fn t_a5() {
        check(|x| a5(x, 3), |x| a5_grad(x, 3), &[0.4, 1.3]);
        let (v, d) = a5_grad(0.5f32, 3);
        assert_eq!(v, a5(0.5f32, 3));
        assert!(
            (d - (1.0 + 2.0 * 0.5 + 3.0 * 0.25 + 3.0 * 0.25)).abs() < 1e-5,
            "{d}"
        );
    }

    // tuple constant from an argument that is not differentiated
    #[differentiable(wrt(x))]
    fn a6(x: f64, q: (f64, f64), n: usize) -> f64 {
        let mut acc = q;
        for _ in 0..n {
            acc = (acc.0 * x, acc.1 + acc.0);
        }
        acc.0 + acc.1
    }
    #[test]
    fn t_a6() {
        check(
            |x| a6(x, (0.5, 1.0), 3),
            |x| a6_grad(x, (0.5, 1.0), 3),
            &[0.4, 1.3],
        );
    }
}

mod tuple3 {
    #![allow(unused_imports)]
    use crate::common::check;
    use gradgen::prelude::*;

    #[differentiable(wrt(x))]
    fn c1(x: f64, k: Option<f64>) -> Option<f64> {
        let t = match k {
            None => {
                return None;
            }
            Some(s) => (x * s, x.sin()),
        };
        Some(t.0 * t.1)
    }
    #[test]
    fn t_c1() {
        assert!(c1_grad(0.5, None).is_none());
        check(
            |x| c1(x, Some(2.0)).unwrap(),
            |x| c1_grad(x, Some(2.0)).unwrap(),
            &[0.5],
        );
    }

    #[differentiable]
    fn c2(x: f64, k: u8) -> f64 {
        let t = match k {
            0 => {
                panic!("zero");
            }
            _ => (x * x, x),
        };
        t.0 * t.1
    }
    #[test]
    fn t_c2() {
        check(|x| c2(x, 1), |x| c2_grad(x, 1), &[0.5]);
    }

    #[differentiable]
    fn c3(x: f64, k: u8) -> f64 {
        let y = match k {
            0 => {
                panic!("zero");
            }
            _ => x * x,
        };
        y * x
    }
    #[test]
    fn t_c3() {
        check(|x| c3(x, 1), |x| c3_grad(x, 1), &[0.5]);
    }
}

mod tuple4 {
    #![allow(unused_imports)]
    use crate::common::check;
    use gradgen::prelude::*;

    #[differentiable(wrt(x))]
    fn c4(x: f64, k: Option<f64>) -> Option<f64> {
        let y = match k {
            None => {
                return None;
            }
            Some(s) => x * s,
        };
        Some(y * x)
    }
    #[test]
    fn t_c4() {
        assert!(c4_grad(0.5, None).is_none());
        check(
            |x| c4(x, Some(2.0)).unwrap(),
            |x| c4_grad(x, Some(2.0)).unwrap(),
            &[0.5],
        );
    }
}

mod tuple7 {
    #![allow(unused_imports)]
    use gradgen::prelude::*;

    #[differentiable]
    fn u1(p: (f64, f64), n: usize) -> f64 {
        let mut t = p;
        for i in 0..n {
            if i == 1 {
                continue;
            }
            t = (t.1, t.0 * t.1);
        }
        t.0 + t.1
    }

    #[differentiable]
    fn u2(x: f64, n: usize) -> f64 {
        let mut t = (x, 1.0);
        for i in 0..n {
            if i == 1 {
                continue;
            }
            t = (t.1, t.0 * t.1);
        }
        t.0 + t.1
    }

    #[differentiable]
    fn u3(p: (f64, f64), n: usize) -> f64 {
        let mut t = p;
        for i in 0..n {
            if i == 1 {
                t = (t.0 * 2.0, t.1);
            }
            t = (t.1, t.0 * t.1);
        }
        t.0 + t.1
    }

    #[differentiable]
    fn u4(x: f64, n: usize) -> f64 {
        let mut t = (x, 1.0);
        let mut i = 0;
        while i < n {
            i += 1;
            if i == 3 {
                break;
            }
            t = (t.1, t.0 * t.1);
        }
        t.0 + t.1
    }
    #[test]
    fn t() {
        let _ = (
            u1_grad((0.5, 1.5), 3),
            u2_grad(0.5, 3),
            u3_grad((0.5, 1.5), 3),
            u4_grad(0.5, 4),
        );
    }
}

mod r4_axis {
    #![allow(unused_imports, clippy::all)]
    use crate::common::{assert_close, central_array};
    use gradgen::ndarray::{Array2, Axis, array};
    use gradgen::prelude::*;
    #[differentiable]
    fn a1(m: &Array2<f64>, n: usize) -> f64 {
        let mut s = 0.0;
        for _ in 0..n {
            let c = m.sum_axis(Axis(1)).insert_axis(Axis(1));
            s = s + (c * m).sum();
        }
        s
    }
    #[test]
    fn t_a1() {
        let m = array![[0.3, 0.7, 0.1], [0.2, -0.4, 0.5]];
        let (v, dm) = a1_grad(&m, 2);
        assert_eq!(v, a1(&m, 2));
        assert_close(&dm, &central_array(&m, |m| a1(m, 2)));
    }
}

mod r4_box {
    #![allow(unused_imports, clippy::all)]
    use crate::common::check;
    use gradgen::prelude::*;
    #[differentiable(wrt(x))]
    fn b1(x: f64, v: &Vec<f64>) -> f64 {
        let b = Box::new(v.clone());
        x * b[0]
    }
    #[test]
    fn t_b1() {
        let v = vec![2.0];
        check(|x| b1(x, &v), |x| b1_grad(x, &v), &[0.3]);
    }
}

mod r4_generic {
    #![allow(unused_imports, clippy::all)]
    use crate::common::{assert_close, central_array, check};
    use gradgen::ndarray::{Array1, Array2, Axis, array};
    use gradgen::prelude::*;

    #[differentiable]
    fn g1<T: Real>(m: &Array2<T>, r: &Array1<T>, c: T, n: usize) -> T {
        let mut acc = m.to_owned();
        for k in 0..n {
            acc = &acc + r;
            acc = acc - c;
            if k % 2 == 0 {
                let row = acc.row(0);
                acc = &acc * c + &row;
            } else {
                acc = acc.sin();
            }
        }
        acc.sum()
    }
    #[test]
    fn t_g1() {
        let m = array![[0.3, 0.7, 0.1], [0.2, -0.4, 0.5]];
        let r = array![0.1, 0.2, 0.3];
        let (v, (dm, dr, dc)) = g1_grad(&m, &r, 0.4, 3);
        assert_eq!(v, g1(&m, &r, 0.4, 3));
        assert_close(&dm, &central_array(&m, |m| g1(m, &r, 0.4, 3)));
        assert_close(&dr, &central_array(&r, |r| g1(&m, r, 0.4, 3)));
        let e = crate::common::central(|c| g1(&m, &r, c, 3), 0.4);
        assert!((dc - e).abs() < 1e-6 * (1.0 + e.abs()), "{dc} vs {e}");
        let m32 = m.mapv(|v| v as f32);
        let r32 = r.mapv(|v| v as f32);
        let _ = g1_grad(&m32, &r32, 0.4f32, 3);
    }

    #[differentiable]
    fn g2(m: &Array2<f32>, n: usize) -> f32 {
        let mut acc = m.clone();
        let mut i = 0;
        while i < n {
            let s = acc.sum_axis(Axis(0));
            acc = &s - &acc;
            acc = acc * 0.5 + 1.0f32;
            if acc.sum() > 1000.0 {
                break;
            }
            i += 1;
        }
        (&acc * &acc).sum()
    }
    #[differentiable]
    fn g2d(m: &Array2<f64>, n: usize) -> f64 {
        let mut acc = m.clone();
        let mut i = 0;
        while i < n {
            let s = acc.sum_axis(Axis(0));
            acc = &s - &acc;
            acc = acc * 0.5 + 1.0;
            if acc.sum() > 1000.0 {
                break;
            }
            i += 1;
        }
        (&acc * &acc).sum()
    }
    #[test]
    fn t_g2() {
        let m = array![[0.3f32, 0.7, 0.1], [0.2, -0.4, 0.5]];
        let (v, d) = g2_grad(&m, 3);
        assert_eq!(v, g2(&m, 3));
        let m64 = m.mapv(|v| v as f64);
        let est = g2d_grad(&m64, 3).1;
        assert_close(&est, &central_array(&m64, |m| g2d(m, 3)));
        for (a, b) in d.iter().zip(est.iter()) {
            assert!(
                (*a as f64 - b).abs() < 1e-4 * (1.0 + b.abs()),
                "{d} vs {est}"
            );
        }
    }

    #[differentiable]
    fn g3<T: Real>(x: T, xs: &[T], n: usize) -> T {
        let mut a = x;
        for _ in 0..n {
            for k in 0..xs.len() {
                let r = &a;
                a = *r + xs[k] - x;
                a = a * x;
            }
        }
        a
    }
    #[test]
    fn t_g3() {
        let xs = [0.2, 0.5];
        check(
            |x| g3(x, &xs, 2),
            |x| {
                let (v, (d, _)) = g3_grad(x, &xs, 2);
                (v, d)
            },
            &[0.3, 0.9],
        );
    }
}

mod r4_index {
    #![allow(unused_imports, clippy::all)]
    use crate::common::{assert_close, central_array, check};
    use gradgen::ndarray::{Array1, Array2, array};
    use gradgen::prelude::*;
    use std::cell::Cell;

    thread_local! { static CALLS: Cell<usize> = Cell::new(0); }
    fn f(i: usize) -> usize {
        CALLS.with(|c| c.set(c.get() + 1));
        i % 3
    }

    #[differentiable]
    fn i1(w: &Array1<f64>, n: usize) -> f64 {
        let mut v = Array1::<f64>::zeros(3);
        let mut s = 0.0;
        for i in 0..n {
            v[f(i)] = w[f(i + 1)] * w[(i + 2) % 3] + v[i % 3];
            v[(i * 2) % 3] += w[i % 3].sin();
            s = s + v[f(i)] * w[[i % 3][0]];
        }
        s + v.sum()
    }
    #[test]
    fn t_i1() {
        let w = array![0.3, 0.7, 0.1];
        CALLS.with(|c| c.set(0));
        let v0 = i1(&w, 4);
        let calls_plain = CALLS.with(|c| c.get());
        CALLS.with(|c| c.set(0));
        let (v, d) = i1_grad(&w, 4);
        let calls_grad = CALLS.with(|c| c.get());
        assert_eq!(v, v0);
        assert_close(&d, &central_array(&w, |w| i1(w, 4)));
        assert_eq!(
            calls_plain, calls_grad,
            "f called a different number of times"
        );
    }

    #[differentiable]
    fn i2(m: &Array2<f64>, n: usize) -> f64 {
        let mut s = 0.0;
        let mut i = 0;
        while i < n {
            for j in 0..2 {
                s = s + m[[i % 2, (j + i) % 3]] * m[(j, i % 3)];
                if s > 50.0 {
                    break;
                }
            }
            i += 1;
        }
        s
    }
    #[test]
    fn t_i2() {
        let m = array![[0.3, 0.7, 0.1], [0.2, -0.4, 0.5]];
        let (v, d) = i2_grad(&m, 3);
        assert_eq!(v, i2(&m, 3));
        assert_close(&d, &central_array(&m, |m| i2(m, 3)));
    }

    #[differentiable]
    fn i3(x: f64, n: usize) -> f64 {
        let mut a = [x, x, x, x];
        let mut k = 0usize;
        for i in 0..n {
            // index reads what changes in the statement
            a[k] = a[k] * x + i as f64;
            k = (k + 1) % 4;
            a[{
                k = (k + 1) % 4;
                k
            }] += x;
        }
        a[0] + a[1] * a[2] + a[3]
    }
    #[test]
    fn t_i3() {
        check(|x| i3(x, 5), |x| i3_grad(x, 5), &[0.3, 0.9]);
    }

    #[differentiable(wrt(x))]
    fn i4(x: &[f64], idx: &[usize]) -> f64 {
        let mut v = vec![0.0; 3];
        for t in 0..idx.len() {
            v[idx[t]] = v[idx[t]] + x[idx[(t + 1) % idx.len()]] * x[t];
        }
        v[0] * v[1] + v[2]
    }
    #[test]
    fn t_i4() {
        let idx = [0usize, 2, 1, 2];
        let x = [0.3, 0.7, 0.2, 0.5];
        let (v, d) = i4_grad(&x, &idx);
        assert_eq!(v, i4(&x, &idx));
        let xa = Array1::from(x.to_vec());
        let est = central_array(&xa, |a| i4(a.as_slice().unwrap(), &idx));
        assert_close(&Array1::from(d.to_vec()), &est);
    }
}

mod r4_match {
    #![allow(unused_imports, clippy::all)]
    use crate::common::{assert_close, central_array, check};
    use gradgen::ndarray::{Array1, array};
    use gradgen::prelude::*;

    #[derive(Clone, Copy)]
    pub enum Sh {
        A(f64),
        B(f64, f64),
        C,
    }

    #[derive(Clone)]
    #[allow(dead_code)]
    pub enum Outer {
        In(Sh),
        Pair(Option<f64>, f64),
        Name(String),
    }

    #[differentiable(wrt(x))]
    fn m1(x: f64, s: Sh) -> f64 {
        match s {
            Sh::A(k) => x * k,
            Sh::B(a, b) if a > 0.0 => x * a + b * x * x,
            Sh::B(a, _) => x - a,
            Sh::C => x.sin(),
        }
    }
    #[test]
    fn t_m1() {
        for s in [Sh::A(2.0), Sh::B(1.0, 3.0), Sh::B(-1.0, 3.0), Sh::C] {
            check(|x| m1(x, s), |x| m1_grad(x, s), &[0.3, 1.1]);
        }
    }

    #[differentiable(wrt(x))]
    fn m2b(x: f64, o: Outer) -> f64 {
        match o {
            Outer::Name(ref s) if s.len() > 2 => x * s.len() as f64,
            Outer::Name(s) => x * x * s.len() as f64,
            Outer::In(Sh::A(ref k)) => x * *k,
            _ => x,
        }
    }
    #[test]
    fn t_m2b() {
        for o in [
            Outer::Name("ab".into()),
            Outer::Name("abcd".into()),
            Outer::In(Sh::A(2.0)),
            Outer::In(Sh::C),
        ] {
            check(
                |x| m2b(x, o.clone()),
                |x| m2b_grad(x, o.clone()),
                &[0.3, 1.1],
            );
        }
    }

    #[differentiable(wrt(x))]
    fn m3(x: f64, v: &[Option<f64>]) -> f64 {
        let mut s = x;
        for i in 0..v.len() {
            s = match v[i] {
                Some(k) if k > 1.0 => s * k * x,
                Some(k) => s + k * x.sin(),
                None => s * s,
            };
        }
        s
    }
    #[test]
    fn t_m3() {
        let v = [Some(2.0), None, Some(0.5), None];
        check(|x| m3(x, &v), |x| m3_grad(x, &v), &[0.3, 0.9]);
    }

    #[differentiable]
    fn m4(x: f64, n: usize) -> f64 {
        let mut s = x;
        for i in 0..n {
            let p = (i % 3, i);
            s = match p {
                (0, j) => s * x * j as f64,
                (1, ref j) => s + x.sin() * *j as f64,
                (_, j @ _) => s - x * j as f64,
            };
        }
        s
    }
    #[test]
    fn t_m4() {
        check(|x| m4(x, 5), |x| m4_grad(x, 5), &[0.3, 0.9]);
    }

    #[differentiable(wrt(x))]
    fn m5(x: &Array1<f64>, o: Option<usize>) -> f64 {
        let y = match o {
            Some(i) => {
                let r = x + x[i];
                r * 2.0
            }
            None => x - 1.0,
        };
        (&y * &y).sum()
    }
    #[test]
    fn t_m5() {
        let x = array![0.3, 0.7, 0.1];
        for o in [Some(1), None] {
            let (v, d) = m5_grad(&x, o);
            assert_eq!(v, m5(&x, o));
            assert_close(&d, &central_array(&x, |x| m5(x, o)));
        }
    }

    #[differentiable]
    fn m6(x: f64, n: usize) -> f64 {
        let mut s = x;
        let mut k = 0usize;
        for _ in 0..n {
            match k {
                0 => {
                    s = s * x;
                    k = 1;
                }
                j => {
                    s = s + x * x * (j as f64);
                    k = j + 1;
                }
            }
        }
        s
    }
    #[test]
    fn t_m6() {
        check(|x| m6(x, 4), |x| m6_grad(x, 4), &[0.3, 0.9]);
    }

    #[differentiable]
    fn m7(x: f64, n: usize) -> f64 {
        let mut s = x;
        let mut k = Some(0usize);
        loop {
            let j = k.unwrap_or(0);
            if k.is_none() {
                break;
            }
            s = match k {
                Some(m) if m % 2 == 0 => {
                    k = Some(m + 1);
                    s * x * (m + 1) as f64
                }
                Some(m) => {
                    k = if m + 1 < n { Some(m + 1) } else { None };
                    s.sin() * m as f64
                }
                None => s,
            };
            if j > 10 {
                break;
            }
        }
        s
    }
    #[test]
    fn t_m7() {
        check(|x| m7(x, 4), |x| m7_grad(x, 4), &[0.3, 0.9]);
    }
}

mod r4_match_fail {
    #![allow(unused_imports, clippy::all)]
    use super::r4_match::{Outer, Sh};
    use crate::common::{assert_close, central_array, check};
    use gradgen::ndarray::{Array1, array};
    use gradgen::prelude::*;

    #[differentiable(wrt(x))]
    fn m2(x: f64, o: &Outer) -> f64 {
        match o {
            Outer::In(Sh::A(k)) => x * *k * x,
            Outer::Pair(Some(k), _) => x * *k * x,
            Outer::In(inner @ Sh::B(a, _)) => {
                let t = match inner {
                    Sh::B(_, b) => *b,
                    _ => 0.0,
                };
                x * *a + t * x.sin()
            }
            Outer::Pair(None, w) => *w * x.cos(),
            Outer::Name(s) if s.len() > 2 => x * s.len() as f64,
            _ => x,
        }
    }
    #[test]
    fn t_m2() {
        for o in [
            Outer::In(Sh::A(2.0)),
            Outer::Pair(Some(1.5), 0.0),
            Outer::In(Sh::B(1.0, 3.0)),
            Outer::Pair(None, 2.0),
            Outer::In(Sh::C),
            Outer::Name("abcd".into()),
        ] {
            check(|x| m2(x, &o), |x| m2_grad(x, &o), &[0.3, 1.1]);
        }
    }

    #[differentiable(wrt(x))]
    fn m9(x: f64, v: &[(usize, Option<usize>)]) -> f64 {
        let mut s = x;
        for p in v {
            s = match *p {
                (0, Some(j)) | (j, None) => s * x + j as f64,
                (i, Some(j)) => s.sin() * (i + j) as f64,
            };
        }
        s
    }
    #[test]
    fn t_m9() {
        let v = [(0, Some(2)), (3, None), (1, Some(1))];
        check(|x| m9(x, &v), |x| m9_grad(x, &v), &[0.3, 0.9]);
    }
}

mod r4_misc {
    #![allow(unused_imports, clippy::all)]
    use crate::common::{assert_close, central_array, check};
    use gradgen::ndarray::{Array1, array};
    use gradgen::prelude::*;

    #[differentiable]
    fn t1(x: f64, k: u8) -> f64 {
        let (a, b) = match k {
            0 => (1.0, 2.0),
            1 => (x, x * x),
            2 => (x.sin(), x),
            _ => panic!("no"),
        };
        a * b + a
    }
    #[test]
    fn t_t1() {
        for k in 0..3 {
            check(|x| t1(x, k), |x| t1_grad(x, k), &[0.3, 0.9]);
        }
    }

    #[differentiable]
    fn t2(x: f64, n: usize) -> f64 {
        let mut p = (x, 1.0);
        let mut q = (0.5, x);
        for i in 0..n {
            p = (p.1 * x, p.0 + p.1);
            if i % 2 == 0 {
                q = (q.1, q.0 * x);
            } else {
                q = (q.0 + p.0, q.1);
            }
            if p.0 > 100.0 {
                break;
            }
        }
        p.0 * p.1 + q.0 * q.1
    }
    #[test]
    fn t_t2() {
        check(|x| t2(x, 4), |x| t2_grad(x, 4), &[0.3, 0.9]);
    }

    #[differentiable]
    fn t3(x: f64, n: usize) -> f64 {
        let mut p = (x, x * 2.0);
        let mut k = 0;
        while k < n {
            let (a, b) = p;
            p = (b.sin(), a * b);
            for j in 0..2 {
                p = (p.0 + x * j as f64, p.1);
                if j == k {
                    break;
                }
            }
            k += 1;
        }
        p.0 + p.1
    }
    #[test]
    fn t_t3() {
        check(|x| t3(x, 3), |x| t3_grad(x, 3), &[0.3, 0.9]);
    }

    #[differentiable]
    fn t4(x: f64, w: usize, p: usize) -> f64 {
        let y = x * x;
        let w = w + 1;
        let p = p + 1;
        println!("{y:>w$.p$} {:>1$} {2:.3$}", x, w, y, p);
        y * x
    }
    #[test]
    fn t_t4() {
        check(|x| t4(x, 8, 2), |x| t4_grad(x, 8, 2), &[0.3]);
    }

    #[differentiable]
    fn t5(x: &Array1<f64>, v: &Vec<f64>) -> f64 {
        let b = v.clone();
        let f = b.first().unwrap() * x.first().unwrap() + x.last().unwrap() * *v.last().unwrap();
        f * x.sum()
    }
    #[test]
    fn t_t5() {
        let x = array![0.3, 0.7, 0.1];
        let v = vec![0.2, 0.9];
        let (val, (d, _)) = t5_grad(&x, &v);
        assert_eq!(val, t5(&x, &v));
        assert_close(&d, &central_array(&x, |x| t5(x, &v)));
    }

    #[differentiable]
    fn t6(x: &Array1<f64>, y: Array1<f64>, n: usize) -> f64 {
        let mut s = 0.0;
        for _ in 0..n {
            let r = [y.clone(), x.to_owned()];
            let v = vec![y.clone(), x * 2.0];
            s = s + (&r[0] * &r[1]).sum() + (&v[0] * &v[1]).sum();
        }
        let w = [y, x.to_owned()];
        s + (&w[0] * &w[1]).sum()
    }
    #[test]
    fn t_t6() {
        let x = array![0.3, 0.7, 0.1];
        let y = array![0.5, -0.2, 0.4];
        let (val, (dx, dy)) = t6_grad(&x, y.clone(), 2);
        assert_eq!(val, t6(&x, y.clone(), 2));
        assert_close(&dx, &central_array(&x, |x| t6(x, y.clone(), 2)));
        assert_close(&dy, &central_array(&y, |y| t6(&x, y.clone(), 2)));
    }

    #[differentiable]
    fn t7(x: f64, n: usize) -> f64 {
        let mut s = x;
        for i in 0..n {
            let (a, b) = match i % 2 {
                0 => (1.0, 2.0),
                1 => (s, x * s),
                _ => unreachable!(),
            };
            s = a * b + s.sin();
        }
        s
    }
    #[test]
    fn t_t7() {
        check(|x| t7(x, 5), |x| t7_grad(x, 5), &[0.3, 0.9]);
    }
}

mod r4_nested {
    #![allow(unused_imports, clippy::all)]
    use crate::common::{assert_close, central_array};
    use gradgen::ndarray::{Array1, Array2, Axis, array};
    use gradgen::prelude::*;

    #[differentiable(wrt(m, r))]
    fn n1(m: &Array2<f64>, r: &Array1<f64>, ks: &[u8]) -> f64 {
        let mut acc = m.to_owned();
        for &k in ks {
            for j in 0..2 {
                acc = match k {
                    0 => r + &acc,
                    1 => {
                        let c = &acc.row(j);
                        &acc - c
                    }
                    2 => {
                        let s = acc.sum();
                        s - acc
                    }
                    _ => acc.sum_axis(Axis(0)) + &acc * 0.5,
                };
                acc = acc.tanh();
            }
        }
        acc.sum() + (&acc * &acc).sum()
    }
    #[test]
    fn t_n1() {
        let m = array![[0.3, 0.7, 0.1], [0.2, -0.4, 0.5]];
        let r = array![0.1, 0.2, 0.3];
        let ks = [0u8, 1, 2, 3, 1];
        let (v, (dm, dr)) = n1_grad(&m, &r, &ks);
        assert_eq!(v, n1(&m, &r, &ks));
        assert_close(&dm, &central_array(&m, |m| n1(m, &r, &ks)));
        assert_close(&dr, &central_array(&r, |r| n1(&m, r, &ks)));
    }
}

mod r4_shapes {
    #![allow(unused_imports, clippy::all)]
    use crate::common::{assert_close, central_array, check};
    use gradgen::ndarray::{Array1, Array2, Axis, array};
    use gradgen::prelude::*;

    #[differentiable]
    fn s1(m: &Array2<f64>, r: &Array1<f64>, n: usize) -> f64 {
        let mut acc = m.clone();
        for _ in 0..n {
            acc = r + &acc;
            acc = acc.mapv(f64::sin);
        }
        acc.sum()
    }
    #[test]
    fn t_s1() {
        let m = array![[0.3, 0.7, 0.1], [0.2, -0.4, 0.5]];
        let r = array![0.1, 0.2, 0.3];
        let (v, (dm, dr)) = s1_grad(&m, &r, 3);
        assert_eq!(v, s1(&m, &r, 3));
        assert_close(&dm, &central_array(&m, |m| s1(m, &r, 3)));
        assert_close(&dr, &central_array(&r, |r| s1(&m, r, 3)));
    }

    #[differentiable]
    fn s2(x: &Array1<f64>, c: f64, n: usize) -> f64 {
        let mut a = x.clone();
        for _ in 0..n {
            let b = c - &a;
            a = b.mapv(f64::sin) - c;
            a = a * c;
        }
        a.sum()
    }
    #[test]
    fn t_s2() {
        let x = array![0.3, 0.7, 0.1];
        let (v, (dx, dc)) = s2_grad(&x, 0.4, 3);
        assert_eq!(v, s2(&x, 0.4, 3));
        assert_close(&dx, &central_array(&x, |x| s2(x, 0.4, 3)));
        let est = crate::common::central(|c| s2(&x, c, 3), 0.4);
        assert!((dc - est).abs() < 1e-6 * (1.0 + est.abs()), "{dc} vs {est}");
    }

    #[differentiable]
    fn s3(m: &Array2<f64>, n: usize) -> f64 {
        let mut s = 0.0;
        for i in 0..n {
            let row = m.row(i);
            let d = &row - &m.row(0);
            let e = m - &row;
            s = s + (&d * &d).sum() + (&e * &e).sum() + (row.to_owned() + 1.0).mapv(f64::cos).sum();
        }
        s
    }
    #[test]
    fn t_s3() {
        let m = array![[0.3, 0.7, 0.1], [0.2, -0.4, 0.5]];
        let (v, dm) = s3_grad(&m, 2);
        assert_eq!(v, s3(&m, 2));
        assert_close(&dm, &central_array(&m, |m| s3(m, 2)));
    }

    #[differentiable]
    fn s4(m: &Array2<f64>, flag: bool) -> f64 {
        let y = if flag {
            let c = m.sum_axis(Axis(0));
            let z = m + &c;
            z * 2.0
        } else {
            let c = m.sum();
            c - m
        };
        (&y * &y).sum()
    }
    #[test]
    fn t_s4() {
        let m = array![[0.3, 0.7, 0.1], [0.2, -0.4, 0.5]];
        for f in [true, false] {
            let (v, dm) = s4_grad(&m, f);
            assert_eq!(v, s4(&m, f));
            assert_close(&dm, &central_array(&m, |m| s4(m, f)));
        }
    }

    #[differentiable]
    fn s5(x: f32, n: usize) -> f32 {
        let mut a = x;
        let mut i = 0;
        while i < n {
            let r = &a;
            a = r + x;
            a = a * a - &x;
            if a > 100.0 {
                break;
            }
            i += 1;
        }
        a
    }
    #[test]
    fn t_s5() {
        let (v, d) = s5_grad(0.3f32, 3);
        let h = 1e-3f32;
        let est = (s5(0.3 + h, 3) - s5(0.3 - h, 3)) / (2.0 * h);
        assert_eq!(v, s5(0.3, 3));
        assert!((d - est).abs() < 1e-2 * (1.0 + est.abs()), "{d} vs {est}");
    }

    #[differentiable]
    fn s6<T: Real>(x: T, xs: &[T], n: usize) -> T {
        let mut a = x;
        for k in 0..n {
            for v in xs.iter() {
                a = a + *v;
                a = a * x - T::one();
            }
            a = a - x * T::from_f64_lossy(k as f64);
        }
        a
    }
    #[test]
    fn t_s6() {
        let xs = [0.2, 0.5];
        check(
            |x| s6(x, &xs, 2),
            |x| {
                let (v, (d, _)) = s6_grad(x, &xs, 2);
                (v, d)
            },
            &[0.3, 0.9],
        );
    }

    #[differentiable]
    fn s7(x: &Array1<f64>, n: usize) -> f64 {
        let mut s = 0.0;
        for _ in 0..n {
            let v: Vec<Array1<f64>> = vec![x.clone(), x * 2.0];
            for a in v.iter() {
                let b = a + 1.0;
                let c = b - a.sum();
                s = s + (&c * &c).sum();
            }
        }
        s
    }
    #[test]
    fn t_s7() {
        let x = array![0.3, 0.7, 0.1];
        let (v, dx) = s7_grad(&x, 2);
        assert_eq!(v, s7(&x, 2));
        assert_close(&dx, &central_array(&x, |x| s7(x, 2)));
    }

    #[differentiable]
    fn s8(m: &Array2<f64>) -> f64 {
        let c = m.sum_axis(Axis(1)).insert_axis(Axis(1));
        let y = c - m;
        (&y * &y).sum()
    }
    #[test]
    fn t_s8() {
        let m = array![[0.3, 0.7, 0.1], [0.2, -0.4, 0.5]];
        let (v, dm) = s8_grad(&m);
        assert_eq!(v, s8(&m));
        assert_close(&dm, &central_array(&m, s8));
    }
}
