//! Rectangles in logical pixels and clipping of polylines and polygons to them.

/// An axis-aligned rectangle in logical pixels.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rect {
    pub x0: f64,
    pub y0: f64,
    pub x1: f64,
    pub y1: f64,
}

impl Rect {
    pub fn w(&self) -> f64 {
        self.x1 - self.x0
    }
    pub fn h(&self) -> f64 {
        self.y1 - self.y0
    }
}

/// Clip a polyline to a rectangle: the visible runs (Liang–Barsky per segment).
pub(crate) fn clip_polyline(pts: &[(f64, f64)], r: Rect) -> Vec<Vec<(f64, f64)>> {
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    for seg in pts.windows(2) {
        match clip_segment(seg[0], seg[1], r) {
            Some((a, b)) => {
                if cur.last() != Some(&a) {
                    if cur.len() >= 2 {
                        runs.push(std::mem::take(&mut cur));
                    } else {
                        cur.clear();
                    }
                    cur.push(a);
                }
                cur.push(b);
            }
            None => {
                if cur.len() >= 2 {
                    runs.push(std::mem::take(&mut cur));
                } else {
                    cur.clear();
                }
            }
        }
    }
    if cur.len() >= 2 {
        runs.push(cur);
    }
    runs
}

fn clip_segment(a: (f64, f64), b: (f64, f64), r: Rect) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let mut t0 = 0.0f64;
    let mut t1 = 1.0f64;
    for (p, q) in [
        (-dx, a.0 - r.x0),
        (dx, r.x1 - a.0),
        (-dy, a.1 - r.y0),
        (dy, r.y1 - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let t = q / p;
            if p < 0.0 {
                t0 = t0.max(t);
            } else {
                t1 = t1.min(t);
            }
            if t0 > t1 {
                return None;
            }
        }
    }
    Some((
        (a.0 + t0 * dx, a.1 + t0 * dy),
        (a.0 + t1 * dx, a.1 + t1 * dy),
    ))
}

/// Clip a polygon to a rectangle (Sutherland–Hodgman).
pub(crate) fn clip_polygon(pts: &[(f64, f64)], r: Rect) -> Vec<(f64, f64)> {
    type Inside = fn((f64, f64), Rect) -> bool;
    type Cross = fn((f64, f64), (f64, f64), Rect) -> (f64, f64);
    let edges: [(Inside, Cross); 4] = [
        (
            |p, r| p.0 >= r.x0,
            |a, b, r| {
                let t = (r.x0 - a.0) / (b.0 - a.0);
                (r.x0, a.1 + t * (b.1 - a.1))
            },
        ),
        (
            |p, r| p.0 <= r.x1,
            |a, b, r| {
                let t = (r.x1 - a.0) / (b.0 - a.0);
                (r.x1, a.1 + t * (b.1 - a.1))
            },
        ),
        (
            |p, r| p.1 >= r.y0,
            |a, b, r| {
                let t = (r.y0 - a.1) / (b.1 - a.1);
                (a.0 + t * (b.0 - a.0), r.y0)
            },
        ),
        (
            |p, r| p.1 <= r.y1,
            |a, b, r| {
                let t = (r.y1 - a.1) / (b.1 - a.1);
                (a.0 + t * (b.0 - a.0), r.y1)
            },
        ),
    ];
    let mut out: Vec<(f64, f64)> = pts.to_vec();
    for (inside, cross) in edges {
        if out.is_empty() {
            break;
        }
        let input = std::mem::take(&mut out);
        let mut prev = *input.last().expect("non-empty");
        for &cur in &input {
            let (ci, pi) = (inside(cur, r), inside(prev, r));
            if ci {
                if !pi {
                    out.push(cross(prev, cur, r));
                }
                out.push(cur);
            } else if pi {
                out.push(cross(prev, cur, r));
            }
            prev = cur;
        }
    }
    out
}
