//! Pipes for any fd: the stream side (PipeReader / PipeWriter) and the protocol side
//! (connect_read_pipe / connect_write_pipe).

mod common;

use std::io;
use std::time::Duration;

use futures_lite::{AsyncReadExt, AsyncWriteExt};
use loop_process::{
    ReadPipeProtocol, ReadPipeTransport, WritePipeProtocol, connect_read_pipe, connect_write_pipe,
    pipe,
};

#[derive(Default)]
struct Reader {
    made: bool,
    data: Vec<u8>,
    eof: bool,
    lost: Option<Option<io::ErrorKind>>,
}

impl ReadPipeProtocol for Reader {
    fn connection_made(&mut self, _: &ReadPipeTransport) {
        self.made = true;
    }
    fn data_received(&mut self, data: &[u8]) {
        assert!(self.made && !self.eof);
        self.data.extend_from_slice(data);
    }
    fn eof_received(&mut self) {
        self.eof = true;
    }
    fn connection_lost(&mut self, error: Option<io::Error>) {
        self.lost = Some(error.map(|e| e.kind()));
    }
}

#[derive(Default)]
struct Writer {
    lost: Option<Option<io::ErrorKind>>,
}

impl WritePipeProtocol for Writer {
    fn connection_lost(&mut self, error: Option<io::Error>) {
        self.lost = Some(error.map(|e| e.kind()));
    }
}

async fn until(mut cond: impl FnMut() -> bool) {
    while !cond() {
        loop_core::sleep(Duration::from_millis(1)).await;
    }
}

#[test]
fn stream_pipe_round_trip() {
    common::run(async {
        let (mut reader, mut writer) = pipe().unwrap();
        let data = vec![7u8; 1 << 20];
        let write = async {
            writer.write_all(&data).await.unwrap();
            drop(writer);
        };
        let read = async {
            let mut got = Vec::new();
            reader.read_to_end(&mut got).await.unwrap();
            got
        };
        let ((), got) = futures_lite::future::zip(write, read).await;
        assert!(got == data);
    });
}

#[test]
fn read_pipe_protocol_sees_data_eof_and_lost() {
    common::run(async {
        let (read, write) = rustix::pipe::pipe().unwrap();
        let (_transport, protocol) = connect_read_pipe(Reader::default, read).unwrap();
        let (transport, writer) = connect_write_pipe(Writer::default, write).unwrap();
        transport.write(b"hello ").unwrap();
        transport.write(b"pipe").unwrap();
        transport.close();
        until(|| protocol.borrow().lost.is_some()).await;
        let seen = {
            let p = protocol.borrow();
            (p.data.clone(), p.eof, p.lost)
        };
        assert_eq!(seen, (b"hello pipe".to_vec(), true, Some(None)));
        until(|| writer.borrow().lost.is_some()).await;
        assert_eq!(writer.borrow().lost, Some(None));
    });
}

#[test]
fn pause_and_resume_reading() {
    common::run(async {
        let (read, write) = rustix::pipe::pipe().unwrap();
        let (transport, protocol) = connect_read_pipe(Reader::default, read).unwrap();
        transport.pause_reading();
        rustix::io::write(&write, b"held").unwrap();
        for _ in 0..20 {
            loop_core::yield_now().await;
        }
        assert!(
            protocol.borrow().data.is_empty(),
            "paused: nothing delivered"
        );
        transport.resume_reading();
        until(|| protocol.borrow().data == b"held").await;
        transport.close();
        until(|| protocol.borrow().lost.is_some()).await;
        assert!(!protocol.borrow().eof, "closed, not EOF");
    });
}

#[test]
fn write_pipe_reports_a_reader_that_left() {
    common::run(async {
        let (read, write) = rustix::pipe::pipe().unwrap();
        let (transport, protocol) = connect_write_pipe(Writer::default, write).unwrap();
        drop(read);
        transport.write(b"nobody reads this").unwrap();
        until(|| protocol.borrow().lost.is_some()).await;
        assert_eq!(
            protocol.borrow().lost,
            Some(Some(io::ErrorKind::BrokenPipe))
        );
        assert_eq!(
            transport.write(b"more").unwrap_err().kind(),
            io::ErrorKind::BrokenPipe
        );
    });
}
