//! The README's operations table must say exactly which operations the server implements.

use ivs_local::api::is_implemented;
use ivs_local::api::model::Operation;

#[test]
fn readme_lists_every_operation_with_its_status() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let rows: Vec<(String, String, bool)> = readme
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> =
                line.trim().trim_matches('|').split('|').map(str::trim).collect();
            match cells.as_slice() {
                [service @ ("ivs" | "ivs-realtime"), op, status] => {
                    Some((service.to_string(), op.to_string(), *status == "yes"))
                }
                _ => None,
            }
        })
        .collect();
    assert_eq!(rows.len(), 79, "one row per operation of both models");
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
