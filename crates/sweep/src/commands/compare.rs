//! `sweep compare`: runs side by side.

use crate::load::user_lookup;
use crate::output::{duration_text, new_table, num, value_text};
use anyhow::Result;
use std::io::Write;
use sweep_core::RunRecord;
use sweep_store::Store;

pub fn compare(store: &dyn Store, ids: &[String]) -> Result<()> {
    let runs: Vec<RunRecord> = ids
        .iter()
        .map(|id| user_lookup(store.run(id)))
        .collect::<Result<_>>()?;
    let cmp = sweep_analysis::compare(&runs);
    let mut header = vec!["".to_string()];
    header.extend(runs.iter().map(|r| r.id.clone()));
    let mut t = new_table();
    t.set_header(header.clone());
    t.add_row(
        std::iter::once("status".to_string())
            .chain(runs.iter().map(|r| r.status.to_string()))
            .collect::<Vec<_>>(),
    );
    for diff in &cmp.differing {
        let mut row = vec![diff.key.clone()];
        row.extend(
            diff.values
                .iter()
                .map(|v| v.as_ref().map(value_text).unwrap_or_else(|| "—".into())),
        );
        t.add_row(row);
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "config ({} key(s) differ)", cmp.differing.len())?;
    writeln!(out, "{t}")?;
    let mut s = new_table();
    s.set_header(header);
    for m in &cmp.metrics {
        let mut row = vec![format!("{} ({})", m.metric, m.stat)];
        row.extend(
            m.values
                .iter()
                .map(|v| v.map(num).unwrap_or_else(|| "—".into())),
        );
        s.add_row(row);
    }
    let mut row = vec!["duration".to_string()];
    row.extend(runs.iter().map(|r| duration_text(r.duration())));
    s.add_row(row);
    writeln!(out, "\nsummary")?;
    writeln!(out, "{s}")?;
    Ok(())
}
