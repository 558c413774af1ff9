//! Pagination with an opaque `nextToken`.
//!
//! A table (`store::table`) pages in creation order, and its token is the base64 of the
//! creation number of the last row returned ([`Seq`]). Other ordered maps (a session's
//! participants) page by key, and their token is the base64 of the last key. Either way a page
//! starts in O(log n) however large the table is, and resources created or deleted between
//! pages neither repeat nor vanish from the walk.

use super::table::Key;
use crate::error::ApiError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::ops::Bound;

/// One page of a list: the items, and the token for the next page if more remain.
pub struct Page<V> {
    pub items: Vec<V>,
    pub next_token: Option<String>,
}

/// A row's place in its table's creation order: what a table's `nextToken` holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seq(pub u64);

/// What the last item of a page leaves in `nextToken`.
pub trait Mark {
    fn token(&self) -> String;
}

impl Mark for Seq {
    fn token(&self) -> String {
        token(itoa::Buffer::new().format(self.0))
    }
}

impl<K: AsRef<str> + ?Sized> Mark for &K {
    fn token(&self) -> String {
        token((*self).as_ref())
    }
}

/// The row a table's page ended on, from `next_token` (`None`: the first page, also for an
/// empty token, as AWS treats it). Pass it to the table's `after`.
pub fn after(next_token: Option<&str>) -> Result<Option<Seq>, ApiError> {
    let Some(token) = next_token.filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    match decode(token)?.parse() {
        Ok(seq) => Ok(Some(Seq(seq))),
        Err(_) => Err(invalid(token)),
    }
}

/// Where the page of a map ordered by key that `next_token` names starts. An empty token
/// means the first page, as AWS treats it. Pass the bound to the map's `range`.
pub fn start(next_token: Option<&str>) -> Result<(Bound<Key>, Bound<Key>), ApiError> {
    let start = match next_token.filter(|t| !t.is_empty()) {
        Some(token) => Bound::Excluded(decode(token)?.into()),
        None => Bound::Unbounded,
    };
    Ok((start, Bound::Unbounded))
}

/// Takes up to `max` entries that `keep` accepts from an ordered walk that began at
/// [`after`] (or [`start`]), and the token for the page after them.
pub fn collect<M: Mark, V>(
    entries: impl IntoIterator<Item = (M, V)>,
    max: usize,
    keep: impl Fn(&V) -> bool,
) -> Page<V> {
    let mut items = Vec::with_capacity(max.min(128));
    let mut last = None;
    let mut more = false;
    for (mark, value) in entries {
        if !keep(&value) {
            continue;
        }
        if items.len() == max {
            more = true;
            break;
        }
        items.push(value);
        last = Some(mark);
    }
    let next_token = if more { last.map(|mark| mark.token()) } else { None };
    Page { items, next_token }
}

/// The `nextToken` of a page whose last item has key `key`.
pub fn token(key: &str) -> String {
    STANDARD.encode(key)
}

fn decode(token: &str) -> Result<String, ApiError> {
    STANDARD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| invalid(token))
}

fn invalid(token: &str) -> ApiError {
    ApiError::validation(format!("The nextToken '{token}' is not valid."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn walks_every_item_once() {
        let table: BTreeMap<Key, u32> = (0..25).map(|i| (format!("k{i:02}").into(), i)).collect();
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let p = collect(table.range(start(token.as_deref()).unwrap()), 10, |v| *v % 2 == 0);
            seen.extend(p.items.into_iter().copied());
            token = p.next_token;
            if token.is_none() {
                break;
            }
        }
        assert_eq!(seen, (0..25).filter(|v| v % 2 == 0).collect::<Vec<_>>());
    }

    #[test]
    fn a_full_last_page_has_no_token() {
        let table: BTreeMap<Key, u32> = (0..10).map(|i| (format!("k{i:02}").into(), i)).collect();
        assert!(collect(table.range(start(None).unwrap()), 10, |_| true).next_token.is_none());
        assert!(start(Some("!!")).is_err());
    }
}
