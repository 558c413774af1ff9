//! Text building on the request path.

/// The parts one after another, in one allocation of the exact size. For the strings every
/// answer carries (ARNs, endpoints, URLs), this is several times cheaper than `format!`, whose
/// formatting machinery runs per argument and whose buffer grows as it goes.
pub fn concat(parts: &[&str]) -> String {
    let mut text = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        text.push_str(part);
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn joins_the_parts_in_order() {
        let text = super::concat(&["arn:", "aws", "", ":ivs"]);
        assert_eq!(text, "arn:aws:ivs");
        assert_eq!(text.capacity(), text.len());
        assert_eq!(super::concat(&[]), "");
    }
}
