//! Signals as streams: a signal sent to this process reaches its listeners, each of them;
//! SIGKILL and SIGSTOP are refused; dropping the last listener restores the default.
//! Each scenario that changes a disposition runs in a subprocess of this test binary.

mod common;

use std::io::ErrorKind;

use futures_lite::StreamExt;
use loop_process::{Signal, Signals, ctrl_c};

#[test]
fn a_signal_to_ourselves_reaches_the_listener() {
    common::in_subprocess("a_signal_to_ourselves_reaches_the_listener", &[], || {
        common::run(async {
            let mut usr1 = Signals::new(Signal::USR1).unwrap();
            for _ in 0..3 {
                Signal::USR1.raise().unwrap();
                assert_eq!(usr1.next().await, Some(Signal::USR1));
            }
        });
    });
}

#[test]
fn every_listener_sees_every_arrival() {
    common::in_subprocess("every_listener_sees_every_arrival", &[], || {
        // One listener on another thread's loop, two on this one.
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let other = std::thread::spawn(move || {
            common::run(async {
                let mut hup = Signals::new(Signal::HUP).unwrap();
                ready_tx.send(()).unwrap();
                hup.recv().await;
                hup.recv().await;
            })
        });
        ready_rx.recv().unwrap();
        common::run(async {
            let mut a = Signals::new(Signal::HUP).unwrap();
            let mut b = Signals::new(Signal::HUP).unwrap();
            Signal::HUP.raise().unwrap();
            assert_eq!(a.recv().await, Signal::HUP);
            assert_eq!(b.recv().await, Signal::HUP);
            Signal::HUP.raise().unwrap();
            assert_eq!(b.recv().await, Signal::HUP);
            assert_eq!(a.recv().await, Signal::HUP);
        });
        other.join().unwrap();
    });
}

#[test]
fn dropping_the_last_listener_restores_the_default() {
    common::in_subprocess(
        "dropping_the_last_listener_restores_the_default",
        &[],
        || {
            let usr2 = Signal::USR2.as_raw();
            assert!(!common::catches(usr2));
            common::run(async {
                let a = Signals::new(Signal::USR2).unwrap();
                let b = Signals::new(Signal::USR2).unwrap();
                assert!(common::catches(usr2));
                drop(a);
                assert!(common::catches(usr2), "one listener left");
                drop(b);
                assert!(!common::catches(usr2), "default disposition back");
                // And again: the handler comes back with a new listener.
                let mut c = Signals::new(Signal::USR2).unwrap();
                Signal::USR2.raise().unwrap();
                c.recv().await;
            });
        },
    );
}

#[test]
fn ctrl_c_completes_on_sigint() {
    common::in_subprocess("ctrl_c_completes_on_sigint", &[], || {
        common::run(async {
            let raise = async { Signal::INT.raise() };
            let (caught, raised) = futures_lite::future::zip(ctrl_c(), raise).await;
            raised.unwrap();
            caught.unwrap();
        });
        assert!(!common::catches(Signal::INT.as_raw()));
    });
}

#[test]
fn uncatchable_signals_are_refused() {
    common::run(async {
        for signal in [Signal::KILL, Signal::STOP] {
            let err = Signals::new(signal).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            assert!(err.to_string().contains("cannot be caught"), "{err}");
        }
        assert_eq!(
            Signal::from_raw(0).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            Signal::from_raw(-1).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            Signal::from_raw(200).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
    });
}
