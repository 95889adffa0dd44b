//! Passwords (argon2id), session tokens (32 random bytes; only their SHA-256 is stored) and
//! one-time passwords for new members.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};

/// How long a session lasts.
pub const SESSION_DAYS: i32 = 30;

/// Failed sign-ins in a row before a member is locked out for [`LOCKOUT_MINUTES`].
pub const MAX_FAILED_SIGN_INS: i32 = 10;
pub const LOCKOUT_MINUTES: i32 = 5;

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    bytes
}

/// The password's argon2id hash in PHC form (salt and parameters inside).
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::encode_b64(&random::<16>()).expect("16 bytes make a valid salt");
    argon2::Argon2::default().hash_password(password.as_bytes(), &salt).expect("argon2 hashes any password").to_string()
}

/// Whether `password` matches `hash`; a malformed hash matches nothing.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
}

/// [`hash_password`] on a blocking thread: argon2 takes tens of milliseconds and 19 MiB, which
/// must not hold up the async workers.
pub async fn hash_blocking(password: String) -> String {
    tokio::task::spawn_blocking(move || hash_password(&password)).await.expect("hashing does not panic")
}

/// [`verify_password`] on a blocking thread.
pub async fn verify_blocking(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await.unwrap_or(false)
}

/// A hash that matches no password, verified against when the email is unknown so that a
/// wrong email costs the same time as a wrong password.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&hex::encode(random::<16>())))
}

/// A new session token (64 hex characters), given to the member once.
pub fn new_token() -> String {
    hex::encode(random::<32>())
}

/// What the database keeps of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A one-time password for a new member: 14 characters without look-alikes (no 0/O, 1/l/I),
/// about 80 bits.
pub fn one_time_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    random::<14>().iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_hash_only() {
        let hash = hash_password("果园2026");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("果园2026", &hash));
        assert!(!verify_password("果园2025", &hash));
        assert!(!verify_password("果园2026", "not a hash"));
        assert!(!verify_password("anything", decoy_hash()));
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_ne!(token_hash(&a), a);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_eq!(one_time_password().len(), 14);
    }
}
