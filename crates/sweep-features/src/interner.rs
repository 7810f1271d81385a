//! A string interner: every distinct string is stored once in an arena and gets a dense
//! id (0, 1, 2, … in first-seen order). Lookups borrow `&str`, so no allocation per
//! token.

use std::hash::BuildHasher;

use foldhash::fast::FixedState;
use hashbrown::HashTable;

/// Fixed seed: hashing is deterministic across runs (output never depends on it anyway).
const SEED: u64 = 0x5eed_f00d_cafe_d00d;

#[derive(Debug, Clone)]
pub(crate) struct Interner {
    arena: String,
    /// `ends[i]` is the end of string `i` in `arena`; it starts at `ends[i - 1]` (or 0).
    ends: Vec<usize>,
    hashes: Vec<u64>,
    table: HashTable<u32>,
    state: FixedState,
}

impl Default for Interner {
    fn default() -> Self {
        Interner {
            arena: String::new(),
            ends: Vec::new(),
            hashes: Vec::new(),
            table: HashTable::new(),
            state: FixedState::with_seed(SEED),
        }
    }
}

impl Interner {
    pub(crate) fn with_capacity(n: usize, bytes: usize) -> Self {
        Interner {
            arena: String::with_capacity(bytes),
            ends: Vec::with_capacity(n),
            hashes: Vec::with_capacity(n),
            table: HashTable::with_capacity(n),
            state: FixedState::with_seed(SEED),
        }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    #[inline]
    pub(crate) fn get(&self, id: u32) -> &str {
        let i = id as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.arena[start..self.ends[i]]
    }

    #[inline]
    fn hash(&self, s: &str) -> u64 {
        self.state.hash_one(s.as_bytes())
    }

    /// The id of `s`, if interned.
    #[inline]
    pub(crate) fn find(&self, s: &str) -> Option<u32> {
        self.find_hashed(s, self.hash(s))
    }

    #[inline]
    fn find_hashed(&self, s: &str, h: u64) -> Option<u32> {
        self.table.find(h, |&id| self.get(id) == s).copied()
    }

    /// The id of `s`, interning it if new; `true` when it was new.
    #[inline]
    pub(crate) fn intern(&mut self, s: &str) -> (u32, bool) {
        let h = self.hash(s);
        self.intern_hashed(s, h)
    }

    /// As [`Interner::intern`], reusing a hash computed by an interner of the same seed.
    #[inline]
    pub(crate) fn intern_hashed(&mut self, s: &str, h: u64) -> (u32, bool) {
        if let Some(id) = self.find_hashed(s, h) {
            return (id, false);
        }
        let id = self.ends.len() as u32;
        self.arena.push_str(s);
        self.ends.push(self.arena.len());
        self.hashes.push(h);
        let hashes = &self.hashes;
        self.table.insert_unique(h, id, |&i| hashes[i as usize]);
        (id, true)
    }

    /// Appends `s`, known to be absent, with its hash `h` (same seed).
    #[inline]
    pub(crate) fn push_unique(&mut self, s: &str, h: u64) -> u32 {
        let id = self.ends.len() as u32;
        self.arena.push_str(s);
        self.ends.push(self.arena.len());
        self.hashes.push(h);
        let hashes = &self.hashes;
        self.table.insert_unique(h, id, |&i| hashes[i as usize]);
        id
    }

    /// The stored hash of id `id`.
    #[inline]
    pub(crate) fn hash_of(&self, id: u32) -> u64 {
        self.hashes[id as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_in_first_seen_order() {
        let mut t = Interner::default();
        assert_eq!(t.intern("b"), (0, true));
        assert_eq!(t.intern("a b"), (1, true));
        assert_eq!(t.intern("b"), (0, false));
        assert_eq!(t.intern(""), (2, true));
        assert_eq!(t.len(), 3);
        assert_eq!((t.get(0), t.get(1), t.get(2)), ("b", "a b", ""));
        assert_eq!(t.find("a b"), Some(1));
        assert_eq!(t.find("a"), None);
        for i in 0..1000 {
            t.intern(&format!("w{i}"));
        }
        assert_eq!(t.find("w999"), Some(1002));
    }
}
