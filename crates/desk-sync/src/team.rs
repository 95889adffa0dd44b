//! The desk in a team: it signs in to the team server once (the session token goes to the OS
//! keyring), then syncs the catalog both ways on request, offline-first. Its own changes go
//! out with idempotency keys (a retry after a lost answer changes nothing twice); the team's
//! come in from the server's change feed by sequence, from a cursor kept in the store.
//! What the team already has (sent from here, or applied here from the team) is remembered
//! by product and moment, so that nothing is sent twice or sent back. Conflicts follow the server's rule: the last write in the server's order wins,
//! and a desk that overwrote a change it had not seen is told whose text it replaced.

use anchordesk_core::{ProductDraft, Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use sha2::Digest as _;
use std::sync::Mutex;

const SETTING: &str = "team";

/// What the desk keeps of its team (in SQLite; the token is in the keyring).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamLink {
    pub server: String,
    pub email: String,
    pub org_id: i64,
    pub org_name: String,
    pub role: String,
    /// The server's change feed up to here is applied.
    pub cursor: i64,
    /// The desk's changes before this moment (RFC 3339) were sent.
    pub sent_until: String,
    /// The version of each product the desk last saw.
    pub versions: BTreeMap<String, i64>,
    /// The moment of each product's last local write the team already has (sent from here,
    /// or applied here from the team): not to be sent (again).
    pub known: BTreeMap<String, String>,
    /// Joined but not yet synced: the first sync receives first, then sends only products
    /// the team does not have, and no old deletions.
    #[serde(default)]
    pub first_sync_pending: bool,
    /// The certificate (PEM) this desk trusts for the server, when the server uses its own
    /// (a county's server on the office network) rather than one a public authority signed.
    /// Public, not a secret.
    #[serde(default)]
    pub ca_pem: Option<String>,
    /// When the background sync last ran (Unix ms), and why it failed if it did.
    #[serde(default)]
    pub auto_synced_at_ms: Option<i64>,
    #[serde(default)]
    pub auto_error: Option<String>,
    /// The version of the team's rule pack this desk last took or sent (0: none yet).
    #[serde(default)]
    pub rule_pack_version: i64,
    /// A digest of the rule settings the team and this desk share: local settings with
    /// another digest are this desk's change, to send.
    #[serde(default)]
    pub rule_pack_known: Option<String>,
    /// Each broadcast (by the desk's id) as last published to the team: its digest and the
    /// version the server gave it.
    #[serde(default)]
    pub published: BTreeMap<String, Published>,
    /// The live room or class this desk works for: its broadcasts are published into it.
    #[serde(default)]
    pub room: Option<RoomRef>,
    /// Each graded rehearsal (by the desk's broadcast id) as last handed in to the class:
    /// the digest of its facts.
    #[serde(default)]
    pub handed_in: BTreeMap<String, String>,
    /// Broadcasts planned on the team's web page that this desk took: the plan's key and the
    /// desk's broadcast made from it.
    #[serde(default)]
    pub plans: BTreeMap<String, i64>,
    /// The version of each team template this desk last took or shared.
    #[serde(default)]
    pub templates: BTreeMap<String, i64>,
}

/// A room or class as the desk keeps it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomRef {
    pub id: i64,
    pub name: String,
    /// `room` (直播间) or `class`.
    pub kind: String,
}

/// A room or class of the team, as Settings → Team and `anchordesk team rooms` list them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Room {
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub id: i64,
    pub name: String,
    /// `room` (直播间) or `class`.
    pub kind: String,
    /// The member this desk signed in as works in it.
    pub mine: bool,
    /// This desk may work for it: the member works in it, or plans for every room (an
    /// owner, 运营 or teacher).
    pub pickable: bool,
    /// Who works in it (emails).
    pub members: Vec<String>,
}

/// A broadcast as last published.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    pub digest: String,
    pub version: i64,
    /// The digest of what the published body was made from, its review left out: when it is
    /// unchanged the review is not computed again.
    #[serde(default)]
    pub basis: String,
}

/// Why joining or syncing failed; each says what to do.
#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    #[error("this desk is not in a team: join one first (anchordesk team join URL --email …)")]
    NotJoined,
    #[error("{0}: use https://, or http:// only to a server on this machine (127.0.0.1)")]
    InsecureUrl(String),
    #[error("the team server is not reachable: {0}; your changes stay on this desk and go out at the next sync")]
    Unreachable(String),
    #[error("the email or the password is wrong")]
    WrongCredentials,
    #[error("this is a one-time password: choose your own to join (at least 10 characters)")]
    MustChangePassword,
    #[error("the team server has no such product")]
    NotFound,
    /// The server's words (e.g. "your role may not manage live rooms").
    #[error("the team server says {0}")]
    Forbidden(String),
    #[error("the team server no longer accepts this desk's session (signed out, password changed or removed from the team): join again; the local data is kept")]
    SignedOut,
    #[error("{0:?} is not a room or class of your team: see `anchordesk team rooms`")]
    NoSuchRoom(String),
    #[error("you do not work in {0:?}: ask the team's owner, 运营 or teacher to put you in it")]
    NotInRoom(String),
    #[error("the team server refused: {0}")]
    Refused(String),
    #[error("{0}: try again when it has finished")]
    Busy(String),
    #[error("the server's certificate file cannot be used: {0} (give the PEM certificate the server was started with, or its authority's)")]
    BadCertificate(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretError),
}

/// What a sync did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SyncReport {
    pub sent: u32,
    pub received: u32,
    /// Local changes not sent: the member's role may not change the shared catalog.
    pub kept_local: u32,
    /// Team products this desk could not take (named; later changes went on).
    pub skipped: Vec<String>,
    /// Products whose change from this desk replaced one it had not seen (the server keeps
    /// both in its history).
    pub overwrote: Vec<String>,
    /// This desk's rule settings went to the team.
    pub rules_sent: bool,
    /// The team's rule pack was taken (the linter uses it from the next check on).
    pub rules_received: bool,
    /// Taking the team's pack set aside rule settings of this desk's own (kept in the store).
    pub rules_replaced_local: bool,
    /// Broadcasts (line-up and run-of-show) published to the team because they changed, and
    /// withdrawn because the desk no longer has them.
    pub broadcasts_published: u32,
    pub broadcasts_withdrawn: u32,
    /// Graded rehearsals handed in to the class (through its practice shop), and how many
    /// facts the server found to differ from what its shop observed.
    pub attempts_handed_in: u32,
    pub attempts_marked: u32,
    /// Broadcasts planned on the team's web page for this desk's room, made here.
    pub plans_received: u32,
    /// Team templates taken (new or changed) or withdrawn.
    pub templates_received: u32,
    /// What did not go through this time and will be tried at the next sync (the catalog
    /// synced regardless).
    pub problems: Vec<String>,
}

/// The team as Settings → Team shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TeamView {
    pub server: String,
    pub email: String,
    pub org_name: String,
    pub role: String,
    /// Products the team and this desk share.
    pub products: u32,
    /// How far the team's change feed is applied here.
    #[cfg_attr(feature = "specta", specta(type = f64))]
    pub feed_position: i64,
    /// The desk trusts a certificate of the server's own (not a public authority's).
    pub own_certificate: bool,
    /// When the background sync last ran (Unix ms), and why it failed if it did.
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub auto_synced_at_ms: Option<i64>,
    pub auto_error: Option<String>,
    /// The room or class this desk works for (its name), and whether it is a class.
    pub room: Option<String>,
    #[cfg_attr(feature = "specta", specta(type = Option<f64>))]
    pub room_id: Option<i64>,
    pub class: bool,
}

impl TeamLink {
    pub fn view(&self) -> TeamView {
        TeamView {
            server: self.server.clone(),
            email: self.email.clone(),
            org_name: self.org_name.clone(),
            role: self.role.clone(),
            products: self.versions.len() as u32,
            feed_position: self.cursor,
            own_certificate: self.ca_pem.is_some(),
            auto_synced_at_ms: self.auto_synced_at_ms,
            auto_error: self.auto_error.clone(),
            room: self.room.as_ref().map(|room| room.name.clone()),
            room_id: self.room.as_ref().map(|room| room.id),
            class: self.room.as_ref().is_some_and(|room| room.kind == "class"),
        }
    }
}

impl From<TeamError> for anchordesk_core::UiError {
    /// Join-form mistakes are the form's fields; the rest is said as it is.
    fn from(err: TeamError) -> anchordesk_core::UiError {
        use anchordesk_core::UiError;
        use anchordesk_core::validate::FieldErrorCode::UnknownValue;
        match err {
            TeamError::InsecureUrl(url) => UiError::field("teamUrl", UnknownValue, url),
            TeamError::Unreachable(why) => UiError::field("teamUrl", UnknownValue, why),
            TeamError::BadCertificate(why) => UiError::field("teamCertificate", UnknownValue, why),
            TeamError::WrongCredentials => UiError::field("teamPassword", UnknownValue, "wrong-credentials"),
            TeamError::MustChangePassword => UiError::field("teamNewPassword", anchordesk_core::validate::FieldErrorCode::Required, "must-change"),
            TeamError::Store(err) => err.into(),
            other => UiError::internal(other),
        }
    }
}

pub(crate) fn lock(store: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    store.lock().unwrap_or_else(|p| p.into_inner())
}

/// The team this desk is in, if any.
pub fn link(store: &Store) -> Result<Option<TeamLink>, StoreError> {
    Ok(store.setting(SETTING)?.filter(|json| !json.is_empty()).and_then(|json| serde_json::from_str(&json).ok()))
}

pub(crate) fn save_link(store: &Store, link: &TeamLink) -> Result<(), StoreError> {
    store.set_setting(SETTING, &serde_json::to_string(link).map_err(|err| StoreError::Corrupt(err.to_string()))?)
}

fn check_url(server: &str) -> Result<String, TeamError> {
    let server = server.trim().trim_end_matches('/').to_string();
    let url = reqwest::Url::parse(&server).map_err(|_| TeamError::InsecureUrl(server.clone()))?;
    // The host itself, not a prefix of the text: http://127.0.0.1@elsewhere goes elsewhere.
    let loopback = match url.host() {
        Some(url::Host::Domain(name)) => name == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    let plain_ok = url.scheme() == "http" && loopback && url.username().is_empty() && url.password().is_none();
    if url.scheme() == "https" || plain_ok { Ok(server) } else { Err(TeamError::InsecureUrl(server)) }
}

/// Who may change the shared catalog and the team's rule pack (the server decides; the desk
/// does not try otherwise).
const CATALOG_WRITERS: &[&str] = &["owner", "operator", "teacher"];

/// The digest the link keeps of rule settings (their JSON, fields in a fixed order).
fn rules_digest(settings: &anchordesk_core::rules::TeamSettings) -> String {
    hex::encode(sha2::Sha256::digest(serde_json::to_string(settings).unwrap_or_default().as_bytes()))
}

/// A product's address on the server: the SKU as one path segment, whatever it holds.
fn product_url(link: &TeamLink, sku: &str) -> Result<reqwest::Url, TeamError> {
    let mut url = reqwest::Url::parse(&format!("{}/api/v1/orgs/{}/products", link.server, link.org_id)).map_err(|_| TeamError::InsecureUrl(link.server.clone()))?;
    url.path_segments_mut().map_err(|_| TeamError::InsecureUrl(link.server.clone()))?.push(sku);
    Ok(url)
}

/// One sync at a time in this process (two would both apply the same entries).
static SYNCING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How long a sync waits for another process syncing the same desk (the app and
/// `anchordesk team sync` on one data directory) before it gives up.
const CROSS_PROCESS_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// One sync at a time per data directory across processes: an exclusive lock on a file
/// beside the database, released when dropped (or when the process ends).
struct SyncFileLock(#[allow(dead_code)] std::fs::File);

/// The lock file beside the desk's database.
fn sync_lock_path(store: &Mutex<Store>) -> std::path::PathBuf {
    lock(store).path().with_extension("team-sync.lock")
}

impl SyncFileLock {
    async fn acquire(path: &std::path::Path) -> Result<SyncFileLock, TeamError> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|err| TeamError::Busy(format!("{}: {err}", path.display())))?;
        let deadline = std::time::Instant::now() + CROSS_PROCESS_WAIT;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(SyncFileLock(file)),
                Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(TeamError::Busy("another AnchorDesk on this computer is still syncing this desk with its team".into()));
                }
                Err(std::fs::TryLockError::Error(err)) => return Err(TeamError::Busy(format!("{}: {err}", path.display()))),
            }
        }
    }
}

/// An HTTP client that trusts the public authorities and, when given, the server's own
/// certificate (PEM).
fn client(ca_pem: Option<&str>) -> Result<reqwest::Client, TeamError> {
    let mut builder = reqwest::Client::builder().timeout(std::time::Duration::from_secs(20));
    if let Some(pem) = ca_pem {
        if !pem.contains("-----BEGIN CERTIFICATE-----") {
            return Err(TeamError::BadCertificate("no PEM certificate in it".into()));
        }
        let certificate = reqwest::Certificate::from_pem(pem.as_bytes()).map_err(|err| TeamError::BadCertificate(err.to_string()))?;
        builder = builder.add_root_certificate(certificate);
    }
    builder.build().map_err(|err| TeamError::BadCertificate(err.to_string()))
}

pub(crate) async fn answer(response: Result<reqwest::Response, reqwest::Error>) -> Result<Value, TeamError> {
    let response = response.map_err(|err| TeamError::Unreachable(err.to_string()))?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if status == reqwest::StatusCode::UNAUTHORIZED {
        return Err(if body["error"] == "wrong-credentials" { TeamError::WrongCredentials } else { TeamError::SignedOut });
    }
    if status == reqwest::StatusCode::NOT_FOUND {
        return Err(TeamError::NotFound);
    }
    if status == reqwest::StatusCode::FORBIDDEN {
        return Err(if body["error"] == "change-password" { TeamError::MustChangePassword } else { TeamError::Forbidden(body["message"].as_str().unwrap_or("your role may not do this").to_string()) });
    }
    if !status.is_success() {
        return Err(TeamError::Refused(body["message"].as_str().map(str::to_string).unwrap_or_else(|| status.to_string())));
    }
    Ok(body)
}

/// Signs in to `server` as `email` and joins its organisation: the token goes to the
/// keyring, the team to the store. With a one-time password the member must choose their
/// own (`new_password`). Joining the same team again (a session that expired) keeps how far
/// the desk had synced; joining another starts afresh, and its first sync sends only the
/// products the team does not have. `ca_pem` is the server's own certificate, when a public
/// authority did not sign it.
pub async fn join(store: &Mutex<Store>, server: &str, email: &str, password: &str, new_password: Option<&str>, ca_pem: Option<&str>) -> Result<TeamLink, TeamError> {
    let server = check_url(server)?;
    let email = email.trim().to_lowercase();
    let ca_pem = ca_pem.map(str::trim).filter(|pem| !pem.is_empty());
    // Not while a sync is under way: it would save the team it started with over this one.
    let _no_sync = SYNCING.lock().await;
    let _no_sync_elsewhere = SyncFileLock::acquire(&sync_lock_path(store)).await?;
    let http = client(ca_pem)?;
    let session = answer(http.post(format!("{server}/api/v1/sign-in")).json(&json!({ "email": email, "password": password })).send().await).await?;
    let token = session["token"].as_str().ok_or_else(|| TeamError::Refused("no token in the answer".into()))?;
    if session["member"]["mustChangePassword"] == true {
        let new_password = new_password.filter(|p| !p.is_empty()).ok_or(TeamError::MustChangePassword)?;
        answer(http.put(format!("{server}/api/v1/password")).bearer_auth(token).json(&json!({ "current": password, "new": new_password })).send().await).await?;
    }
    let member = &session["member"];
    let org_id = member["orgId"].as_i64().unwrap_or_default();
    let store = lock(store);
    let previous = link(&store)?;
    if let Some(old) = previous.as_ref().filter(|old| old.server != server || old.email != email) {
        crate::secrets::delete_team_token(&old.server, &old.email)?;
    }
    crate::secrets::save_team_token(&server, &email, token)?;
    let mut link = match previous {
        Some(old) if old.server == server && old.org_id == org_id => old,
        _ => TeamLink { first_sync_pending: true, ..TeamLink::default() },
    };
    link.server = server;
    link.email = email;
    link.org_id = org_id;
    link.org_name = member["orgName"].as_str().unwrap_or_default().to_string();
    link.role = member["role"].as_str().unwrap_or_default().to_string();
    link.ca_pem = ca_pem.map(str::to_string);
    save_link(&store, &link)?;
    Ok(link)
}

/// Leaves the team: the session is ended on the server (when it answers), the token
/// forgotten and syncing stops; the local data is kept.
pub async fn leave(store: &Mutex<Store>) -> Result<Option<TeamLink>, TeamError> {
    // Not while a sync is under way: it would save the team back after the token is gone.
    let _no_sync = SYNCING.lock().await;
    let _no_sync_elsewhere = SyncFileLock::acquire(&sync_lock_path(store)).await?;
    let Some(link) = link(&lock(store))? else { return Ok(None) };
    if let Some(token) = crate::secrets::team_token(&link.server, &link.email)? {
        let signed_out = client(link.ca_pem.as_deref())?.post(format!("{}/api/v1/sign-out", link.server)).bearer_auth(token).send().await;
        if let Err(err) = signed_out {
            tracing::warn!("the team server did not hear the sign-out ({err}); the session ends when it expires");
        }
    }
    crate::secrets::delete_team_token(&link.server, &link.email)?;
    lock(store).set_setting(SETTING, "")?;
    Ok(Some(link))
}

/// Sends this desk's catalog changes, then applies the team's from the cursor (a fresh
/// join receives first). A member whose role may not change the catalog only receives; its
/// local edits stay local.
pub async fn sync(store: &Mutex<Store>) -> Result<SyncReport, TeamError> {
    let _one_at_a_time = SYNCING.lock().await;
    let _one_process_at_a_time = SyncFileLock::acquire(&sync_lock_path(store)).await?;
    let (mut link, desk_id) = {
        let store = lock(store);
        (link(&store)?.ok_or(TeamError::NotJoined)?, store.desk_id()?)
    };
    let token = crate::secrets::team_token(&link.server, &link.email)?.ok_or(TeamError::SignedOut)?;
    let http = client(link.ca_pem.as_deref())?;
    let mut report = SyncReport::default();
    let first = link.first_sync_pending;
    if first {
        receive(store, &http, &token, &mut link, &mut report).await?;
    }
    if CATALOG_WRITERS.contains(&link.role.as_str()) {
        send(store, &http, &token, &desk_id, &mut link, &mut report, first).await?;
        // Before receiving: a change of this desk's is the latest, not overwritten by the
        // team's older one. Its failure (a server without rule packs, say) stops nothing else.
        if let Err(err) = send_rules(store, &http, &token, &desk_id, &mut link, &mut report).await {
            report.problems.push(format!("the rule pack was not sent: {err}"));
        }
    } else {
        report.kept_local = lock(store).catalog_changes_since(&link.sent_until)?.iter().filter(|c| link.known.get(&c.sku) != Some(&c.at)).count() as u32;
    }
    if !first {
        receive(store, &http, &token, &mut link, &mut report).await?;
    }
    link.first_sync_pending = false;
    save_link(&lock(store), &link)?;
    if let Err(err) = receive_plans(store, &http, &token, &mut link, &mut report).await {
        report.problems.push(format!("broadcasts planned on the team's page were not taken: {err}"));
    }
    if let Err(err) = publish_broadcasts(store, &http, &token, &desk_id, &mut link, &mut report).await {
        report.problems.push(format!("broadcasts were not published: {err}"));
        save_link(&lock(store), &link)?;
    }
    match crate::class::hand_in(store, &http, &token, &mut link).await {
        Ok(done) => {
            report.attempts_handed_in = done.handed_in;
            report.attempts_marked = done.marked;
            report.problems.extend(done.problems);
        }
        Err(err) => report.problems.push(format!("rehearsals were not handed in: {err}")),
    }
    Ok(report)
}

/// Sends the desk's changes since the last send, each with its own idempotency key.
async fn send(store: &Mutex<Store>, http: &reqwest::Client, token: &str, desk_id: &str, link: &mut TeamLink, report: &mut SyncReport, first: bool) -> Result<(), TeamError> {
    let changes = lock(store).catalog_changes_since(&link.sent_until)?;
    for change in &changes {
        if link.known.get(&change.sku) == Some(&change.at) {
            continue; // the team has it already
        }
        // A fresh join shares what the team lacks; it does not overwrite or delete the team's.
        if first && (change.draft.is_none() || link.versions.contains_key(&change.sku)) {
            link.known.insert(change.sku.clone(), change.at.clone());
            link.sent_until = change.at.clone();
            continue;
        }
        let url = product_url(link, &change.sku)?;
        // ASCII whatever the SKU holds (a header cannot carry 赣南脐橙).
        let digest = sha2::Sha256::digest(format!("{}|{}", change.sku, change.at).as_bytes());
        let key = format!("{desk_id}-{}", &hex::encode(digest)[..32]);
        let request = match &change.draft {
            Some(draft) => http.put(url).json(&json!({ "body": draft, "baseVersion": link.versions.get(&change.sku) })),
            None => http.delete(url),
        };
        let written = match answer(request.bearer_auth(token).header("Idempotency-Key", key).send().await).await {
            Ok(written) => written,
            // A deletion of a product the team never had: nothing to tell it.
            Err(TeamError::NotFound) if change.draft.is_none() => Value::Null,
            Err(err) => {
                // What was sent so far stays sent; the rest goes next time.
                save_link(&lock(store), link)?;
                return Err(err);
            }
        };
        if let Some(version) = written["version"].as_i64() {
            link.versions.insert(change.sku.clone(), version);
            report.sent += 1;
        }
        if !written["replaced"].is_null() {
            report.overwrote.push(change.sku.clone());
        }
        link.sent_until = change.at.clone();
        link.known.insert(change.sku.clone(), change.at.clone());
        save_link(&lock(store), link)?;
    }
    Ok(())
}

/// Sends this desk's rule settings when they changed since the team and the desk last
/// shared them (a fresh join that took the team's pack has nothing to send). A desk that
/// had not seen the latest pack replaces it (last writer wins) and is told so.
async fn send_rules(store: &Mutex<Store>, http: &reqwest::Client, token: &str, desk_id: &str, link: &mut TeamLink, report: &mut SyncReport) -> Result<(), TeamError> {
    let settings = lock(store).team_rules()?;
    let digest = rules_digest(&settings);
    let never_shared = link.rule_pack_known.is_none() && settings == Default::default();
    if link.rule_pack_known.as_deref() == Some(digest.as_str()) || never_shared {
        return Ok(());
    }
    let url = format!("{}/api/v1/orgs/{}/rule-pack", link.server, link.org_id);
    // The base version in the key: going back to settings sent before is a new write.
    let key = format!("{desk_id}-rules-{}-{}", link.rule_pack_version, &digest[..32]);
    let request = http.put(url).json(&json!({ "body": settings, "baseVersion": link.rule_pack_version }));
    let written = answer(request.bearer_auth(token).header("Idempotency-Key", key).send().await).await?;
    link.rule_pack_version = written["version"].as_i64().unwrap_or(link.rule_pack_version);
    link.rule_pack_known = Some(digest);
    report.rules_sent = true;
    if !written["replaced"].is_null() {
        report.overwrote.push("rule-pack".into());
    }
    save_link(&lock(store), link)?;
    Ok(())
}

/// Publishes this desk's broadcasts that changed since they were last published: the
/// broadcast, its line-up, its run-of-show and its checklist with who ticked what, for the
/// team's web page and its 运营. Every
/// member publishes their own desk's; the key is the desk's id and the broadcast's.
async fn publish_broadcasts(store: &Mutex<Store>, http: &reqwest::Client, token: &str, desk_id: &str, link: &mut TeamLink, report: &mut SyncReport) -> Result<(), TeamError> {
    let digest_of = |body: &Value| hex::encode(sha2::Sha256::digest(body.to_string().as_bytes()));
    // Each broadcast with what to publish, or `None` when nothing it is made from changed
    // since it was published (its basis: everything but the review), so that a desk with
    // years of broadcasts does not recompute their reviews at every sync.
    let plans: Vec<(String, Option<(Value, String)>)> = {
        let store = lock(store);
        let mut plans = Vec::new();
        // The review (复盘) of a broadcast whose latest session has ended goes with it; its
        // compliance figures need the desk's linter, built once and only then.
        let mut env: Option<anchordesk_core::plan::CheckEnv> = None;
        let data_dir = store.path().parent().map(std::path::Path::to_path_buf).unwrap_or_default();
        // The archive index (names, sizes, SHA-256 and keep-until of each archived session's
        // files; never the files): from the manifests on this desk.
        let (archived, _) = anchordesk_core::archive::list(&data_dir.join("archive"));
        for broadcast in store.broadcasts()? {
            let id = broadcast.id;
            let (lineup, show) = (store.lineup(id)?, store.run_of_show(id)?);
            // Whether it is on air, and when it went and ended (not where it is recorded).
            let sessions = store.sessions(id)?;
            let ended = sessions.last().is_some_and(|s| s.status != anchordesk_core::live::SessionStatus::Live);
            let sessions: Vec<Value> = sessions
                .iter()
                .map(|s| json!({ "startedAt": s.started_at, "endedAt": s.ended_at, "status": s.status, "rehearsal": s.rehearsal, "durationMs": s.duration_ms }))
                .collect();
            let room = link.room.as_ref().map(|room| json!({ "id": room.id }));
            let prefix = format!("broadcast-{}-session-", id.0);
            let archive: Vec<&anchordesk_core::archive::ArchiveEntry> = archived.iter().filter(|entry| entry.name.starts_with(&prefix)).collect();
            // The checklist with who ticked what and when (the automatic checks are the desk's
            // to run; they go as items without a name).
            let checklist: Vec<Value> = store
                .checklist(id)?
                .iter()
                .map(|c| json!({ "phase": c.phase, "role": c.role, "title": c.title, "titleEn": c.title_en, "critical": c.critical, "auto": c.auto_check.is_some(), "doneAt": c.done_at, "doneBy": c.done_by }))
                .collect();
            let mut body = json!({ "broadcast": broadcast, "lineup": lineup, "runOfShow": show, "checklist": checklist, "sessions": sessions, "room": room, "archive": archive });
            // Made from a plan of the team's page: the page stops listing the plan as waiting.
            if let Some((key, _)) = link.plans.iter().find(|(_, made)| **made == id.0) {
                body["plan"] = Value::String(key.clone());
            }
            let basis = digest_of(&body);
            if link.published.get(&id.0.to_string()).is_some_and(|p| p.basis == basis) {
                plans.push((id.0.to_string(), None));
                continue;
            }
            body["report"] = if ended {
                let env = env.get_or_insert_with(|| anchordesk_core::plan::CheckEnv::for_data_dir(&data_dir));
                serde_json::to_value(anchordesk_core::live::ReportDigest::of(&store.report(id, env, None)?)).unwrap_or(Value::Null)
            } else {
                Value::Null
            };
            plans.push((id.0.to_string(), Some((body, basis))));
        }
        plans
    };
    let url_for = |id: &str| -> Result<reqwest::Url, TeamError> {
        let mut url = reqwest::Url::parse(&format!("{}/api/v1/orgs/{}/broadcasts", link.server, link.org_id)).map_err(|_| TeamError::InsecureUrl(link.server.clone()))?;
        url.path_segments_mut().map_err(|_| TeamError::InsecureUrl(link.server.clone()))?.push(&format!("{desk_id}-{id}"));
        Ok(url)
    };
    // Broadcasts deleted on this desk leave the team's page too.
    let gone: Vec<String> = link.published.keys().filter(|id| !plans.iter().any(|(p, _)| p == *id)).cloned().collect();
    for id in gone {
        match answer(http.delete(url_for(&id)?).bearer_auth(token).header("Idempotency-Key", format!("{desk_id}-broadcast-{id}-gone-{}", link.published[&id].version)).send().await).await {
            Ok(_) | Err(TeamError::NotFound) => {}
            Err(err) => return Err(err),
        }
        link.published.remove(&id);
        report.broadcasts_withdrawn += 1;
        save_link(&lock(store), link)?;
    }
    for (id, plan) in plans {
        let Some((body, basis)) = plan else { continue };
        let digest = digest_of(&body);
        let before = link.published.get(&id).cloned();
        if before.as_ref().is_some_and(|p| p.digest == digest) {
            // Published as it is (by a desk from before the basis was kept): only note it.
            if let Some(published) = link.published.get_mut(&id) {
                published.basis = basis;
            }
            save_link(&lock(store), link)?;
            continue;
        }
        let base = before.as_ref().map(|p| p.version);
        let key = format!("{desk_id}-broadcast-{id}-{}-{}", base.unwrap_or(0), &digest[..32]);
        let written = answer(http.put(url_for(&id)?).json(&json!({ "body": body, "baseVersion": base })).bearer_auth(token).header("Idempotency-Key", key).send().await).await?;
        link.published.insert(id, Published { digest, version: written["version"].as_i64().unwrap_or_default(), basis });
        report.broadcasts_published += 1;
        save_link(&lock(store), link)?;
    }
    Ok(())
}

/// Takes a rule pack from the team's feed (a newer version than this desk has).
fn receive_rules(store: &Mutex<Store>, link: &mut TeamLink, entry: &Value, report: &mut SyncReport) {
    let version = entry["version"].as_i64().unwrap_or_default();
    if version <= link.rule_pack_version {
        return; // this desk's own write, or one it already has
    }
    let settings = match serde_json::from_value::<anchordesk_core::rules::TeamSettings>(entry["body"].clone()) {
        Ok(settings) => settings,
        Err(err) => {
            tracing::warn!("the team's rule pack v{version} is not one this desk can read ({err}); kept the current rules");
            report.skipped.push("rule-pack".into());
            return;
        }
    };
    let mut store = lock(store);
    // The desk's settings are its own only when they differ from what it last shared with
    // the team (a desk that took the team's pack before holds no settings of its own).
    let own = store.team_rules().map(|local| link.rule_pack_known.as_deref() != Some(rules_digest(&local).as_str())).unwrap_or(false);
    match store.apply_team_rule_pack(&settings, own) {
        Ok(replaced) => {
            link.rule_pack_version = version;
            link.rule_pack_known = Some(rules_digest(&settings));
            report.rules_received = true;
            report.rules_replaced_local |= replaced;
        }
        Err(err) => {
            tracing::warn!("the team's rule pack v{version} was refused by this desk's linter: {err}; kept the current rules");
            report.skipped.push("rule-pack".into());
        }
    }
}

/// The desk's data directory (where its database is).
fn data_dir(store: &Store) -> std::path::PathBuf {
    store.path().parent().map(std::path::Path::to_path_buf).unwrap_or_default()
}

/// Takes a team template from the feed into `<data dir>/templates/` (checked first), or
/// removes one the team withdrew.
fn receive_template(store: &Store, link: &mut TeamLink, entry: &Value, report: &mut SyncReport) {
    let (name, version) = (entry["key"].as_str().unwrap_or_default().to_string(), entry["version"].as_i64().unwrap_or_default());
    if link.templates.get(&name).is_some_and(|seen| *seen >= version) || !anchordesk_core::templates::valid_team_name(&name) {
        return;
    }
    let dir = anchordesk_core::templates::team_dir(&data_dir(store));
    let path = dir.join(format!("{name}.toml"));
    let done = match entry["body"]["toml"].as_str() {
        None => match std::fs::remove_file(&path) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err.to_string()),
            _ => Ok(()),
        },
        Some(text) => anchordesk_core::templates::parse_checked(&format!("{name}.toml"), text)
            .map_err(|err| err.to_string())
            .and_then(|_| std::fs::create_dir_all(&dir).and_then(|()| anchordesk_core::paths::write_atomic(&path, text.as_bytes())).map_err(|err| err.to_string())),
    };
    match done {
        Ok(()) => {
            link.templates.insert(name, version);
            report.templates_received += 1;
        }
        Err(why) => {
            tracing::warn!("the team's template {name} v{version} was not taken: {why}");
            report.skipped.push(format!("template {name}"));
        }
    }
}

/// Shares a template with the team under `name` (owner, 运营 or teacher), and keeps it on
/// this desk at once. `text` is the template's TOML (checked here before it goes).
pub async fn share_template(store: &Mutex<Store>, name: &str, text: &str) -> Result<i64, TeamError> {
    if !anchordesk_core::templates::valid_team_name(name) {
        return Err(TeamError::Refused(format!("{name:?} cannot name a team template: use 1-40 letters, digits, - or _, and not a built-in template's name")));
    }
    anchordesk_core::templates::parse_checked(&format!("{name}.toml"), text).map_err(|err| TeamError::Refused(err.to_string()))?;
    let (mut link, token, http) = signed_in(store)?;
    let base = link.templates.get(name).copied();
    let digest = hex::encode(sha2::Sha256::digest(text.as_bytes()));
    let key = format!("{}-template-{name}-{}-{}", lock(store).desk_id()?, base.unwrap_or(0), &digest[..32]);
    let written = answer(
        http.put(format!("{}/api/v1/orgs/{}/templates/{name}", link.server, link.org_id))
            .bearer_auth(&token)
            .header("Idempotency-Key", key)
            .json(&json!({ "body": { "toml": text }, "baseVersion": base }))
            .send()
            .await,
    )
    .await?;
    let version = written["version"].as_i64().unwrap_or_default();
    let store = lock(store);
    let dir = anchordesk_core::templates::team_dir(&data_dir(&store));
    std::fs::create_dir_all(&dir)
        .and_then(|()| anchordesk_core::paths::write_atomic(&dir.join(format!("{name}.toml")), text.as_bytes()))
        .map_err(|err| TeamError::Refused(format!("keeping the template on this desk: {err}")))?;
    // The link as it is now (a sync may have run meanwhile), with this version.
    link = crate::team::link(&store)?.ok_or(TeamError::NotJoined)?;
    link.templates.insert(name.to_string(), version);
    save_link(&store, &link)?;
    Ok(version)
}

/// Withdraws a team template (owner, 运营 or teacher); every desk removes it at its next sync.
pub async fn withdraw_template(store: &Mutex<Store>, name: &str) -> Result<(), TeamError> {
    let (link, token, http) = signed_in(store)?;
    let key = format!("{}-template-{name}-gone-{}", lock(store).desk_id()?, link.templates.get(name).copied().unwrap_or(0));
    answer(http.delete(format!("{}/api/v1/orgs/{}/templates/{name}", link.server, link.org_id)).bearer_auth(&token).header("Idempotency-Key", key).send().await).await?;
    let store = lock(store);
    let path = anchordesk_core::templates::team_dir(&data_dir(&store)).join(format!("{name}.toml"));
    match std::fs::remove_file(&path) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(TeamError::Refused(format!("removing {}: {err}", path.display()))),
        _ => Ok(()),
    }
}

/// Takes the broadcasts planned on the team's web page that no desk has taken yet (asked of
/// the server at each sync, so a desk that picks its room later still gets them).
async fn receive_plans(store: &Mutex<Store>, http: &reqwest::Client, token: &str, link: &mut TeamLink, report: &mut SyncReport) -> Result<(), TeamError> {
    let waiting = answer(http.get(format!("{}/api/v1/orgs/{}/plans", link.server, link.org_id)).bearer_auth(token).send().await).await?;
    let desk_id = lock(store).desk_id()?;
    for plan in waiting.as_array().into_iter().flatten() {
        let key = plan["key"].as_str().unwrap_or_default();
        let for_room = plan["body"]["room"]["id"].as_i64();
        if link.plans.contains_key(key) || (for_room.is_some() && for_room != link.room.as_ref().map(|room| room.id)) {
            continue;
        }
        // Claimed first: of two desks of the room syncing at once, one makes it.
        let mut url = reqwest::Url::parse(&format!("{}/api/v1/orgs/{}/plans", link.server, link.org_id)).map_err(|_| TeamError::InsecureUrl(link.server.clone()))?;
        url.path_segments_mut().map_err(|_| TeamError::InsecureUrl(link.server.clone()))?.push(key).push("claim");
        let claimed = http.post(url).bearer_auth(token).json(&json!({ "desk": desk_id })).send().await.map_err(|err| TeamError::Unreachable(err.to_string()))?;
        if claimed.status() == reqwest::StatusCode::CONFLICT || claimed.status() == reqwest::StatusCode::NOT_FOUND {
            continue; // another desk took it, or it was withdrawn meanwhile
        }
        answer(Ok(claimed)).await?;
        receive_plan(&mut lock(store), link, plan, report);
        save_link(&lock(store), link)?;
    }
    Ok(())
}

/// Makes a broadcast planned on the team's web page that this desk claimed: from its template with its line-up at the planned live
/// prices. A plan is taken once; later edits of it on the page do not reach a broadcast the
/// desk already made (the broadcast is the desk's from then on).
fn receive_plan(store: &mut Store, link: &mut TeamLink, waiting: &Value, report: &mut SyncReport) {
    let key = waiting["key"].as_str().unwrap_or_default().to_string();
    let plan = &waiting["body"];
    if plan.is_null() || link.plans.contains_key(&key) {
        return;
    }
    let draft = anchordesk_core::model::BroadcastDraft {
        title: plan["title"].as_str().unwrap_or_default().to_string(),
        planned_start: plan["start"].as_str().unwrap_or_default().to_string(),
        platform: "sandbox".into(),
        after_sales_contact: plan["afterSalesContact"].as_str().unwrap_or_default().to_string(),
        ..Default::default()
    };
    let made = draft.validated().map_err(|errors| errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; ")).and_then(|draft| {
        let template = plan["template"].as_str().filter(|name| !name.is_empty());
        let data_dir = data_dir(store);
        match template.map(|name| anchordesk_core::templates::find(&data_dir, name)) {
            Some(Ok(template)) => store.create_broadcast_from_template(&draft, &template).map_err(|err| err.to_string()),
            Some(Err(err)) => Err(err.to_string()),
            None => store.create_broadcast(&draft).map_err(|err| err.to_string()),
        }
    });
    let broadcast = match made {
        Ok(broadcast) => broadcast,
        Err(why) => {
            tracing::warn!("the team's planned broadcast {key} could not be made here: {why}");
            report.problems.push(format!("the broadcast planned on the team's page ({}) could not be made: {why}", plan["title"].as_str().unwrap_or_default()));
            link.plans.insert(key, 0);
            return;
        }
    };
    for item in plan["lineup"].as_array().into_iter().flatten() {
        let sku = item["sku"].as_str().unwrap_or_default();
        let added = store.product_by_sku(sku).map_err(|err| err.to_string()).and_then(|product| {
            let product = product.ok_or_else(|| "not in this desk's catalog".to_string())?;
            let line = store.add_lineup_item(broadcast.id, product.id).map_err(|err| err.to_string())?;
            let mut terms = line.terms.clone();
            if let Some(price) = item["livePriceFen"].as_i64() {
                terms.live_price = anchordesk_core::Fen(price);
            }
            store.update_lineup_terms(line.id, &terms).map_err(|err| err.to_string())
        });
        if let Err(why) = added {
            report.problems.push(format!("{sku} of the planned broadcast {}: {why}", broadcast.draft.title));
        }
    }
    link.plans.insert(key, broadcast.id.0);
    report.plans_received += 1;
}

/// Applies the team's changes from the cursor; the link is saved with every entry, so a
/// crash never leaves an applied change looking like the desk's own.
async fn receive(store: &Mutex<Store>, http: &reqwest::Client, token: &str, link: &mut TeamLink, report: &mut SyncReport) -> Result<(), TeamError> {
    loop {
        let page = answer(http.get(format!("{}/api/v1/orgs/{}/changes?after={}", link.server, link.org_id, link.cursor)).bearer_auth(token).send().await).await?;
        let entries = page["changes"].as_array().cloned().unwrap_or_default();
        if entries.is_empty() {
            return Ok(());
        }
        for entry in entries {
            let (sku, version) = (entry["key"].as_str().unwrap_or_default().to_string(), entry["version"].as_i64().unwrap_or_default());
            link.cursor = entry["seq"].as_i64().unwrap_or(link.cursor);
            if entry["entity"] == "rule-pack" {
                receive_rules(store, link, &entry, report);
                save_link(&lock(store), link)?;
                continue;
            }
            if entry["entity"] == "template" {
                receive_template(&lock(store), link, &entry, report);
                save_link(&lock(store), link)?;
                continue;
            }
            if entry["entity"] != "product" || link.versions.get(&sku).is_some_and(|seen| *seen >= version) {
                continue; // this desk's own write, or one it already has
            }
            let draft: Option<ProductDraft> = match &entry["body"] {
                Value::Null => None,
                body => match serde_json::from_value::<ProductDraft>(body.clone()) {
                    Ok(mut draft) => {
                        draft.sku = sku.clone();
                        Some(draft)
                    }
                    Err(err) => {
                        tracing::warn!("team product {sku} v{version} is not a product this desk can read ({err}); skipped");
                        report.skipped.push(sku);
                        continue;
                    }
                },
            };
            let mut store = lock(store);
            // One product the desk's catalog refuses (a SKU clash, a negative stock) must
            // not stop every later change: it is skipped and named.
            match store.apply_team_product(&sku, draft.as_ref()) {
                Ok(applied) => {
                    if let Some(at) = applied {
                        link.known.insert(sku.clone(), at);
                    }
                    link.versions.insert(sku, version);
                    report.received += 1;
                }
                Err(err) => {
                    tracing::warn!("team product {sku} v{version} refused by this desk's catalog: {err}");
                    report.skipped.push(sku);
                }
            }
            save_link(&store, link)?;
        }
    }
}

/// When the desk syncs with its team on its own: every `every`, the first run `first` after
/// the desk opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub first: std::time::Duration,
    pub every: std::time::Duration,
}

impl Schedule {
    /// Every `every`, the first run one `every` after the desk opens.
    pub fn every(every: std::time::Duration) -> Schedule {
        Schedule { first: every, every }
    }

    /// Every two minutes, the first run ten seconds after the desk opens (so it starts from
    /// the team's latest); `ANCHORDESK_TEAM_SYNC_SECONDS` sets both to its seconds (tests that
    /// press Sync themselves must know no run of the desk's own comes between).
    pub fn from_env() -> Schedule {
        let seconds = std::env::var("ANCHORDESK_TEAM_SYNC_SECONDS").ok().and_then(|s| s.trim().parse::<u64>().ok()).filter(|s| *s > 0);
        match seconds {
            Some(seconds) => Schedule::every(std::time::Duration::from_secs(seconds)),
            None => Schedule { first: std::time::Duration::from_secs(10), every: std::time::Duration::from_secs(120) },
        }
    }
}

/// Syncs with the team on `schedule` while the desk runs, when it is in one, until `stop`
/// says so; each run's time and failure are kept with the team link for Settings → Team.
/// A failure (the server unreachable, say) changes nothing on the desk: the next run, or a
/// sync on request, sends what is waiting. `on_received` hears how many team products a run
/// applied, when it applied any. `wake` starts a run at once (a broadcast went on air or
/// ended: the team's page shows it now rather than at the next run).
pub async fn run_background(
    store: std::sync::Arc<Mutex<Store>>,
    schedule: Schedule,
    mut stop: tokio::sync::watch::Receiver<bool>,
    wake: std::sync::Arc<tokio::sync::Notify>,
    on_received: impl Fn(u32) + Send + 'static,
) {
    let (mut wait, every) = (schedule.first, schedule.every);
    loop {
        tokio::select! {
            _ = stop.wait_for(|stop| *stop) => return,
            () = tokio::time::sleep(wait) => {}
            () = wake.notified() => {}
        }
        wait = every;
        let joined = link(&lock(&store)).ok().flatten();
        let Some(before) = joined else { continue };
        let outcome = sync(&store).await;
        match &outcome {
            Ok(report) if report.received > 0 => on_received(report.received),
            Ok(_) => {}
            Err(err) => tracing::warn!("background team sync failed: {err}"),
        }
        // Kept only if the desk is still in the same team (it may have left meanwhile).
        let guard = lock(&store);
        if let Ok(Some(mut now)) = link(&guard)
            && now.server == before.server
            && now.email == before.email
        {
            now.auto_synced_at_ms = Some(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64));
            now.auto_error = outcome.err().map(|err| err.to_string());
            if let Err(err) = save_link(&guard, &now) {
                tracing::warn!("the background sync's time was not kept: {err}");
            }
        }
    }
}

/// Who may pick, and publish into, a room they do not work in (the server checks too).
const ROOM_PLANNERS: &[&str] = &["owner", "operator", "teacher"];

/// This desk's team, its token and a client for it.
pub(crate) fn signed_in(store: &Mutex<Store>) -> Result<(TeamLink, String, reqwest::Client), TeamError> {
    let link = link(&lock(store))?.ok_or(TeamError::NotJoined)?;
    let token = crate::secrets::team_token(&link.server, &link.email)?.ok_or(TeamError::SignedOut)?;
    let http = client(link.ca_pem.as_deref())?;
    Ok((link, token, http))
}

fn read_rooms(answer: &Value, role: &str) -> Vec<Room> {
    answer
        .as_array()
        .into_iter()
        .flatten()
        .map(|room| {
            let mine = room["mine"] == true;
            Room {
                id: room["id"].as_i64().unwrap_or_default(),
                name: room["name"].as_str().unwrap_or_default().to_string(),
                kind: room["kind"].as_str().unwrap_or_default().to_string(),
                mine,
                pickable: mine || ROOM_PLANNERS.contains(&role),
                members: room["members"].as_array().into_iter().flatten().filter_map(|m| m["email"].as_str().map(str::to_string)).collect(),
            }
        })
        .collect()
}

/// The team's rooms and classes, asked of the server with a session already at hand.
async fn fetch_rooms(link: &TeamLink, token: &str, http: &reqwest::Client) -> Result<Vec<Room>, TeamError> {
    let answer = answer(http.get(format!("{}/api/v1/orgs/{}/rooms", link.server, link.org_id)).bearer_auth(token).send().await).await?;
    Ok(read_rooms(&answer, &link.role))
}

/// The team's rooms and classes, from the server.
pub async fn rooms(store: &Mutex<Store>) -> Result<Vec<Room>, TeamError> {
    let (link, token, http) = signed_in(store)?;
    fetch_rooms(&link, &token, &http).await
}

/// Picks the room or class this desk works for, by name (`None`: none). A member picks one
/// they work in; an owner, 运营 or teacher any. Its broadcasts go into it at the next sync.
pub async fn pick_room(store: &Mutex<Store>, name: Option<&str>) -> Result<TeamLink, TeamError> {
    let room = match name.map(str::trim).filter(|n| !n.is_empty()) {
        None => None,
        Some(name) => {
            let (link, token, http) = signed_in(store)?;
            let room = fetch_rooms(&link, &token, &http).await?.into_iter().find(|room| room.name == name).ok_or_else(|| TeamError::NoSuchRoom(name.to_string()))?;
            if !room.pickable {
                return Err(TeamError::NotInRoom(room.name));
            }
            Some(RoomRef { id: room.id, name: room.name, kind: room.kind })
        }
    };
    // Not while a sync is under way: it would save the link it started with over this one.
    let _no_sync = SYNCING.lock().await;
    let _no_sync_elsewhere = SyncFileLock::acquire(&sync_lock_path(store)).await?;
    let store = lock(store);
    let mut link = link(&store)?.ok_or(TeamError::NotJoined)?;
    link.room = room;
    save_link(&store, &link)?;
    Ok(link)
}

/// Opens a live room (`class == false`) or a class on the team server.
pub async fn add_room(store: &Mutex<Store>, name: &str, class: bool) -> Result<Room, TeamError> {
    let (link, token, http) = signed_in(store)?;
    let body = json!({ "name": name.trim(), "kind": if class { "class" } else { "room" } });
    let answer = answer(http.post(format!("{}/api/v1/orgs/{}/rooms", link.server, link.org_id)).bearer_auth(token).json(&body).send().await).await?;
    Ok(read_rooms(&Value::Array(vec![answer]), &link.role).remove(0))
}

/// Puts the member with `email` in the room or class `room` (`join`), or takes them out.
pub async fn room_member(store: &Mutex<Store>, room: &str, email: &str, join: bool) -> Result<(), TeamError> {
    let (link, token, http) = signed_in(store)?;
    let room = fetch_rooms(&link, &token, &http).await?.into_iter().find(|r| r.name == room.trim()).ok_or_else(|| TeamError::NoSuchRoom(room.to_string()))?;
    let members = answer(http.get(format!("{}/api/v1/orgs/{}/members", link.server, link.org_id)).bearer_auth(&token).send().await).await?;
    let email = email.trim().to_lowercase();
    let member = members
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["email"] == email.as_str())
        .and_then(|m| m["id"].as_i64())
        .ok_or_else(|| TeamError::Refused(format!("{email} is not a member of the team")))?;
    let url = format!("{}/api/v1/orgs/{}/rooms/{}/members/{member}", link.server, link.org_id, room.id);
    let request = if join { http.put(url) } else { http.delete(url) };
    let response = request.bearer_auth(token).send().await.map_err(|err| TeamError::Unreachable(err.to_string()))?;
    if response.status() == reqwest::StatusCode::NO_CONTENT {
        return Ok(());
    }
    answer(Ok(response)).await.map(|_| ())
}
