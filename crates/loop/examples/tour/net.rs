//! 10. loop-net: a TCP round trip through a listener and a stream, and a UDP round trip.

use std::io;

use evloop::EventLoop;
use evloop::net::{StreamReader, TcpListener, TcpStream, UdpSocket};
use futures_lite::AsyncWriteExt;

pub(crate) fn tour(lp: &EventLoop) -> io::Result<()> {
    let (line, datagram) = lp
        .block_on(async {
            // TCP: a server task answers one line; the client connects by address string.
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            let addr = listener.local_addr()?;
            let server = evloop::spawn(async move {
                let (conn, _) = listener.accept().await?;
                let (r, mut w) = conn.into_split();
                let line = StreamReader::new(r).read_line().await?;
                w.write_all(b"echo: ").await?;
                w.write_all(&line).await
            });
            let client = TcpStream::connect(addr.to_string()).await?;
            client.set_nodelay(true)?;
            let (r, mut w) = client.into_split();
            w.write_all(b"hello over TCP\n").await?;
            let line = StreamReader::new(r).read_line().await?;
            server
                .await
                .map_err(|e| io::Error::other(e.to_string()))??;

            // UDP: one datagram there and back.
            let a = UdpSocket::bind("127.0.0.1:0").await?;
            let b = UdpSocket::bind("127.0.0.1:0").await?;
            a.send_to(b"hello over UDP", b.local_addr()?).await?;
            let mut buf = [0; 64];
            let (n, from) = b.recv_from(&mut buf).await?;
            b.send_to(&buf[..n], from).await?;
            let n = a.recv(&mut buf).await?;
            io::Result::Ok((line, buf[..n].to_vec()))
        })
        .map_err(io::Error::other)??;
    println!(
        "10. net: TCP {:?}, UDP {:?}",
        String::from_utf8_lossy(line.trim_ascii_end()),
        String::from_utf8_lossy(&datagram)
    );
    Ok(())
}
