//! A slab whose keys carry a generation, so a key kept after its entry was removed never
//! reaches the entry that reused the slot. Timers and I/O sources both live in one.

/// A key into an [`Arena`]: slot index plus the generation the slot had when the entry went in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    index: u32,
    generation: u32,
}

const HALF: u32 = usize::BITS / 2;

impl Key {
    pub(crate) fn index(self) -> u32 {
        self.index
    }

    /// Packs the key into a poller key. The index stays below `u32::MAX`, so the packed value
    /// is never `usize::MAX` (the key `polling` reserves for its notifier).
    pub(crate) fn to_usize(self) -> usize {
        let mask = (1usize << HALF) - 1;
        ((self.generation as usize & mask) << HALF) | (self.index as usize & mask)
    }

    /// Unpacks a poller key; a key of another generation simply finds nothing.
    pub(crate) fn from_usize(raw: usize) -> Key {
        let mask = (1usize << HALF) - 1;
        Key {
            index: (raw & mask) as u32,
            generation: ((raw >> HALF) & mask) as u32,
        }
    }
}

#[derive(Debug)]
enum Slot<T> {
    Occupied(T),
    Vacant { next_free: u32 },
}

#[derive(Debug)]
struct Entry<T> {
    generation: u32,
    slot: Slot<T>,
}

const NO_FREE: u32 = u32::MAX;
// Generations wrap within the half of a `usize` that a poller key carries.
const GENERATION_MASK: u32 = if HALF >= 32 {
    u32::MAX
} else {
    (1 << HALF) - 1
};

#[derive(Debug)]
pub(crate) struct Arena<T> {
    entries: Vec<Entry<T>>,
    free_head: u32,
    len: usize,
}

impl<T> Default for Arena<T> {
    fn default() -> Self {
        Arena {
            entries: Vec::new(),
            free_head: NO_FREE,
            len: 0,
        }
    }
}

impl<T> Arena<T> {
    pub(crate) fn insert(&mut self, value: T) -> Key {
        self.len += 1;
        if self.free_head != NO_FREE {
            let index = self.free_head;
            let entry = &mut self.entries[index as usize];
            let Slot::Vacant { next_free } = entry.slot else {
                unreachable!("free list points at an occupied slot")
            };
            self.free_head = next_free;
            entry.slot = Slot::Occupied(value);
            return Key {
                index,
                generation: entry.generation,
            };
        }
        let index = u32::try_from(self.entries.len())
            .ok()
            .filter(|&i| i != NO_FREE)
            .expect("more than u32::MAX - 1 live entries");
        self.entries.push(Entry {
            generation: 0,
            slot: Slot::Occupied(value),
        });
        Key {
            index,
            generation: 0,
        }
    }

    #[cfg(test)]
    pub(crate) fn get(&self, key: Key) -> Option<&T> {
        match self.entries.get(key.index as usize) {
            Some(Entry {
                generation,
                slot: Slot::Occupied(v),
            }) if *generation == key.generation => Some(v),
            _ => None,
        }
    }

    pub(crate) fn get_mut(&mut self, key: Key) -> Option<&mut T> {
        match self.entries.get_mut(key.index as usize) {
            Some(Entry {
                generation,
                slot: Slot::Occupied(v),
            }) if *generation == key.generation => Some(v),
            _ => None,
        }
    }

    #[cfg(test)]
    pub(crate) fn contains(&self, key: Key) -> bool {
        self.get(key).is_some()
    }

    /// The entry in slot `index`, whatever its generation (for intrusive links between entries).
    pub(crate) fn at(&self, index: u32) -> Option<&T> {
        match self.entries.get(index as usize) {
            Some(Entry {
                slot: Slot::Occupied(v),
                ..
            }) => Some(v),
            _ => None,
        }
    }

    /// The key of the entry now in slot `index`.
    pub(crate) fn key_at(&self, index: u32) -> Option<Key> {
        match self.entries.get(index as usize) {
            Some(Entry {
                generation,
                slot: Slot::Occupied(_),
            }) => Some(Key {
                index,
                generation: *generation,
            }),
            _ => None,
        }
    }

    /// The entry in slot `index`, whatever its generation, mutably.
    pub(crate) fn at_mut(&mut self, index: u32) -> Option<&mut T> {
        match self.entries.get_mut(index as usize) {
            Some(Entry {
                slot: Slot::Occupied(v),
                ..
            }) => Some(v),
            _ => None,
        }
    }

    pub(crate) fn remove(&mut self, key: Key) -> Option<T> {
        let entry = self.entries.get_mut(key.index as usize)?;
        if entry.generation != key.generation || matches!(entry.slot, Slot::Vacant { .. }) {
            return None;
        }
        let old = std::mem::replace(
            &mut entry.slot,
            Slot::Vacant {
                next_free: self.free_head,
            },
        );
        entry.generation = entry.generation.wrapping_add(1) & GENERATION_MASK;
        self.free_head = key.index;
        self.len -= 1;
        match old {
            Slot::Occupied(v) => Some(v),
            Slot::Vacant { .. } => None,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Removes every entry, returning them; outstanding keys stop matching.
    pub(crate) fn drain(&mut self) -> Vec<T> {
        let mut out = Vec::with_capacity(self.len);
        for index in 0..self.entries.len() {
            let key = Key {
                index: index as u32,
                generation: self.entries[index].generation,
            };
            if let Some(v) = self.remove(key) {
                out.push(v);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_key_misses_reused_slot() {
        let mut arena = Arena::default();
        let a = arena.insert("a");
        assert_eq!(arena.remove(a), Some("a"));
        let b = arena.insert("b");
        assert_eq!(a.index, b.index, "the slot is reused");
        assert_eq!(arena.get(a), None);
        assert_eq!(arena.remove(a), None);
        assert_eq!(arena.get(b), Some(&"b"));
        assert_eq!(arena.len(), 1);
    }

    #[test]
    fn key_roundtrips_through_usize_and_never_hits_max() {
        let key = Key {
            index: 5,
            generation: 9,
        };
        assert_eq!(Key::from_usize(key.to_usize()), key);
        let last = Key {
            index: NO_FREE - 1,
            generation: GENERATION_MASK,
        };
        assert_ne!(last.to_usize(), usize::MAX);
    }

    #[test]
    fn drain_empties_and_invalidates() {
        let mut arena = Arena::default();
        let keys: Vec<_> = (0..4).map(|i| arena.insert(i)).collect();
        arena.remove(keys[1]);
        let mut drained = arena.drain();
        drained.sort();
        assert_eq!(drained, [0, 2, 3]);
        assert_eq!(arena.len(), 0);
        assert!(keys.iter().all(|k| !arena.contains(*k)));
    }
}
