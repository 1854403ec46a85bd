//! STARTTLS on transports: detach the stream (queued writes sent first, early bytes handed
//! back), wrap it, and run the same protocol over the wrapped stream without a second
//! connection_made.

mod proto;

use std::cell::RefCell;
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, ready};

use futures_lite::io::{AsyncRead, AsyncWrite};
use loop_net::{Protocol, Transport, create_server};
use proto::{addr_of, client, on_thread, run, until};

const KEY: u8 = 0x5a;

fn xor(data: &[u8]) -> Vec<u8> {
    data.iter().map(|b| b ^ KEY).collect()
}

/// A toy "encryption" layer: every byte XORed with KEY, both ways.
struct Xor<S>(S);

impl<S: AsyncRead + Unpin> AsyncRead for Xor<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let n = ready!(Pin::new(&mut self.0).poll_read(cx, buf))?;
        buf[..n].iter_mut().for_each(|b| *b ^= KEY);
        Poll::Ready(Ok(n))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Xor<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, &xor(buf))
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_close(cx)
    }
}

#[derive(Clone, Debug, PartialEq)]
struct Layer(&'static str);

#[derive(Default)]
struct State {
    made: usize,
    lost: Vec<Option<String>>,
    current: Option<Transport>,
    old: Option<Transport>,
    upgraded: bool,
    received: Vec<u8>,
}

/// Echoes lines; on "STARTTLS\n" answers "GO\n" and upgrades to the XOR layer.
struct Upgrader(Rc<RefCell<State>>);

impl Protocol for Upgrader {
    fn connection_made(&mut self, t: Transport) {
        let mut st = self.0.borrow_mut();
        st.made += 1;
        st.current = Some(t);
    }

    fn data_received(&mut self, data: &[u8]) {
        let t = self.0.borrow().current.clone().unwrap();
        self.0.borrow_mut().received.extend_from_slice(data);
        let Some(at) = find(data, b"STARTTLS\n") else {
            t.write(data);
            return;
        };
        t.write(&data[..at]);
        t.write(b"GO\n");
        let early = data[at + 9..].to_vec();
        let state = self.0.clone();
        loop_core::spawn_local(async move {
            let upgraded = t
                .upgrade(&early, |stream, info| async move {
                    Ok((Xor(stream), info.extra(Layer("xor"))))
                })
                .await
                .unwrap();
            let mut st = state.borrow_mut();
            st.old = Some(t);
            st.current = Some(upgraded);
            st.upgraded = true;
        })
        .detach();
    }

    fn connection_lost(&mut self, error: Option<io::Error>) {
        self.0.borrow_mut().lost.push(error.map(|e| e.to_string()));
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

#[test]
fn starttls_keeps_the_protocol_and_the_early_bytes() {
    let state = Rc::new(RefCell::new(State::default()));
    let for_factory = state.clone();
    run(async {
        let server = create_server(move || Upgrader(for_factory.clone()), "127.0.0.1:0")
            .await
            .unwrap();
        let addr = addr_of(&server);
        let peer = on_thread(move || {
            let mut s = client(addr);
            s.write_all(b"plain\n").unwrap();
            let mut buf = [0; 6];
            s.read_exact(&mut buf).unwrap();
            assert_eq!(&buf, b"plain\n");
            // The command and the first protected bytes in one segment.
            let mut burst = b"STARTTLS\n".to_vec();
            burst.extend(xor(b"early"));
            s.write_all(&burst).unwrap();
            let mut go = [0; 3];
            s.read_exact(&mut go).unwrap();
            assert_eq!(&go, b"GO\n");
            let mut early = [0; 5];
            s.read_exact(&mut early).unwrap();
            assert_eq!(xor(&early), b"early");
            s.write_all(&xor(b"protected")).unwrap();
            let mut back = [0; 9];
            s.read_exact(&mut back).unwrap();
            assert_eq!(xor(&back), b"protected");
        });
        peer.await;
        until(|| !state.borrow().lost.is_empty()).await;
    });
    let st = state.borrow();
    assert_eq!(st.made, 1, "connection_made once, across the upgrade");
    assert_eq!(
        st.lost,
        [None],
        "connection_lost once, from the new transport"
    );
    assert!(st.upgraded);
    assert!(st.old.as_ref().unwrap().is_closing());
    assert_eq!(
        st.current.as_ref().unwrap().extra::<Layer>(),
        Some(Layer("xor"))
    );
    // The protocol saw the plain bytes, the command, and then decrypted data only.
    let received = String::from_utf8_lossy(&st.received).into_owned();
    assert!(received.starts_with("plain\nSTARTTLS\n"), "{received:?}");
    assert!(received.ends_with("earlyprotected"), "{received:?}");
}

#[test]
fn detach_of_a_closing_transport_fails() {
    let state = Rc::new(RefCell::new(State::default()));
    let for_factory = state.clone();
    run(async {
        let server = create_server(move || Upgrader(for_factory.clone()), "127.0.0.1:0")
            .await
            .unwrap();
        let addr = addr_of(&server);
        let c = client(addr);
        until(|| state.borrow().current.is_some()).await;
        let t = state.borrow().current.clone().unwrap();
        t.close();
        let err = t.detach(&[]).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotConnected);
        drop(c);
        until(|| !state.borrow().lost.is_empty()).await;
    });
}

#[test]
fn a_connection_lost_during_detach_fails_the_detach() {
    let state = Rc::new(RefCell::new(State::default()));
    let for_factory = state.clone();
    run(async {
        let server = create_server(move || Upgrader(for_factory.clone()), "127.0.0.1:0")
            .await
            .unwrap();
        let addr = addr_of(&server);
        let c = client(addr); // never reads
        until(|| state.borrow().current.is_some()).await;
        let t = state.borrow().current.clone().unwrap();
        t.write(&vec![0; 32 << 20]); // more than the socket takes: the detach must wait
        let detaching = t.detach(&[]);
        t.abort();
        let err = detaching.await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotConnected);
        drop(c);
        until(|| !state.borrow().lost.is_empty()).await;
    });
    assert_eq!(state.borrow().lost, [None]);
}
