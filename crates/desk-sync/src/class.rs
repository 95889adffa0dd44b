//! A desk in a class: the class's practice shop on the team server becomes the desk's
//! platform (so the server observes every rehearsal), the teacher's scenario comes down to
//! the desk, graded rehearsals are handed in at each sync, and the teacher sets the course
//! and reads the class's grades, which the server computes from what its shop observed.

use crate::team::{TeamError, TeamLink, answer, lock, save_link, signed_in};
use anchordesk_core::Store;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Digest as _;
use std::path::Path;
use std::sync::Mutex;

/// The class's practice shop, as the desk now uses it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PracticeShop {
    /// The class.
    pub class: String,
    /// The platform's address (on the team server).
    pub url: String,
    pub client_id: String,
    /// The scenario the class rehearses, when the teacher has set one.
    pub scenario_id: Option<String>,
    pub scenario_title: Option<String>,
    /// Where the teacher's own scenario was saved on this desk.
    pub scenario_file: Option<String>,
}

/// The class's course as the server keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ClassCourse {
    pub scenario_id: String,
    pub scenario_title: String,
    pub scenario_title_en: String,
    pub scenario_version: u32,
    pub rubric_id: String,
    /// The teacher's own scenario (its TOML travels to the students' desks), not a shipped one.
    #[serde(default)]
    pub own_scenario: bool,
}

/// Where a fact the desk handed in differs from what the class's practice shop observed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Disagreement {
    /// The fact (`events.late-delivery.responses`).
    pub fact: String,
    pub submitted: String,
    pub observed: String,
}

/// One student's latest attempt, graded by the server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ClassGrade {
    pub email: String,
    pub student_id: Option<String>,
    pub student_name: Option<String>,
    /// `None` when the server could not grade it (`problem` says why).
    pub total: Option<f64>,
    pub problem: Option<String>,
    /// Attempts handed in so far.
    pub attempts: u32,
    /// UTC, `YYYY-MM-DD HH:MM`.
    pub submitted_at: String,
    pub broadcast_id: String,
    pub disagreements: Vec<Disagreement>,
}

/// The class's grades: everyone's latest attempt for a teacher, one's own for a student.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ClassGrades {
    pub course: Option<ClassCourse>,
    pub attempts: Vec<ClassGrade>,
}

fn read<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, TeamError> {
    serde_json::from_value(value).map_err(|err| TeamError::Refused(format!("the server's answer does not read: {err}")))
}

fn class_of(link: &TeamLink) -> Result<(i64, String), TeamError> {
    match &link.room {
        Some(room) if room.kind == "class" => Ok((room.id, room.name.clone())),
        _ => Err(TeamError::Refused("this desk works for no class: pick yours first (anchordesk team room NAME, or Settings → Team)".into())),
    }
}

fn room_url(link: &TeamLink, room: i64, what: &str) -> String {
    format!("{}/api/v1/orgs/{}/rooms/{room}/{what}", link.server, link.org_id)
}

/// The class's course (scenario and rubric), `None` before the teacher sets one.
async fn course(link: &TeamLink, token: &str, http: &reqwest::Client, room: i64) -> Result<Option<Value>, TeamError> {
    let response = http.get(room_url(link, room, "course")).bearer_auth(token).send().await;
    match answer(response).await {
        Ok(course) => Ok(Some(course)),
        Err(TeamError::NotFound) => Ok(None),
        Err(err) => Err(err),
    }
}

/// Sets the desk's platform to the class's practice shop on the team server: the shop's
/// client secret goes to the OS keyring, the address to the store, and the teacher's own
/// scenario (when the class has one) into `<data dir>/scenarios/`. The platform link must be
/// restarted to use it (the window does; the command line starts one per run).
pub async fn use_practice_shop(store: &Mutex<Store>, data_dir: &Path) -> Result<PracticeShop, TeamError> {
    let (link, token, http) = signed_in(store)?;
    let (room, class) = class_of(&link)?;
    let shop = answer(http.post(room_url(&link, room, "shop")).bearer_auth(&token).send().await).await?;
    let (path, client_id, secret) = match (shop["path"].as_str(), shop["clientId"].as_str(), shop["clientSecret"].as_str()) {
        (Some(path), Some(id), Some(secret)) => (path.to_owned(), id.to_owned(), secret.to_owned()),
        _ => return Err(TeamError::Refused("the server's answer has no practice shop in it".into())),
    };
    let course = course(&link, &token, &http, room).await?;
    let mut scenario_file = None;
    if let Some(course) = &course
        && let (Some(id), Some(source)) = (course["scenarioId"].as_str(), course["scenario"].as_str())
    {
        // A file name from the server's words: only the scenario id's safe characters.
        let name: String = id.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_')).collect();
        let file = data_dir.join("scenarios").join(format!("{}.toml", if name.is_empty() { "class" } else { &name }));
        std::fs::create_dir_all(data_dir.join("scenarios")).and_then(|()| anchordesk_core::paths::write_atomic(&file, source.as_bytes())).map_err(|err| TeamError::Refused(format!("saving the class's scenario to {}: {err}", file.display())))?;
        scenario_file = Some(file.display().to_string());
    }
    let url = format!("{}{path}", link.server);
    // The shop is served by the team server: trust its own certificate when the team does.
    let settings = crate::PlatformSettings { base_url: url.clone(), client_id: client_id.clone(), practice: true, ca_pem: link.ca_pem.clone() };
    crate::switch_platform_to(&mut lock(store), Some(settings), Some(&secret)).map_err(|err| match err {
        crate::SwitchError::Secret(err) => TeamError::Secret(err),
        crate::SwitchError::Store(err) => TeamError::Store(err),
    })?;
    Ok(PracticeShop {
        class,
        url,
        client_id,
        scenario_id: course.as_ref().and_then(|c| c["scenarioId"].as_str().map(str::to_owned)),
        scenario_title: course.as_ref().and_then(|c| c["scenarioTitle"].as_str().map(str::to_owned)),
        scenario_file,
    })
}

/// The teacher sets the class's course: a shipped scenario by id or their own TOML, and the
/// rubric (TOML; the default when `None`). Returns the course as the server keeps it.
pub async fn set_course(store: &Mutex<Store>, scenario_id: Option<&str>, scenario: Option<&str>, rubric: Option<&str>) -> Result<ClassCourse, TeamError> {
    let (link, token, http) = signed_in(store)?;
    let (room, _) = class_of(&link)?;
    let body = json!({ "scenarioId": scenario_id, "scenario": scenario, "rubric": rubric });
    read(answer(http.put(room_url(&link, room, "course")).bearer_auth(&token).json(&body).send().await).await?)
}

/// The class's course, `None` before the teacher sets one.
pub async fn get_course(store: &Mutex<Store>) -> Result<Option<ClassCourse>, TeamError> {
    let (link, token, http) = signed_in(store)?;
    let (room, _) = class_of(&link)?;
    course(&link, &token, &http, room).await?.map(read).transpose()
}

/// The class's grades as the server computes them from what its practice shop observed.
pub async fn grades(store: &Mutex<Store>) -> Result<ClassGrades, TeamError> {
    let (link, token, http) = signed_in(store)?;
    let (room, _) = class_of(&link)?;
    read(answer(http.get(room_url(&link, room, "attempts")).bearer_auth(&token).send().await).await?)
}

/// What handing in did at a sync.
#[derive(Debug, Default)]
pub(crate) struct HandedIn {
    pub handed_in: u32,
    pub marked: u32,
    pub problems: Vec<String>,
}

/// Hands in this desk's graded rehearsals that went through the class's practice shop and
/// changed since they were handed in (each attempt's facts by digest).
pub(crate) async fn hand_in(store: &Mutex<Store>, http: &reqwest::Client, token: &str, link: &mut TeamLink) -> Result<HandedIn, TeamError> {
    let mut done = HandedIn::default();
    let Ok((room, _)) = class_of(link) else { return Ok(done) };
    let on_shop = crate::platform_settings(&lock(store))?.is_some_and(|p| p.practice && p.base_url.starts_with(&format!("{}/classes/{room}/", link.server)));
    if !on_shop {
        return Ok(done);
    }
    let ready: Vec<(String, String, Value)> = {
        let store = lock(store);
        let mut ready = Vec::new();
        for attempt in store.course_attempts(None)? {
            let Some(facts) = attempt.facts else { continue };
            let sessions = store.sessions(attempt.broadcast_id)?;
            let Some(session) = sessions.last() else { continue };
            if session.status == anchordesk_core::live::SessionStatus::Live || session.platform_silent {
                continue;
            }
            let digest = hex::encode(sha2::Sha256::digest(facts.to_string().as_bytes()));
            if link.handed_in.get(&attempt.broadcast_id.0.to_string()) == Some(&digest) {
                continue;
            }
            ready.push((attempt.broadcast_id.0.to_string(), digest, json!({ "broadcastId": anchordesk_core::store::platform_broadcast_id(attempt.broadcast_id), "facts": facts })));
        }
        ready
    };
    for (id, digest, body) in ready {
        let response = http.post(room_url(link, room, "attempts")).bearer_auth(token).json(&body).send().await.map_err(|err| TeamError::Unreachable(err.to_string()))?;
        let status = response.status();
        if status == reqwest::StatusCode::CONFLICT {
            // Not yet (the shop has not seen the end, the teacher has not set the scenario):
            // the same facts go again at the next sync.
            let why: Value = response.json().await.unwrap_or(Value::Null);
            done.problems.push(format!("rehearsal {id} is not handed in yet: {}", why["message"].as_str().unwrap_or("the server says not yet")));
            continue;
        }
        if status == reqwest::StatusCode::UNPROCESSABLE_ENTITY {
            // Refused for what it is (not of the class's scenario, not from its shop): said
            // once, not at every sync, until its facts change.
            let why: Value = response.json().await.unwrap_or(Value::Null);
            done.problems.push(format!("rehearsal {id} was not handed in: {}", why["message"].as_str().unwrap_or("refused")));
        } else {
            let graded = answer(Ok(response)).await?;
            done.handed_in += 1;
            done.marked += graded["disagreements"].as_array().map_or(0, |d| d.len() as u32);
        }
        link.handed_in.insert(id, digest);
        save_link(&lock(store), link)?;
    }
    Ok(done)
}
