//! `interval` and its missed-tick policies (`MissedTick::{Burst, Delay, Skip}`).
//!
//! Two ways to miss ticks. On the virtual clock (exact): the consumer stops polling the
//! interval for a while (it sleeps), so several deadlines pass unobserved. On the real clock
//! (a loop that is really busy): a task blocks the thread with `std::thread::sleep`; those
//! tests only assert what holds however late the loop runs.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use futures_lite::StreamExt;
use loop_core::{EventLoop, MissedTick, Timer, get_running_loop, interval, sleep, sleep_until};

mod common;

use common::{ms, now, vloop};

/// On the virtual clock: takes the first tick (at 1 s), stops polling for 3.5 s, then takes
/// `more` ticks. Returns (tick instant, loop time received), both relative to the start.
fn ticks_after_a_pause(policy: Option<MissedTick>, more: usize) -> Vec<(Duration, Duration)> {
    let lp = vloop();
    let t0 = lp.time();
    lp.block_on(async {
        let mut ticks = interval(ms(1000));
        if let Some(policy) = policy {
            ticks = ticks.missed_tick(policy);
        }
        let mut got = Vec::new();
        let first = ticks.next().await.unwrap();
        got.push((first - t0, now() - t0));
        sleep(ms(3500)).await; // the interval is not polled meanwhile
        for _ in 0..more {
            let tick = ticks.next().await.unwrap();
            got.push((tick - t0, now() - t0));
        }
        got
    })
    .unwrap()
}

/// `Burst`: the missed ticks fire at once, one after another, then the original schedule
/// goes on.
#[test]
fn burst_fires_the_missed_ticks_at_once_then_keeps_the_schedule() {
    assert_eq!(
        ticks_after_a_pause(Some(MissedTick::Burst), 5),
        [
            (ms(1000), ms(1000)),
            (ms(2000), ms(4500)),
            (ms(3000), ms(4500)),
            (ms(4000), ms(4500)),
            (ms(5000), ms(5000)),
            (ms(6000), ms(6000)),
        ]
    );
}

/// `Delay`: one tick now for what was missed, then a period after each tick actually seen.
#[test]
fn delay_fires_once_then_restarts_the_period_from_now() {
    assert_eq!(
        ticks_after_a_pause(Some(MissedTick::Delay), 3),
        [
            (ms(1000), ms(1000)),
            (ms(2000), ms(4500)),
            (ms(5500), ms(5500)),
            (ms(6500), ms(6500)),
        ]
    );
}

/// `Skip`: one tick now for what was missed, then the next tick of the original schedule.
#[test]
fn skip_fires_once_then_rejoins_the_original_schedule() {
    let expected = [
        (ms(1000), ms(1000)),
        (ms(2000), ms(4500)),
        (ms(5000), ms(5000)),
        (ms(6000), ms(6000)),
    ];
    assert_eq!(ticks_after_a_pause(Some(MissedTick::Skip), 3), expected);
    assert_eq!(MissedTick::default(), MissedTick::Skip);
    assert_eq!(
        ticks_after_a_pause(None, 3),
        expected,
        "the default is Skip"
    );
}

/// A start in the past is the same as a loop that was busy: `interval_at(now - 5.5 s, 1 s)`.
/// Ticks as (due, received), relative to the start, in milliseconds.
#[test]
fn an_interval_started_in_the_past_applies_its_policy() {
    let lp = vloop();
    let run = |policy, n| {
        lp.block_on(async move {
            let start = now() - ms(5500);
            let mut ticks = Timer::interval_at(start, ms(1000)).missed_tick(policy);
            let mut got = Vec::new();
            for _ in 0..n {
                let tick = ticks.next().await.unwrap();
                got.push(((tick - start).as_millis(), (now() - start).as_millis()));
            }
            got
        })
        .unwrap()
    };
    assert_eq!(
        run(MissedTick::Burst, 8),
        [
            (0, 5500),
            (1000, 5500),
            (2000, 5500),
            (3000, 5500),
            (4000, 5500),
            (5000, 5500),
            (6000, 6000),
            (7000, 7000)
        ]
    );
    assert_eq!(
        run(MissedTick::Delay, 3),
        [(0, 5500), (6500, 6500), (7500, 7500)]
    );
    assert_eq!(
        run(MissedTick::Skip, 3),
        [(0, 5500), (6000, 6000), (7000, 7000)]
    );
}

/// Real clock, really busy: between ticks a task blocks the thread for 3.5 periods. Returns
/// the period, the interval's start, the end of the block, and every tick as (instant,
/// received at).
#[allow(clippy::type_complexity)]
fn ticks_around_a_busy_loop(
    policy: MissedTick,
) -> (Duration, Instant, Instant, Vec<(Instant, Instant)>) {
    const P: Duration = Duration::from_millis(40);
    let lp = EventLoop::new().unwrap();
    let block_end = Rc::new(Cell::new(None::<Instant>));
    let got = Rc::new(RefCell::new(Vec::new()));
    let start = lp
        .block_on(async {
            let ticks = Timer::interval(P).missed_tick(policy);
            let start = ticks.deadline().unwrap() - P;
            let end = block_end.clone();
            let blocker = get_running_loop().unwrap().spawn_local(async move {
                sleep_until(start + P + P / 2).await;
                std::thread::sleep(P * 7 / 2);
                end.set(Some(Instant::now()));
            });
            let (sink, end) = (got.clone(), block_end.clone());
            let mut ticks = ticks;
            let mut after_block = 0;
            while sink.borrow().len() < 100 {
                let tick = ticks.next().await.unwrap();
                sink.borrow_mut().push((tick, Instant::now()));
                if end.get().is_some_and(|u| tick > u + P) {
                    after_block += 1;
                    if after_block == 2 {
                        break;
                    }
                }
            }
            blocker.await.unwrap();
            start
        })
        .unwrap();
    let end = block_end.get().expect("the blocker ran");
    let got = got.borrow().clone();
    (P, start, end, got)
}

/// Ticks that were due before the block ended but only received after it.
fn late(end: Instant, ticks: &[(Instant, Instant)]) -> Vec<Instant> {
    ticks
        .iter()
        .filter(|(tick, received)| *tick < end && *received >= end)
        .map(|(tick, _)| *tick)
        .collect()
}

fn on_schedule(start: Instant, p: Duration, tick: Instant) -> bool {
    (tick - start).as_nanos() % p.as_nanos() == 0
}

#[test]
fn burst_on_a_busy_loop_delivers_every_missed_tick_late() {
    let (p, start, end, ticks) = ticks_around_a_busy_loop(MissedTick::Burst);
    let instants: Vec<Instant> = ticks.iter().map(|(t, _)| *t).collect();
    let expected: Vec<Instant> = (1..=instants.len() as u32).map(|k| start + p * k).collect();
    assert_eq!(instants, expected, "Burst skipped or moved a tick");
    assert!(
        late(end, &ticks).len() >= 3,
        "the ticks missed during 3.5 periods of blocking were not delivered late: {:?}",
        late(end, &ticks)
    );
}

#[test]
fn delay_on_a_busy_loop_fires_once_then_a_period_after_it() {
    let (p, _start, end, ticks) = ticks_around_a_busy_loop(MissedTick::Delay);
    let missed = late(end, &ticks);
    assert_eq!(
        missed.len(),
        1,
        "Delay fired more than once for the missed ticks"
    );
    let at = ticks.iter().position(|(t, _)| *t == missed[0]).unwrap();
    let next = ticks.get(at + 1).expect("a tick after the block").0;
    assert!(
        next >= end + p,
        "the tick after the late one is less than a period after the block"
    );
    assert!(
        ticks.windows(2).all(|w| w[1].0 >= w[0].0 + p),
        "two ticks less than a period apart"
    );
}

#[test]
fn skip_on_a_busy_loop_fires_once_then_rejoins_the_schedule() {
    let (p, start, end, ticks) = ticks_around_a_busy_loop(MissedTick::Skip);
    let missed = late(end, &ticks);
    assert_eq!(
        missed.len(),
        1,
        "Skip fired more than once for the missed ticks"
    );
    assert!(
        ticks.iter().all(|(t, _)| on_schedule(start, p, *t)),
        "a tick off the original schedule"
    );
    let at = ticks.iter().position(|(t, _)| *t == missed[0]).unwrap();
    let next = ticks.get(at + 1).expect("a tick after the block").0;
    assert!(
        next > end,
        "the tick after the late one was due during the block"
    );
    assert!(next - missed[0] >= p * 2, "nothing was skipped");
}

/// On the virtual clock an interval never drifts: a thousand ticks, each received at exactly
/// its deadline, `period` apart.
#[test]
fn a_thousand_ticks_without_drift() {
    let lp = vloop();
    let t0 = lp.time();
    let got = lp
        .block_on(async {
            interval(ms(1000))
                .take(1000)
                .map(|tick| (tick, now()))
                .collect::<Vec<_>>()
                .await
        })
        .unwrap();
    assert_eq!(got.len(), 1000);
    for (k, (tick, received)) in got.iter().enumerate() {
        assert_eq!(*tick, t0 + ms(1000) * (k as u32 + 1));
        assert_eq!(received, tick);
    }
}
