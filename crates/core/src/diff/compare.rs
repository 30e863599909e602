//! Two digests aligned lane by lane: the calls of each queue are matched by what the
//! application asked (a longest common subsequence of the calls, so that a call present in
//! one trace only shifts nothing after it), then each matched pair is compared on what the
//! kernel answered, the memops inside, the state left and the findings.

use serde::Serialize;
use similar::{Algorithm, DiffOp, capture_diff_slices};

use super::digest::{Digest, Lane, LaneKey, Step};

/// What differs at one point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Aspect {
    /// The buffer, queue or device is used in one trace only.
    LaneOnlyInA,
    LaneOnlyInB,
    /// The call is made in one trace only.
    OnlyInA,
    OnlyInB,
    /// Both make a call here, but not the same (another buffer, another dma-buf).
    Call,
    Result,
    Memops,
    State,
    Findings,
}

impl Aspect {
    pub fn as_str(self) -> &'static str {
        match self {
            Aspect::LaneOnlyInA => "used in A only",
            Aspect::LaneOnlyInB => "used in B only",
            Aspect::OnlyInA => "call in A only",
            Aspect::OnlyInB => "call in B only",
            Aspect::Call => "call",
            Aspect::Result => "result",
            Aspect::Memops => "memops",
            Aspect::State => "state",
            Aspect::Findings => "findings",
        }
    }
}

/// One point where the lifecycles differ.
#[derive(Clone, Debug, Serialize)]
pub struct Difference {
    pub lane: String,
    pub key: LaneKey,
    /// The call's position among its lane's calls, in each trace.
    pub a_call: Option<usize>,
    pub b_call: Option<usize>,
    pub a: Option<Step>,
    pub b: Option<Step>,
    pub aspects: Vec<Aspect>,
    /// Where it sits in A's order: a call of B alone goes after the A call matched with the
    /// last B call before it (in any lane), then in B's order.
    #[serde(skip)]
    order: (u32, u32, u32),
}

/// Every difference of two digests, in A's order.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// Lanes in both, by A's label.
    pub lanes_compared: Vec<String>,
    pub calls_compared: usize,
    pub differences: Vec<Difference>,
}

impl Comparison {
    pub fn same(&self) -> bool {
        self.differences.is_empty()
    }
}

/// Compares `a` with `b`.
pub fn compare(a: &Digest, b: &Digest) -> Comparison {
    let mut out = Comparison {
        lanes_compared: Vec::new(),
        calls_compared: 0,
        differences: Vec::new(),
    };
    // (B event, A event) of the calls matched, to place B's calls in A's order.
    let mut matched: Vec<(u32, u32)> = Vec::new();
    for la in &a.lanes {
        match b.lanes.iter().find(|l| l.key == la.key) {
            Some(lb) => {
                out.lanes_compared.push(la.label.clone());
                out.calls_compared += la.steps.len().max(lb.steps.len());
                compare_lane(la, lb, &mut out.differences, &mut matched);
            }
            None => out
                .differences
                .push(lane_alone(la, Aspect::LaneOnlyInA, true)),
        }
    }
    for lb in &b.lanes {
        if !a.lanes.iter().any(|l| l.key == lb.key) {
            out.differences
                .push(lane_alone(lb, Aspect::LaneOnlyInB, false));
        }
    }
    matched.sort_unstable();
    for d in &mut out.differences {
        if let (None, Some(sb)) = (&d.a, &d.b) {
            let p = matched.partition_point(|&(eb, _)| eb <= sb.event);
            let at_a = p
                .checked_sub(1)
                .and_then(|p| matched.get(p))
                .map_or(0, |m| m.1);
            d.order = (at_a, 1, sb.event);
        }
    }
    out.differences.sort_by_key(|d| d.order);
    out
}

fn lane_alone(lane: &Lane, aspect: Aspect, in_a: bool) -> Difference {
    let first = lane.steps.first().cloned();
    let at = first.as_ref().map_or(0, |s| s.event);
    let (a, b) = if in_a { (first, None) } else { (None, first) };
    Difference {
        lane: lane.label.clone(),
        key: lane.key,
        a_call: in_a.then_some(0),
        b_call: (!in_a).then_some(0),
        a,
        b,
        aspects: vec![aspect],
        order: (at, 0, 0),
    }
}

fn compare_lane(la: &Lane, lb: &Lane, out: &mut Vec<Difference>, matched: &mut Vec<(u32, u32)>) {
    let ops_a: Vec<&str> = la.steps.iter().map(|s| s.op.as_str()).collect();
    let ops_b: Vec<&str> = lb.steps.iter().map(|s| s.op.as_str()).collect();
    let diff = |i: Option<usize>, j: Option<usize>, aspects: Vec<Aspect>| {
        let a = i.and_then(|i| la.steps.get(i));
        let b = j.and_then(|j| lb.steps.get(j));
        // B's calls alone are placed once every lane is matched.
        let order = (a.map_or(0, |s| s.event), 0, 0);
        Difference {
            lane: la.label.clone(),
            key: la.key,
            a_call: a.and(i),
            b_call: b.and(j),
            a: a.cloned(),
            b: b.cloned(),
            aspects,
            order,
        }
    };
    for op in capture_diff_slices(Algorithm::Myers, &ops_a, &ops_b) {
        match op {
            DiffOp::Equal {
                old_index,
                new_index,
                len,
            } => {
                for k in 0..len {
                    let (i, j) = (old_index + k, new_index + k);
                    if let (Some(sa), Some(sb)) = (la.steps.get(i), lb.steps.get(j)) {
                        matched.push((sb.event, sa.event));
                        let aspects = differing(sa, sb);
                        if !aspects.is_empty() {
                            out.push(diff(Some(i), Some(j), aspects));
                        }
                    }
                }
            }
            DiffOp::Delete {
                old_index, old_len, ..
            } => {
                for i in old_index..old_index + old_len {
                    out.push(diff(Some(i), None, vec![Aspect::OnlyInA]));
                }
            }
            DiffOp::Insert {
                new_index, new_len, ..
            } => {
                for j in new_index..new_index + new_len {
                    out.push(diff(None, Some(j), vec![Aspect::OnlyInB]));
                }
            }
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                // Calls in the same place that ask for different things: paired in turn,
                // the longer side's rest alone.
                for k in 0..old_len.max(new_len) {
                    let i = (k < old_len).then_some(old_index + k);
                    let j = (k < new_len).then_some(new_index + k);
                    let d = match (i, j) {
                        (Some(_), Some(_)) => {
                            let mut aspects = vec![Aspect::Call];
                            if let (Some(sa), Some(sb)) = (
                                i.and_then(|i| la.steps.get(i)),
                                j.and_then(|j| lb.steps.get(j)),
                            ) {
                                aspects.extend(differing(sa, sb));
                            }
                            diff(i, j, aspects)
                        }
                        (Some(_), None) => diff(i, None, vec![Aspect::OnlyInA]),
                        _ => diff(None, j, vec![Aspect::OnlyInB]),
                    };
                    out.push(d);
                }
            }
        }
    }
}

/// What differs between two calls that ask for the same thing.
fn differing(a: &Step, b: &Step) -> Vec<Aspect> {
    let mut out = Vec::new();
    if a.result != b.result {
        out.push(Aspect::Result);
    }
    if sorted(&a.memops) != sorted(&b.memops) {
        out.push(Aspect::Memops);
    }
    if a.state != b.state {
        out.push(Aspect::State);
    }
    if sorted(&a.findings) != sorted(&b.findings) {
        out.push(Aspect::Findings);
    }
    out
}

fn sorted(v: &[String]) -> Vec<&str> {
    let mut s: Vec<&str> = v.iter().map(String::as_str).collect();
    s.sort_unstable();
    s
}
