//! A layered (Sugiyama-style) layout, top to bottom, for the topology diagram.
//!
//! The steps, each deterministic (index order breaks every tie, no hash map):
//! 1. **Cycles**: a depth-first search from the sources, in index order, reverses the
//!    edges that close a cycle (a reply queue back to its requester); they are drawn
//!    with their arrow at the original end.
//! 2. **Ranks**: longest path from the sources, two ranks per edge, so that an edge's
//!    label sits in the odd rank between its ends (as Graphviz does); a source is
//!    then pulled down next to its first successor.
//! 3. **Virtual nodes**: an edge spanning several ranks becomes a chain through one
//!    virtual node per rank; the first is the label's box.
//! 4. **Order**: barycentre sweeps down and up (24), keeping the order with the fewest
//!    crossings between adjacent ranks.
//! 5. **x**: each rank's nodes are moved towards the (weighted) mean x of their
//!    neighbours, in order and without overlap: a least-squares fit under minimum
//!    separations, solved exactly by pool-adjacent-violators. Chains of virtual nodes
//!    weigh more, which keeps long edges straight.
//! 6. **Routes**: every edge leaves its upper node's bottom and enters its lower node's
//!    top at ports spread along the side, in the order of the other ends.

/// A node to place: its box.
#[derive(Clone, Copy, Debug)]
pub struct NodeIn {
    /// Width of the box.
    pub w: f64,
    /// Height of the box.
    pub h: f64,
    /// Room kept free right of the box (for a self loop and its label).
    pub extra_right: f64,
}

/// An edge to route (a self loop is not routed: see [`NodeIn::extra_right`]).
#[derive(Clone, Copy, Debug)]
pub struct EdgeIn {
    /// Tail node.
    pub from: usize,
    /// Head node.
    pub to: usize,
    /// Width and height of its label box.
    pub label: (f64, f64),
    /// Width of the bundle of strands.
    pub thickness: f64,
}

/// A routed edge.
#[derive(Clone, Debug, PartialEq)]
pub struct Route {
    /// Points from the tail to the head.
    pub points: Vec<(f64, f64)>,
    /// Top-left corner of its label box.
    pub label: (f64, f64),
}

/// The layout.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// Top-left corner of every node.
    pub pos: Vec<(f64, f64)>,
    /// One route per edge (`None` for a self loop).
    pub routes: Vec<Option<Route>>,
    /// Width of the drawing.
    pub width: f64,
    /// Height of the drawing.
    pub height: f64,
}

const MARGIN: f64 = 12.0;
const NODE_GAP: f64 = 28.0;
const VIRTUAL_GAP: f64 = 10.0;
const RANK_GAP: f64 = 14.0;
const LABEL_LINE: f64 = 6.0;

/// A node of the layered graph: a real node, a label box or a plain virtual node.
#[derive(Clone, Copy, Debug)]
struct LNode {
    rank: usize,
    left: f64,
    right: f64,
    h: f64,
    real: bool,
}

/// Edges to reverse so that the graph is acyclic.
fn back_edges(n: usize, edges: &[EdgeIn]) -> Vec<bool> {
    let mut out_edges: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut indeg = vec![0usize; n];
    for (i, e) in edges.iter().enumerate() {
        if e.from != e.to {
            out_edges[e.from].push(i);
            indeg[e.to] += 1;
        }
    }
    let mut state = vec![0u8; n];
    let mut back = vec![false; edges.len()];
    let roots: Vec<usize> = (0..n).filter(|&v| indeg[v] == 0).chain(0..n).collect();
    for root in roots {
        if state[root] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(root, 0)];
        state[root] = 1;
        while let Some(&mut (v, ref mut k)) = stack.last_mut() {
            if let Some(&ei) = out_edges[v].get(*k) {
                *k += 1;
                let w = edges[ei].to;
                match state[w] {
                    0 => {
                        state[w] = 1;
                        stack.push((w, 0));
                    }
                    1 => back[ei] = true,
                    _ => {}
                }
            } else {
                state[v] = 2;
                stack.pop();
            }
        }
    }
    back
}

/// Ranks of the real nodes (even numbers), on the edges as oriented by `dag`.
fn ranks(n: usize, dag: &[(usize, usize)]) -> Vec<usize> {
    let mut indeg = vec![0usize; n];
    for &(_, v) in dag {
        indeg[v] += 1;
    }
    let mut rank = vec![0usize; n];
    let mut ready: std::collections::BTreeSet<usize> = (0..n).filter(|&v| indeg[v] == 0).collect();
    let mut order = Vec::new();
    while let Some(v) = ready.pop_first() {
        order.push(v);
        for &(a, b) in dag.iter().filter(|e| e.0 == v) {
            rank[b] = rank[b].max(rank[a] + 2);
            indeg[b] -= 1;
            if indeg[b] == 0 {
                ready.insert(b);
            }
        }
    }
    // Sources sit just above their nearest successor.
    for v in 0..n {
        let has_in = dag.iter().any(|e| e.1 == v);
        let next = dag.iter().filter(|e| e.0 == v).map(|e| rank[e.1]).min();
        if let (false, Some(r)) = (has_in, next) {
            rank[v] = r.saturating_sub(2);
        }
    }
    rank
}

/// Crossings between adjacent ranks for an order (`pos[node]` within its rank).
fn crossings(segs: &[(usize, usize)], nodes: &[LNode], pos: &[usize]) -> usize {
    let mut c = 0;
    for (i, &(a, b)) in segs.iter().enumerate() {
        for &(x, y) in &segs[i + 1..] {
            if nodes[a].rank != nodes[x].rank {
                continue;
            }
            let (p, q) = (pos[a] as i64 - pos[x] as i64, pos[b] as i64 - pos[y] as i64);
            if p * q < 0 {
                c += 1;
            }
        }
    }
    c
}

/// Orders every rank by barycentre sweeps; returns the ranks' node lists.
fn order(nodes: &[LNode], segs: &[(usize, usize)], max_rank: usize) -> Vec<Vec<usize>> {
    let mut layers: Vec<Vec<usize>> = vec![Vec::new(); max_rank + 1];
    for (i, n) in nodes.iter().enumerate() {
        layers[n.rank].push(i);
    }
    let positions = |layers: &Vec<Vec<usize>>| {
        let mut pos = vec![0usize; nodes.len()];
        for l in layers {
            for (k, &v) in l.iter().enumerate() {
                pos[v] = k;
            }
        }
        pos
    };
    let mut best = layers.clone();
    let mut best_c = crossings(segs, nodes, &positions(&layers));
    for it in 0..24 {
        let down = it % 2 == 0;
        let ranks: Vec<usize> = if down {
            (1..=max_rank).collect()
        } else {
            (0..max_rank).rev().collect()
        };
        for r in ranks {
            let pos = positions(&layers);
            let mut keyed: Vec<(f64, usize)> = layers[r]
                .iter()
                .map(|&v| {
                    let nb: Vec<f64> = segs
                        .iter()
                        .filter_map(|&(a, b)| match down {
                            true if b == v => Some(pos[a] as f64),
                            false if a == v => Some(pos[b] as f64),
                            _ => None,
                        })
                        .collect();
                    let key = if nb.is_empty() {
                        pos[v] as f64
                    } else {
                        nb.iter().sum::<f64>() / nb.len() as f64
                    };
                    (key, v)
                })
                .collect();
            keyed.sort_by(|x, y| x.0.total_cmp(&y.0));
            layers[r] = keyed.into_iter().map(|(_, v)| v).collect();
        }
        let c = crossings(segs, nodes, &positions(&layers));
        if c < best_c {
            best_c = c;
            best = layers.clone();
        }
    }
    best
}

/// Least squares under minimum separations: x[i+1] - x[i] >= sep[i], minimising
/// sum w[i] (x[i] - want[i])^2 (pool adjacent violators on the shifted problem).
fn fit(want: &[f64], w: &[f64], sep: &[f64]) -> Vec<f64> {
    let mut off = vec![0.0; want.len()];
    for i in 1..want.len() {
        off[i] = off[i - 1] + sep[i - 1];
    }
    // Blocks: (sum of weights, weighted sum, count).
    let mut blocks: Vec<(f64, f64, usize)> = Vec::new();
    for i in 0..want.len() {
        blocks.push((w[i], w[i] * (want[i] - off[i]), 1));
        while blocks.len() > 1 {
            let (a, b) = (blocks[blocks.len() - 2], blocks[blocks.len() - 1]);
            if a.1 / a.0 <= b.1 / b.0 {
                break;
            }
            blocks.pop();
            let last = blocks.len() - 1;
            blocks[last] = (a.0 + b.0, a.1 + b.1, a.2 + b.2);
        }
    }
    let mut x = Vec::with_capacity(want.len());
    for (sw, s, c) in blocks {
        for _ in 0..c {
            x.push(s / sw + off[x.len()]);
        }
    }
    x
}

/// The x of every layered node.
fn place_x(nodes: &[LNode], segs: &[(usize, usize)], layers: &[Vec<usize>]) -> Vec<f64> {
    let gap = |a: usize, b: usize| {
        if nodes[a].real && nodes[b].real {
            NODE_GAP
        } else {
            VIRTUAL_GAP
        }
    };
    let mut x = vec![0.0; nodes.len()];
    for l in layers {
        let mut at = 0.0;
        for (k, &v) in l.iter().enumerate() {
            if k > 0 {
                at += nodes[l[k - 1]].right + gap(l[k - 1], v) + nodes[v].left;
            }
            x[v] = at;
        }
    }
    let weight = |a: usize, b: usize| match (nodes[a].real, nodes[b].real) {
        (false, false) => 8.0,
        (true, true) => 1.0,
        _ => 2.0,
    };
    for it in 0..16 {
        let (up, down) = match it % 3 {
            0 => (true, false),
            1 => (false, true),
            _ => (true, true),
        };
        let ranks: Vec<usize> = if it % 2 == 0 {
            (0..layers.len()).collect()
        } else {
            (0..layers.len()).rev().collect()
        };
        for r in ranks {
            let l = &layers[r];
            if l.is_empty() {
                continue;
            }
            let mut want = Vec::with_capacity(l.len());
            let mut ws = Vec::with_capacity(l.len());
            for &v in l {
                let (mut s, mut sw) = (0.0, 0.0);
                for &(a, b) in segs {
                    let other = if b == v && up {
                        a
                    } else if a == v && down {
                        b
                    } else {
                        continue;
                    };
                    let wgt = weight(a, b);
                    s += wgt * x[other];
                    sw += wgt;
                }
                want.push(if sw > 0.0 { s / sw } else { x[v] });
                ws.push(sw.max(0.5));
            }
            let sep: Vec<f64> = l
                .windows(2)
                .map(|p| nodes[p[0]].right + gap(p[0], p[1]) + nodes[p[1]].left)
                .collect();
            for (&v, nx) in l.iter().zip(fit(&want, &ws, &sep)) {
                x[v] = nx;
            }
        }
    }
    let min = nodes
        .iter()
        .zip(&x)
        .map(|(n, &x)| x - n.left)
        .fold(f64::INFINITY, f64::min);
    x.iter().map(|v| (v - min + MARGIN).round()).collect()
}

/// Chains: per edge, the layered nodes from its upper to its lower end (`None` for a
/// self-loop), adding a dummy node on every rank an edge crosses; and the segments.
#[allow(clippy::type_complexity)]
fn chains(
    edges: &[EdgeIn],
    back: &[bool],
    rank: &[usize],
    nodes: &mut Vec<LNode>,
) -> (Vec<Option<Vec<usize>>>, Vec<(usize, usize)>) {
    let mut chains: Vec<Option<Vec<usize>>> = Vec::with_capacity(edges.len());
    let mut segs: Vec<(usize, usize)> = Vec::new();
    for (e, &rev) in edges.iter().zip(back) {
        if e.from == e.to {
            chains.push(None);
            continue;
        }
        let (top, bottom) = if rev { (e.to, e.from) } else { (e.from, e.to) };
        let mut chain = vec![top];
        for r in rank[top] + 1..rank[bottom] {
            let first = r == rank[top] + 1;
            nodes.push(LNode {
                rank: r,
                left: if first {
                    LABEL_LINE
                } else {
                    e.thickness / 2.0 + 2.0
                },
                right: if first {
                    e.label.0 + 2.0 * LABEL_LINE
                } else {
                    e.thickness / 2.0 + 2.0
                },
                h: if first { e.label.1 } else { 0.0 },
                real: false,
            });
            chain.push(nodes.len() - 1);
        }
        chain.push(bottom);
        segs.extend(chain.windows(2).map(|w| (w[0], w[1])));
        chains.push(Some(chain));
    }
    (chains, segs)
}

/// Lay out the graph.
pub fn layout(input_nodes: &[NodeIn], edges: &[EdgeIn]) -> Layout {
    let n = input_nodes.len();
    let back = back_edges(n, edges);
    let dag: Vec<(usize, usize)> = edges
        .iter()
        .zip(&back)
        .filter(|(e, _)| e.from != e.to)
        .map(|(e, &b)| if b { (e.to, e.from) } else { (e.from, e.to) })
        .collect();
    let rank = ranks(n, &dag);
    let mut nodes: Vec<LNode> = input_nodes
        .iter()
        .enumerate()
        .map(|(i, nd)| LNode {
            rank: rank[i],
            left: nd.w / 2.0,
            right: nd.w / 2.0 + nd.extra_right,
            h: nd.h,
            real: true,
        })
        .collect();
    let (chains, segs) = chains(edges, &back, &rank, &mut nodes);
    let max_rank = nodes.iter().map(|n| n.rank).max().unwrap_or(0);
    let layers = order(&nodes, &segs, max_rank);
    let x = place_x(&nodes, &segs, &layers);
    // y: each rank as tall as its tallest box.
    let mut rank_top = vec![MARGIN; max_rank + 2];
    let mut rank_h = vec![0.0f64; max_rank + 1];
    for nd in &nodes {
        rank_h[nd.rank] = rank_h[nd.rank].max(nd.h);
    }
    for r in 0..=max_rank {
        rank_top[r + 1] = rank_top[r] + rank_h[r] + RANK_GAP;
    }
    let centre_y = |v: usize| rank_top[nodes[v].rank] + rank_h[nodes[v].rank] / 2.0;
    let pos: Vec<(f64, f64)> = (0..n)
        .map(|v| {
            (
                x[v] - nodes[v].left,
                (centre_y(v) - nodes[v].h / 2.0).round(),
            )
        })
        .collect();
    let ports = ports(&nodes, &segs, &x, n);
    let routes = chains
        .iter()
        .zip(&back)
        .map(|(c, &rev)| {
            let chain = c.as_ref()?;
            let mut pts = Vec::new();
            let (top, bottom) = (chain[0], chain[chain.len() - 1]);
            let seg_port = |s: (usize, usize), which: usize| {
                let k = segs.iter().position(|&q| q == s).unwrap_or(0);
                ports[k][which]
            };
            pts.push((seg_port((chain[0], chain[1]), 0), pos[top].1 + nodes[top].h));
            let mut label = (0.0, 0.0);
            for (k, &v) in chain[1..chain.len() - 1].iter().enumerate() {
                let cy = centre_y(v);
                if k == 0 {
                    label = (
                        x[v] + 2.0 * LABEL_LINE - 4.0,
                        (cy - nodes[v].h / 2.0).round(),
                    );
                    pts.push((x[v], cy - nodes[v].h / 2.0));
                    pts.push((x[v], cy + nodes[v].h / 2.0));
                } else {
                    pts.push((x[v], cy));
                }
            }
            let last = (chain[chain.len() - 2], bottom);
            pts.push((seg_port(last, 1), pos[bottom].1));
            if rev {
                pts.reverse();
            }
            Some(Route {
                points: pts
                    .into_iter()
                    .map(|(a, b)| ((a * 10.0).round() / 10.0, (b * 10.0).round() / 10.0))
                    .collect(),
                label,
            })
        })
        .collect();
    let width = nodes
        .iter()
        .zip(&x)
        .map(|(nd, &x)| x + nd.right)
        .fold(0.0, f64::max)
        + MARGIN;
    Layout {
        pos,
        routes,
        width: width.round(),
        height: (rank_top[max_rank + 1] - RANK_GAP + MARGIN).round(),
    }
}

/// For each segment, the x where it leaves its upper node and enters its lower one:
/// a real node spreads its segments along its side in the order of their other ends.
fn ports(nodes: &[LNode], segs: &[(usize, usize)], x: &[f64], real: usize) -> Vec<[f64; 2]> {
    let mut out: Vec<[f64; 2]> = segs.iter().map(|&(a, b)| [x[a], x[b]]).collect();
    for v in 0..real {
        #[allow(clippy::needless_range_loop)] // `side` picks the end of each segment too
        for side in 0..2 {
            // side 0: segments leaving v's bottom; side 1: entering its top.
            let mut list: Vec<(f64, usize)> = segs
                .iter()
                .enumerate()
                .filter(|(_, s)| if side == 0 { s.0 == v } else { s.1 == v })
                .map(|(k, s)| (if side == 0 { x[s.1] } else { x[s.0] }, k))
                .collect();
            list.sort_by(|p, q| p.0.total_cmp(&q.0).then(p.1.cmp(&q.1)));
            let w = nodes[v].left * 2.0;
            let left = x[v] - nodes[v].left;
            let m = list.len() as f64;
            for (i, &(_, k)) in list.iter().enumerate() {
                out[k][side] = left + w * (i as f64 + 1.0) / (m + 1.0);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node() -> NodeIn {
        NodeIn {
            w: 100.0,
            h: 40.0,
            extra_right: 0.0,
        }
    }

    fn edge(from: usize, to: usize) -> EdgeIn {
        EdgeIn {
            from,
            to,
            label: (60.0, 14.0),
            thickness: 4.0,
        }
    }

    #[test]
    fn a_chain_goes_down_and_a_cycle_is_broken() {
        let l = layout(
            &[node(), node(), node()],
            &[edge(0, 1), edge(1, 2), edge(2, 1)],
        );
        assert!(l.pos[0].1 < l.pos[1].1 && l.pos[1].1 < l.pos[2].1);
        // The reversed edge still runs from its tail (2, below) to its head (1).
        let r = l.routes[2].as_ref().unwrap();
        assert!(r.points[0].1 > r.points[r.points.len() - 1].1);
        assert_eq!(
            l,
            layout(
                &[node(), node(), node()],
                &[edge(0, 1), edge(1, 2), edge(2, 1)]
            )
        );
    }

    #[test]
    fn siblings_do_not_overlap() {
        let nodes = [node(), node(), node(), node()];
        let l = layout(&nodes, &[edge(0, 1), edge(0, 2), edge(0, 3)]);
        let mut xs: Vec<f64> = (1..4).map(|i| l.pos[i].0).collect();
        xs.sort_by(f64::total_cmp);
        assert!(xs[1] - xs[0] >= 100.0 && xs[2] - xs[1] >= 100.0, "{xs:?}");
    }

    #[test]
    fn fit_respects_separations() {
        let x = fit(&[0.0, 0.0, 0.0], &[1.0, 1.0, 1.0], &[10.0, 10.0]);
        assert_eq!(x, vec![-10.0, 0.0, 10.0]);
    }
}
