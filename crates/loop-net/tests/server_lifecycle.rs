//! Server lifecycle: start serving later, serve_forever and its cancellation, close (new
//! connects refused, existing ones untouched), wait_closed waiting for connections, address in
//! use, Unix servers (P10, P11, P13).

mod proto;

use std::io::{Read, Write};
use std::time::Duration;

use loop_net::{Server, TcpListenOptions, create_server, create_unix_server};
use proto::{Ev, Rec, Shared, addr_of, client, on_thread, run, until};

#[test]
fn start_serving_false_defers_accepting() {
    let shared = Shared::new();
    run(async {
        let server = Server::builder(Rec::factory(&shared))
            .start_serving(false)
            .bind("127.0.0.1:0")
            .await
            .unwrap();
        assert!(!server.is_serving());
        let addr = addr_of(&server);
        // The connect completes in the kernel's backlog; no protocol runs yet.
        let c = client(addr);
        for _ in 0..20 {
            loop_core::sleep(Duration::from_millis(1)).await;
        }
        assert!(shared.events().is_empty());
        server.start_serving().unwrap();
        assert!(server.is_serving());
        until(|| shared.events() == [Ev::Made]).await;
        drop(c);
        until(|| shared.lost()).await;
    });
}

#[test]
fn cancelling_serve_forever_closes_the_server() {
    let shared = Shared::new();
    run(async {
        let server = Server::builder(Rec::factory(&shared))
            .start_serving(false)
            .bind("127.0.0.1:0")
            .await
            .unwrap();
        let addr = addr_of(&server);
        let serving = loop_core::timeout(Duration::from_millis(20), server.serve_forever()).await;
        assert!(serving.is_err(), "serve_forever returned on its own");
        assert!(!server.is_serving());
        assert!(server.sockets().is_empty());
        assert!(server.serve_forever().await.is_err());
        let refused = std::net::TcpStream::connect(addr).unwrap_err();
        assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    });
}

#[test]
fn serve_forever_returns_when_the_server_is_closed() {
    let shared = Shared::new();
    run(async {
        let server = create_server(Rec::factory(&shared), "127.0.0.1:0")
            .await
            .unwrap();
        let lp = loop_core::get_running_loop().unwrap();
        let server = std::rc::Rc::new(server);
        let closer = server.clone();
        lp.call_later(Duration::from_millis(5), move || closer.close())
            .unwrap();
        server.serve_forever().await.unwrap();
        assert!(!server.is_serving());
    });
}

#[test]
fn close_refuses_new_connections_and_leaves_existing_ones() {
    let shared = Shared::new();
    shared.echo.set(true);
    run(async {
        let server = create_server(Rec::factory(&shared), "127.0.0.1:0")
            .await
            .unwrap();
        let addr = addr_of(&server);
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let existing = on_thread(move || {
            let mut s = client(addr);
            s.write_all(b"before").unwrap();
            let mut buf = [0; 6];
            s.read_exact(&mut buf).unwrap();
            rx.recv().unwrap();
            s.write_all(b"after!").unwrap();
            s.read_exact(&mut buf).unwrap();
            buf
        });
        until(|| shared.data() == b"before").await;
        server.close();
        assert!(!server.is_serving());
        assert_eq!(server.active_connections(), 1);
        let refused = std::net::TcpStream::connect(addr).unwrap_err();
        assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
        tx.send(()).unwrap();
        assert_eq!(&existing.await, b"after!");
        // wait_closed returns once that connection is gone too.
        server.wait_closed().await;
        assert!(shared.lost());
        assert_eq!(server.active_connections(), 0);
    });
}

#[test]
fn wait_closed_waits_for_active_connections() {
    let shared = Shared::new();
    run(async {
        let server = create_server(Rec::factory(&shared), "127.0.0.1:0")
            .await
            .unwrap();
        let addr = addr_of(&server);
        let c = client(addr);
        until(|| shared.transport.borrow().is_some()).await;
        server.close();
        let waited = loop_core::timeout(Duration::from_millis(20), server.wait_closed()).await;
        assert!(
            waited.is_err(),
            "wait_closed returned with a connection open"
        );
        shared.transport().close();
        server.wait_closed().await;
        drop(c);
    });
}

#[test]
fn close_clients_and_abort_clients_end_every_connection() {
    let shared = Shared::new();
    run(async {
        let server = create_server(Rec::factory(&shared), "127.0.0.1:0")
            .await
            .unwrap();
        let addr = addr_of(&server);
        let peers = on_thread(move || {
            let mut a = client(addr);
            let mut b = client(addr);
            (proto::read_to_end(&mut a), proto::read_to_end(&mut b))
        });
        until(|| shared.count(&Ev::Made) == 2).await;
        server.close();
        server.close_clients();
        server.abort_clients();
        server.wait_closed().await;
        assert_eq!(peers.await, (Vec::new(), Vec::new()));
        assert_eq!(shared.count(&Ev::Lost(None)), 2);
    });
}

#[test]
fn binding_a_port_in_use_fails_with_addr_in_use() {
    let shared = Shared::new();
    run(async {
        let first = create_server(Rec::factory(&shared), "127.0.0.1:0")
            .await
            .unwrap();
        let addr = addr_of(&first);
        let err = Server::builder(Rec::factory(&shared))
            .listen_options(TcpListenOptions::new().reuse_address(true))
            .bind(addr)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AddrInUse);
    });
}

#[test]
fn reuse_port_lets_two_servers_share_a_port() {
    let shared = Shared::new();
    run(async {
        let opts = TcpListenOptions::new().reuse_port(true);
        let first = Server::builder(Rec::factory(&shared))
            .listen_options(opts.clone())
            .bind("127.0.0.1:0")
            .await
            .unwrap();
        let addr = addr_of(&first);
        let second = Server::builder(Rec::factory(&shared))
            .listen_options(opts)
            .bind(addr)
            .await
            .unwrap();
        assert_eq!(addr_of(&second), addr);
    });
}

#[test]
fn dropping_the_server_stops_listening() {
    let shared = Shared::new();
    run(async {
        let server = create_server(Rec::factory(&shared), "127.0.0.1:0")
            .await
            .unwrap();
        let addr = addr_of(&server);
        drop(server);
        let refused = std::net::TcpStream::connect(addr).unwrap_err();
        assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    });
}

#[test]
fn unix_server_replaces_a_stale_socket_but_not_a_regular_file() {
    let dir = std::env::temp_dir().join(format!("loop-net-server-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sock = dir.join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&sock).unwrap()); // leaves the file
    let file = dir.join("regular");
    std::fs::write(&file, b"not a socket").unwrap();
    let shared = Shared::new();
    shared.echo.set(true);
    run(async {
        let server = create_unix_server(Rec::factory(&shared), &sock).unwrap();
        let path = sock.clone();
        let echoed = on_thread(move || {
            let mut s = std::os::unix::net::UnixStream::connect(path).unwrap();
            s.set_read_timeout(Some(proto::WATCHDOG)).unwrap();
            s.write_all(b"unix").unwrap();
            let mut buf = [0; 4];
            s.read_exact(&mut buf).unwrap();
            buf
        })
        .await;
        assert_eq!(&echoed, b"unix");
        assert!(create_unix_server(Rec::factory(&shared), &file).is_err());
        assert_eq!(std::fs::read(&file).unwrap(), b"not a socket");
        server.close();
        server.wait_closed().await;
    });
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_protocol_may_close_its_own_server_from_connection_made() {
    use loop_net::{Protocol, Transport};
    use std::cell::RefCell;
    use std::rc::Rc;

    struct Closer(Rc<RefCell<Option<Server>>>);
    impl Protocol for Closer {
        fn connection_made(&mut self, t: Transport) {
            if let Some(server) = self.0.borrow().as_ref() {
                server.close();
            }
            t.write(b"closed it");
            t.close();
        }
        fn data_received(&mut self, _: &[u8]) {}
    }

    let slot = Rc::new(RefCell::new(None));
    let for_factory = slot.clone();
    let (_, reports) = run(async {
        let server = create_server(move || Closer(for_factory.clone()), "127.0.0.1:0")
            .await
            .unwrap();
        let addr = addr_of(&server);
        *slot.borrow_mut() = Some(server);
        let got = on_thread(move || proto::read_to_end(&mut client(addr))).await;
        assert_eq!(got, b"closed it");
        let server = slot.borrow_mut().take().unwrap();
        assert!(!server.is_serving());
        server.wait_closed().await;
        assert!(std::net::TcpStream::connect(addr).is_err());
    });
    assert!(reports.is_empty(), "{reports:?}");
}
