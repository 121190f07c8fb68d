//! The state file of the machine-wide budget: the slot ring of one environment and app key, next
//! to the token cache, read and changed under an exclusive OS file lock held for microseconds.
//!
//! Layout (little endian): `KISRATE1`, the slot count (u32), four reserved bytes, then per slot
//! `start`, `free_at` and `owner` (u64 each). A file that does not parse is rebuilt with every
//! slot busy for one window: it cannot say what was sent recently, so the budget errs on the safe
//! side once and recovers a window later.

use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::slots::{Slot, Timing};

const MAGIC: &[u8; 8] = b"KISRATE1";
const HEADER: usize = 16;
const SLOT_BYTES: usize = 24;

/// An open state file.
#[derive(Debug)]
pub(crate) struct StateFile {
    path: PathBuf,
    file: File,
}

impl StateFile {
    /// Opens (creating, owner-only) the state file at `path`, in a private directory (checked
    /// like the token cache's) and never through a link.
    pub(crate) fn open(path: &Path) -> io::Result<StateFile> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::private_fs::prepare_dir(dir)?;
        }
        Ok(StateFile {
            path: path.to_path_buf(),
            file: crate::private_fs::open_rw(path)?,
        })
    }

    /// The file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Locks the file and reads the ring of `n` slots; [`LockedRing::save`] writes it back and
    /// unlocks (dropping it unlocks without writing).
    pub(crate) fn lock_ring(
        &mut self,
        n: usize,
        now: u64,
        timing: Timing,
    ) -> io::Result<LockedRing<'_>> {
        self.reopen_if_replaced()?;
        self.file.lock()?;
        let mut locked = LockedRing {
            file: self,
            ring: Vec::new(),
            read_len: 0,
        };
        locked.read(n, now, timing)?;
        Ok(locked)
    }

    /// A file deleted or replaced under us (a cleared cache) would leave this process alone on the
    /// old one: follow the path instead.
    fn reopen_if_replaced(&mut self) -> io::Result<()> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let ours = self.file.metadata()?;
            let same = fs::metadata(&self.path)
                .map(|m| m.dev() == ours.dev() && m.ino() == ours.ino())
                .unwrap_or(false);
            if !same {
                *self = StateFile::open(&self.path)?;
            }
        }
        Ok(())
    }
}

/// The ring of a locked state file.
pub(crate) struct LockedRing<'a> {
    file: &'a mut StateFile,
    /// The slots, to change before [`LockedRing::save`].
    pub(crate) ring: Vec<Slot>,
    read_len: usize,
}

impl LockedRing<'_> {
    fn read(&mut self, n: usize, now: u64, timing: Timing) -> io::Result<()> {
        let mut bytes = Vec::with_capacity(HEADER + n * SLOT_BYTES);
        let f = &mut self.file.file;
        f.seek(SeekFrom::Start(0))?;
        // bounded: a file larger than the largest ring is damaged, and its tail is not read
        f.take((HEADER + MAX_SLOTS * SLOT_BYTES + 1) as u64)
            .read_to_end(&mut bytes)?;
        self.read_len = bytes.len();
        self.ring = match decode(&bytes) {
            Some(ring) => ring,
            None if bytes.is_empty() => vec![Slot::default(); n],
            None => {
                tracing::warn!(file = %self.file.path.display(), "rebuilding a damaged rate budget file");
                vec![busy_for_a_window(now, timing); n]
            }
        };
        if self.ring.len() != n {
            resize(&mut self.ring, n, now, timing);
        }
        Ok(())
    }

    /// Writes the ring back and unlocks.
    pub(crate) fn save(self) -> io::Result<()> {
        let encoded = encode(&self.ring);
        let f = &mut self.file.file;
        f.seek(SeekFrom::Start(0))?;
        f.write_all(&encoded)?;
        if self.read_len != encoded.len() {
            f.set_len(encoded.len() as u64)?;
        }
        Ok(())
    }
}

impl Drop for LockedRing<'_> {
    fn drop(&mut self) {
        // closing the file would release the lock too; an unlock error leaves nothing to do
        let _ = self.file.file.unlock();
    }
}

/// The most slots a file may hold (far above any per-second limit KIS has).
pub(crate) const MAX_SLOTS: usize = 4096;

fn busy_for_a_window(now: u64, timing: Timing) -> Slot {
    Slot {
        start: 0,
        free_at: now.saturating_add(timing.window),
        owner: 0,
    }
}

/// Another process runs with another limit: keep the busiest slots (fewer sends allowed, never
/// more), and add new ones busy for a window.
fn resize(ring: &mut Vec<Slot>, n: usize, now: u64, timing: Timing) {
    tracing::debug!(from = ring.len(), to = n, "resizing the rate budget ring");
    ring.sort_by_key(|s| std::cmp::Reverse(s.free_at));
    ring.resize(n, busy_for_a_window(now, timing));
}

fn decode(bytes: &[u8]) -> Option<Vec<Slot>> {
    let (magic, rest) = bytes.split_first_chunk::<8>()?;
    if magic != MAGIC {
        return None;
    }
    let (count, rest) = rest.split_first_chunk::<4>()?;
    let (_, body) = rest.split_first_chunk::<4>()?;
    let n = u32::from_le_bytes(*count) as usize;
    if n == 0 || n > MAX_SLOTS || body.len() != n * SLOT_BYTES {
        return None;
    }
    let word = |c: &[u8]| c.try_into().ok().map(u64::from_le_bytes);
    body.chunks_exact(SLOT_BYTES)
        .map(|c| {
            Some(Slot {
                start: word(&c[0..8])?,
                free_at: word(&c[8..16])?,
                owner: word(&c[16..24])?,
            })
        })
        .collect()
}

fn encode(ring: &[Slot]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + ring.len() * SLOT_BYTES);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(ring.len() as u32).to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    for s in ring {
        out.extend_from_slice(&s.start.to_le_bytes());
        out.extend_from_slice(&s.free_at.to_le_bytes());
        out.extend_from_slice(&s.owner.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::slots::{Grant, reserve};
    use super::*;

    const T: Timing = Timing {
        window: 1_000_000_000,
        lease: 3_000_000_000,
    };

    impl StateFile {
        fn with_ring<R>(
            &mut self,
            n: usize,
            now: u64,
            timing: Timing,
            f: impl FnOnce(&mut [Slot]) -> R,
        ) -> io::Result<R> {
            let mut locked = self.lock_ring(n, now, timing)?;
            let out = f(&mut locked.ring);
            locked.save()?;
            Ok(out)
        }
    }

    #[test]
    fn two_handles_on_one_file_share_the_ring() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("cache").join("real-0123.rate");
        let mut a = StateFile::open(&path).expect("open");
        let mut b = StateFile::open(&path).expect("open");
        let now = 5_000_000_000_000;
        let first = a
            .with_ring(2, now, T, |r| reserve(r, now, T, 1))
            .expect("a");
        let second = b
            .with_ring(2, now, T, |r| reserve(r, now, T, 2))
            .expect("b");
        let third = a
            .with_ring(2, now, T, |r| reserve(r, now, T, 3))
            .expect("a");
        assert!(matches!(first, Grant::Slot { start, .. } if start == now));
        assert!(matches!(second, Grant::Slot { start, .. } if start == now));
        assert!(matches!(third, Grant::Busy { .. }), "two slots, both taken");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }

    #[test]
    fn a_damaged_file_is_rebuilt_busy_for_one_window() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("real-0123.rate");
        fs::write(&path, b"KISRATE1 garbage that is not a ring").expect("write");
        let mut f = StateFile::open(&path).expect("open");
        let now = 5_000_000_000_000;
        let g = f
            .with_ring(3, now, T, |r| reserve(r, now, T, 1))
            .expect("ring");
        assert_eq!(
            g,
            Grant::Slot {
                index: 0,
                start: now + T.window
            }
        );
        assert_eq!(
            fs::read(&path).expect("read").len(),
            HEADER + 3 * SLOT_BYTES
        );
        let mut ring = decode(&fs::read(&path).expect("read")).expect("valid again");
        assert_eq!(ring.len(), 3);
        // a ring of another size (another process's limit) keeps its busiest slots
        ring[1].free_at = now + 7;
        resize(&mut ring, 1, now, T);
        assert_eq!(ring.len(), 1);
        assert_eq!(ring[0].start, now + T.window, "the reserved slot is kept");
    }

    #[test]
    fn a_deleted_file_is_followed_to_its_new_self() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("real-0123.rate");
        let mut a = StateFile::open(&path).expect("open");
        let now = 5_000_000_000_000;
        a.with_ring(1, now, T, |r| reserve(r, now, T, 1))
            .expect("a");
        fs::remove_file(&path).expect("rm");
        let mut b = StateFile::open(&path).expect("open");
        b.with_ring(1, now, T, |r| reserve(r, now, T, 2))
            .expect("b");
        let g = a
            .with_ring(1, now, T, |r| reserve(r, now, T, 3))
            .expect("a");
        assert!(matches!(g, Grant::Busy { .. }), "a sees b's reservation");
        assert!(a.path().ends_with("real-0123.rate"));
    }
}
