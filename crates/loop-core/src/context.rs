//! Which loop and which task this thread is running right now.
//!
//! Both are raw pointers in thread-locals: reading them costs a couple of nanoseconds, which
//! matters because every wake-up checks whether it happens on its own loop's thread.

use std::cell::Cell;
use std::ptr;
use std::rc::Rc;

use crate::event_loop::{Core, Loop};
use crate::task::TaskInfo;

thread_local! {
    static CURRENT_LOOP: Cell<*const Core> = const { Cell::new(ptr::null()) };
    static CURRENT_TASK: Cell<*const TaskInfo> = const { Cell::new(ptr::null()) };
}

/// Runs `f` with the loop running on this thread, if any.
pub(crate) fn with_core<R>(f: impl FnOnce(Option<&Core>) -> R) -> R {
    let ptr = CURRENT_LOOP.with(Cell::get);
    // SAFETY: the pointer is set only by `Entered`, which borrows an `Rc<Core>` for its whole
    // life and restores the previous value on drop, so a non-null pointer is a live `Core`.
    f(unsafe { ptr.as_ref() })
}

/// Runs `f` with loop `id` if that is the loop running on this thread; `None` otherwise.
pub(crate) fn with_loop<R>(id: u64, f: impl FnOnce(&Core) -> R) -> Option<R> {
    with_core(|core| core.filter(|c| c.id == id).map(f))
}

/// Whether some loop is running (or closing) on this thread.
pub(crate) fn is_entered() -> bool {
    !CURRENT_LOOP.with(Cell::get).is_null()
}

/// Makes `core` the current loop until dropped.
pub(crate) struct Entered<'a> {
    _core: &'a Rc<Core>,
    previous: *const Core,
}

impl<'a> Entered<'a> {
    pub(crate) fn new(core: &'a Rc<Core>) -> Entered<'a> {
        let previous = CURRENT_LOOP.with(|c| c.replace(Rc::as_ptr(core)));
        Entered {
            _core: core,
            previous,
        }
    }
}

impl Drop for Entered<'_> {
    fn drop(&mut self) {
        CURRENT_LOOP.with(|c| c.set(self.previous));
    }
}

/// A new reference to the running loop.
pub(crate) fn current_loop() -> Option<Loop> {
    let ptr = CURRENT_LOOP.with(Cell::get);
    if ptr.is_null() {
        return None;
    }
    // SAFETY: a non-null pointer came from `Rc::as_ptr` on an `Rc<Core>` that `Entered` keeps
    // alive, so raising its strong count and rebuilding an `Rc` from it is sound.
    let core = unsafe {
        Rc::increment_strong_count(ptr);
        Rc::from_raw(ptr)
    };
    Some(Loop::from_core(core))
}

/// Runs `f` with the task being polled on this thread, if any.
pub(crate) fn with_task<R>(f: impl FnOnce(Option<&TaskInfo>) -> R) -> R {
    let ptr = CURRENT_TASK.with(Cell::get);
    // SAFETY: set only by `TaskScope`, around a `Runnable::run` whose task header (and so its
    // metadata) stays allocated for the whole run.
    f(unsafe { ptr.as_ref() })
}

/// Marks `info` as the current task until dropped.
pub(crate) struct TaskScope {
    previous: *const TaskInfo,
}

impl TaskScope {
    pub(crate) fn new(info: *const TaskInfo) -> TaskScope {
        TaskScope {
            previous: CURRENT_TASK.with(|c| c.replace(info)),
        }
    }
}

impl Drop for TaskScope {
    fn drop(&mut self) {
        CURRENT_TASK.with(|c| c.set(self.previous));
    }
}
