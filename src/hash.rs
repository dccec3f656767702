//! A fast, non-cryptographic hasher for the client's small internal maps keyed by topic
//! names, which `send()` looks up several times per record. The standard library's
//! SipHash resists hash flooding, which these maps do not need (their keys are topics the
//! application uses), and costs more than the rest of a map lookup.
//!
//! The mixing step is the well-known "Fx" word hash: for each 8-byte word,
//! `hash = (hash.rotate_left(5) ^ word) * K`.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// The hasher.
#[derive(Debug, Default, Clone, Copy)]
pub struct FastHasher {
    hash: u64,
}

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A `HashMap` using [`FastHasher`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash};

    fn hash_of<T: Hash + ?Sized>(value: &T) -> u64 {
        BuildHasherDefault::<FastHasher>::default().hash_one(value)
    }

    #[test]
    fn equal_keys_hash_equal_and_different_keys_differ() {
        assert_eq!(hash_of("events"), hash_of(&String::from("events")));
        let names = [
            "a",
            "b",
            "events",
            "events-1",
            "events-2",
            "eventsx",
            "x".repeat(17).leak(),
        ];
        let hashes: std::collections::HashSet<u64> = names.iter().map(|n| hash_of(*n)).collect();
        assert_eq!(hashes.len(), names.len());
        let mut map: FastMap<String, i32> = FastMap::default();
        map.insert("t".into(), 1);
        assert_eq!(map.get("t"), Some(&1));
    }
}
