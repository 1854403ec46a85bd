//! Knowing when a child exits, and reaping children nobody waits for.
//!
//! A child's exit is watched through a pidfd registered with the loop's poller (Linux 5.3+):
//! it turns readable when the child exits. Where `pidfd_open` is missing, a `SIGCHLD` listener
//! stands in: each arrival makes every waiter try `waitpid(pid, WNOHANG)` again.
//!
//! A child dropped while still running is handed to one process-wide reaper thread, started on
//! the first such drop, which watches all of them in one poller (pidfds, or `SIGCHLD` arrivals,
//! which notify that poller) and reaps each as it exits: no zombies, and no thread per child.

use std::collections::HashMap;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Wake, Waker, ready};

use loop_core::{Async, Loop};
use rustix::process::{Pid, WaitOptions, pidfd_open, waitpid};

use crate::signal::{Signal, Signals};

/// How a running child's exit is noticed on the loop.
pub(crate) enum Watch {
    Pidfd(Async<OwnedFd>),
    Sigchld(Signals),
}

impl Watch {
    pub(crate) fn new(lp: &Loop, pid: Pid) -> io::Result<Watch> {
        match open_pidfd(pid)? {
            Some(fd) => Ok(Watch::Pidfd(Async::with_loop(lp, fd)?)),
            None => Ok(Watch::Sigchld(Signals::new(Signal::CHLD)?)),
        }
    }

    /// Ready when the child may have changed state; the caller then tries `waitpid` again.
    pub(crate) fn poll_changed(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self {
            Watch::Pidfd(fd) => {
                ready!(fd.poll_readable(cx))?;
                // The pidfd says the child exited, yet `waitpid` did not find it: the kernel
                // signals the pidfd a moment before the zombie becomes waitable. The readiness
                // stays cached (the edge will not come again), so look again next turn.
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Watch::Sigchld(signals) => signals.poll_recv(cx).map(|_| Ok(())),
        }
    }

    pub(crate) fn pidfd(&self) -> Option<&OwnedFd> {
        match self {
            Watch::Pidfd(fd) => Some(fd.get_ref()),
            Watch::Sigchld(_) => None,
        }
    }

    fn into_pidfd(self) -> Option<OwnedFd> {
        match self {
            Watch::Pidfd(fd) => fd.into_inner().ok(),
            Watch::Sigchld(_) => None,
        }
    }
}

/// A pidfd for `pid`, or `None` where the kernel has none (before 5.3, or seccomp-filtered).
fn open_pidfd(pid: Pid) -> io::Result<Option<OwnedFd>> {
    if force_signal_backend() {
        return Ok(None);
    }
    match pidfd_open(pid, rustix::process::PidfdFlags::empty()) {
        Ok(fd) => Ok(Some(fd)),
        Err(e) if e == rustix::io::Errno::NOSYS || e == rustix::io::Errno::PERM => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Tests can force the `SIGCHLD` backend with `LOOP_PROCESS_SIGCHLD=1`, read once.
fn force_signal_backend() -> bool {
    static FORCE: OnceLock<bool> = OnceLock::new();
    *FORCE.get_or_init(|| std::env::var_os("LOOP_PROCESS_SIGCHLD").is_some_and(|v| v == "1"))
}

/// `waitpid(pid, WNOHANG)`: the status if the child has exited (and is now reaped).
pub(crate) fn try_reap(pid: Pid) -> io::Result<Option<ExitStatus>> {
    loop {
        match waitpid(Some(pid), WaitOptions::NOHANG) {
            Ok(Some((_, status))) => return Ok(Some(ExitStatus::from_raw(status.as_raw()))),
            Ok(None) => return Ok(None),
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

struct Orphan {
    pid: Pid,
    pidfd: Option<OwnedFd>,
}

struct Reaper {
    poller: polling::Poller,
    arrivals: Mutex<Vec<Orphan>>,
}

/// Reaps `pid` once it exits, without anyone awaiting it. `watch` is the child's own watch,
/// whose pidfd the reaper reuses.
pub(crate) fn reap_in_background(pid: Pid, watch: Option<Watch>) {
    if !matches!(try_reap(pid), Ok(None)) {
        return; // exited and reaped now, or not our child any more
    }
    let orphan = Orphan {
        pid,
        pidfd: watch.and_then(Watch::into_pidfd),
    };
    static REAPER: OnceLock<Option<&'static Reaper>> = OnceLock::new();
    let reaper = REAPER.get_or_init(|| {
        let reaper: &'static Reaper = Box::leak(Box::new(Reaper {
            poller: polling::Poller::new().ok()?,
            arrivals: Mutex::new(Vec::new()),
        }));
        std::thread::Builder::new()
            .name("evloop-reaper".into())
            .spawn(move || reaper.run())
            .ok()?;
        Some(reaper)
    });
    match reaper {
        Some(reaper) => {
            reaper
                .arrivals
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(orphan);
            let _ = reaper.poller.notify();
        }
        // No thread could be started: the best left is to wait here.
        None => {
            while let Err(e) = waitpid(Some(orphan.pid), WaitOptions::empty()) {
                if e != rustix::io::Errno::INTR {
                    break;
                }
            }
        }
    }
}

/// Wakes the reaper's poller: how a `SIGCHLD` (announced by the signal thread) ends its wait.
struct NotifyPoller(&'static Reaper);

impl Wake for NotifyPoller {
    fn wake(self: Arc<Self>) {
        let _ = self.0.poller.notify();
    }
}

impl Reaper {
    fn run(&'static self) {
        // Keyed by pid: unique among children not yet reaped, and what `try_reap` needs.
        let mut watched: HashMap<usize, (Pid, OwnedFd)> = HashMap::new();
        let mut without_pidfd: Vec<Pid> = Vec::new();
        let mut sigchld: Option<Signals> = None;
        // Woken from the signal thread: a SIGCHLD interrupts the poller's wait.
        let waker = Waker::from(Arc::new(NotifyPoller(self)));
        let mut events = polling::Events::new();
        loop {
            let arrived =
                std::mem::take(&mut *self.arrivals.lock().unwrap_or_else(|e| e.into_inner()));
            for Orphan { pid, pidfd } in arrived {
                let Some(fd) = pidfd else {
                    without_pidfd.push(pid);
                    continue;
                };
                let key = pid.as_raw_nonzero().get() as usize;
                // SAFETY: the fd stays open in `watched` until after it is deleted.
                match unsafe {
                    self.poller
                        .add(fd.as_raw_fd(), polling::Event::readable(key))
                } {
                    Ok(()) => _ = watched.insert(key, (pid, fd)),
                    Err(_) => without_pidfd.push(pid),
                }
            }
            if !without_pidfd.is_empty() && sigchld.is_none() {
                sigchld = Signals::new(Signal::CHLD).ok();
            }
            // Arm the listener before the sweep, so a SIGCHLD after it still ends the wait.
            if let Some(signals) = &mut sigchld {
                let mut cx = Context::from_waker(&waker);
                while signals.poll_recv(&mut cx).is_ready() {}
            }
            // Sweep the children without a pidfd on every wake-up: a SIGCHLD may have come
            // before the handler was installed.
            without_pidfd.retain(|&pid| matches!(try_reap(pid), Ok(None)));
            events.clear();
            let timeout = (sigchld.is_none() && !without_pidfd.is_empty())
                .then(|| std::time::Duration::from_millis(100));
            if self.poller.wait(&mut events, timeout).is_err() {
                continue;
            }
            for event in events.iter() {
                let Some((pid, fd)) = watched.get(&event.key) else {
                    continue;
                };
                if matches!(try_reap(*pid), Ok(None)) {
                    let _ = self.poller.modify(fd, polling::Event::readable(event.key));
                } else if let Some((_, fd)) = watched.remove(&event.key) {
                    let _ = self.poller.delete(&fd);
                }
            }
        }
    }
}
