//! The platform secret goes to the credential store and nowhere else.

use anchordesk_core::Store;
use anchordesk_desk_sync::{PlatformSettings, platform_settings, save_platform_settings, secrets};

#[test]
fn the_secret_is_kept_in_the_credential_store_never_in_the_database() {
    keyring::set_default_credential_builder(keyring::mock::default_credential_builder());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.sqlite3");
    let secret = "s3cret-VALUE-that-must-not-leak";
    {
        let store = Store::open(&path).unwrap();
        let settings = PlatformSettings { base_url: "http://127.0.0.1:8787".into(), client_id: "shop-7".into(), practice: false, ca_pem: None };
        save_platform_settings(&store, Some(&settings)).unwrap();
        secrets::save_client_secret("shop-7", secret).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(platform_settings(&store).unwrap(), Some(settings));
    }
    // The mock store keeps entries per Entry value only, so reading back is checked where
    // the real store would be used; what matters here is where the secret is NOT.
    for file in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(file.unwrap().path()).unwrap();
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "the secret leaked into a file of the data directory");
    }
    assert_eq!(secrets::masked(secret), "s3********");
    assert!(!secrets::masked(secret).contains("cret-VALUE"));

    let store = Store::open(&path).unwrap();
    save_platform_settings(&store, None).unwrap();
    assert_eq!(platform_settings(&store).unwrap(), None, "back to the embedded practice platform");
}
