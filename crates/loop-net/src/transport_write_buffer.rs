//! The bytes a transport accepted but the socket has not taken yet.

/// A byte queue that appends at the back and consumes from the front without moving the
/// rest on every consume; the consumed prefix is reclaimed when it is half the buffer.
#[derive(Debug, Default)]
pub(crate) struct WriteBuffer {
    bytes: Vec<u8>,
    start: usize,
}

/// Capacity kept after the buffer drains; anything above is returned to the allocator, so a
/// burst does not pin its peak memory for the life of the connection.
const KEEP_CAPACITY: usize = 64 * 1024;

impl WriteBuffer {
    pub(crate) fn len(&self) -> usize {
        self.bytes.len() - self.start
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The unsent bytes, oldest first.
    pub(crate) fn pending(&self) -> &[u8] {
        &self.bytes[self.start..]
    }

    pub(crate) fn append(&mut self, data: &[u8]) {
        if self.start > 0 && self.start >= self.bytes.len() / 2 {
            self.bytes.drain(..self.start);
            self.start = 0;
        }
        self.bytes.extend_from_slice(data);
    }

    pub(crate) fn consume(&mut self, n: usize) {
        self.start += n;
        debug_assert!(self.start <= self.bytes.len());
        if self.start >= self.bytes.len() {
            self.clear();
        }
    }

    pub(crate) fn clear(&mut self) {
        self.bytes.clear();
        self.start = 0;
        if self.bytes.capacity() > KEEP_CAPACITY {
            self.bytes.shrink_to(KEEP_CAPACITY);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::WriteBuffer;

    #[test]
    fn keeps_order_across_partial_consumes() {
        let mut b = WriteBuffer::default();
        b.append(b"hello ");
        b.consume(2);
        b.append(b"world");
        assert_eq!(b.pending(), b"llo world");
        b.consume(4);
        b.append(b"!");
        assert_eq!(b.pending(), b"world!");
        assert_eq!(b.len(), 6);
        b.consume(6);
        assert!(b.is_empty());
    }

    #[test]
    fn gives_back_memory_after_a_burst() {
        let mut b = WriteBuffer::default();
        b.append(&vec![7; 1 << 20]);
        b.consume(1 << 20);
        assert!(b.bytes.capacity() <= super::KEEP_CAPACITY);
    }
}
