//! TLS benchmarks: evloop + loop-tls against tokio + tokio-rustls and smol (async-io with
//! async-executor) + futures-rustls, in one run.
//!
//! All three use the same rustls version, the ring provider and literally the same
//! `ClientConfig` and `ServerConfig` (loop-tls' builders make them; the peers take the `Arc`s),
//! so rustls' own work is identical and the rows measure what each wrapper and runtime adds.
//! Client and server run in one thread on one runtime, over loopback TCP with TCP_NODELAY.
//!
//! - `tls_handshake/<impl>`: one TCP connect + accept and a full TLS 1.3 handshake on both
//!   sides (after the first, the client resumes its session, as a returning client does).
//! - `tls_bulk_64k/<impl>`: 8 MiB through one established connection in 64 KiB writes, the
//!   server reading with a 64 KiB buffer; criterion reports bytes per second.
//!
//! Run with `cargo bench --bench tls`; ratios: see the README's loop-tls section.

use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group};
use evloop::tls::rustls::pki_types::{PrivateKeyDer, ServerName};
use evloop::tls::rustls::{ClientConfig, ServerConfig};
use evloop::tls::{TlsAcceptor, TlsConnector};
use futures_lite::future::zip;

const BULK: usize = 8 * 1024 * 1024;
const CHUNK: usize = 64 * 1024;

struct Configs {
    client: Arc<ClientConfig>,
    server: Arc<ServerConfig>,
}

fn configs() -> Configs {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert = made.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(made.signing_key.serialize_der().into());
    let acceptor = TlsAcceptor::builder()
        .certificate(vec![cert.clone()], key)
        .build()
        .unwrap();
    let connector = TlsConnector::builder()
        .system_roots(false)
        .add_root_certificate(cert)
        .build()
        .unwrap();
    Configs {
        client: connector.config().clone(),
        server: acceptor.config().clone(),
    }
}

fn chunk() -> Vec<u8> {
    (0..CHUNK).map(|i| i as u8).collect()
}

/// The bulk workload for the two sides on futures-io streams (evloop and smol); tokio's own
/// traits get the same loop in `tokio_side::bulk`.
async fn bulk_futures_io(
    client: &mut (impl futures_lite::AsyncWrite + Unpin),
    server: &mut (impl futures_lite::AsyncRead + Unpin),
    data: &[u8],
) -> usize {
    use futures_lite::{AsyncReadExt, AsyncWriteExt};
    let send = async {
        for _ in 0..BULK / CHUNK {
            client.write_all(data).await.unwrap();
        }
        client.flush().await.unwrap();
    };
    let receive = async {
        let mut buf = vec![0; CHUNK];
        let mut got = 0;
        while got < BULK {
            got += server.read(&mut buf).await.unwrap();
        }
        got
    };
    zip(send, receive).await.1
}

// ---------------------------------------------------------------------------------------------
// evloop + loop-tls

mod evloop_side {
    use super::*;
    use evloop::net::{TcpListener, TcpStream};
    use evloop::tls::TlsStream;

    pub(crate) struct Side {
        pub(crate) lp: evloop::EventLoop,
        listener: TcpListener,
        addr: SocketAddr,
        connector: TlsConnector,
        acceptor: TlsAcceptor,
    }

    pub(crate) fn side(configs: &Configs) -> Side {
        let lp = evloop::EventLoop::new().unwrap();
        let listener = lp
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .unwrap()
            .unwrap();
        let addr = listener.local_addr().unwrap();
        Side {
            lp,
            listener,
            addr,
            connector: TlsConnector::from(configs.client.clone()),
            acceptor: TlsAcceptor::from(configs.server.clone()),
        }
    }

    impl Side {
        pub(crate) async fn handshake(&self) -> (TlsStream<TcpStream>, TlsStream<TcpStream>) {
            let client = async {
                let tcp = TcpStream::connect(self.addr).await.unwrap();
                tcp.set_nodelay(true).unwrap();
                self.connector.connect("localhost", tcp).await.unwrap()
            };
            let server = async {
                let (tcp, _) = self.listener.accept().await.unwrap();
                tcp.set_nodelay(true).unwrap();
                self.acceptor.accept(tcp).await.unwrap()
            };
            zip(client, server).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// tokio (current-thread) + tokio-rustls

mod tokio_side {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    use tokio_rustls::{TlsAcceptor, TlsConnector, client, server};

    pub(crate) struct Side {
        pub(crate) rt: tokio::runtime::Runtime,
        listener: TcpListener,
        addr: SocketAddr,
        connector: TlsConnector,
        acceptor: TlsAcceptor,
    }

    pub(crate) fn side(configs: &Configs) -> Side {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let listener = rt.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let addr = listener.local_addr().unwrap();
        Side {
            rt,
            listener,
            addr,
            connector: TlsConnector::from(configs.client.clone()),
            acceptor: TlsAcceptor::from(configs.server.clone()),
        }
    }

    impl Side {
        pub(crate) async fn handshake(
            &self,
        ) -> (client::TlsStream<TcpStream>, server::TlsStream<TcpStream>) {
            let client = async {
                let tcp = TcpStream::connect(self.addr).await.unwrap();
                tcp.set_nodelay(true).unwrap();
                let name = ServerName::try_from("localhost").unwrap();
                self.connector.connect(name, tcp).await.unwrap()
            };
            let server = async {
                let (tcp, _) = self.listener.accept().await.unwrap();
                tcp.set_nodelay(true).unwrap();
                self.acceptor.accept(tcp).await.unwrap()
            };
            zip(client, server).await
        }
    }

    pub(crate) async fn bulk(
        client: &mut client::TlsStream<TcpStream>,
        server: &mut server::TlsStream<TcpStream>,
        data: &[u8],
    ) -> usize {
        let send = async {
            for _ in 0..BULK / CHUNK {
                client.write_all(data).await.unwrap();
            }
            client.flush().await.unwrap();
        };
        let receive = async {
            let mut buf = vec![0; CHUNK];
            let mut got = 0;
            while got < BULK {
                got += server.read(&mut buf).await.unwrap();
            }
            got
        };
        zip(send, receive).await.1
    }
}

// ---------------------------------------------------------------------------------------------
// smol (async-io + async-executor) + futures-rustls

mod smol_side {
    use super::*;
    use async_io::Async;
    use futures_rustls::{TlsAcceptor, TlsConnector, client, server};
    use std::net::{TcpListener, TcpStream};

    pub(crate) struct Side {
        pub(crate) ex: async_executor::LocalExecutor<'static>,
        listener: Async<TcpListener>,
        addr: SocketAddr,
        connector: TlsConnector,
        acceptor: TlsAcceptor,
    }

    pub(crate) fn side(configs: &Configs) -> Side {
        let listener = Async::<TcpListener>::bind(([127, 0, 0, 1], 0)).unwrap();
        let addr = listener.get_ref().local_addr().unwrap();
        Side {
            ex: async_executor::LocalExecutor::new(),
            listener,
            addr,
            connector: TlsConnector::from(configs.client.clone()),
            acceptor: TlsAcceptor::from(configs.server.clone()),
        }
    }

    impl Side {
        pub(crate) fn block_on<T>(&self, fut: impl Future<Output = T>) -> T {
            async_io::block_on(self.ex.run(fut))
        }

        pub(crate) async fn handshake(
            &self,
        ) -> (
            client::TlsStream<Async<TcpStream>>,
            server::TlsStream<Async<TcpStream>>,
        ) {
            let client = async {
                let tcp = Async::<TcpStream>::connect(self.addr).await.unwrap();
                tcp.get_ref().set_nodelay(true).unwrap();
                let name = ServerName::try_from("localhost").unwrap();
                self.connector.connect(name, tcp).await.unwrap()
            };
            let server = async {
                let (tcp, _) = self.listener.accept().await.unwrap();
                tcp.get_ref().set_nodelay(true).unwrap();
                self.acceptor.accept(tcp).await.unwrap()
            };
            zip(client, server).await
        }
    }
}

// ---------------------------------------------------------------------------------------------

fn handshakes(c: &mut Criterion) {
    let configs = configs();
    let mut group = c.benchmark_group("tls_handshake");
    group
        .sample_size(15)
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Elements(1));

    let ev = evloop_side::side(&configs);
    group.bench_function("evloop", |b| {
        b.iter(|| black_box(ev.lp.block_on(ev.handshake()).unwrap()))
    });
    let tk = tokio_side::side(&configs);
    group.bench_function("tokio", |b| {
        b.iter(|| black_box(tk.rt.block_on(tk.handshake())))
    });
    let sm = smol_side::side(&configs);
    group.bench_function("smol", |b| {
        b.iter(|| black_box(sm.block_on(sm.handshake())))
    });
    group.finish();
}

fn bulk(c: &mut Criterion) {
    let configs = configs();
    let data = chunk();
    let mut group = c.benchmark_group("tls_bulk_64k");
    group
        .sample_size(15)
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Bytes(BULK as u64));

    let ev = evloop_side::side(&configs);
    let (mut client, mut server) = ev.lp.block_on(ev.handshake()).unwrap();
    assert_eq!(
        ev.lp
            .block_on(bulk_futures_io(&mut client, &mut server, &data))
            .unwrap(),
        BULK
    );
    group.bench_function("evloop", |b| {
        b.iter(|| {
            ev.lp
                .block_on(bulk_futures_io(&mut client, &mut server, &data))
                .unwrap()
        })
    });

    let tk = tokio_side::side(&configs);
    let (mut client, mut server) = tk.rt.block_on(tk.handshake());
    group.bench_function("tokio", |b| {
        b.iter(|| {
            tk.rt
                .block_on(tokio_side::bulk(&mut client, &mut server, &data))
        })
    });

    let sm = smol_side::side(&configs);
    let (mut client, mut server) = sm.block_on(sm.handshake());
    group.bench_function("smol", |b| {
        b.iter(|| sm.block_on(bulk_futures_io(&mut client, &mut server, &data)))
    });
    group.finish();
}

criterion_group!(benches, handshakes, bulk);

/// `TLS_BENCH_REPEAT="<row> <impl> <n>"` runs one row `n` times and nothing else, for
/// instruction counts that do not depend on the machine's load:
/// `valgrind --tool=callgrind target/release/deps/tls-* ` with n and 0, then subtract.
fn repeat(spec: &str) {
    let mut words = spec.split_whitespace();
    let (row, which) = (words.next().unwrap(), words.next().unwrap());
    let n: usize = words.next().unwrap().parse().unwrap();
    let configs = configs();
    let data = chunk();
    match (row, which) {
        ("handshake", "evloop") => {
            let ev = evloop_side::side(&configs);
            for _ in 0..n {
                black_box(ev.lp.block_on(ev.handshake()).unwrap());
            }
        }
        ("handshake", "tokio") => {
            let tk = tokio_side::side(&configs);
            for _ in 0..n {
                black_box(tk.rt.block_on(tk.handshake()));
            }
        }
        ("handshake", "smol") => {
            let sm = smol_side::side(&configs);
            for _ in 0..n {
                black_box(sm.block_on(sm.handshake()));
            }
        }
        ("bulk", "evloop") => {
            let ev = evloop_side::side(&configs);
            let (mut c, mut s) = ev.lp.block_on(ev.handshake()).unwrap();
            for _ in 0..n {
                ev.lp
                    .block_on(bulk_futures_io(&mut c, &mut s, &data))
                    .unwrap();
            }
        }
        ("bulk", "tokio") => {
            let tk = tokio_side::side(&configs);
            let (mut c, mut s) = tk.rt.block_on(tk.handshake());
            for _ in 0..n {
                tk.rt.block_on(tokio_side::bulk(&mut c, &mut s, &data));
            }
        }
        ("bulk", "smol") => {
            let sm = smol_side::side(&configs);
            let (mut c, mut s) = sm.block_on(sm.handshake());
            for _ in 0..n {
                sm.block_on(bulk_futures_io(&mut c, &mut s, &data));
            }
        }
        _ => panic!("TLS_BENCH_REPEAT: unknown row or implementation in {spec:?}"),
    }
}

fn main() {
    if let Ok(spec) = std::env::var("TLS_BENCH_REPEAT") {
        return repeat(&spec);
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
