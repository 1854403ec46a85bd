//! Write-side flow control shared by the stream and datagram transports: asyncio's high and low
//! water marks, whether writing is paused, and which pause or resume the protocol was last told.

use std::cell::Cell;
use std::io;

use crate::DEFAULT_HIGH_WATER;

/// Write-buffer limits as asyncio's `set_write_buffer_limits` takes them: a missing high mark is
/// four times the low one (or [`DEFAULT_HIGH_WATER`]), a missing low mark a quarter of the high
/// one.
pub(crate) fn resolve_limits(
    high: Option<usize>,
    low: Option<usize>,
) -> io::Result<(usize, usize)> {
    let high = high.unwrap_or(match low {
        Some(low) => low.saturating_mul(4),
        None => DEFAULT_HIGH_WATER,
    });
    let low = low.unwrap_or(high / 4);
    if high < low {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("high ({high}) must be >= low ({low})"),
        ));
    }
    Ok((high, low))
}

/// The marks and the paused state of one transport's write buffer.
pub(crate) struct WriteFlow {
    high: Cell<usize>,
    low: Cell<usize>,
    /// What the buffer's size says the protocol should be told, and what it was told.
    paused: Cell<bool>,
    told_paused: Cell<bool>,
}

impl WriteFlow {
    pub(crate) const fn new() -> WriteFlow {
        WriteFlow {
            high: Cell::new(DEFAULT_HIGH_WATER),
            low: Cell::new(DEFAULT_HIGH_WATER / 4),
            paused: Cell::new(false),
            told_paused: Cell::new(false),
        }
    }

    pub(crate) fn set_limits(&self, high: usize, low: usize) {
        self.high.set(high);
        self.low.set(low);
    }

    pub(crate) fn limits(&self) -> (usize, usize) {
        (self.high.get(), self.low.get())
    }

    pub(crate) fn paused(&self) -> bool {
        self.paused.get()
    }

    /// Takes the buffer's new size: pauses above the high mark, resumes at or below the low
    /// one. Returns whether that changed anything.
    pub(crate) fn update(&self, size: usize) -> bool {
        let paused = self.paused.get();
        if !paused && size > self.high.get() {
            self.paused.set(true);
        } else if paused && size <= self.low.get() {
            self.paused.set(false);
        } else {
            return false;
        }
        true
    }

    /// The next transition the protocol has not been told: `Some(true)` to pause, `Some(false)`
    /// to resume. A pause undone before it was told is still told, then the resume.
    pub(crate) fn untold(&self) -> Option<bool> {
        let told = self.told_paused.get();
        (told != self.paused.get()).then_some(!told)
    }

    /// The protocol was told of `pause` (or its callback failed, which counts as told).
    pub(crate) fn told(&self, pause: bool) {
        self.told_paused.set(pause);
    }
}
