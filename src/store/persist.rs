//! Durable state (`--data-dir`): every changed row goes to an embedded database (redb) before
//! the request that changed it is answered.
//!
//! How a write becomes durable:
//! 1. A handler changes rows through a [`WriteGuard`] (a scope's state, Cloud Control's request
//!    log). The tables note which rows changed.
//! 2. When the guard is released, still under the lock, the changed rows are serialized and
//!    handed to the [`Persister`] with a sequence number. Handing over under the lock keeps the
//!    disk's order of changes to a row the same as memory's.
//! 3. One thread takes every batch waiting, writes them in one redb transaction and commits it
//!    with an fsync (group commit: concurrent requests share one sync), then publishes the
//!    highest sequence number committed.
//! 4. The request's task remembers the highest sequence number it handed over
//!    ([`note_written`]); `server::Front` waits for it to be committed before the answer
//!    leaves.
//!
//! A batch is one transaction, so a request's changes are on disk entirely or not at all. A
//! reset or an import retires the values it replaces ([`Persisted::retire`]) before it hands
//! over its own batch, so no change to a replaced value reaches the disk after it.
//! Rows are keyed `{account}/{region}/{table}/{id}`; a removed row is deleted, so the file holds
//! live state, not history. Server-wide rows are under `_server/`.

use parking_lot::Mutex;
use redb::{ReadableDatabase, ReadableTable, TableDefinition};
use std::cell::Cell;
use std::ops::{Deref, DerefMut};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use tokio::sync::watch;

/// Every row, keyed as the module documentation says, as JSON.
const ROWS: TableDefinition<&str, &[u8]> = TableDefinition::new("rows");

/// The on-disk format this build writes and reads. Raise it when a stored record changes in a
/// way an older or newer build would misread, and say what changed.
pub const FORMAT: u64 = 1;

/// Where the format of a data directory is recorded.
pub const FORMAT_KEY: &str = "_server/format";

/// One change to the stored rows.
#[derive(Debug)]
pub enum Op {
    Put(String, Vec<u8>),
    Delete(String),
    /// Every row except the server-wide ones (`_server/`): reset, or an imported state.
    Clear,
}

/// What a lock-protected value must say about itself to be persisted.
pub trait Changes {
    /// The changes made since the last call, as operations on stored rows.
    fn drain_changes(&mut self, out: &mut Vec<Op>);
    /// Forgets the changes made since the last call (nothing is persisted).
    fn forget_changes(&mut self);
}

struct Batch {
    seq: u64,
    ops: Vec<Op>,
}

/// The writer of one data directory.
pub struct Persister {
    /// Assigns sequence numbers and sends under one lock, so batches arrive in number order.
    sender: Mutex<(u64, mpsc::Sender<Batch>)>,
    committed: watch::Receiver<u64>,
    failed: Arc<AtomicBool>,
    /// Held for the life of the server: a second server on the same directory is refused.
    _lock: std::fs::File,
}

tokio::task_local! {
    /// The highest sequence number the current request handed to the persister.
    static WRITTEN: Cell<u64>;
}

/// Records that the current request's answer must wait for batch `seq` (nothing outside a
/// request, e.g. at start-up).
pub fn note_written(seq: u64) {
    let _ = WRITTEN.try_with(|w| w.set(w.get().max(seq)));
}

/// Runs `request`, answering what it answers and the highest batch it handed over (0: none).
pub async fn tracking<F: Future>(request: F) -> (F::Output, u64) {
    WRITTEN
        .scope(Cell::new(0), async {
            let output = request.await;
            (output, WRITTEN.with(|w| w.get()))
        })
        .await
}

/// What opening a data directory found.
pub struct Opened {
    pub persister: Arc<Persister>,
    /// Every stored row, by key, in key order.
    pub rows: Vec<(String, Vec<u8>)>,
}

impl Persister {
    /// Opens (or creates) the data directory `dir`: takes its lock, checks the format of what
    /// is stored and reads every row.
    pub fn open(dir: &Path) -> Result<Opened, String> {
        let shown = dir.display();
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create data directory {shown}: {e}"))?;
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join("LOCK"))
            .map_err(|e| format!("cannot open {}: {e}", dir.join("LOCK").display()))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(format!(
                    "data directory {shown} is in use by another ivs-local process; stop it or \
                     choose another --data-dir"
                ));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(format!("cannot lock data directory {shown}: {e}"));
            }
        }
        let path = dir.join("state.redb");
        let mut db = redb::Database::create(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        // Space freed by deleted rows is reused; compacting at start gives it back too.
        let _ = db.compact();
        let rows = read_rows(&db).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        check_format(&rows, dir)?;

        let (tx, rx) = mpsc::channel::<Batch>();
        let (committed_tx, committed) = watch::channel(0);
        let failed = Arc::new(AtomicBool::new(false));
        let persister = Arc::new(Persister {
            sender: Mutex::new((0, tx)),
            committed,
            failed: failed.clone(),
            _lock: lock,
        });
        let format = serde_json::json!({
            "format": FORMAT,
            "writtenBy": env!("CARGO_PKG_VERSION"),
        });
        persister.submit(vec![Op::Put(FORMAT_KEY.into(), format.to_string().into_bytes())]);
        std::thread::Builder::new()
            .name("ivs-local-persist".into())
            .spawn(move || write_loop(db, rx, committed_tx, failed))
            .map_err(|e| format!("cannot start the persistence thread: {e}"))?;
        Ok(Opened { persister, rows })
    }

    /// Hands `ops` over to be written; answers the batch's sequence number.
    pub fn submit(&self, ops: Vec<Op>) -> u64 {
        let mut sender = self.sender.lock();
        sender.0 += 1;
        let seq = sender.0;
        // The thread only ends when the persister is dropped.
        let _ = sender.1.send(Batch { seq, ops });
        seq
    }

    /// Waits until batch `seq` is on disk; an error when writing failed.
    pub async fn wait(&self, seq: u64) -> Result<(), String> {
        let mut committed = self.committed.clone();
        let _ = committed.wait_for(|c| *c >= seq).await;
        if self.failed.load(Ordering::Acquire) {
            return Err("ivs-local could not write its data directory (see its log)".into());
        }
        Ok(())
    }

    /// [`Self::wait`], blocking, for start-up.
    pub fn wait_blocking(&self, seq: u64) -> Result<(), String> {
        let mut committed = self.committed.clone();
        while *committed.borrow_and_update() < seq {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        if self.failed.load(Ordering::Acquire) {
            return Err("ivs-local could not write its data directory (see its log)".into());
        }
        Ok(())
    }
}

fn read_rows(db: &redb::Database) -> Result<Vec<(String, Vec<u8>)>, redb::Error> {
    let txn = db.begin_read()?;
    let table = match txn.open_table(ROWS) {
        Ok(table) => table,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut rows = Vec::new();
    for row in table.iter()? {
        let (k, v) = row?;
        rows.push((k.value().to_string(), v.value().to_vec()));
    }
    Ok(rows)
}

/// Refuses a directory written in another format, saying which.
fn check_format(rows: &[(String, Vec<u8>)], dir: &Path) -> Result<(), String> {
    let Some((_, stored)) = rows.iter().find(|(k, _)| k == FORMAT_KEY) else {
        if rows.is_empty() {
            return Ok(());
        }
        return Err(format!(
            "data directory {} holds state without a format record; it was not written by \
             ivs-local",
            dir.display()
        ));
    };
    let stored: serde_json::Value = serde_json::from_slice(stored).unwrap_or_default();
    let format = stored["format"].as_u64();
    if format == Some(FORMAT) {
        return Ok(());
    }
    Err(format!(
        "data directory {} was written by ivs-local {} in data format {}; this ivs-local ({}) \
         reads format {FORMAT} only. Use that version, or start with an empty --data-dir \
         (export the old state with GET /_ivs-local/state first to keep it)",
        dir.display(),
        stored["writtenBy"].as_str().unwrap_or("(unknown)"),
        format.map_or("(unknown)".to_string(), |f| f.to_string()),
        env!("CARGO_PKG_VERSION"),
    ))
}

/// The persistence thread: takes every waiting batch, writes them in one transaction, syncs,
/// and publishes the highest sequence number written.
fn write_loop(
    db: redb::Database,
    rx: mpsc::Receiver<Batch>,
    committed: watch::Sender<u64>,
    failed: Arc<AtomicBool>,
) {
    while let Ok(first) = rx.recv() {
        let mut batches = vec![first];
        batches.extend(rx.try_iter());
        let last = batches.last().map_or(0, |b| b.seq);
        if let Err(e) = write(&db, batches) {
            tracing::error!("writing the data directory failed: {e}");
            failed.store(true, Ordering::Release);
        }
        committed.send_replace(last);
    }
}

fn write(db: &redb::Database, batches: Vec<Batch>) -> Result<(), redb::Error> {
    let txn = db.begin_write()?;
    {
        let mut table = txn.open_table(ROWS)?;
        for op in batches.into_iter().flat_map(|b| b.ops) {
            match op {
                Op::Put(key, value) => {
                    table.insert(key.as_str(), value.as_slice())?;
                }
                Op::Delete(key) => {
                    table.remove(key.as_str())?;
                }
                Op::Clear => table.retain(|k, _| k.starts_with("_server/"))?,
            }
        }
    }
    txn.commit()?;
    Ok(())
}

/// A value behind a read-write lock whose changes are persisted when a writer lets go.
///
/// The lock is std's, which waits on a futex after a short spin. `parking_lot`'s, used before,
/// yields the thread between spins: with the two workers writing one scope (CreateChannel under
/// load), a worker that yielded could lose its core to the other threads on it for a whole time
/// slice, and CreateChannel's p99 at 32 connections was about 20% higher. A handler that
/// panics does not poison the scope: the panic guard answers 500, as `parking_lot`'s lock
/// allowed.
pub struct Persisted<T> {
    lock: RwLock<T>,
    persister: Option<Arc<Persister>>,
    /// Set by [`Persisted::retire`], under the write lock: a reset or an import has replaced
    /// this value.
    retired: AtomicBool,
}

impl<T: Changes> Persisted<T> {
    pub fn new(value: T, persister: Option<Arc<Persister>>) -> Self {
        Persisted { lock: RwLock::new(value), persister, retired: AtomicBool::new(false) }
    }

    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        self.lock.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn write(&self) -> WriteGuard<'_, T> {
        let guard = self.lock.write().unwrap_or_else(PoisonError::into_inner);
        // `retire` sets the flag under this lock, so it cannot change while the guard lives.
        let retired = self.retired.load(Ordering::Relaxed);
        let persister = if retired { None } else { self.persister.as_deref() };
        WriteGuard { guard, persister }
    }

    /// Marks the value as replaced (`Store::reset`, `Store::import`), once every writer that
    /// holds it has let go: their changes are already handed to the persister, before the
    /// replacement's. A request that still reaches this value afterwards (it looked it up
    /// before the replacement) changes a copy nobody will see again, as if it had run just
    /// before the replacement; those changes are not persisted, so they cannot reach the disk
    /// after the replacement and come back at the next start.
    pub fn retire(&self) {
        let _writers_gone = self.lock.write().unwrap_or_else(PoisonError::into_inner);
        self.retired.store(true, Ordering::Relaxed);
    }
}

/// Write access to a [`Persisted`] value; releasing it persists what changed.
pub struct WriteGuard<'a, T: Changes> {
    guard: RwLockWriteGuard<'a, T>,
    persister: Option<&'a Persister>,
}

impl<T: Changes> Deref for WriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: Changes> DerefMut for WriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

impl<T: Changes> Drop for WriteGuard<'_, T> {
    fn drop(&mut self) {
        let Some(persister) = self.persister else {
            self.guard.forget_changes();
            return;
        };
        let mut ops = Vec::new();
        self.guard.drain_changes(&mut ops);
        if !ops.is_empty() {
            note_written(persister.submit(ops));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Counter(u32);

    impl Changes for Counter {
        fn drain_changes(&mut self, _: &mut Vec<Op>) {}
        fn forget_changes(&mut self) {}
    }

    /// std's lock is poisoned by a panic under it; the scope must stay usable, as the panic
    /// guard has already answered that request 500.
    #[test]
    fn a_writer_that_panicked_does_not_lock_the_value_away() {
        let value = Persisted::new(Counter(0), None);
        std::thread::scope(|s| {
            let panicked = s.spawn(|| {
                let mut guard = value.write();
                guard.0 += 1;
                panic!("a handler panics while it holds the lock");
            });
            assert!(panicked.join().is_err());
        });
        assert_eq!(value.read().0, 1);
        value.write().0 += 1;
        assert_eq!(value.read().0, 2);
        value.retire();
        assert!(value.retired.load(Ordering::Relaxed));
    }
}
