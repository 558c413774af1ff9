//! The README's operations table must say exactly which operations the server implements.

use ivs_local::api::is_implemented;
use ivs_local::api::model::Operation;

#[test]
fn readme_lists_every_operation_with_its_status() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let rows: Vec<(usize, String, String, bool)> = readme
        .lines()
        .enumerate()
        .filter_map(|(n, line)| {
            let cells: Vec<&str> =
                line.trim().trim_matches('|').split('|').map(str::trim).collect();
            match cells.as_slice() {
                [service @ ("ivs" | "ivs-realtime"), op, status] => {
                    Some((n, service.to_string(), op.to_string(), *status == "yes"))
                }
                _ => None,
            }
        })
        .collect();
    assert_eq!(rows.len(), 79, "one row per operation of both models");
    // One table: a line between rows (a blank one) would end it, and Markdown would show the
    // rest as text.
    for pair in rows.windows(2) {
        assert_eq!(pair[1].0, pair[0].0 + 1, "README line {} breaks the table", pair[0].0 + 2);
    }
    let rows: Vec<_> = rows.into_iter().map(|(_, s, o, i)| (s, o, i)).collect();
    for op in Operation::all() {
        let row = rows
            .iter()
            .find(|(s, o, _)| s == op.service().name() && o == op.name())
            .unwrap_or_else(|| {
                panic!("README has no row for {} {}", op.service().name(), op.name())
            });
        assert_eq!(
            row.2,
            is_implemented(op),
            "README says {} {} implemented = {}",
            row.0,
            row.1,
            row.2
        );
    }
}
