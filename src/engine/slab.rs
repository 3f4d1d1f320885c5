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

struct Slot<T> {
    generation: u32,
    live: bool,
    value: T,
}

pub(crate) struct Slab<T> {
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
    len: usize,
}

impl<T> Slab<T> {
    pub fn new() -> Self {
        Slab {
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }

    /// Insert a value: `fresh` builds it in a new slot; `reuse` overwrites a recycled
    /// one in place, so buffers inside it are kept and the slab stops allocating once
    /// it has reached its high-water mark.
    #[inline]
    pub fn insert_with(&mut self, fresh: impl FnOnce() -> T, reuse: impl FnOnce(&mut T)) -> Handle {
        self.len += 1;
        if let Some(index) = self.free.pop() {
            let slot = &mut self.slots[index as usize];
            reuse(&mut slot.value);
            slot.live = true;
            Handle {
                index,
                generation: slot.generation,
            }
        } else {
            let index = self.slots.len() as u32;
            self.slots.push(Slot {
                generation: 0,
                live: true,
                value: fresh(),
            });
            Handle {
                index,
                generation: 0,
            }
        }
    }

    /// Insert `value`; when a slot is recycled, `recycle(old, new)` may move buffers
    /// from the old value into the new one before the old one is dropped.
    #[inline]
    pub fn insert_recycling(
        &mut self,
        mut value: T,
        recycle: impl FnOnce(&mut T, &mut T),
    ) -> Handle {
        self.len += 1;
        if let Some(index) = self.free.pop() {
            let slot = &mut self.slots[index as usize];
            recycle(&mut slot.value, &mut value);
            slot.value = value;
            slot.live = true;
            Handle {
                index,
                generation: slot.generation,
            }
        } else {
            let index = self.slots.len() as u32;
            self.slots.push(Slot {
                generation: 0,
                live: true,
                value,
            });
            Handle {
                index,
                generation: 0,
            }
        }
    }

    /// Insert `value`.
    #[inline]
    pub fn insert(&mut self, value: T) -> Handle {
        self.insert_recycling(value, |_, _| {})
    }

    #[inline]
    fn slot(&self, h: Handle) -> Option<&Slot<T>> {
        self.slots
            .get(h.index as usize)
            .filter(|s| s.live && s.generation == h.generation)
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
            .filter(|s| s.live && s.generation == h.generation)
            .map(|s| &mut s.value)
    }

    /// Free the entry (its storage is kept for reuse). Returns false if already stale.
    #[inline]
    pub fn remove(&mut self, h: Handle) -> bool {
        let Some(slot) = self.slots.get_mut(h.index as usize) else {
            return false;
        };
        if !slot.live || slot.generation != h.generation {
            return false;
        }
        slot.live = false;
        slot.generation = slot.generation.wrapping_add(1);
        self.free.push(h.index);
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
            .filter(|(_, s)| s.live)
            .map(|(i, s)| Handle {
                index: i as u32,
                generation: s.generation,
            })
    }

    /// Live entries in slot order (deterministic).
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.slots.iter().filter(|s| s.live).map(|s| &s.value)
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
