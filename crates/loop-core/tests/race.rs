//! `race`: the first future to finish wins, the others are dropped (asyncio's
//! `wait(FIRST_COMPLETED)` followed by cancelling the rest). On the virtual clock.

use std::cell::Cell;
use std::rc::Rc;

use loop_core::{get_running_loop, race, sleep, spawn_local, timeout, yield_now};

mod common;

use common::{BoxFut, DropFlag, flag, is_set, ms, now, turns_until, vloop};

/// The first to finish wins, with its index and output, at its own finishing time; the
/// others have been dropped by the time the race returns and never resume.
#[test]
fn the_first_to_finish_wins_and_the_rest_are_dropped() {
    let lp = vloop();
    let t0 = lp.time();
    let dropped = [flag(), flag(), flag()];
    let resumed = Rc::new(Cell::new(0));
    let (won, at, dropped_on_return) = lp
        .block_on(async {
            let racers: Vec<BoxFut<&str>> = [300u64, 100, 200]
                .iter()
                .zip(["slow", "fast", "middle"])
                .zip(dropped.iter())
                .map(|((&delay, name), d)| {
                    let (d, r) = (d.clone(), resumed.clone());
                    Box::pin(async move {
                        let _guard = DropFlag(d);
                        sleep(ms(delay)).await;
                        r.set(r.get() + 1);
                        name
                    }) as BoxFut<&str>
                })
                .collect();
            let won = race(racers).await;
            let at = now();
            let dropped_now = is_set(&dropped[0]) && is_set(&dropped[2]);
            sleep(ms(1000)).await;
            (won, at, dropped_now)
        })
        .unwrap();
    assert_eq!(won, (1, "fast"));
    assert_eq!(at - t0, ms(100));
    assert!(dropped_on_return, "a loser outlived the race");
    assert_eq!(resumed.get(), 1, "only the winner got past its sleep");
}

/// Futures ready on the first poll: the lowest index wins, and a ready future beats a pending
/// one whatever its position.
#[test]
fn among_ready_futures_the_lowest_index_wins() {
    let lp = vloop();
    lp.block_on(async {
        let racers: Vec<BoxFut<u8>> = vec![
            Box::pin(std::future::pending()),
            Box::pin(async { 1 }),
            Box::pin(async { 2 }),
        ];
        assert_eq!(race(racers).await, (1, 1));
    })
    .unwrap();
}

/// Racing tasks: the losing tasks' handles are dropped, so the tasks are cancelled.
#[test]
fn racing_tasks_cancels_the_losing_tasks() {
    let lp = vloop();
    let dropped = flag();
    lp.block_on(async {
        let guard = dropped.clone();
        let loser = spawn_local(async move {
            let _guard = DropFlag(guard);
            sleep(ms(10_000)).await;
            0
        });
        let winner = spawn_local(async {
            sleep(ms(10)).await;
            1
        });
        let (index, out) = race([loser, winner]).await;
        assert_eq!((index, out.unwrap()), (1, 1));
        assert!(
            turns_until(|| is_set(&dropped), 3).await,
            "the losing task ran on"
        );
        assert_eq!(get_running_loop().unwrap().live_tasks(), 0);
    })
    .unwrap();
}

/// Dropping the race itself (here by a timeout) drops every racer.
#[test]
fn dropping_the_race_drops_every_racer() {
    let lp = vloop();
    let dropped = [flag(), flag()];
    lp.block_on(async {
        let racers: Vec<BoxFut<()>> = dropped
            .iter()
            .map(|d| {
                let d = d.clone();
                Box::pin(async move {
                    let _guard = DropFlag(d);
                    sleep(ms(10_000)).await;
                }) as BoxFut<()>
            })
            .collect();
        assert!(timeout(ms(10), race(racers)).await.is_err());
        assert!(dropped.iter().all(|d| is_set(d)));
    })
    .unwrap();
}

/// A racer that yields in a loop while it waits must let the loop run the task it waits for
/// (otherwise the race spins inside one poll). Bounded so that a failure cannot hang.
#[test]
fn a_yielding_racer_lets_other_tasks_run() {
    const LIMIT: u32 = 100_000;
    let lp = vloop();
    let ready = Rc::new(Cell::new(false));
    let (index, spins) = lp
        .block_on(async {
            let setter = ready.clone();
            spawn_local(async move { setter.set(true) }).detach();
            let seen = ready.clone();
            let poller: BoxFut<u32> = Box::pin(async move {
                let mut spins = 0;
                while !seen.get() && spins < LIMIT {
                    yield_now().await;
                    spins += 1;
                }
                spins
            });
            race([poller, Box::pin(std::future::pending())]).await
        })
        .unwrap();
    assert_eq!(index, 0);
    assert!(spins < 10, "spun {spins} times without the loop running");
}

/// An empty race could never finish: it panics.
#[test]
#[should_panic(expected = "race needs at least one future")]
fn an_empty_race_panics() {
    let _race = race(Vec::<BoxFut<()>>::new());
}
