//! A `block_on` main future that only yields still lets the loop deliver I/O readiness.

use std::cell::Cell;
use std::io::Write;
use std::os::unix::net::UnixStream;
use std::rc::Rc;

use loop_core::{Async, EventLoop, yield_now};

#[test]
fn a_yielding_main_future_does_not_starve_io() {
    let lp = EventLoop::new().unwrap();
    let seen = lp
        .block_on(async {
            let (mut a, b) = UnixStream::pair().unwrap();
            let b = Async::new(b).unwrap();
            let readable = Rc::new(Cell::new(false));
            let flag = readable.clone();
            let _reader = loop_core::spawn_local(async move {
                b.readable().await.unwrap();
                flag.set(true);
            });
            yield_now().await; // the reader registers its interest
            a.write_all(b"x").unwrap();
            for _ in 0..100_000 {
                if readable.get() {
                    break;
                }
                yield_now().await;
            }
            readable.get()
        })
        .unwrap();
    assert!(
        seen,
        "the readiness event was never delivered while main yielded"
    );
}
