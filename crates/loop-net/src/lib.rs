//! TCP, UDP and Unix sockets for the evloop event loop.
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]

// Transports and protocols (asyncio's API).
mod buffered_protocol;
mod protocol;
mod transport;
mod transport_conn;
mod transport_info;
mod transport_io;
mod transport_receiver;
mod transport_write_buffer;

pub use crate::buffered_protocol::BufferedProtocol;
pub use crate::protocol::Protocol;
pub use crate::transport::{Buffered, Detach, Detached, ProtocolFactory, Rewind, Transport};
pub use crate::transport_info::{StreamInfo, TransportAddr};
pub use crate::transport_io::Stream;
