//! Platform secrets in the operating system's credential store (the Secret Service — GNOME
//! Keyring, KWallet — on Linux, Keychain on macOS, Credential Manager on Windows): never in
//! SQLite, logs or files.

/// The keyring service name all AnchorDesk secrets live under.
const SERVICE: &str = "net.anchordesk.desk";

/// Why a secret could not be kept or read.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the system credential store refused: {0}")]
    Store(#[from] keyring::Error),
}

fn entry(client_id: &str) -> Result<keyring::Entry, SecretError> {
    Ok(keyring::Entry::new(SERVICE, &format!("platform-client:{client_id}"))?)
}

/// Keeps the client secret of `client_id`.
pub fn save_client_secret(client_id: &str, secret: &str) -> Result<(), SecretError> {
    entry(client_id)?.set_password(secret)?;
    Ok(())
}

/// The client secret of `client_id`, if one is kept.
pub fn client_secret(client_id: &str) -> Result<Option<String>, SecretError> {
    match entry(client_id)?.get_password() {
        Ok(secret) => Ok(Some(secret)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(err) => Err(err.into()),
    }
}

/// Forgets the client secret of `client_id`.
pub fn delete_client_secret(client_id: &str) -> Result<(), SecretError> {
    match entry(client_id)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(err) => Err(err.into()),
    }
}

/// Shows a secret as its first two characters and stars, for screens and logs.
pub fn masked(secret: &str) -> String {
    let shown: String = secret.chars().take(2).collect();
    format!("{shown}{}", "*".repeat(secret.chars().count().saturating_sub(2).min(8)))
}
