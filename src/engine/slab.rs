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

pub(crate) struct Slab<T> {
    entries: Vec<T>,
    generations: Vec<u32>,
    live: Vec<bool>,
    free: Vec<u32>,
    len: usize,
}

impl<T> Slab<T> {
    pub fn new() -> Self {
        Slab { entries: Vec::new(), generations: Vec::new(), live: Vec::new(), free: Vec::new(), len: 0 }
    }

    /// Insert a value built by `init` (given the possibly recycled old value, so buffers
    /// inside it can be reused without allocating).
    #[inline]
    pub fn insert_with(&mut self, fresh: impl FnOnce() -> T, reuse: impl FnOnce(&mut T)) -> Handle {
        self.len += 1;
        if let Some(index) = self.free.pop() {
            let i = index as usize;
            reuse(&mut self.entries[i]);
            self.live[i] = true;
            Handle { index, generation: self.generations[i] }
        } else {
            let index = self.entries.len() as u32;
            self.entries.push(fresh());
            self.generations.push(0);
            self.live.push(true);
            Handle { index, generation: 0 }
        }
    }

    /// Whether `h` still refers to a live entry.
    #[inline]
    pub fn contains(&self, h: Handle) -> bool {
        let i = h.index as usize;
        i < self.entries.len() && self.live[i] && self.generations[i] == h.generation
    }

    #[inline]
    pub fn get(&self, h: Handle) -> Option<&T> {
        if self.contains(h) {
            Some(&self.entries[h.index as usize])
        } else {
            None
        }
    }

    #[inline]
    pub fn get_mut(&mut self, h: Handle) -> Option<&mut T> {
        if self.contains(h) {
            Some(&mut self.entries[h.index as usize])
        } else {
            None
        }
    }

    /// Free the entry (its storage is kept for reuse). Returns false if already stale.
    #[inline]
    pub fn remove(&mut self, h: Handle) -> bool {
        if !self.contains(h) {
            return false;
        }
        let i = h.index as usize;
        self.live[i] = false;
        self.generations[i] = self.generations[i].wrapping_add(1);
        self.free.push(h.index);
        self.len -= 1;
        true
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Live entries in slot order (deterministic).
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.entries.iter().zip(&self.live).filter(|(_, l)| **l).map(|(e, _)| e)
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
