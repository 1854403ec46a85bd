//! Timers: `call_at` / `call_later` ordering and timing, cancellation, `sleep`, and
//! `Timer::interval` (asyncio spec §2.1 L3–L7 and an analogue of L14).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::time::{Duration, Instant};

use futures_lite::StreamExt;
use futures_lite::future::{or, poll_fn, poll_once};
use loop_core::{EventLoop, Timer, TimerHandle, sleep, sleep_until, yield_now};

mod common;

use common::{ms, watchdog};

/// L3: `call_at(now - 1s, 'a')`, then `call_at(now - 2s, 'b')`, one tick: `['b', 'a']`.
#[test]
fn l3_past_deadlines_run_at_once_ordered_by_deadline() {
    let lp = EventLoop::new().unwrap();
    let log = Rc::new(RefCell::new(Vec::new()));
    let now = lp.time();
    for (name, ago) in [("a", 1), ("b", 2)] {
        let sink = log.clone();
        let when = now
            .checked_sub(Duration::from_secs(ago))
            .expect("the monotonic clock is more than 2 s past its origin");
        lp.call_at(when, move || sink.borrow_mut().push(name))
            .unwrap();
    }
    let before = lp.turns();
    lp.block_on(yield_now()).unwrap();
    assert_eq!(lp.turns() - before, 1, "one tick");
    assert_eq!(*log.borrow(), ["b", "a"]);
}

/// L4: ten timers with the same deadline fire in the order they were scheduled.
#[test]
fn l4_equal_deadlines_fire_in_scheduling_order() {
    let lp = EventLoop::new().unwrap();
    let log = Rc::new(RefCell::new(Vec::new()));
    let when = lp.time() + ms(20);
    for i in 0..10 {
        let (sink, inner) = (log.clone(), (*lp).clone());
        lp.call_at(when, move || {
            sink.borrow_mut().push(i);
            if sink.borrow().len() == 10 {
                inner.stop();
            }
        })
        .unwrap();
    }
    let (guard, fired) = watchdog(&lp, Duration::from_secs(10));
    lp.run_forever().unwrap();
    guard.cancel();
    assert!(!fired.get(), "the timers never fired");
    assert_eq!(*log.borrow(), (0..10).collect::<Vec<_>>());
    assert!(Instant::now() >= when);
}

/// L5: `call_at(time() + 0.1, stop)`: elapsed at least 0.1 s (less clock resolution), and well
/// under a second.
#[test]
fn l5_call_at_fires_at_its_deadline() {
    let lp = EventLoop::new().unwrap();
    let start = lp.time();
    let when = start + ms(100);
    let fired_at = Rc::new(Cell::new(None));
    let (sink, inner) = (fired_at.clone(), (*lp).clone());
    let handle = lp
        .call_at(when, move || {
            sink.set(Some(Instant::now()));
            inner.stop();
        })
        .unwrap();
    assert_eq!(handle.when(), when);
    lp.run_forever().unwrap();
    let elapsed = fired_at.get().expect("the callback ran") - start;
    assert!(elapsed >= ms(99), "fired early: {elapsed:?}");
    assert!(elapsed < ms(800), "fired late: {elapsed:?}");
}

/// L6: `call_later(0.1, cb)`: cb runs once, elapsed in [0.08, 0.8] s.
#[test]
fn l6_call_later_fires_once_after_its_delay() {
    let lp = EventLoop::new().unwrap();
    let runs = Rc::new(Cell::new(0));
    let (count, inner) = (runs.clone(), (*lp).clone());
    let start = Instant::now();
    lp.call_later(ms(100), move || {
        count.set(count.get() + 1);
        inner.stop();
    })
    .unwrap();
    lp.run_forever().unwrap();
    let elapsed = start.elapsed();
    assert_eq!(runs.get(), 1);
    assert!(
        (ms(80)..=ms(800)).contains(&elapsed),
        "elapsed {elapsed:?} not in [0.08, 0.8] s"
    );
    // It does not come back.
    lp.block_on(sleep(ms(150))).unwrap();
    assert_eq!(runs.get(), 1);
}

/// L7: sleeps of 1e-2, 1e-4, 1e-6, 1e-8 and 1e-10 s in sequence take at most 20 loop turns.
#[test]
fn l7_sub_resolution_sleeps_do_not_spin_the_loop() {
    let lp = EventLoop::new().unwrap();
    let before = lp.turns();
    let start = Instant::now();
    lp.block_on(async {
        for secs in [1e-2, 1e-4, 1e-6, 1e-8, 1e-10] {
            sleep(Duration::from_secs_f64(secs)).await;
        }
    })
    .unwrap();
    let turns = lp.turns() - before;
    assert!(turns <= 20, "{turns} loop turns for five short sleeps");
    assert!(start.elapsed() >= ms(10));
}

/// L14 analogue: of 1000 timers, 600 cancelled through their handles never run; the other 400
/// do, each once.
#[test]
fn l14_cancelled_timers_never_run_and_the_rest_do() {
    let lp = EventLoop::new().unwrap();
    let ran = Rc::new(RefCell::new(vec![0u32; 1000]));
    let base = lp.time() + ms(5);
    let handles: Vec<TimerHandle> = (0..1000)
        .map(|i| {
            let sink = ran.clone();
            lp.call_at(base + ms(i as u64 % 10), move || sink.borrow_mut()[i] += 1)
                .unwrap()
        })
        .collect();
    let cancelled = |i: usize| i % 5 < 3;
    for (i, h) in handles.iter().enumerate() {
        if cancelled(i) {
            h.cancel();
        }
    }
    // After every other deadline: when this runs, all earlier timers have fired.
    let inner = (*lp).clone();
    lp.call_at(base + ms(10), move || inner.stop()).unwrap();
    let (guard, fired) = watchdog(&lp, Duration::from_secs(10));
    lp.run_forever().unwrap();
    guard.cancel();
    assert!(!fired.get());

    let ran = ran.borrow();
    assert_eq!(handles.iter().filter(|h| h.is_cancelled()).count(), 600);
    for (i, h) in handles.iter().enumerate() {
        let expected = if cancelled(i) { 0 } else { 1 };
        assert_eq!(
            ran[i],
            expected,
            "timer {i} (cancelled: {})",
            h.is_cancelled()
        );
    }
}

#[test]
fn timer_handle_reports_when_and_cancellation() {
    let lp = EventLoop::new().unwrap();
    let at = lp.time() + Duration::from_secs(60);
    let h = lp.call_at(at, || panic!("cancelled")).unwrap();
    assert_eq!(h.when(), at);
    assert!(!h.is_cancelled());
    h.cancel();
    assert!(h.is_cancelled());
    h.cancel();
    assert!(h.is_cancelled(), "a second cancel is harmless");

    let before = lp.time();
    let later = lp.call_later(ms(250), || ()).unwrap();
    let after = lp.time();
    assert!(later.when() >= before + ms(250) && later.when() <= after + ms(250));
    later.cancel();

    // The cancelled timer is gone: the loop does not wait 60 s for it, nor run it.
    let start = Instant::now();
    lp.block_on(sleep(ms(1))).unwrap();
    assert!(start.elapsed() < Duration::from_secs(5));
}

/// Cancelling a handle whose callback already ran is a no-op, even when a newer timer took
/// its place in the loop's timer store.
#[test]
fn cancelling_a_fired_timer_does_not_touch_a_newer_one() {
    let lp = EventLoop::new().unwrap();
    let log = Rc::new(RefCell::new(Vec::new()));
    let sink = log.clone();
    let old = lp
        .call_later(Duration::ZERO, move || sink.borrow_mut().push("old"))
        .unwrap();
    lp.block_on(yield_now()).unwrap();
    assert_eq!(*log.borrow(), ["old"]);

    let sink = log.clone();
    let new = lp
        .call_later(Duration::ZERO, move || sink.borrow_mut().push("new"))
        .unwrap();
    old.cancel();
    assert!(old.is_cancelled());
    assert!(!new.is_cancelled());
    lp.block_on(yield_now()).unwrap();
    assert_eq!(*log.borrow(), ["old", "new"]);
}

#[test]
fn cancelling_after_the_loop_is_gone_is_harmless() {
    let lp = EventLoop::new().unwrap();
    let h = lp.call_later(Duration::from_secs(60), || ()).unwrap();
    drop(lp);
    h.cancel();
    assert!(h.is_cancelled());
}

/// An interval yields ticks at least one period apart, each no earlier than its deadline.
#[test]
fn interval_ticks_are_spaced_by_the_period() {
    let lp = EventLoop::new().unwrap();
    let period = ms(20);
    let start = Instant::now();
    let ticks = lp
        .block_on(async {
            let mut interval = Timer::interval(period);
            let mut ticks = Vec::new();
            for _ in 0..4 {
                let value = interval.next().await.expect("an interval never ends");
                ticks.push((value, Instant::now()));
            }
            ticks
        })
        .unwrap();
    assert!(
        ticks[0].0 >= start + period,
        "the first tick comes one period in"
    );
    for (value, received) in &ticks {
        assert!(
            received >= value,
            "a tick is delivered no earlier than its deadline"
        );
    }
    for pair in ticks.windows(2) {
        assert!(
            pair[1].0 - pair[0].0 >= period,
            "ticks {:?} apart",
            pair[1].0 - pair[0].0
        );
    }
}

/// An interval that falls behind (the loop thread is blocked for five periods) skips the ticks
/// it missed instead of delivering them in a burst.
#[test]
fn interval_skips_missed_ticks_instead_of_bursting() {
    let lp = EventLoop::new().unwrap();
    let period = ms(20);
    let (first, second, third, third_received) = lp
        .block_on(async {
            let mut interval = Timer::interval(period);
            let first = interval.next().await.unwrap();
            // Block the loop thread (deliberately, not as synchronisation).
            std::thread::sleep(period * 5);
            let second = interval.next().await.unwrap();
            let third = interval.next().await.unwrap();
            (first, second, third, Instant::now())
        })
        .unwrap();
    assert!(second - first >= period);
    assert!(third - second >= period, "ticks closer than one period");
    assert!(
        third >= first + period * 5,
        "the tick after the stall should skip the missed periods, but came {:?} after the first",
        third - first
    );
    assert!(third_received >= third);
}

/// Dropping a pending sleep (the loser of a select) does not keep the loop waiting for it.
#[test]
fn select_between_long_and_short_sleep_returns_with_the_short_one() {
    let lp = EventLoop::new().unwrap();
    let start = Instant::now();
    let winner = lp
        .block_on(or(
            async {
                sleep(Duration::from_secs(10)).await;
                "long"
            },
            async {
                sleep(ms(1)).await;
                "short"
            },
        ))
        .unwrap();
    assert_eq!(winner, "short");
    assert!(start.elapsed() < ms(900), "took {:?}", start.elapsed());
    // And the loop is not held up by the dropped 10 s timer afterwards either.
    let start = Instant::now();
    lp.block_on(sleep(ms(5))).unwrap();
    assert!(start.elapsed() < ms(900));
}

/// Dropping a registered sleep removes its timer: the task that registered it is not woken
/// at its deadline. (Counted as polls of the waiting future, not loop turns: the timer wheel
/// may wake the loop early to cascade a coarse slot, which wakes no task.)
#[test]
fn dropped_sleeps_leave_no_timer_behind() {
    let lp = EventLoop::new().unwrap();
    let polls = lp
        .block_on(async {
            for i in 1..=5u64 {
                let mut short = sleep(ms(20 * i));
                // Registers the timer with this task's waker, then drops it.
                assert!(poll_once(&mut short).await.is_none());
            }
            let mut long = sleep(ms(300));
            let mut polls = 0;
            poll_fn(|cx| {
                polls += 1;
                Pin::new(&mut long).poll(cx)
            })
            .await;
            polls
        })
        .unwrap();
    // Polled once to register and once when it fired; a leftover timer would add a wake-up.
    assert_eq!(
        polls, 2,
        "the waiting future was woken {polls} times: dropped sleeps still fired"
    );
}

/// A sleep whose deadline has passed completes without waiting: on the next turn at the
/// latest (asyncio's `sleep(0)` yields once), and that turn does not block.
#[test]
fn sleep_until_a_past_deadline_completes_at_once() {
    let lp = EventLoop::new().unwrap();
    let past = Instant::now()
        .checked_sub(Duration::from_secs(1))
        .expect("the monotonic clock is more than 1 s past its origin");
    // A far timer: a turn that blocked until the next deadline would take 60 s.
    let far = lp.call_later(Duration::from_secs(60), || ()).unwrap();
    let before = lp.turns();
    let start = Instant::now();
    let fired = lp.block_on(sleep_until(past)).unwrap();
    assert_eq!(fired, past, "a timer yields its deadline");
    assert!(lp.turns() - before <= 1, "{} turns", lp.turns() - before);
    let before = lp.turns();
    lp.block_on(sleep(Duration::ZERO)).unwrap();
    assert!(lp.turns() - before <= 1, "{} turns", lp.turns() - before);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    far.cancel();
}

#[test]
fn timer_never_does_not_fire() {
    let lp = EventLoop::new().unwrap();
    let out = lp
        .block_on(or(
            async {
                Timer::never().await;
                "never"
            },
            async {
                sleep(ms(5)).await;
                "sleep"
            },
        ))
        .unwrap();
    assert_eq!(out, "sleep");
}

#[test]
fn set_after_moves_the_deadline() {
    let lp = EventLoop::new().unwrap();
    let start = Instant::now();
    let elapsed = lp
        .block_on(async {
            let mut t = Timer::after(Duration::from_secs(60));
            assert!(poll_once(&mut t).await.is_none());
            t.set_after(ms(10));
            t.await;
            start.elapsed()
        })
        .unwrap();
    assert!(
        elapsed >= ms(10) && elapsed < Duration::from_secs(5),
        "{elapsed:?}"
    );
}

#[test]
#[should_panic(expected = "outside a running")]
fn polling_a_sleep_outside_a_loop_panics() {
    futures_lite::future::block_on(sleep(ms(1)));
}
