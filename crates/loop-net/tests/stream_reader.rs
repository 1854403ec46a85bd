//! StreamReader: asyncio's StreamReader cases (R1-R4, R7) fed in chunks and over real sockets,
//! plus a property test of `read_until` against splitting the whole input.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_lite::io::AsyncRead;
use futures_lite::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, StreamExt};
use loop_net::{ReadError, StreamReader, TcpListener, TcpStream};
use proptest::prelude::*;

mod common;

use common::run;

/// A reader that hands out one chunk per read, then EOF: how asyncio's tests `feed_data`.
struct Chunks(VecDeque<Vec<u8>>);

fn chunks(list: &[&[u8]]) -> Chunks {
    Chunks(list.iter().map(|c| c.to_vec()).collect())
}

impl AsyncRead for Chunks {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let Some(mut chunk) = self.0.pop_front() else {
            return Poll::Ready(Ok(0));
        };
        let n = chunk.len().min(buf.len());
        buf[..n].copy_from_slice(&chunk[..n]);
        if n < chunk.len() {
            self.0.push_front(chunk.split_off(n));
        }
        Poll::Ready(Ok(n))
    }
}

#[test]
fn r1_a_line_longer_than_the_limit_is_an_overrun_that_keeps_the_data() {
    run(async {
        let mut r = StreamReader::with_limit(chunks(&[b"chunk1", b"chunk2", b"chunk3\n"]), 7);
        match r.read_line().await {
            Err(ReadError::LimitOverrun {
                consumed,
                found: false,
            }) => assert!(consumed > 7),
            other => panic!("{other:?}"),
        }
        assert!(r.buffer().starts_with(b"chunk1chunk2"), "the data was kept");

        // Skipping the over-long line leaves the next one readable.
        let mut r = StreamReader::with_limit(chunks(&[b"chunk1", b"chunk2\n", b"chunk3\n"]), 7);
        let Err(ReadError::LimitOverrun { consumed, found }) = r.read_line().await else {
            panic!("expected an overrun");
        };
        if !found {
            // Not yet found: read on until the separator and skip through it.
            let _ = r.read_until(b"\n").await;
        }
        let line_end = r.buffer().iter().position(|&b| b == b'\n').unwrap() + 1;
        assert!(line_end >= consumed.min(line_end));
        r.consume(line_end);
        assert_eq!(r.read_line().await.unwrap(), b"chunk3\n");
    });
}

#[test]
fn r1_exactly_the_limit_plus_the_separator_is_allowed() {
    run(async {
        let mut r = StreamReader::with_limit(chunks(&[b"1234567\n"]), 7);
        assert_eq!(r.read_line().await.unwrap(), b"1234567\n");
        let mut r = StreamReader::with_limit(chunks(&[b"12345678\n"]), 7);
        assert!(matches!(
            r.read_line().await,
            Err(ReadError::LimitOverrun { found: true, .. })
        ));
    });
}

#[test]
fn r2_overrun_before_and_after_the_separator_arrives_leaves_the_buffer_unchanged() {
    run(async {
        let mut r = StreamReader::with_limit(chunks(&[b"some dataAA"]), 3);
        let err = r.read_until(b"AAA").await.unwrap_err();
        assert!(
            matches!(err, ReadError::LimitOverrun { found: false, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("not found"));
        assert_eq!(r.buffer(), b"some dataAA");

        // Over the limit already: searching again reads nothing more, same answer.
        let again = r.read_until(b"AAA").await.unwrap_err();
        assert!(matches!(
            again,
            ReadError::LimitOverrun { found: false, .. }
        ));

        let mut r = StreamReader::with_limit(chunks(&[b"some dataAAA"]), 3);
        let err = r.read_until(b"AAA").await.unwrap_err();
        assert!(
            matches!(
                err,
                ReadError::LimitOverrun {
                    found: true,
                    consumed: 12
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains("is found"));
        assert_eq!(r.buffer(), b"some dataAAA");
    });
}

#[test]
fn r3_eof_before_the_separator_or_the_count_hands_over_the_partial_bytes() {
    run(async {
        let mut r = StreamReader::new(chunks(&[b"some dataAA"]));
        match r.read_until(b"AAA").await {
            Err(ReadError::IncompleteRead {
                partial,
                expected: None,
            }) => {
                assert_eq!(partial, b"some dataAA")
            }
            other => panic!("{other:?}"),
        }
        assert!(r.at_eof());

        let mut r = StreamReader::new(chunks(&[&[b'x'; 10], &[b'y'; 8]]));
        let err = r.read_exact(36).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "18 bytes read on a total of 36 expected bytes"
        );
        let io_err = io::Error::from(err);
        assert_eq!(io_err.kind(), io::ErrorKind::UnexpectedEof);
    });
}

#[test]
fn r4_the_limit_does_not_restrict_plain_reads_or_read_exact() {
    run(async {
        let mut r = StreamReader::with_limit(chunks(&[b"12345"]), 3);
        assert_eq!(r.read_some(5).await.unwrap(), b"12345");
        let mut r = StreamReader::with_limit(chunks(&[b"12", b"345", b"6"]), 3);
        assert_eq!(r.read_exact(6).await.unwrap(), b"123456");
    });
}

#[test]
fn it_is_an_async_buf_read_for_the_futures_ecosystem() {
    run(async {
        let r = StreamReader::new(chunks(&[b"a\nb", b"b\n", b"ccc"]));
        let lines: Vec<String> = r.lines().try_collect().await.unwrap();
        assert_eq!(lines, ["a", "bb", "ccc"]);

        let mut r = StreamReader::new(chunks(&[b"head\n", b"body body"]));
        assert_eq!(r.read_line().await.unwrap(), b"head\n");
        let mut rest = Vec::new();
        r.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"body body");
    });
}

#[test]
fn r7_a_line_echo_server_over_tcp() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = loop_core::spawn(async move {
            let (conn, _) = listener.accept().await.unwrap();
            let (r, mut w) = conn.split();
            let mut r = StreamReader::new(r);
            while let Ok(line) = r.read_line().await {
                w.write_all(&line).await.unwrap();
            }
        });
        let client = TcpStream::connect(addr).await.unwrap();
        let (r, mut w) = client.split();
        let mut r = StreamReader::new(r);
        for line in [&b"first\n"[..], b"second\n"] {
            w.write_all(line).await.unwrap();
            assert_eq!(r.read_line().await.unwrap(), line);
        }
        w.close().await.unwrap();
        server.await.unwrap();
    });
}

proptest! {
    #[test]
    fn read_until_matches_splitting_the_whole_input(
        frames in prop::collection::vec(prop::collection::vec(0u8..4, 0..20), 0..10),
        cuts in prop::collection::vec(1usize..7, 1..30),
    ) {
        // Separator [3, 3]; frames hold bytes 0..=2 only, so none contains it.
        let frames: Vec<Vec<u8>> = frames
            .into_iter()
            .map(|f| f.into_iter().map(|b| b % 3).collect())
            .collect();
        let mut input = Vec::new();
        for f in &frames {
            input.extend_from_slice(f);
            input.extend_from_slice(&[3, 3]);
        }
        let mut pieces = VecDeque::new();
        let (mut at, mut i) = (0, 0);
        while at < input.len() {
            let n = cuts[i % cuts.len()].min(input.len() - at);
            pieces.push_back(input[at..at + n].to_vec());
            at += n;
            i += 1;
        }
        let got = run(async {
            let mut r = StreamReader::with_limit(Chunks(pieces), 64);
            let mut got = Vec::new();
            loop {
                match r.read_until(&[3, 3]).await {
                    Ok(frame) => got.push(frame[..frame.len() - 2].to_vec()),
                    Err(ReadError::IncompleteRead { partial, .. }) => {
                        assert!(partial.is_empty());
                        break;
                    }
                    Err(e) => panic!("{e}"),
                }
            }
            got
        });
        prop_assert_eq!(got, frames);
    }
}
