//! `vb2scope explain`: a rule in full.

use anyhow::{Result, bail};

use vb2scope_core::policy::Policy;
use vb2scope_core::rules::{RuleId, RuleInfo, all_rules, info};

fn wrap(text: &str, indent: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for w in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + w.len() > width {
            out.push_str(indent);
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(w);
    }
    if !line.is_empty() {
        out.push_str(indent);
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn full(r: &RuleInfo) -> String {
    let sev: Vec<String> = Policy::ALL
        .iter()
        .map(|&p| {
            format!(
                "{}={}",
                p,
                r.severity_under(p)
                    .map(|s| s.as_str())
                    .unwrap_or("not reported")
            )
        })
        .collect();
    let mut s = format!("{}  {}\nseverity: {}\n\n", r.id, r.title, sev.join("  "));
    s.push_str("What it means:\n");
    s.push_str(&wrap(r.explanation, "  ", 92));
    s.push_str(&format!("\nWhat it rests on: {}\n", r.source));
    s.push_str(&wrap(&format!("\"{}\"", r.quote), "  ", 92));
    s.push_str("\nUnder each policy:\n");
    for (p, text) in Policy::ALL.iter().zip(r.per_policy) {
        s.push_str(&format!("  {}:\n", p));
        s.push_str(&wrap(text, "    ", 90));
    }
    s
}

pub fn run(rule: Option<&str>) -> Result<i32> {
    match rule {
        Some(id) => {
            let Some(id) = RuleId::parse(id) else {
                bail!(
                    "unknown rule {id:?}; rules are R01 to R22, R07b, R12b, EXPECT and DIVERGE (vb2scope explain lists them)"
                )
            };
            print!("{}", full(info(id)));
        }
        None => {
            for r in all_rules() {
                println!("{:<7} {}", r.id.as_str(), r.title);
            }
            println!("\nvb2scope explain RULE prints one in full.");
        }
    }
    Ok(0)
}
