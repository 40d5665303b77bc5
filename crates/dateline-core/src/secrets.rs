//! Passwords, tokens and keyed hashes: everything secret is stored only as a hash.

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use blake2::{Blake2b512, Blake2bMac512, Digest, digest::KeyInit, digest::Mac};

use crate::{Error, Result};

/// Random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| Error::Internal(format!("no randomness: {e}")))?;
    Ok(buf)
}

/// A fresh random token, 32 bytes as lowercase hex; used for API tokens and the setup link.
pub fn new_token() -> Result<String> {
    Ok(hex(&random_bytes::<32>()?))
}

/// The stored form of a high-entropy token. A fast hash suffices: a token cannot be guessed, so
/// nothing is gained by slowing down its check.
pub fn hash_token(token: &str) -> String {
    hex(&Blake2b512::digest(token.as_bytes())[..32])
}

/// Content checksum of a file (BLAKE2b, 256 bits as hex); equal files have equal checksums.
pub fn checksum(bytes: &[u8]) -> String {
    hex(&Blake2b512::digest(bytes)[..32])
}

/// Keyed hash of a reader's IP address: equal addresses can be matched (rate limits, spam),
/// but the address cannot be read back without the site's key.
pub fn keyed_hash(key: &[u8], value: &str) -> String {
    // Blake2b accepts keys of 1..=64 bytes; the site key is 32 random bytes.
    match <Blake2bMac512 as KeyInit>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(value.as_bytes());
            hex(&mac.finalize().into_bytes()[..32])
        }
        Err(_) => hash_token(value),
    }
}

/// Argon2id hash of a password in PHC string form.
pub fn hash_password(password: &str) -> Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| Error::Internal(format!("password hashing failed: {e}")))
}

/// Checks `password` against a stored PHC hash.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Lowercase hexadecimal of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    // Not `write!` per byte, which cost two thirds of the keyed hash of every comment's
    // address.
    ::hex::encode(bytes)
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_round_trip() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong horse battery", &h));
    }

    #[test]
    fn tokens_are_random_and_hash_stably() {
        let (a, b) = (new_token().unwrap(), new_token().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), a);
        assert_ne!(
            keyed_hash(b"k1", "127.0.0.1"),
            keyed_hash(b"k2", "127.0.0.1")
        );
    }
}
