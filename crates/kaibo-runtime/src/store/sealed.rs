//! Sealing a small secret with ChaCha20-Poly1305: `nonce (12 bytes) || ciphertext+tag`.

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};

const NONCE_LEN: usize = 12;

/// A fresh random 256-bit key from the OS.
pub(crate) fn random_key() -> [u8; 32] {
    ChaCha20Poly1305::generate_key(&mut OsRng).into()
}

/// Encrypts and authenticates `plain` under `key` with a random nonce.
pub(crate) fn seal(key: &[u8; 32], plain: &[u8]) -> Option<Vec<u8>> {
    let cipher = ChaCha20Poly1305::new(key.into());
    let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
    let mut out = nonce.to_vec();
    out.extend(cipher.encrypt(&nonce, plain).ok()?);
    Some(out)
}

/// The plain text, or None when `sealed` was not made with `key` or was altered.
pub(crate) fn open(key: &[u8; 32], sealed: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < NONCE_LEN {
        return None;
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    ChaCha20Poly1305::new(key.into())
        .decrypt(Nonce::from_slice(nonce), body)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper_detection() {
        let key = random_key();
        let sealed = seal(&key, b"stream-key").unwrap();
        assert_eq!(open(&key, &sealed).unwrap(), b"stream-key");
        let mut bad = sealed.clone();
        bad[NONCE_LEN] ^= 1;
        assert!(open(&key, &bad).is_none());
        assert!(open(&random_key(), &sealed).is_none());
    }
}
