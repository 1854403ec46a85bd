//! asyncio's stream protocol: the callbacks a [`Transport`] makes as a connection lives.

use std::io;

use crate::transport::Transport;

/// The receiving side of a stream connection, driven by its [`Transport`] (asyncio's
/// `asyncio.Protocol`).
///
/// The calls come in one order, each from the loop: [`connection_made`] once, then
/// [`data_received`] any number of times, then [`eof_received`] at most once, then
/// [`connection_lost`] exactly once. A transport never calls `connection_lost` without
/// `connection_made` first.
///
/// The transport owns the protocol as an `Rc<RefCell<P>>`; the same `Rc` is handed back by
/// [`create_connection`](crate::create_connection) so the caller can reach it. Do not hold a
/// `borrow_mut` of it across an `.await`: the transport cannot deliver data meanwhile and
/// treats that as a fault of the protocol.
///
/// A panic in any callback does not reach the loop: it goes to the loop's exception handler,
/// the connection is aborted, and `connection_lost` is called with the error.
///
/// [`connection_made`]: Protocol::connection_made
/// [`data_received`]: Protocol::data_received
/// [`eof_received`]: Protocol::eof_received
/// [`connection_lost`]: Protocol::connection_lost
///
/// # Examples
///
/// An echo protocol:
///
/// ```
/// use loop_net::{Protocol, Transport};
///
/// #[derive(Default)]
/// struct Echo {
///     transport: Option<Transport>,
/// }
///
/// impl Protocol for Echo {
///     fn connection_made(&mut self, transport: Transport) {
///         self.transport = Some(transport);
///     }
///     fn data_received(&mut self, data: &[u8]) {
///         if let Some(t) = &self.transport {
///             t.write(data);
///         }
///     }
/// }
/// # let _ = Echo::default();
/// ```
pub trait Protocol: 'static {
    /// The connection is up; keep `transport` to write, pause or close.
    fn connection_made(&mut self, transport: Transport) {
        let _ = transport;
    }

    /// Bytes arrived. `data` borrows the transport's read buffer, which is reused for the
    /// next read: copy what you need to keep.
    fn data_received(&mut self, data: &[u8]);

    /// The peer closed its sending side. Return `true` to keep the connection half-open
    /// (you may still write, and must [`close`](Transport::close) it yourself), `false` (the
    /// default) to have the transport close it.
    fn eof_received(&mut self) -> bool {
        false
    }

    /// The connection is gone: `None` after a close, an abort or a clean end, the error
    /// otherwise. The last call this protocol receives from this transport.
    fn connection_lost(&mut self, error: Option<io::Error>) {
        let _ = error;
    }

    /// The transport's write buffer went above its high-water mark: stop writing until
    /// [`resume_writing`](Protocol::resume_writing).
    ///
    /// asyncio calls this synchronously inside `write`. Here it is too, unless the protocol is
    /// already borrowed (a write from inside one of its own callbacks): then it comes right
    /// after that callback returns.
    fn pause_writing(&mut self) {}

    /// The write buffer drained to or below its low-water mark.
    fn resume_writing(&mut self) {}
}
