//! A transport over any futures-io stream (the path TLS takes): a stream that holds writes
//! until flushed, extra info, write_eof mapped to poll_close, and stream errors.

mod proto;

use std::io::{self, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures_lite::io::{AsyncRead, AsyncWrite};
use loop_net::{StreamInfo, Transport, UnixStream};
use proto::{Ev, Rec, Shared, on_thread, run, until};

/// Keeps written bytes until `poll_flush`, as a TLS stream keeps records in its buffer.
struct Holding<S> {
    inner: S,
    held: Vec<u8>,
    flushes: std::rc::Rc<std::cell::Cell<usize>>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Holding<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Holding<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.held.len() >= 64 * 1024 {
            ready!(self.as_mut().poll_flush(cx))?;
        }
        self.held.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        while !this.held.is_empty() {
            let n = ready!(Pin::new(&mut this.inner).poll_write(cx, &this.held))?;
            this.held.drain(..n);
        }
        this.flushes.set(this.flushes.get() + 1);
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.as_mut().poll_flush(cx))?;
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

fn pair() -> (UnixStream, std::os::unix::net::UnixStream) {
    let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    b.set_read_timeout(Some(proto::WATCHDOG)).unwrap();
    (UnixStream::from_std(a).unwrap(), b)
}

#[derive(Clone, Debug, PartialEq)]
struct Session(&'static str);

#[test]
fn echo_over_a_stream_that_holds_writes_until_flushed() {
    let shared = Shared::new();
    shared.echo.set(true);
    let flushes = std::rc::Rc::new(std::cell::Cell::new(0));
    run(async {
        let (ours, mut theirs) = pair();
        let stream = Holding {
            inner: ours,
            held: Vec::new(),
            flushes: flushes.clone(),
        };
        let info = StreamInfo::new()
            .peer("10.0.0.1:443".parse::<std::net::SocketAddr>().unwrap())
            .extra(Session("tls13"));
        let (t, _proto) = Transport::from_stream(stream, info, Rec::factory(&shared)).unwrap();
        assert_eq!(shared.events(), [Ev::Made]);
        assert_eq!(t.extra::<Session>(), Some(Session("tls13")));
        assert_eq!(t.extra::<String>(), None);
        assert_eq!(
            t.peer_addr().unwrap().as_inet(),
            Some("10.0.0.1:443".parse().unwrap())
        );
        // A write from outside any callback reaches the peer: the transport flushes.
        t.write(b"greeting ");
        let echoed = on_thread(move || {
            let mut got = [0; 9];
            theirs.read_exact(&mut got).unwrap();
            assert_eq!(&got, b"greeting ");
            theirs.write_all(b"ping").unwrap();
            let mut back = [0; 4];
            theirs.read_exact(&mut back).unwrap();
            theirs.shutdown(std::net::Shutdown::Write).unwrap();
            let mut rest = Vec::new();
            theirs.read_to_end(&mut rest).unwrap();
            (back, rest)
        })
        .await;
        assert_eq!(echoed, (*b"ping", Vec::new()));
        until(|| shared.lost()).await;
    });
    assert!(flushes.get() > 0);
    assert_eq!(
        shared.shape(),
        [
            Ev::Made,
            Ev::Data(b"ping".to_vec()),
            Ev::Eof,
            Ev::Lost(None)
        ]
    );
}

#[test]
fn write_eof_closes_the_streams_sending_side_unless_disallowed() {
    let shared = Shared::new();
    run(async {
        let (ours, mut theirs) = pair();
        let (t, _) =
            Transport::from_stream(ours, StreamInfo::new(), Rec::factory(&shared)).unwrap();
        assert!(t.can_write_eof());
        t.write(b"last");
        t.write_eof().unwrap();
        let got = on_thread(move || {
            let mut all = Vec::new();
            theirs.read_to_end(&mut all).unwrap();
            all
        })
        .await;
        assert_eq!(got, b"last");
        t.close();
        until(|| shared.lost()).await;

        let (ours, _theirs) = pair();
        let shared = Shared::new();
        let info = StreamInfo::new().can_write_eof(false);
        let (t, _) = Transport::from_stream(ours, info, Rec::factory(&shared)).unwrap();
        assert!(!t.can_write_eof());
        assert_eq!(
            t.write_eof().unwrap_err().kind(),
            io::ErrorKind::Unsupported
        );
        t.abort();
        until(|| shared.lost()).await;
    });
}

/// Fails every operation: the transport ends with the error.
struct Broken;

impl AsyncRead for Broken {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Err(io::Error::other("bad record mac")))
    }
}

impl AsyncWrite for Broken {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, _: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(Err(io::Error::other("bad record mac")))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[test]
fn a_stream_error_ends_the_connection_with_that_error() {
    let shared = Shared::new();
    let (_, reports) = run(async {
        let (_t, _) =
            Transport::from_stream(Broken, StreamInfo::new(), Rec::factory(&shared)).unwrap();
        until(|| shared.lost()).await;
    });
    assert_eq!(
        shared.events(),
        [Ev::Made, Ev::Lost(Some("bad record mac".into()))]
    );
    assert!(
        reports.is_empty(),
        "stream errors are the protocol's, not the loop's: {reports:?}"
    );
}
