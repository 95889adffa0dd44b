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
    #[error("the kept course signing key is not 32 bytes of hex; remove it from the credential store to make a new one")]
    Corrupt,
    #[error("the system's random source failed: {0}")]
    Random(String),
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

/// The 32-byte seed of this desk's course-report signing key (Ed25519), made from the
/// system's random source the first time and kept in the credential store, so a report a
/// student hands in is signed by the same key every time.
pub fn course_signing_seed() -> Result<[u8; 32], SecretError> {
    // Two exports at once must not each make a key (the first report's would be lost).
    static MAKING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _making = MAKING.lock().unwrap_or_else(|p| p.into_inner());
    let entry = keyring::Entry::new(SERVICE, "course-signing-key")?;
    let decode = |hex_seed: &str| -> Option<[u8; 32]> {
        let bytes = hex::decode(hex_seed.trim()).ok()?;
        bytes.try_into().ok()
    };
    match entry.get_password() {
        Ok(stored) => {
            if let Some(seed) = decode(&stored) {
                return Ok(seed);
            }
            Err(SecretError::Corrupt)
        }
        Err(keyring::Error::NoEntry) => {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(|err| SecretError::Random(err.to_string()))?;
            entry.set_password(&hex::encode(seed))?;
            Ok(seed)
        }
        Err(err) => Err(err.into()),
    }
}

fn team_entry(server: &str, email: &str) -> Result<keyring::Entry, SecretError> {
    Ok(keyring::Entry::new(SERVICE, &format!("team-session:{server}:{email}"))?)
}

/// Keeps the desk's session token for a team server.
pub fn save_team_token(server: &str, email: &str, token: &str) -> Result<(), SecretError> {
    team_entry(server, email)?.set_password(token)?;
    Ok(())
}

/// The desk's session token for a team server, if one is kept.
pub fn team_token(server: &str, email: &str) -> Result<Option<String>, SecretError> {
    match team_entry(server, email)?.get_password() {
        Ok(token) => Ok(Some(token)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(err) => Err(err.into()),
    }
}

/// Forgets the desk's session token for a team server.
pub fn delete_team_token(server: &str, email: &str) -> Result<(), SecretError> {
    match team_entry(server, email)?.delete_credential() {
        Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
        Err(err) => Err(err.into()),
    }
}

fn destinations_entry() -> Result<keyring::Entry, SecretError> {
    Ok(keyring::Entry::new(SERVICE, "push-destinations")?)
}

/// The push destinations besides the platform's ingest, as kept (JSON with their stream
/// keys); `None` when there are none.
pub fn push_destinations() -> Result<Option<String>, SecretError> {
    match destinations_entry()?.get_password() {
        Ok(json) => Ok(Some(json)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(err) => Err(err.into()),
    }
}

/// Keeps the push destinations (JSON with their stream keys); an empty text forgets them.
pub fn save_push_destinations(json: &str) -> Result<(), SecretError> {
    let entry = destinations_entry()?;
    if json.is_empty() {
        return match entry.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(err.into()),
        };
    }
    entry.set_password(json)?;
    Ok(())
}
