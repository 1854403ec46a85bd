//! A panic in a protocol callback goes to the loop's exception handler and closes that
//! connection; the loop and the server go on.

mod proto;

use std::cell::RefCell;
use std::io::{Read, Write};
use std::rc::Rc;

use loop_net::{Protocol, Transport, create_server};
use proto::{addr_of, client, on_thread, run, until};

#[derive(Default)]
struct Log {
    lost: Vec<Option<String>>,
}

struct Fragile {
    transport: Option<Transport>,
    log: Rc<RefCell<Log>>,
    panic_on_made: bool,
}

impl Protocol for Fragile {
    fn connection_made(&mut self, t: Transport) {
        self.transport = Some(t);
        if self.panic_on_made {
            panic!("made went wrong");
        }
    }
    fn data_received(&mut self, data: &[u8]) {
        if data.starts_with(b"boom") {
            panic!("protocol bug");
        }
        self.transport.as_ref().unwrap().write(data);
    }
    fn connection_lost(&mut self, error: Option<std::io::Error>) {
        self.log
            .borrow_mut()
            .lost
            .push(error.map(|e| e.to_string()));
    }
}

#[test]
fn a_panic_in_data_received_closes_only_that_connection() {
    let log = Rc::new(RefCell::new(Log::default()));
    let for_factory = log.clone();
    let (_, reports) = run(async {
        let server = create_server(
            move || Fragile {
                transport: None,
                log: for_factory.clone(),
                panic_on_made: false,
            },
            "127.0.0.1:0",
        )
        .await
        .unwrap();
        let addr = addr_of(&server);
        let (bad, good) = on_thread(move || {
            let mut good = client(addr);
            let mut bad = client(addr);
            bad.write_all(b"boom").unwrap();
            let bad_rest = proto::read_to_end(&mut bad);
            good.write_all(b"fine").unwrap();
            let mut buf = [0; 4];
            good.read_exact(&mut buf).unwrap();
            (bad_rest, buf)
        })
        .await;
        assert!(bad.is_empty());
        assert_eq!(&good, b"fine");
        until(|| !log.borrow().lost.is_empty()).await;
        assert!(server.is_serving());
    });
    let lost = &log.borrow().lost;
    let errors: Vec<&String> = lost.iter().flatten().collect();
    assert_eq!(errors.len(), 1, "{lost:?}");
    let error = errors[0];
    assert!(
        error.contains("data_received") && error.contains("protocol bug"),
        "{error}"
    );
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(
        reports[0].message,
        "Fatal error: protocol.data_received() call failed."
    );
    assert_eq!(reports[0].detail.as_deref(), Some("protocol bug"));
}

#[test]
fn a_panic_in_connection_made_aborts_the_connection() {
    let log = Rc::new(RefCell::new(Log::default()));
    let for_factory = log.clone();
    let (_, reports) = run(async {
        let server = create_server(
            move || Fragile {
                transport: None,
                log: for_factory.clone(),
                panic_on_made: true,
            },
            "127.0.0.1:0",
        )
        .await
        .unwrap();
        let addr = addr_of(&server);
        let rest = on_thread(move || proto::read_to_end(&mut client(addr))).await;
        assert!(rest.is_empty());
        until(|| !log.borrow().lost.is_empty()).await;
    });
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(
        reports[0].message,
        "Fatal error: protocol.connection_made() call failed."
    );
}

#[test]
fn a_panicking_protocol_factory_is_reported_and_the_server_serves_on() {
    let calls = Rc::new(std::cell::Cell::new(0));
    let log = Rc::new(RefCell::new(Log::default()));
    let (c, l) = (calls.clone(), log.clone());
    let (_, reports) = run(async {
        let server = create_server(
            move || {
                c.set(c.get() + 1);
                if c.get() == 1 {
                    panic!("factory failed");
                }
                Fragile {
                    transport: None,
                    log: l.clone(),
                    panic_on_made: false,
                }
            },
            "127.0.0.1:0",
        )
        .await
        .unwrap();
        let addr = addr_of(&server);
        let echoed = on_thread(move || {
            let mut first = client(addr);
            let rest = proto::read_to_end(&mut first);
            let mut second = client(addr);
            second.write_all(b"ok").unwrap();
            let mut buf = [0; 2];
            second.read_exact(&mut buf).unwrap();
            (rest, buf)
        })
        .await;
        assert_eq!(echoed, (Vec::new(), *b"ok"));
        assert!(server.is_serving());
    });
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0].message, "Exception in protocol factory");
}
