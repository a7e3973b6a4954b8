//! The random secrets behind sessions, one-time links and API tokens: how
//! they are made, and the hash the database keeps in their place.

use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// 32 random bytes, hex-encoded: session and link tokens.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What the database keeps of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new row id for Better Auth's tables, which use text ids.
pub fn new_id() -> String {
    Uuid::new_v4().simple().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_stored_hashed() {
        let token = new_token();
        assert_eq!(token.len(), 64);
        assert_ne!(token, new_token());
        assert_ne!(token_hash(&token), token);
        assert_eq!(token_hash(&token), token_hash(&token));
    }
}
