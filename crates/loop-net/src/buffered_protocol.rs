//! asyncio's `BufferedProtocol`: the protocol lends the buffer the transport reads into.

use std::io;

use crate::transport::Transport;

/// A stream protocol that receives into memory it owns (asyncio's `BufferedProtocol`): the
/// transport asks for a buffer with [`get_buffer`](BufferedProtocol::get_buffer), reads
/// straight into it, and reports how much it wrote with
/// [`buffer_updated`](BufferedProtocol::buffer_updated). No copy between the socket and the
/// protocol.
///
/// Call order and panic handling are those of [`Protocol`](crate::Protocol). `get_buffer` may
/// be called without a matching `buffer_updated` when the read turns out to have nothing; the
/// next read asks again.
///
/// # Examples
///
/// Collect everything into a vector without an intermediate copy:
///
/// ```
/// use loop_net::BufferedProtocol;
///
/// #[derive(Default)]
/// struct Collect {
///     data: Vec<u8>,
///     filled: usize,
/// }
///
/// impl BufferedProtocol for Collect {
///     fn get_buffer(&mut self, size_hint: usize) -> &mut [u8] {
///         let want = self.filled + size_hint.max(4096);
///         if self.data.len() < want {
///             self.data.resize(want, 0);
///         }
///         &mut self.data[self.filled..]
///     }
///     fn buffer_updated(&mut self, n: usize) {
///         self.filled += n;
///     }
/// }
///
/// let mut p = Collect::default();
/// p.get_buffer(10)[..3].copy_from_slice(b"abc");
/// p.buffer_updated(3);
/// assert_eq!(&p.data[..p.filled], b"abc");
/// ```
pub trait BufferedProtocol: 'static {
    /// The connection is up; keep `transport` to write, pause or close.
    fn connection_made(&mut self, transport: Transport) {
        let _ = transport;
    }

    /// A buffer to read the next bytes into. `size_hint` is what the transport would like
    /// (it may be 0 when it has no idea); any non-empty buffer works. An empty buffer is a
    /// protocol error: the connection is aborted.
    fn get_buffer(&mut self, size_hint: usize) -> &mut [u8];

    /// The first `n` bytes of the buffer last returned by `get_buffer` hold new data.
    fn buffer_updated(&mut self, n: usize);

    /// As [`Protocol::eof_received`](crate::Protocol::eof_received): `true` keeps the
    /// connection half-open.
    fn eof_received(&mut self) -> bool {
        false
    }

    /// As [`Protocol::connection_lost`](crate::Protocol::connection_lost).
    fn connection_lost(&mut self, error: Option<io::Error>) {
        let _ = error;
    }

    /// As [`Protocol::pause_writing`](crate::Protocol::pause_writing).
    fn pause_writing(&mut self) {}

    /// As [`Protocol::resume_writing`](crate::Protocol::resume_writing).
    fn resume_writing(&mut self) {}
}
