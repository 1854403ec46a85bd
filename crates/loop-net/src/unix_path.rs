//! Unix socket addresses: asyncio's stale-socket rule for binding, and abstract names.

use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

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
