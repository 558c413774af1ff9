//! [`Table`]: one resource type's rows by id, remembering which rows a write changed.
//!
//! Reads go through `Deref` to the `BTreeMap`; every way of changing a row is a method here
//! that notes the row's id, so a write guard (`store::ScopeWrite`) can hand exactly the changed
//! rows to persistence when it is released. There is no `DerefMut`: the compiler sees to it
//! that no change goes unnoticed.

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Deref;

/// A row's key: an id (12 characters for most resources), kept inline when it has at most 24
/// bytes. A lookup then compares bytes inside the tree's nodes instead of following a pointer
/// to the heap for every key it passes, and a row costs no allocation for its key.
pub type Key = compact_str::CompactString;

pub struct Table<T> {
    rows: BTreeMap<Key, T>,
    /// Ids of the rows inserted, changed or removed since the last [`Table::take_dirty`].
    dirty: BTreeSet<Key>,
    /// Whether changes are noted at all: only when they are persisted (`--data-dir`), so an
    /// in-memory server pays nothing for it.
    track: bool,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table { rows: BTreeMap::new(), dirty: BTreeSet::new(), track: false }
    }
}

impl<T> Deref for Table<T> {
    type Target = BTreeMap<Key, T>;

    fn deref(&self) -> &Self::Target {
        &self.rows
    }
}

impl<'a, T> IntoIterator for &'a Table<T> {
    type Item = (&'a Key, &'a T);
    type IntoIter = std::collections::btree_map::Iter<'a, Key, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.rows.iter()
    }
}

impl<T> Table<T> {
    pub fn insert(&mut self, id: impl Into<Key>, row: T) -> Option<T> {
        let id = id.into();
        if self.track {
            self.dirty.insert(id.clone());
        }
        self.rows.insert(id, row)
    }

    /// Notes that the row with id `id` changed.
    fn touch(&mut self, id: &str) {
        if self.track && !self.dirty.contains(id) {
            self.dirty.insert(Key::from(id));
        }
    }

    pub fn remove(&mut self, id: &str) -> Option<T> {
        let removed = self.rows.remove(id);
        if removed.is_some() {
            self.touch(id);
        }
        removed
    }

    /// The row, to change (it counts as changed).
    pub fn get_mut(&mut self, id: &str) -> Option<&mut T> {
        if self.track && self.rows.contains_key(id) {
            self.touch(id);
        }
        self.rows.get_mut(id)
    }

    /// The row, inserting `make()` when there is none (it counts as changed).
    pub fn get_or_insert_with(&mut self, id: &str, make: impl FnOnce() -> T) -> &mut T {
        self.touch(id);
        self.rows.entry(Key::from(id)).or_insert_with(make)
    }

    /// Keeps only the rows `keep` accepts.
    pub fn retain(&mut self, mut keep: impl FnMut(&Key, &mut T) -> bool) {
        let (dirty, track) = (&mut self.dirty, self.track);
        self.rows.retain(|id, row| {
            let kept = keep(id, row);
            if !kept && track {
                dirty.insert(id.clone());
            }
            kept
        });
    }

    /// Every row, to change (they all count as changed: use sparingly).
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut T> {
        if self.track {
            self.dirty.extend(self.rows.keys().cloned());
        }
        self.rows.values_mut()
    }

    /// The ids changed since the last call, each with its row (`None` when removed).
    pub fn take_dirty(&mut self) -> impl Iterator<Item = (Key, Option<&T>)> {
        let dirty = std::mem::take(&mut self.dirty);
        let rows = &self.rows;
        dirty.into_iter().map(move |id| {
            let row = rows.get(&id);
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
        self.rows.insert(id.into(), serde_json::from_slice(json)?);
        Ok(())
    }

    fn export(&self) -> serde_json::Value {
        serde_json::to_value(&self.rows).expect("records serialize")
    }

    fn import(&mut self, rows: serde_json::Value) -> Result<(), serde_json::Error> {
        self.rows = serde_json::from_value(rows)?;
        if self.track {
            self.dirty = self.rows.keys().cloned().collect();
        }
        Ok(())
    }
}
