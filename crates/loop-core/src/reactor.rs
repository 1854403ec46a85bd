//! I/O sources and their readiness: what the loop does with each poller event.
//!
//! `Async` sources are registered once, edge-triggered, where the poller supports it: an event
//! sets a readiness bit and wakes the waiters, and the bit is cleared only when an operation
//! reports `WouldBlock`. No `modify` per event. On a poller without edge mode they fall back to
//! oneshot, re-armed only while someone waits.
//!
//! `add_reader` / `add_writer` callbacks are level-triggered (asyncio's semantics), or oneshot
//! re-armed after each callback. Poller keys carry a generation, so an event for a source that
//! was removed (and whose slot or fd number was reused) finds nothing and is dropped.

use std::cell::RefCell;
use std::collections::HashMap;
use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::rc::Rc;
use std::task::{Poll, Waker};

use crate::arena::{Arena, Key};
use crate::context;
use crate::event_loop::Job;
use crate::poller::{Event, Events, PollMode, Poller};

pub(crate) const READ: u8 = 1;
pub(crate) const WRITE: u8 = 2;

pub(crate) type Callback = Rc<RefCell<dyn FnMut()>>;

/// A callback plus the value that keeps its file descriptor open while it is registered.
pub(crate) struct CallbackEntry {
    callback: Callback,
    _keep_open: Box<dyn AsFd>,
}

pub(crate) struct Source {
    fd: RawFd,
    mode: PollMode,
    /// Readiness seen and not yet consumed by a `WouldBlock`.
    ready: u8,
    /// Directions a oneshot registration is armed for.
    armed: u8,
    /// An event said the source will deliver nothing new (peer shutdown, hang-up, error).
    read_closed: bool,
    readers: Vec<Waker>,
    writers: Vec<Waker>,
    reader_callback: Option<CallbackEntry>,
    writer_callback: Option<CallbackEntry>,
}

impl Source {
    fn new(fd: RawFd, mode: PollMode) -> Source {
        Source {
            fd,
            mode,
            ready: 0,
            armed: 0,
            read_closed: false,
            readers: Vec::new(),
            writers: Vec::new(),
            reader_callback: None,
            writer_callback: None,
        }
    }

    fn callback_interest(&self) -> u8 {
        (if self.reader_callback.is_some() {
            READ
        } else {
            0
        }) | (if self.writer_callback.is_some() {
            WRITE
        } else {
            0
        })
    }

    fn waiter_interest(&self) -> u8 {
        (if self.readers.is_empty() { 0 } else { READ })
            | (if self.writers.is_empty() { 0 } else { WRITE })
    }

    fn borrow_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: a source is registered only while its owner keeps `fd` open: `Async` removes
        // its source before dropping its I/O object, and callback sources hold `_keep_open`.
        unsafe { BorrowedFd::borrow_raw(self.fd) }
    }
}

fn interest(key: Key, dirs: u8) -> Event {
    Event {
        key: key.to_usize(),
        readable: dirs & READ != 0,
        writable: dirs & WRITE != 0,
        read_closed: false,
    }
}

pub(crate) struct Reactor {
    sources: Arena<Source>,
    edge: bool,
    level: bool,
    /// Edge mode on a poller that reports `read_closed`: a short stream read may clear
    /// readability (see `drained_by_short_read`).
    short_reads_drain: bool,
    callback_sources: HashMap<RawFd, Key>,
}

impl Reactor {
    pub(crate) fn new(edge: bool, level: bool, reports_read_closed: bool) -> Reactor {
        Reactor {
            sources: Arena::default(),
            edge,
            level,
            short_reads_drain: edge && reports_read_closed,
            callback_sources: HashMap::new(),
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.sources.len() == 0
    }

    /// Registers an `Async` source. The caller keeps `fd` open until `deregister`.
    pub(crate) fn register(&mut self, poller: &dyn Poller, fd: RawFd) -> io::Result<Key> {
        let mode = if self.edge {
            PollMode::Edge
        } else {
            PollMode::Oneshot
        };
        let key = self.sources.insert(Source::new(fd, mode));
        let dirs = if self.edge { READ | WRITE } else { 0 };
        // SAFETY: `Async` deregisters before it drops the I/O object that owns `fd`.
        if let Err(e) = unsafe { poller.add(fd, interest(key, dirs), mode) } {
            self.sources.remove(key);
            return Err(e);
        }
        Ok(key)
    }

    pub(crate) fn deregister(&mut self, poller: &dyn Poller, key: Key) -> Option<Source> {
        let source = self.sources.remove(key)?;
        let _ = poller.delete(source.borrow_fd());
        Some(source)
    }

    /// Drops the slot of a source whose fd another thread already deleted from the poller.
    pub(crate) fn forget(&mut self, key: Key) -> Option<Source> {
        self.sources.remove(key)
    }

    pub(crate) fn poll_ready(
        &mut self,
        poller: &dyn Poller,
        key: Key,
        dir: u8,
        waker: &Waker,
    ) -> Poll<io::Result<()>> {
        let Some(source) = self.sources.get_mut(key) else {
            return Poll::Ready(Err(io::Error::other(
                "the I/O source is no longer registered",
            )));
        };
        if source.ready & dir != 0 {
            return Poll::Ready(Ok(()));
        }
        let waiters = if dir == READ {
            &mut source.readers
        } else {
            &mut source.writers
        };
        if !waiters.iter().any(|w| w.will_wake(waker)) {
            waiters.push(waker.clone());
        }
        if source.mode == PollMode::Oneshot && source.armed & dir == 0 {
            source.armed |= dir;
            let armed = source.armed;
            if let Err(e) = poller.modify(source.borrow_fd(), interest(key, armed), source.mode) {
                return Poll::Ready(Err(e));
            }
        }
        Poll::Pending
    }

    pub(crate) fn short_reads_drain(&self) -> bool {
        self.short_reads_drain
    }

    /// After a read from TCP socket `key` returned less than asked: the receive queue was
    /// empty then, and data arriving later is a new edge, so cached readability is cleared and
    /// `true` returned. Not when an event already said the peer is done (or in error): the
    /// EOF or error is still to be read and no new edge would announce it.
    pub(crate) fn drained_by_short_read(&mut self, key: Key) -> bool {
        match self.sources.get_mut(key) {
            Some(source) if self.short_reads_drain && !source.read_closed => {
                source.ready &= !READ;
                true
            }
            _ => false,
        }
    }

    pub(crate) fn clear_ready(&mut self, key: Key, dir: u8) {
        if let Some(source) = self.sources.get_mut(key) {
            source.ready &= !dir;
        }
    }

    /// Applies one batch of events: wakers go to `wakers`, callbacks to `ready`.
    pub(crate) fn dispatch(
        &mut self,
        poller: &dyn Poller,
        events: &Events,
        wakers: &mut Vec<Waker>,
        ready: &mut VecDeque<Job>,
    ) {
        for event in events.iter() {
            let key = Key::from_usize(event.key);
            let Some(source) = self.sources.get_mut(key) else {
                continue; // stale: the source was removed after the poller queued this event
            };
            let dirs =
                (if event.readable { READ } else { 0 }) | (if event.writable { WRITE } else { 0 });
            let callbacks = source.callback_interest();
            if callbacks != 0 {
                let rearm = source.mode == PollMode::Oneshot;
                if rearm {
                    source.armed = 0;
                }
                for (dir, entry) in [
                    (READ, &source.reader_callback),
                    (WRITE, &source.writer_callback),
                ] {
                    if let Some(entry) = entry.as_ref().filter(|_| dirs & dir != 0) {
                        ready.push_back(Job::Call(callback_job(
                            entry.callback.clone(),
                            key,
                            rearm,
                        )));
                    }
                }
                continue;
            }
            source.ready |= dirs;
            source.read_closed |= event.read_closed;
            if dirs & READ != 0 {
                wakers.append(&mut source.readers);
            }
            if dirs & WRITE != 0 {
                wakers.append(&mut source.writers);
            }
            if source.mode == PollMode::Oneshot {
                source.armed = source.waiter_interest();
                if source.armed != 0 {
                    let _ =
                        poller.modify(source.borrow_fd(), interest(key, source.armed), source.mode);
                }
            }
        }
    }

    pub(crate) fn add_callback(
        &mut self,
        poller: &dyn Poller,
        keep_open: Box<dyn AsFd>,
        callback: Callback,
        read: bool,
    ) -> io::Result<Option<CallbackEntry>> {
        let fd = keep_open.as_fd().as_raw_fd();
        let entry = CallbackEntry {
            callback,
            _keep_open: keep_open,
        };
        if let Some(&key) = self.callback_sources.get(&fd) {
            let source = self
                .sources
                .get_mut(key)
                .expect("callback source is registered");
            let slot = if read {
                &mut source.reader_callback
            } else {
                &mut source.writer_callback
            };
            let old = slot.replace(entry);
            let dirs = source.callback_interest();
            poller.modify(source.borrow_fd(), interest(key, dirs), source.mode)?;
            source.armed = dirs;
            return Ok(old);
        }
        let mode = if self.level {
            PollMode::Level
        } else {
            PollMode::Oneshot
        };
        let mut source = Source::new(fd, mode);
        let dir = if read { READ } else { WRITE };
        if read {
            source.reader_callback = Some(entry);
        } else {
            source.writer_callback = Some(entry);
        }
        source.armed = dir;
        let key = self.sources.insert(source);
        // SAFETY: the source holds `keep_open`, which keeps `fd` open until the source is
        // removed, and removal deletes `fd` from the poller first.
        if let Err(e) = unsafe { poller.add(fd, interest(key, dir), mode) } {
            self.sources.remove(key);
            return Err(e);
        }
        self.callback_sources.insert(fd, key);
        Ok(None)
    }

    /// Removes a callback; returns it (for the caller to drop outside this borrow).
    pub(crate) fn remove_callback(
        &mut self,
        poller: &dyn Poller,
        fd: RawFd,
        read: bool,
    ) -> Option<(CallbackEntry, Option<Source>)> {
        let key = *self.callback_sources.get(&fd)?;
        let source = self.sources.get_mut(key)?;
        let entry = if read {
            source.reader_callback.take()
        } else {
            source.writer_callback.take()
        }?;
        let dirs = source.callback_interest();
        if dirs == 0 {
            self.callback_sources.remove(&fd);
            return Some((entry, self.deregister(poller, key)));
        }
        let _ = poller.modify(source.borrow_fd(), interest(key, dirs), source.mode);
        source.armed = dirs;
        Some((entry, None))
    }

    /// Re-arms a oneshot callback source after its callback ran.
    fn rearm_callbacks(&mut self, poller: &dyn Poller, key: Key) {
        if let Some(source) = self.sources.get_mut(key) {
            let dirs = source.callback_interest();
            if dirs != 0 && source.armed != dirs {
                source.armed = dirs;
                let _ = poller.modify(source.borrow_fd(), interest(key, dirs), source.mode);
            }
        }
    }

    /// Deletes every source from the poller and hands them back to be dropped by the caller.
    pub(crate) fn drain(&mut self, poller: &dyn Poller) -> Vec<Source> {
        self.callback_sources.clear();
        let sources = self.sources.drain();
        for source in &sources {
            let _ = poller.delete(source.borrow_fd());
        }
        sources
    }
}

fn callback_job(callback: Callback, key: Key, rearm: bool) -> Box<dyn FnOnce()> {
    Box::new(move || {
        (callback.borrow_mut())();
        if rearm {
            context::with_core(|core| {
                if let Some(core) = core {
                    core.reactor
                        .borrow_mut()
                        .rearm_callbacks(&*core.shared.poller, key);
                }
            });
        }
    })
}
