//! [`Barrier`]: asyncio's `Barrier`, a meeting point for a fixed number of tasks.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::AtomicU8;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, Mutex as StdMutex, MutexGuard as StdMutexGuard, PoisonError};
use std::task::{Context, Poll};

use event_listener::EventListener;

/// A meeting point: [`wait`](Barrier::wait) returns once `parties` tasks are waiting; asyncio's
/// `Barrier`.
///
/// Each round (a *generation*) releases its waiters together; the task that completes the
/// round is the leader. [`reset`](Barrier::reset) and [`abort`](Barrier::abort) release the
/// current waiters with [`BrokenBarrierError`]; after `reset` the barrier is usable again, after
/// `abort` every wait fails until the next `reset`.
///
/// Unlike asyncio, a new round can start filling while the released waiters of the previous one
/// are still on their way out (asyncio makes new arrivals wait for them): each waiter belongs to
/// the generation it joined, so rounds cannot mix.
///
/// # Cancel safety
///
/// Dropping a pending `wait` leaves the round: [`n_waiting`](Barrier::n_waiting) drops by one
/// and the round needs one more arrival.
///
/// # Examples
///
/// ```
/// use std::sync::Arc;
/// use loop_sync::Barrier;
///
/// let barrier = Arc::new(Barrier::new(3));
/// let threads: Vec<_> = (0..3)
///     .map(|_| {
///         let b = barrier.clone();
///         std::thread::spawn(move || futures_lite::future::block_on(b.wait()).unwrap())
///     })
///     .collect();
/// let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
/// assert_eq!(results.iter().filter(|r| r.is_leader()).count(), 1);
/// ```
pub struct Barrier {
    parties: usize,
    state: StdMutex<State>,
}

struct State {
    /// Waiters in the current generation.
    count: usize,
    generation: Arc<Generation>,
    /// Set by `abort`, cleared by `reset`.
    broken: bool,
}

/// One round. Its waiters hold it, so they learn its outcome even after the barrier has moved
/// on to the next round; wake-ups happen after the barrier's own lock is released.
struct Generation {
    event: event_listener::Event,
    outcome: AtomicU8,
}

const FILLING: u8 = 0;
const PASSED: u8 = 1;
const BROKEN: u8 = 2;

impl Generation {
    fn new() -> Arc<Generation> {
        Arc::new(Generation {
            event: event_listener::Event::new(),
            outcome: AtomicU8::new(FILLING),
        })
    }

    /// Records how the round ended and wakes its waiters.
    fn finish(&self, outcome: u8) {
        self.outcome.store(outcome, SeqCst);
        self.event.notify(usize::MAX);
    }
}

impl Barrier {
    /// Creates a barrier for `parties` tasks.
    ///
    /// # Panics
    ///
    /// Panics if `parties` is 0 (asyncio raises `ValueError`).
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Barrier;
    ///
    /// let b = Barrier::new(2);
    /// assert_eq!(b.parties(), 2);
    /// ```
    pub fn new(parties: usize) -> Barrier {
        assert!(parties > 0, "a barrier needs at least one party");
        Barrier {
            parties,
            state: StdMutex::new(State {
                count: 0,
                generation: Generation::new(),
                broken: false,
            }),
        }
    }

    fn state(&self) -> StdMutexGuard<'_, State> {
        // The state stays consistent even if a thread panicked while holding the lock: every
        // critical section is a few field updates that cannot panic halfway.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until `parties` tasks are waiting, then releases them all.
    ///
    /// # Errors
    ///
    /// [`BrokenBarrierError`] if the barrier is broken ([`abort`](Barrier::abort)) or the round
    /// is reset or aborted while waiting.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before the round completes withdraws this task from it.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Barrier;
    ///
    /// # futures_lite::future::block_on(async {
    /// let b = Barrier::new(1);
    /// let r = b.wait().await.unwrap();
    /// assert!(r.is_leader());
    /// assert_eq!(r.index(), 0);
    /// # });
    /// ```
    pub fn wait(&self) -> BarrierWait<'_> {
        BarrierWait {
            barrier: self,
            state: WaitState::Start,
        }
    }

    /// Ends the current round with [`BrokenBarrierError`] for its waiters and returns the
    /// barrier to its empty state, un-breaking it if it was aborted.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Barrier;
    ///
    /// # futures_lite::future::block_on(async {
    /// let b = Barrier::new(2);
    /// b.abort();
    /// assert!(b.is_broken());
    /// b.reset();
    /// assert!(!b.is_broken());
    /// # });
    /// ```
    pub fn reset(&self) {
        self.end_round(false);
    }

    /// Breaks the barrier: current and future waiters get [`BrokenBarrierError`] until
    /// [`reset`](Barrier::reset).
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Barrier;
    ///
    /// # futures_lite::future::block_on(async {
    /// let b = Barrier::new(2);
    /// b.abort();
    /// assert!(b.wait().await.is_err());
    /// # });
    /// ```
    pub fn abort(&self) {
        self.end_round(true);
    }

    fn end_round(&self, broken: bool) {
        let ended = {
            let mut state = self.state();
            state.count = 0;
            state.broken = broken;
            std::mem::replace(&mut state.generation, Generation::new())
        };
        ended.finish(BROKEN);
    }

    /// The number of tasks needed to pass the barrier.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Barrier;
    ///
    /// assert_eq!(Barrier::new(4).parties(), 4);
    /// ```
    pub fn parties(&self) -> usize {
        self.parties
    }

    /// The number of tasks waiting in the current round.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Barrier;
    ///
    /// # futures_lite::future::block_on(async {
    /// let b = Barrier::new(2);
    /// let mut w = Box::pin(b.wait());
    /// assert!(futures_lite::future::poll_once(w.as_mut()).await.is_none());
    /// assert_eq!(b.n_waiting(), 1);
    /// # });
    /// ```
    pub fn n_waiting(&self) -> usize {
        self.state().count
    }

    /// Whether the barrier was [aborted](Barrier::abort) (and not reset since).
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Barrier;
    ///
    /// assert!(!Barrier::new(1).is_broken());
    /// ```
    pub fn is_broken(&self) -> bool {
        self.state().broken
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("Barrier")
            .field("parties", &self.parties)
            .field("n_waiting", &state.count)
            .field("broken", &state.broken)
            .finish()
    }
}

/// What [`Barrier::wait`] returns to each task of a round.
///
/// # Examples
///
/// ```
/// use loop_sync::{Barrier, BarrierWaitResult};
///
/// # futures_lite::future::block_on(async {
/// let r: BarrierWaitResult = Barrier::new(1).wait().await.unwrap();
/// assert!(r.is_leader());
/// # });
/// ```
///
/// # Examples
///
/// ```
/// use loop_sync::{Barrier, BarrierWait};
///
/// # futures_lite::future::block_on(async {
/// let b = Barrier::new(1);
/// let wait: BarrierWait<'_> = b.wait();
/// assert!(wait.await.unwrap().is_leader());
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BarrierWaitResult {
    index: usize,
    leader: bool,
}

impl BarrierWaitResult {
    /// The task's arrival position in its round, from 0 to `parties - 1` (asyncio's return
    /// value). A waiter that withdrew frees its position for the next arrival.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Barrier;
    ///
    /// # futures_lite::future::block_on(async {
    /// assert_eq!(Barrier::new(1).wait().await.unwrap().index(), 0);
    /// # });
    /// ```
    pub fn index(&self) -> usize {
        self.index
    }

    /// Whether this task completed the round (it arrived last); exactly one task per round is
    /// the leader.
    ///
    /// # Examples
    ///
    /// ```
    /// use loop_sync::Barrier;
    ///
    /// # futures_lite::future::block_on(async {
    /// assert!(Barrier::new(1).wait().await.unwrap().is_leader());
    /// # });
    /// ```
    pub fn is_leader(&self) -> bool {
        self.leader
    }
}

/// The round was ended by [`Barrier::reset`] or [`Barrier::abort`], or the barrier is broken.
///
/// # Examples
///
/// ```
/// use loop_sync::Barrier;
///
/// # futures_lite::future::block_on(async {
/// let b = Barrier::new(2);
/// b.abort();
/// let err = b.wait().await.unwrap_err();
/// assert_eq!(err.to_string(), "the barrier was reset or aborted");
/// # });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrokenBarrierError(());

impl fmt::Display for BrokenBarrierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the barrier was reset or aborted")
    }
}

impl Error for BrokenBarrierError {}

/// The future returned by [`Barrier::wait`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct BarrierWait<'a> {
    barrier: &'a Barrier,
    state: WaitState,
}

enum WaitState {
    Start,
    Waiting {
        generation: Arc<Generation>,
        index: usize,
        listener: Option<EventListener>,
    },
    Done,
}

impl Future for BarrierWait<'_> {
    type Output = Result<BarrierWaitResult, BrokenBarrierError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        loop {
            match &mut this.state {
                WaitState::Start => {
                    let mut state = this.barrier.state();
                    if state.broken {
                        drop(state);
                        this.state = WaitState::Done;
                        return Poll::Ready(Err(BrokenBarrierError(())));
                    }
                    let index = state.count;
                    if index + 1 == this.barrier.parties {
                        state.count = 0;
                        let ended = std::mem::replace(&mut state.generation, Generation::new());
                        drop(state);
                        ended.finish(PASSED);
                        this.state = WaitState::Done;
                        return Poll::Ready(Ok(BarrierWaitResult {
                            index,
                            leader: true,
                        }));
                    }
                    state.count += 1;
                    let generation = state.generation.clone();
                    drop(state);
                    this.state = WaitState::Waiting {
                        generation,
                        index,
                        listener: None,
                    };
                }
                WaitState::Waiting {
                    generation,
                    index,
                    listener,
                } => {
                    let result = match generation.outcome.load(SeqCst) {
                        PASSED => Ok(BarrierWaitResult {
                            index: *index,
                            leader: false,
                        }),
                        BROKEN => Err(BrokenBarrierError(())),
                        _ => match listener {
                            // Listen, then look at the outcome once more before sleeping.
                            None => {
                                *listener = Some(generation.event.listen());
                                continue;
                            }
                            Some(l) => match Pin::new(l).poll(cx) {
                                Poll::Ready(()) => {
                                    *listener = None;
                                    continue;
                                }
                                Poll::Pending => return Poll::Pending,
                            },
                        },
                    };
                    this.state = WaitState::Done;
                    return Poll::Ready(result);
                }
                WaitState::Done => panic!("`BarrierWait` polled after it completed"),
            }
        }
    }
}

impl Drop for BarrierWait<'_> {
    fn drop(&mut self) {
        if let WaitState::Waiting { generation, .. } = &self.state {
            let mut state = self.barrier.state();
            // Still filling the round we joined: withdraw from it.
            if Arc::ptr_eq(&state.generation, generation) {
                state.count -= 1;
            }
        }
    }
}

impl fmt::Debug for BarrierWait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BarrierWait")
            .field("barrier", self.barrier)
            .finish_non_exhaustive()
    }
}
