//! Private files of this user (the token cache): a directory that is checked before use, files
//! created exclusively without following links, and atomic replacement.
//!
//! The cache may live somewhere other users can write (a temporary directory when there is no
//! home). Whoever controls a directory can plant links named like our files, so nothing here
//! follows a link, and a directory that another user owns or may write to is refused.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// The largest cache file read: a token file is well under a kilobyte, a planted huge file is not.
const MAX_READ: u64 = 64 * 1024;

/// The per-user directory used when there is neither `XDG_CACHE_HOME` nor `HOME`: inside the
/// temporary directory, named after the user id so another user cannot claim it for everyone.
pub(crate) fn per_user_temp_dir() -> PathBuf {
    #[cfg(unix)]
    let name = format!("kis-api-{}", current_uid());
    #[cfg(not(unix))]
    let name = String::from("kis-api");
    std::env::temp_dir().join(name)
}

#[cfg(unix)]
fn current_uid() -> u32 {
    rustix::process::geteuid().as_raw()
}

fn refused(dir: &Path, why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!("{}: {why}", dir.display()),
    )
}

fn context(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Creates `dir` (mode 0700, missing parents too) when missing, then checks it: see
/// [`check_dir`]. An existing parent is checked first: nothing is created in another user's
/// directory.
pub(crate) fn prepare_dir(dir: &Path) -> io::Result<()> {
    if fs::symlink_metadata(dir).is_err() {
        let mut b = fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            b.mode(0o700);
        }
        match dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(parent) if fs::symlink_metadata(parent).is_ok() => check_parent(parent)?,
            Some(parent) => {
                b.recursive(true);
                b.create(parent).map_err(|e| context(parent, e))?;
                b.recursive(false);
            }
            None => {}
        }
        b.create(dir).map_err(|e| context(dir, e))?;
    }
    check_dir(dir)
}

/// Whether `dir` is private: a real directory (not a link), owned by this user and not writable
/// by group or others; its parent owned by this user or root and not writable by others unless
/// sticky (as `/tmp` is, where others cannot replace our entries).
pub(crate) fn check_dir(dir: &Path) -> io::Result<()> {
    let md = fs::symlink_metadata(dir).map_err(|e| context(dir, e))?;
    if md.file_type().is_symlink() {
        return Err(refused(dir, "is a symbolic link"));
    }
    if !md.is_dir() {
        return Err(refused(dir, "is not a directory"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let uid = current_uid();
        if md.uid() != uid {
            return Err(refused(
                dir,
                &format!("owned by user {}, not by this user ({uid})", md.uid()),
            ));
        }
        if md.mode() & 0o022 != 0 {
            return Err(refused(dir, "writable by group or others"));
        }
    }
    match dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => check_parent(parent),
        None => Ok(()),
    }
}

/// Whether others are kept from replacing entries of `parent`: owned by this user or root, and
/// not writable by group or others unless sticky.
fn check_parent(parent: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let uid = current_uid();
        let pm = fs::metadata(parent).map_err(|e| context(parent, e))?;
        let sticky = pm.mode() & 0o1000 != 0;
        if pm.uid() != uid && pm.uid() != 0 {
            return Err(refused(
                parent,
                &format!("owned by user {}, not by this user ({uid})", pm.uid()),
            ));
        }
        if pm.mode() & 0o022 != 0 && !sticky {
            return Err(refused(parent, "writable by group or others"));
        }
    }
    #[cfg(not(unix))]
    let _ = parent;
    Ok(())
}

/// Options that create nothing through a link: `O_NOFOLLOW`, mode 0600.
fn private_options() -> OpenOptions {
    let mut o = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    o
}

/// Creates `path` for writing (mode 0600); fails when it exists, a link included.
pub(crate) fn create_new(path: &Path) -> io::Result<File> {
    private_options()
        .create_new(true)
        .write(true)
        .open(path)
        .map_err(|e| context(path, e))
}

/// Opens `path` for reading and writing, creating it (mode 0600) when missing, never through a
/// link.
pub(crate) fn open_rw(path: &Path) -> io::Result<File> {
    private_options()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
        .map_err(|e| context(path, e))
}

/// Opens (creating when missing) the lock file `path` without following a link, and takes an
/// exclusive lock on it, released when the file is dropped.
pub(crate) fn lock(path: &Path) -> io::Result<File> {
    let f = open_rw(path)?;
    f.lock().map_err(|e| context(path, e))?;
    Ok(f)
}

/// The content of `path`, not through a link and at most [`MAX_READ`] bytes.
pub(crate) fn read(path: &Path) -> io::Result<Vec<u8>> {
    let f = private_options().read(true).open(path)?;
    let mut bytes = Vec::new();
    f.take(MAX_READ + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_READ {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: larger than {MAX_READ} bytes", path.display()),
        ));
    }
    Ok(bytes)
}

/// Replaces `path` with `bytes`: a new temporary file beside it (created exclusively, never
/// through a link, mode 0600), written and synced, then renamed into place.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let (tmp, mut f) = create_temp(dir, name)?;
    let written = f
        .write_all(bytes)
        .and_then(|()| f.sync_all())
        .and_then(|()| fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(context(path, e));
    }
    // the rename replaced whatever was there, a planted link included, by our file
    match fs::symlink_metadata(path) {
        Ok(md) if md.is_file() => Ok(()),
        Ok(_) => Err(refused(path, "is not a regular file after the rename")),
        Err(e) => Err(context(path, e)),
    }
}

/// A new file `.<name>.<pid>.<random>.tmp` in `dir`; a name already taken (by a planted link
/// or file) is skipped, never opened.
fn create_temp(dir: &Path, name: &str) -> io::Result<(PathBuf, File)> {
    let mut last = None;
    for _ in 0..8 {
        let tmp = dir.join(format!(
            ".{name}.{}.{:016x}.tmp",
            std::process::id(),
            fastrand::u64(..)
        ));
        match private_options().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(context(&tmp, e)),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no free temporary name")))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    fn set_mode(p: &Path, mode: u32) {
        fs::set_permissions(p, fs::Permissions::from_mode(mode)).expect("chmod");
    }

    #[test]
    fn a_new_directory_is_private_and_accepted() {
        let base = tempfile::tempdir().expect("tempdir");
        let dir = base.path().join("a").join("tokens");
        prepare_dir(&dir).expect("created");
        let md = fs::metadata(&dir).expect("meta");
        assert_eq!(md.mode() & 0o777, 0o700);
        assert_eq!(md.uid(), current_uid());
    }

    #[test]
    fn a_world_writable_or_linked_or_foreign_directory_is_refused() {
        let base = tempfile::tempdir().expect("tempdir");
        let open = base.path().join("open");
        fs::create_dir(&open).expect("mkdir");
        set_mode(&open, 0o777);
        let e = prepare_dir(&open).expect_err("world-writable");
        assert!(e.to_string().contains("writable by group or others"), "{e}");
        // its subdirectory is refused too, and not even created: others may replace it
        let inner = open.join("tokens");
        assert!(prepare_dir(&inner).is_err());
        assert!(!inner.exists());

        let target = base.path().join("target");
        fs::create_dir(&target).expect("mkdir");
        set_mode(&target, 0o700);
        let link = base.path().join("link");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        let e = prepare_dir(&link).expect_err("a link");
        assert!(e.to_string().contains("symbolic link"), "{e}");

        let file = base.path().join("file");
        fs::write(&file, b"x").expect("file");
        let e = prepare_dir(&file).expect_err("a file");
        assert!(e.to_string().contains("not a directory"), "{e}");

        if current_uid() == 0 {
            let foreign = base.path().join("foreign");
            fs::create_dir(&foreign).expect("mkdir");
            set_mode(&foreign, 0o700);
            std::os::unix::fs::chown(&foreign, Some(4242), Some(4242)).expect("chown");
            let e = prepare_dir(&foreign).expect_err("foreign-owned");
            assert!(e.to_string().contains("owned by user 4242"), "{e}");
        }
    }

    #[test]
    fn a_planted_link_is_never_followed() {
        let base = tempfile::tempdir().expect("tempdir");
        let dir = base.path().join("tokens");
        prepare_dir(&dir).expect("dir");
        let victim = base.path().join("victim.txt");
        fs::write(&victim, b"precious").expect("victim");
        set_mode(&victim, 0o644);

        // a link where the cache file goes: replaced by our file, the victim untouched
        let file = dir.join("real-abc.json");
        std::os::unix::fs::symlink(&victim, &file).expect("symlink");
        assert!(read(&file).is_err(), "reading does not follow the link");
        write_atomic(&file, b"{\"token\":1}").expect("write");
        assert_eq!(fs::read(&victim).expect("victim"), b"precious");
        assert_eq!(fs::metadata(&victim).expect("meta").mode() & 0o777, 0o644);
        let md = fs::symlink_metadata(&file).expect("meta");
        assert!(md.is_file() && md.mode() & 0o777 == 0o600);
        assert_eq!(read(&file).expect("read"), b"{\"token\":1}");

        // a link where the lock file goes: refused
        let lock_path = dir.join("real-abc.lock");
        std::os::unix::fs::symlink(&victim, &lock_path).expect("symlink");
        assert!(lock(&lock_path).is_err());
        assert_eq!(fs::read(&victim).expect("victim"), b"precious");

        // no temporary file is left behind
        let names: Vec<_> = fs::read_dir(&dir)
            .expect("list")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.ends_with(".tmp")), "{names:?}");
    }

    #[test]
    fn an_oversized_file_is_not_read() {
        let base = tempfile::tempdir().expect("tempdir");
        let file = base.path().join("big.json");
        fs::write(&file, vec![b' '; MAX_READ as usize + 1]).expect("write");
        assert!(read(&file).is_err());
    }

    #[test]
    fn the_per_user_temp_dir_names_the_user() {
        let dir = per_user_temp_dir();
        assert!(
            dir.to_string_lossy()
                .ends_with(&format!("kis-api-{}", current_uid())),
            "{}",
            dir.display()
        );
    }
}
