//! A comparison in words, for the terminal: the two sides, then the first difference in
//! full and every difference after it.

use std::fmt::Write as _;

use super::compare::{Aspect, Difference};
use super::{Report, Side, Step};

/// `report` as text; `most`: how many differences are written in full (the rest counted).
pub fn text(report: &Report, most: usize) -> String {
    let mut s = String::new();
    side(&mut s, "A", &report.a);
    side(&mut s, "B", &report.b);
    let c = &report.comparison;
    let _ = writeln!(
        s,
        "compared: {} lane{} (devices, queues, buffers), {} call{}",
        c.lanes_compared.len(),
        plural(c.lanes_compared.len()),
        c.calls_compared,
        plural(c.calls_compared)
    );
    if c.same() {
        s.push_str("same lifecycle: every call answered alike, with the same memops, states and findings\n");
        return s;
    }
    let n = c.differences.len();
    let _ = writeln!(s, "{n} difference{}", plural(n));
    for (k, d) in c.differences.iter().take(most).enumerate() {
        s.push('\n');
        let head = if k == 0 { "first" } else { "then" };
        difference(&mut s, k + 1, head, d);
    }
    if n > most {
        let _ = writeln!(s, "\n… and {} more (--all lists them)", n - most);
    }
    s
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn side(s: &mut String, tag: &str, side: &Side) {
    let _ = write!(s, "{tag}: {} under {}", side.name, side.policy);
    if let Some(r) = &side.reason {
        let _ = write!(s, " (auto: {r})");
    }
    s.push('\n');
}

fn difference(s: &mut String, k: usize, head: &str, d: &Difference) {
    let op =
        d.a.as_ref()
            .or(d.b.as_ref())
            .map_or("", |st| st.op.as_str());
    let aspects: Vec<&str> = d.aspects.iter().map(|a| a.as_str()).collect();
    let _ = writeln!(s, "{k}. {head}: {} — {op} [{}]", d.lane, aspects.join(", "));
    if d.aspects.contains(&Aspect::LaneOnlyInA) || d.aspects.contains(&Aspect::LaneOnlyInB) {
        let (tag, st) = match (&d.a, &d.b) {
            (Some(a), _) => ("A", a),
            (_, Some(b)) => ("B", b),
            _ => return,
        };
        let _ = writeln!(s, "   {tag} first uses it at {}", place(st));
        return;
    }
    match (&d.a, &d.b) {
        (Some(a), Some(b)) => {
            let _ = writeln!(s, "   A {}   B {}", place(a), place(b));
            if d.aspects.contains(&Aspect::Call) {
                let _ = writeln!(s, "   call:     A {}  |  B {}", a.op, b.op);
            }
            if d.aspects.contains(&Aspect::Result) {
                let _ = writeln!(s, "   result:   A {}  |  B {}", a.result, b.result);
            }
            if d.aspects.contains(&Aspect::Memops) {
                let _ = writeln!(s, "   memops:   A {}  |  B {}", memops(a), memops(b));
            }
            if d.aspects.contains(&Aspect::State) {
                let _ = writeln!(s, "   state:    A {}  |  B {}", a.state, b.state);
            }
            if d.aspects.contains(&Aspect::Findings) {
                let _ = writeln!(
                    s,
                    "   findings: A {}  |  B {}",
                    list(&a.findings),
                    list(&b.findings)
                );
            }
        }
        (Some(a), None) => alone(s, "A", a),
        (None, Some(b)) => alone(s, "B", b),
        (None, None) => {}
    }
}

fn alone(s: &mut String, tag: &str, st: &Step) {
    let _ = writeln!(
        s,
        "   {tag} {}: {}; memops {}; {}",
        place(st),
        st.result,
        memops(st),
        if st.findings.is_empty() {
            "no findings".to_owned()
        } else {
            format!("findings {}", list(&st.findings))
        }
    );
}

/// `event 41 at 12.345 ms`.
fn place(st: &Step) -> String {
    format!("event {} at {} ms", st.event, crate::time::ms(st.t_ns))
}

fn memops(st: &Step) -> String {
    let source = if st.memops_observed {
        "kernel"
    } else {
        "model"
    };
    format!("{} ({source})", list(&st.memops))
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}
