//! A generational slab: stable `u32` slots reused through a free list, with a generation
//! counter so a stale handle (a timer or reply for something already finished) is
//! detected in O(1). This is how cancelled timeouts cost nothing: they stay queued and
//! are recognised as stale when they fire.

/// A handle to a slab entry: slot index and generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Handle {
    pub(crate) index: u32,
    pub(crate) generation: u32,
}

/// A slot: live while its generation is odd. Inserting and removing each bump the
/// generation, so a handle (which always carries the odd generation it was issued with)
/// is valid exactly while one comparison holds: no separate `live` flag to test.
struct Slot<T> {
    generation: u32,
    /// The next free slot after this one while it is free ([`NO_SLOT`] at the end):
    /// the free list lives in the slots (in what would be padding beside the
    /// generation), so freeing and reusing a slot touch no second vector.
    next_free: u32,
    value: T,
}

/// The end of the free list.
const NO_SLOT: u32 = u32::MAX;

impl<T> Slot<T> {
    #[inline(always)]
    fn live(&self) -> bool {
        self.generation & 1 == 1
    }
}

pub(crate) struct Slab<T> {
    slots: Vec<Slot<T>>,
    /// The slot freed last (reused first), or [`NO_SLOT`].
    free_head: u32,
    len: usize,
}

impl<T> Slab<T> {
    pub fn new() -> Self {
        Slab {
            slots: Vec::new(),
            free_head: NO_SLOT,
            len: 0,
        }
    }

    /// Insert a value: `fresh` builds it in a new slot; `reuse` overwrites a recycled
    /// one in place, so buffers inside it are kept and the slab stops allocating once
    /// it has reached its high-water mark.
    #[inline]
    pub fn insert_with(&mut self, fresh: impl FnOnce() -> T, reuse: impl FnOnce(&mut T)) -> Handle {
        self.len += 1;
        if let Some(index) = self.pop_free() {
            let slot = &mut self.slots[index as usize];
            reuse(&mut slot.value);
            slot.generation = slot.generation.wrapping_add(1);
            Handle {
                index,
                generation: slot.generation,
            }
        } else {
            self.push(fresh())
        }
    }

    /// Insert `value`; `recycle(old, new)` may move buffers from the recycled slot's old
    /// value into the new one before it is overwritten.
    #[inline]
    pub fn insert_recycling(
        &mut self,
        mut value: T,
        recycle: impl FnOnce(&mut T, &mut T),
    ) -> Handle {
        self.len += 1;
        if let Some(index) = self.pop_free() {
            let slot = &mut self.slots[index as usize];
            recycle(&mut slot.value, &mut value);
            slot.value = value;
            slot.generation = slot.generation.wrapping_add(1);
            Handle {
                index,
                generation: slot.generation,
            }
        } else {
            self.push(value)
        }
    }

    /// Take the slot freed last, if any.
    #[inline(always)]
    fn pop_free(&mut self) -> Option<u32> {
        let index = self.free_head;
        if index == NO_SLOT {
            return None;
        }
        self.free_head = self.slots[index as usize].next_free;
        Some(index)
    }

    /// A new slot at the end, live (generation 1).
    fn push(&mut self, value: T) -> Handle {
        let index = self.slots.len() as u32;
        self.slots.push(Slot {
            generation: 1,
            next_free: NO_SLOT,
            value,
        });
        Handle {
            index,
            generation: 1,
        }
    }

    /// Insert `value`.
    #[inline]
    pub fn insert(&mut self, value: T) -> Handle {
        self.insert_recycling(value, |_, _| {})
    }

    /// The slot `h` refers to, if it is still that entry. (`h.generation` is odd for
    /// every issued handle, so equality also says the slot is live.)
    #[inline(always)]
    fn slot(&self, h: Handle) -> Option<&Slot<T>> {
        self.slots
            .get(h.index as usize)
            .filter(|s| s.generation == h.generation)
    }

    /// Whether `h` still refers to a live entry.
    #[inline]
    pub fn contains(&self, h: Handle) -> bool {
        self.slot(h).is_some()
    }

    #[inline]
    pub fn get(&self, h: Handle) -> Option<&T> {
        self.slot(h).map(|s| &s.value)
    }

    #[inline]
    pub fn get_mut(&mut self, h: Handle) -> Option<&mut T> {
        self.slots
            .get_mut(h.index as usize)
            .filter(|s| s.generation == h.generation)
            .map(|s| &mut s.value)
    }

    /// Free the entry (its storage is kept for reuse). Returns false if already stale.
    #[inline]
    pub fn remove(&mut self, h: Handle) -> bool {
        let Some(slot) = self.slots.get_mut(h.index as usize) else {
            return false;
        };
        if slot.generation != h.generation {
            return false;
        }
        // Wrapping keeps the parity scheme: odd (live) + 1 is even (free).
        slot.generation = slot.generation.wrapping_add(1);
        slot.next_free = self.free_head;
        self.free_head = h.index;
        self.len -= 1;
        true
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Handles of the live entries in slot order (deterministic).
    pub fn handles(&self) -> impl Iterator<Item = Handle> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.live())
            .map(|(i, s)| Handle {
                index: i as u32,
                generation: s.generation,
            })
    }

    /// Live entries in slot order (deterministic).
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().filter(|s| s.live()).map(|s| &s.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_handles_are_detected_after_reuse() {
        let mut s: Slab<u32> = Slab::new();
        let a = s.insert_with(|| 1, |v| *v = 1);
        assert!(s.remove(a));
        let b = s.insert_with(|| 2, |v| *v = 2);
        assert_eq!(a.index, b.index, "slot reused");
        assert!(!s.contains(a));
        assert_eq!(s.get(b), Some(&2));
        assert!(!s.remove(a));
        assert_eq!(s.len(), 1);
    }
}
