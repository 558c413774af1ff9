//! [`Table`]: one resource type's rows by id, in the order they were created, remembering
//! which rows a write changed.
//!
//! Rows sit in a hash index kept in creation order (`IndexMap`): a look-up or an insert costs
//! the same however many rows there are, and lists page in creation order (which AWS leaves
//! undocumented; ivs-behavior.md suggests it). Every way of changing a row is a method here
//! that notes the row's id, so a write guard (`store::ScopeWrite`) can hand exactly the
//! changed rows to persistence when it is released; there is no mutable access to the index
//! itself, so the compiler sees to it that no change goes unnoticed.
//!
//! Why not an ordered tree: at a quarter of a million channels, the two tree inserts of a
//! CreateChannel (the channel and its stream key, at random places among ids drawn at random)
//! cost about a tenth of the request in cache misses.

use super::page::Seq;
use indexmap::IndexMap;
use indexmap::map::Entry;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, BTreeSet};

/// A row's key: an id (12 characters for most resources), kept inline when it has at most 24
/// bytes, so a row costs no allocation for its key and a look-up compares bytes in place.
pub type Key = compact_str::CompactString;

pub struct Table<T> {
    /// Every row by id, in creation order. A removed row leaves its slot empty, so that a
    /// removal moves nothing; the empty slots go when they outnumber the rows (see
    /// [`Table::remove`]).
    slots: IndexMap<Key, Slot<T>>,
    /// How many slots hold a row.
    live: usize,
    /// The creation number of the next new row.
    next_seq: u64,
    /// Ids of the rows inserted, changed or removed since the last [`Table::take_dirty`].
    dirty: BTreeSet<Key>,
    /// Whether changes are noted at all: only when they are persisted (`--data-dir`), so an
    /// in-memory server pays nothing for it.
    track: bool,
}

struct Slot<T> {
    /// The row's place in creation order: increasing along the slots, so a page's start is a
    /// binary search.
    seq: u64,
    row: Option<T>,
}

/// Empty slots tolerated before they may outnumber the rows (a small table is not compacted
/// at every removal).
const MIN_EMPTY_SLOTS: usize = 32;

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table { slots: IndexMap::new(), live: 0, next_seq: 0, dirty: BTreeSet::new(), track: false }
    }
}

/// A table's rows with their ids, oldest first.
pub struct Iter<'a, T>(indexmap::map::Iter<'a, Key, Slot<T>>);

impl<'a, T> Iterator for Iter<'a, T> {
    type Item = (&'a Key, &'a T);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.find_map(|(id, slot)| Some((id, slot.row.as_ref()?)))
    }
}

impl<'a, T> IntoIterator for &'a Table<T> {
    type Item = (&'a Key, &'a T);
    type IntoIter = Iter<'a, T>;

    fn into_iter(self) -> Iter<'a, T> {
        Iter(self.slots.iter())
    }
}

/// The row with this id, which must be there (as indexing a map).
impl<T> std::ops::Index<&str> for Table<T> {
    type Output = T;

    fn index(&self, id: &str) -> &T {
        self.get(id).expect("no row with this id")
    }
}

impl<T> Table<T> {
    pub fn get(&self, id: &str) -> Option<&T> {
        self.slots.get(id)?.row.as_ref()
    }

    pub fn contains_key(&self, id: &str) -> bool {
        self.get(id).is_some()
    }

    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Every row with its id, oldest first.
    pub fn iter(&self) -> Iter<'_, T> {
        self.into_iter()
    }

    pub fn keys(&self) -> impl Iterator<Item = &Key> {
        self.iter().map(|(id, _)| id)
    }

    pub fn values(&self) -> impl Iterator<Item = &T> {
        self.iter().map(|(_, row)| row)
    }

    /// The rows after the one a page ended on (all of them for `None`), oldest first, each
    /// with its place for the next page's token (`store::page::collect`). The start is a
    /// binary search; the walk then skips the empty slots on its way (at most as many as the
    /// rows, or 32).
    pub fn after(&self, last: Option<Seq>) -> impl Iterator<Item = (Seq, &T)> {
        self.after_with_ids(last).map(|(seq, _, row)| (seq, row))
    }

    /// [`Table::after`], with each row's id.
    pub fn after_with_ids(&self, last: Option<Seq>) -> impl Iterator<Item = (Seq, &Key, &T)> {
        let from = match last {
            Some(Seq(last)) => self.slots.partition_point(|_, slot| slot.seq <= last),
            None => 0,
        };
        let slots = self.slots.get_range(from..).into_iter().flatten();
        slots.filter_map(|(id, slot)| Some((Seq(slot.seq), id, slot.row.as_ref()?)))
    }

    /// Stores `row` under `id`, answering the row it replaces. A replaced row keeps its place
    /// in creation order; a new one goes last.
    pub fn insert(&mut self, id: impl Into<Key>, row: T) -> Option<T> {
        let id = id.into();
        if self.track {
            self.dirty.insert(id.clone());
        }
        let seq = self.next_seq;
        // One probe of the index for a new id, the common case.
        match self.slots.entry(id) {
            Entry::Occupied(mut occupied) if occupied.get().row.is_some() => {
                return occupied.get_mut().row.replace(row);
            }
            Entry::Occupied(occupied) => {
                // The id of a removed row, back (a channel live again): it is new, so it goes
                // last.
                let (id, _) = occupied.shift_remove_entry();
                self.slots.insert(id, Slot { seq, row: Some(row) });
            }
            Entry::Vacant(vacant) => {
                vacant.insert(Slot { seq, row: Some(row) });
            }
        }
        self.next_seq += 1;
        self.live += 1;
        None
    }

    /// Notes that the row with id `id` changed.
    fn touch(&mut self, id: &str) {
        if self.track && !self.dirty.contains(id) {
            self.dirty.insert(Key::from(id));
        }
    }

    /// Takes the row out, leaving its slot empty. When empty slots outnumber the rows, they
    /// all go in one pass, so a removal costs O(1) amortized and a table never holds more than
    /// about twice its rows.
    pub fn remove(&mut self, id: &str) -> Option<T> {
        let removed = self.slots.get_mut(id)?.row.take()?;
        self.live -= 1;
        self.touch(id);
        let empty = self.slots.len() - self.live;
        if empty > MIN_EMPTY_SLOTS && empty > self.live {
            self.slots.retain(|_, slot| slot.row.is_some());
        }
        Some(removed)
    }

    /// The row, to change (it counts as changed).
    pub fn get_mut(&mut self, id: &str) -> Option<&mut T> {
        if self.track && self.contains_key(id) {
            self.touch(id);
        }
        self.slots.get_mut(id)?.row.as_mut()
    }

    /// The row, inserting `make()` when there is none (it counts as changed).
    pub fn get_or_insert_with(&mut self, id: &str, make: impl FnOnce() -> T) -> &mut T {
        self.touch(id);
        if !self.contains_key(id) {
            self.insert(id, make());
        }
        self.slots.get_mut(id).and_then(|slot| slot.row.as_mut()).expect("the row is there")
    }

    /// Keeps only the rows `keep` accepts (and drops the empty slots on the way).
    pub fn retain(&mut self, mut keep: impl FnMut(&Key, &mut T) -> bool) {
        let (dirty, track) = (&mut self.dirty, self.track);
        let mut live = 0;
        self.slots.retain(|id, slot| {
            let Some(row) = &mut slot.row else { return false };
            let kept = keep(id, row);
            if kept {
                live += 1;
            } else if track {
                dirty.insert(id.clone());
            }
            kept
        });
        self.live = live;
    }

    /// Every row, to change (they all count as changed: use sparingly).
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut T> {
        if self.track {
            let ids = self.slots.iter().filter(|(_, slot)| slot.row.is_some());
            self.dirty.extend(ids.map(|(id, _)| id.clone()));
        }
        self.slots.values_mut().filter_map(|slot| slot.row.as_mut())
    }

    /// The ids changed since the last call, each with its row (`None` when removed).
    pub fn take_dirty(&mut self) -> impl Iterator<Item = (Key, Option<&T>)> {
        let dirty = std::mem::take(&mut self.dirty);
        let slots = &self.slots;
        dirty.into_iter().map(move |id| {
            let row = slots.get(&id).and_then(|slot| slot.row.as_ref());
            (id, row)
        })
    }
}

/// What persistence and state export need of a table, whatever its row type.
pub trait AnyTable {
    /// The changed rows as JSON (`None` for a removed row), forgetting that they changed.
    fn drain_changes(&mut self, out: &mut Vec<(String, Option<Vec<u8>>)>);
    /// Forgets which rows changed.
    fn forget_changes(&mut self);
    /// Starts noting which rows change (for persistence).
    fn track_changes(&mut self);
    /// Adds a row read back from JSON.
    fn load(&mut self, id: String, json: &[u8]) -> Result<(), serde_json::Error>;
    /// Every row, as a JSON object by id.
    fn export(&self) -> serde_json::Value;
    /// Every row of a JSON object by id, replacing none (the table is new).
    fn import(&mut self, rows: serde_json::Value) -> Result<(), serde_json::Error>;
}

impl<T: Serialize + DeserializeOwned> AnyTable for Table<T> {
    fn drain_changes(&mut self, out: &mut Vec<(String, Option<Vec<u8>>)>) {
        for (id, row) in self.take_dirty() {
            let json = row.map(|r| serde_json::to_vec(r).expect("records serialize"));
            out.push((id.into(), json));
        }
    }

    fn forget_changes(&mut self) {
        self.dirty.clear();
    }

    fn track_changes(&mut self) {
        self.track = true;
    }

    fn load(&mut self, id: String, json: &[u8]) -> Result<(), serde_json::Error> {
        self.insert(id, serde_json::from_slice(json)?);
        Ok(())
    }

    fn export(&self) -> serde_json::Value {
        let rows = self.iter().map(|(id, row)| {
            (id.to_string(), serde_json::to_value(row).expect("records serialize"))
        });
        serde_json::Value::Object(rows.collect())
    }

    fn import(&mut self, rows: serde_json::Value) -> Result<(), serde_json::Error> {
        // Read entirely before anything changes. The document keeps no creation order: the
        // rows come back in id order.
        let rows: BTreeMap<Key, T> = serde_json::from_value(rows)?;
        *self = Table { track: self.track, ..Table::default() };
        for (id, row) in rows {
            self.insert(id, row);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::page::{self, Mark};

    fn ids<T>(table: &Table<T>) -> Vec<&str> {
        table.keys().map(|k| k.as_str()).collect()
    }

    #[test]
    fn rows_come_in_creation_order_and_a_replaced_row_keeps_its_place() {
        let mut t = Table::default();
        for id in ["m", "c", "x", "a"] {
            assert!(t.insert(id, id.len()).is_none());
        }
        assert_eq!(t.insert("c", 7), Some(1));
        assert_eq!(ids(&t), ["m", "c", "x", "a"]);
        assert_eq!(t["c"], 7);
        assert_eq!(t.remove("c"), Some(7));
        assert_eq!(t.remove("c"), None);
        assert_eq!((t.len(), t.get("c"), t.contains_key("c")), (3, None, false));
        // A removed id that comes back is a new row: it goes last.
        t.insert("c", 2);
        assert_eq!(ids(&t), ["m", "x", "a", "c"]);
        *t.get_or_insert_with("z", || 9) += 1;
        assert_eq!(t.values().copied().collect::<Vec<_>>(), [1, 1, 1, 2, 10]);
    }

    #[test]
    fn empty_slots_go_once_they_outnumber_the_rows() {
        let mut t = Table::default();
        for i in 0..1000 {
            t.insert(format!("{i:04}"), i);
        }
        for i in (0..1000).filter(|i| i % 10 != 0) {
            assert_eq!(t.remove(&format!("{i:04}")), Some(i));
        }
        assert_eq!(t.len(), 100);
        assert!(t.slots.len() <= 2 * 100 + MIN_EMPTY_SLOTS + 1, "{} slots", t.slots.len());
        assert_eq!(
            t.values().copied().collect::<Vec<_>>(),
            (0..1000).step_by(10).collect::<Vec<_>>()
        );
        t.retain(|_, v| *v < 500);
        assert_eq!((t.len(), t.slots.len()), (50, 50));
    }

    #[test]
    fn pages_neither_repeat_nor_skip_rows_when_rows_change_between_them() {
        let mut t = Table::default();
        for i in 0..25 {
            t.insert(format!("k{i:02}"), i);
        }
        fn page(t: &Table<i32>, token: Option<&str>) -> (Vec<i32>, Option<String>) {
            let p = page::collect(t.after(page::after(token).unwrap()), 10, |v| **v % 2 == 0);
            (p.items.into_iter().copied().collect(), p.next_token)
        }
        let (first, token) = page(&t, None);
        assert_eq!(first, [0, 2, 4, 6, 8, 10, 12, 14, 16, 18]);
        let token = token.unwrap();
        // The page's last row goes, an earlier one too, and a new one comes.
        t.remove("k18");
        t.remove("k02");
        t.insert("a00", 100);
        assert_eq!(page(&t, Some(&token)), (vec![20, 22, 24, 100], None));
        assert_eq!(page::Seq(12).token(), page::token("12"));
        assert!(page::after(Some(&page::token("k01"))).is_err());
    }

    #[test]
    fn changes_are_noted_only_when_tracked() {
        let mut t = Table::default();
        t.insert("a", 1);
        assert_eq!(t.take_dirty().count(), 0);
        t.track_changes();
        t.insert("b", 2);
        t.remove("a");
        *t.get_mut("b").unwrap() += 1;
        let dirty: Vec<_> = t.take_dirty().map(|(id, row)| (id, row.copied())).collect();
        assert_eq!(dirty, [("a".into(), None), ("b".into(), Some(3))]);
    }
}
