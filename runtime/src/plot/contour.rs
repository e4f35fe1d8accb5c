//! Contour lines of a function sampled on a grid (marching squares), joined
//! into polylines.

use std::collections::HashMap;

/// Values of a function on a regular grid: `z[j * nx + i]` at `(xs[i], ys[j])`.
pub(crate) struct Grid {
    pub xs: Vec<f64>,
    pub ys: Vec<f64>,
    pub z: Vec<f64>,
}

impl Grid {
    /// Samples `f` at `nx` by `ny` points spanning the two ranges, ends
    /// included.
    pub fn sample(
        f: &dyn Fn(f64, f64) -> f64,
        (x0, x1): (f64, f64),
        (y0, y1): (f64, f64),
        nx: usize,
        ny: usize,
    ) -> Grid {
        let axis = |lo: f64, hi: f64, n: usize| -> Vec<f64> {
            (0..n)
                .map(|k| lo + (hi - lo) * k as f64 / (n - 1) as f64)
                .collect()
        };
        let xs = axis(x0, x1, nx);
        let ys = axis(y0, y1, ny);
        let z = ys
            .iter()
            .flat_map(|&y| xs.iter().map(move |&x| (x, y)))
            .map(|(x, y)| f(x, y))
            .collect();
        Grid { xs, ys, z }
    }

    pub fn at(&self, i: usize, j: usize) -> f64 {
        self.z[j * self.xs.len() + i]
    }

    /// The contour lines of `level`, as polylines of points.
    pub fn contour(&self, level: f64) -> Vec<Vec<(f64, f64)>> {
        let segments = self.segments(level);
        join(&segments)
            .into_iter()
            .map(|chain| chain.into_iter().map(|e| self.crossing(e, level)).collect())
            .collect()
    }

    /// Where the contour crosses a grid edge, by linear interpolation.
    fn crossing(&self, edge: Edge, level: f64) -> (f64, f64) {
        let (i, j, (di, dj)) = match edge {
            Edge::H(i, j) => (i, j, (1, 0)),
            Edge::V(i, j) => (i, j, (0, 1)),
        };
        let (za, zb) = (self.at(i, j), self.at(i + di, j + dj));
        let t = ((level - za) / (zb - za)).clamp(0.0, 1.0);
        let (xa, ya) = (self.xs[i], self.ys[j]);
        let (xb, yb) = (self.xs[i + di], self.ys[j + dj]);
        (xa + t * (xb - xa), ya + t * (yb - ya))
    }

    /// One segment per crossing cell (two in a saddle), each as the pair
    /// of grid edges it joins.
    fn segments(&self, level: f64) -> Vec<(Edge, Edge)> {
        let (nx, ny) = (self.xs.len(), self.ys.len());
        let mut out = Vec::new();
        for j in 0..ny - 1 {
            for i in 0..nx - 1 {
                // Corners counter-clockwise from the lower left.
                let (a, b, c, d) = (
                    self.at(i, j),
                    self.at(i + 1, j),
                    self.at(i + 1, j + 1),
                    self.at(i, j + 1),
                );
                if !(a.is_finite() && b.is_finite() && c.is_finite() && d.is_finite()) {
                    continue;
                }
                let case = usize::from(a > level)
                    | usize::from(b > level) << 1
                    | usize::from(c > level) << 2
                    | usize::from(d > level) << 3;
                let bottom = Edge::H(i, j);
                let right = Edge::V(i + 1, j);
                let top = Edge::H(i, j + 1);
                let left = Edge::V(i, j);
                let centre_above = (a + b + c + d) / 4.0 > level;
                match case {
                    1 | 14 => out.push((left, bottom)),
                    2 | 13 => out.push((bottom, right)),
                    3 | 12 => out.push((left, right)),
                    4 | 11 => out.push((right, top)),
                    6 | 9 => out.push((bottom, top)),
                    7 | 8 => out.push((left, top)),
                    5 if centre_above => out.extend([(bottom, right), (top, left)]),
                    5 => out.extend([(left, bottom), (right, top)]),
                    10 if centre_above => out.extend([(left, bottom), (right, top)]),
                    10 => out.extend([(bottom, right), (top, left)]),
                    _ => {}
                }
            }
        }
        out
    }
}

/// A grid edge: `H(i, j)` from node (i, j) to (i + 1, j), `V(i, j)` from
/// (i, j) to (i, j + 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Edge {
    H(usize, usize),
    V(usize, usize),
}

/// Joins segments that share an edge into chains of edges.
fn join(segments: &[(Edge, Edge)]) -> Vec<Vec<Edge>> {
    let mut at: HashMap<Edge, Vec<usize>> = HashMap::new();
    for (k, &(a, b)) in segments.iter().enumerate() {
        at.entry(a).or_default().push(k);
        at.entry(b).or_default().push(k);
    }
    let mut used = vec![false; segments.len()];
    let mut chains = Vec::new();
    for start in 0..segments.len() {
        if used[start] {
            continue;
        }
        used[start] = true;
        let (a, b) = segments[start];
        // Grow forward from b, then backward from a.
        let mut forward = vec![a, b];
        extend(&mut forward, &at, segments, &mut used);
        let mut backward = vec![a];
        extend(&mut backward, &at, segments, &mut used);
        backward.reverse();
        backward.pop();
        backward.extend(forward);
        chains.push(backward);
    }
    chains
}

/// Follows unused segments from the last edge of `chain`.
fn extend(
    chain: &mut Vec<Edge>,
    at: &HashMap<Edge, Vec<usize>>,
    segments: &[(Edge, Edge)],
    used: &mut [bool],
) {
    while let Some(&end) = chain.last() {
        let next = at
            .get(&end)
            .and_then(|ks| ks.iter().copied().find(|&k| !used[k]));
        let Some(k) = next else { break };
        used[k] = true;
        let (a, b) = segments[k];
        chain.push(if a == end { b } else { a });
    }
}

#[cfg(test)]
mod tests {
    use super::Grid;

    #[test]
    fn a_circle_is_one_closed_line_at_the_right_radius() {
        let grid = Grid::sample(&|x, y| x * x + y * y, (-2.0, 2.0), (-2.0, 2.0), 81, 81);
        let lines = grid.contour(1.0);
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_eq!(line.first(), line.last(), "closed");
        for &(x, y) in line {
            let r = (x * x + y * y).sqrt();
            assert!((r - 1.0).abs() < 0.01, "radius {r}");
        }
    }

    #[test]
    fn a_level_outside_the_values_has_no_line() {
        let grid = Grid::sample(&|x, _| x, (0.0, 1.0), (0.0, 1.0), 10, 10);
        assert!(grid.contour(2.0).is_empty());
        assert_eq!(grid.contour(0.5).len(), 1);
    }
}
