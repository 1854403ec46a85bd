//! The loop's sink for errors nobody can receive: panics in callbacks and detached tasks,
//! failed promises that were never read. asyncio's `call_exception_handler`.

use std::fmt;

use crate::task::TaskInfo;

/// What went wrong, as given to the loop's exception handler.
///
/// # Examples
///
/// ```
/// use loop_core::{EventLoop, ExceptionContext};
/// use std::sync::{Arc, Mutex};
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let lp = EventLoop::new()?;
/// let sink = seen.clone();
/// lp.set_exception_handler(move |ctx: &ExceptionContext| {
///     sink.lock().unwrap().push(ctx.message.clone());
/// });
/// lp.block_on(async {
///     lp.spawn_local(async { panic!("lost") }).detach();
///     loop_core::yield_now().await;
/// })
/// .unwrap();
/// assert_eq!(*seen.lock().unwrap(), ["Task exception was never retrieved"]);
/// # std::io::Result::Ok(())
/// ```
#[non_exhaustive]
#[derive(Debug, Clone)]
pub struct ExceptionContext {
    /// A one-line description, as asyncio words it.
    pub message: String,
    /// The panic message or error text, if there was one.
    pub detail: Option<String>,
    /// The task involved, if any.
    pub task: Option<TaskInfo>,
}

impl ExceptionContext {
    pub(crate) fn new(message: &str, detail: Option<String>, task: Option<TaskInfo>) -> Self {
        ExceptionContext {
            message: message.to_owned(),
            detail,
            task,
        }
    }
}

impl fmt::Display for ExceptionContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(task) = &self.task {
            write!(f, " (task {task})")?;
        }
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

/// The handler used until [`Loop::set_exception_handler`](crate::Loop::set_exception_handler)
/// replaces it: one line on stderr.
///
/// ```
/// let ctx = loop_core::ExceptionContext::from_message("Exception in callback");
/// loop_core::default_exception_handler(&ctx); // prints "evloop: Exception in callback"
/// ```
pub fn default_exception_handler(context: &ExceptionContext) {
    eprintln!("evloop: {context}");
}

impl ExceptionContext {
    /// A context with only a message, for handlers and tests to build their own reports.
    ///
    /// ```
    /// let ctx = loop_core::ExceptionContext::from_message("boom");
    /// assert_eq!(ctx.to_string(), "boom");
    /// ```
    pub fn from_message(message: impl Into<String>) -> ExceptionContext {
        ExceptionContext {
            message: message.into(),
            detail: None,
            task: None,
        }
    }
}
