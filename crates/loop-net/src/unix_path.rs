//! Unix socket addresses: asyncio's stale-socket rule for binding, and abstract names.

use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use socket2::SockAddr;

/// Whether `path` names a Linux abstract socket (a leading NUL byte, asyncio's convention).
pub(crate) fn is_abstract(path: &Path) -> bool {
    path.as_os_str().as_bytes().first() == Some(&0)
}

/// The address to bind `path` to, after removing a stale socket file there. A path that exists
/// and is not a socket is left alone and refused (asyncio's rule), as `AddrInUse`.
pub(crate) fn bind_target(path: &Path) -> io::Result<SockAddr> {
    if !is_abstract(path) {
        match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_socket() => match std::fs::remove_file(path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            },
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!("{} exists and is not a socket", path.display()),
                ));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    SockAddr::unix(path)
}

/// A socket file a listener created: removed on drop, but only if the path still holds that
/// very file (same device and inode), so a newer server's socket there is left alone.
#[derive(Debug)]
pub(crate) struct SocketFile {
    path: Option<PathBuf>,
    dev: u64,
    ino: u64,
}

impl SocketFile {
    /// The file just bound at `path`; `None` for an abstract name or if it cannot be seen.
    pub(crate) fn created(path: &Path) -> Option<SocketFile> {
        if is_abstract(path) {
            return None;
        }
        let meta = std::fs::symlink_metadata(path).ok()?;
        Some(SocketFile {
            path: Some(path.to_owned()),
            dev: meta.dev(),
            ino: meta.ino(),
        })
    }

    /// Leaves the file in place.
    pub(crate) fn keep(mut self) {
        self.path = None;
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        let Some(path) = &self.path else { return };
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            if meta.dev() == self.dev && meta.ino() == self.ino {
                // Nothing to report from a destructor; a vanished file is fine.
                let _ = std::fs::remove_file(path);
            }
        }
    }
}
