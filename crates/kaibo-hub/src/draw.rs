//! Fair draws: a fresh 32-byte seed from the OS CSPRNG drives ChaCha20, which picks winners by a
//! partial Fisher–Yates shuffle of the entrants (ascending viewer ids). The seed and entrants are
//! stored, so anyone can redo the draw with [`pick_winners`] and get the same winners.

use crate::error::HubError;
use crate::store::Id;
use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

/// Names the procedure in stored draws, so an audit knows how to redo it.
pub const ALGORITHM: &str = "chacha20-fisher-yates-v1: rng = ChaCha20(seed); for i in 0..k: \
     j = i + uniform(n - i) by rejection on next_u64; swap(i, j); winners = entrants[..k]";

/// 32 bytes from the operating system's CSPRNG.
pub fn fresh_seed() -> Result<[u8; 32], HubError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| HubError::Random(e.to_string()))?;
    Ok(seed)
}

/// A random token of `bytes` bytes from the OS CSPRNG, as hex.
pub fn random_token(bytes: usize) -> Result<String, HubError> {
    let mut raw = vec![0u8; bytes];
    getrandom::fill(&mut raw).map_err(|e| HubError::Random(e.to_string()))?;
    Ok(hex(&raw))
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses 64 hex digits back into a seed.
pub fn seed_from_hex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || !text.is_ascii() {
        return None;
    }
    let mut seed = [0u8; 32];
    for (i, byte) in seed.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(seed)
}

/// Uniform in `0..n` (n > 0) without modulo bias.
fn uniform(rng: &mut ChaCha20Rng, n: u64) -> u64 {
    let zone = u64::MAX - (u64::MAX % n);
    loop {
        let x = rng.next_u64();
        if x < zone {
            return x % n;
        }
    }
}

/// The winners of a draw: `count` distinct entrants (all of them when fewer), in draw order.
/// `entrants` must be in ascending order, as stored.
pub fn pick_winners(seed: [u8; 32], entrants: &[Id], count: usize) -> Vec<Id> {
    let mut pool = entrants.to_vec();
    let mut rng = ChaCha20Rng::from_seed(seed);
    let k = count.min(pool.len());
    for i in 0..k {
        let j = i + uniform(&mut rng, (pool.len() - i) as u64) as usize;
        pool.swap(i, j);
    }
    pool.truncate(k);
    pool
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_winners() {
        let entrants: Vec<Id> = (1..=50).collect();
        let seed = [7u8; 32];
        let a = pick_winners(seed, &entrants, 3);
        assert_eq!(a, pick_winners(seed, &entrants, 3));
        assert_eq!(a.len(), 3);
        let mut distinct = a.clone();
        distinct.dedup();
        assert_eq!(distinct.len(), 3, "{a:?}");
        assert_ne!(a, pick_winners([8u8; 32], &entrants, 3));
    }

    #[test]
    fn every_entrant_can_win_and_fewer_entrants_all_win() {
        let entrants: Vec<Id> = (1..=4).collect();
        let mut seen = std::collections::BTreeSet::new();
        for s in 0..64u8 {
            seen.extend(pick_winners([s; 32], &entrants, 1));
        }
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), entrants);
        assert_eq!(pick_winners([1; 32], &[5, 9], 10).len(), 2);
    }

    #[test]
    fn seeds_round_trip_through_hex() {
        let seed = fresh_seed().expect("os random");
        assert_eq!(seed_from_hex(&hex(&seed)), Some(seed));
        assert_eq!(seed_from_hex("zz"), None);
    }
}
