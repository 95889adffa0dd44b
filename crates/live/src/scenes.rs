//! The desk's scenes: the four layouts to start from (built in, not editable) and the
//! scenes a team saved, kept in the store as the capture crate's JSON.

use anchordesk_capture::{LayerSource, Layout, Scene};
use anchordesk_core::validate::{FieldError, FieldErrorCode};
use anchordesk_core::{Broadcast, BroadcastDraft, BroadcastId, Store, StoreError};
use serde::{Deserialize, Serialize};

/// A scene of the library.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SceneEntry {
    /// Built-in layouts cannot be changed or deleted; save a copy under another name.
    pub builtin: bool,
    pub scene: Scene,
}

/// The built-in layouts, the close-up filled with the test pattern until a team's own
/// scene names a picture or a second camera.
pub fn builtins() -> Vec<Scene> {
    Layout::ALL.into_iter().map(|layout| layout.scene(layout.default_canvas(), LayerSource::Test)).collect()
}

/// The built-in layouts, then the saved scenes by name (one that no longer reads is left
/// out with a warning).
pub fn library(store: &Store) -> Result<Vec<SceneEntry>, StoreError> {
    let mut entries: Vec<SceneEntry> = builtins().into_iter().map(|scene| SceneEntry { builtin: true, scene }).collect();
    for stored in store.scenes()? {
        match serde_json::from_str::<Scene>(&stored.body) {
            Ok(scene) => entries.push(SceneEntry { builtin: false, scene: Scene { name: stored.name, ..scene } }),
            Err(err) => tracing::warn!(name = %stored.name, %err, "a stored scene does not read; left out"),
        }
    }
    Ok(entries)
}

/// The scene called `name`.
pub fn find(store: &Store, name: &str) -> Result<Scene, StoreError> {
    library(store)?
        .into_iter()
        .find(|entry| entry.scene.name == name)
        .map(|entry| entry.scene)
        .ok_or(StoreError::NotFound { entity: "scene", id: 0 })
}

/// Sets the desk's 第二画面: `scene` (saved or built-in) composed beside the broadcast's
/// picture for the pushes set to it, `None` for none; `platform`: the platform's ingest
/// takes it. Refused: a scene that is not in the library. Returns the settings saved.
pub fn set_second_picture(store: &mut Store, scene: Option<&str>, platform: bool) -> Result<anchordesk_core::devices::CaptureSettings, StoreError> {
    let scene = scene.map(str::trim).filter(|s| !s.is_empty());
    if let Some(name) = scene {
        find(store, name).map_err(|_| StoreError::Invalid(vec![FieldError::new("secondScene", FieldErrorCode::Missing, name)]))?;
    }
    let settings = anchordesk_core::devices::CaptureSettings {
        second_scene: scene.map(str::to_owned),
        platform_on_second: platform && scene.is_some(),
        ..store.capture_settings()?
    };
    store.save_capture_settings(&settings)
}

/// Saves a team's scene (a new one, or a new version of one saved before); returns the
/// library. Refused: no name, a built-in's name, or a scene the pipeline could not run.
pub fn save(store: &mut Store, mut scene: Scene) -> Result<Vec<SceneEntry>, StoreError> {
    scene.name = scene.name.trim().to_owned();
    let refuse = |field: &str, code, value: &str| Err(StoreError::Invalid(vec![FieldError::new(field, code, value)]));
    if scene.name.is_empty() {
        return refuse("name", FieldErrorCode::Required, "");
    }
    if scene.name.chars().count() > 40 {
        return refuse("name", FieldErrorCode::TooLong, &scene.name);
    }
    if builtins().iter().any(|b| b.name == scene.name) {
        return refuse("name", FieldErrorCode::Taken, &scene.name);
    }
    if let Err(err) = scene.validate() {
        return refuse("layers", FieldErrorCode::UnknownValue, &err.to_string());
    }
    let body = serde_json::to_string(&scene).map_err(|err| StoreError::Corrupt(err.to_string()))?;
    store.save_scene(&scene.name, &body)?;
    library(store)
}

/// Sets the scene a broadcast goes on air with (`None`: the camera fills the picture); the
/// scene must be in the library. Its canvas is fixed from go-live on: a broadcast on air
/// keeps its picture, so the change applies to its next session.
pub fn plan_for(store: &mut Store, broadcast: BroadcastId, name: Option<&str>) -> Result<Broadcast, StoreError> {
    let name = name.map(str::trim).filter(|n| !n.is_empty());
    if let Some(name) = name {
        find(store, name).map_err(|err| match err {
            StoreError::NotFound { .. } => StoreError::Invalid(vec![FieldError::new("scene", FieldErrorCode::UnknownValue, name)]),
            other => other,
        })?;
    }
    let current = store.broadcast(broadcast)?;
    let draft = BroadcastDraft { scene: name.unwrap_or_default().to_owned(), ..current.draft };
    store.update_broadcast(broadcast, &draft)
}

/// Deletes a team's scene; returns it, so the window can offer undo.
pub fn delete(store: &mut Store, name: &str) -> Result<Scene, StoreError> {
    if builtins().iter().any(|b| b.name == name) {
        return Err(StoreError::Invalid(vec![FieldError::new("name", FieldErrorCode::Taken, name)]));
    }
    if store.capture_settings()?.second_scene.as_deref() == Some(name) {
        return Err(StoreError::Conflict(anchordesk_core::Conflict::SceneIsSecondPicture { scene: name.to_owned() }));
    }
    let stored = store.delete_scene(name)?;
    serde_json::from_str(&stored.body).map_err(|err| StoreError::Corrupt(err.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_library_keeps_builtins_first_and_refuses_what_would_not_run() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("db.sqlite3")).unwrap();
        let names = |entries: &[SceneEntry]| entries.iter().map(|e| e.scene.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&library(&store).unwrap()), vec!["单机位", "人+商品特写", "左右分屏", "竖屏全身"]);
        let mut mine = Layout::PictureInPicture.scene((1080, 1920), LayerSource::Color { color: "#FF8800".into() });
        mine.name = " 竖屏特写 ".into();
        let after = save(&mut store, mine.clone()).unwrap();
        assert_eq!(after.last().unwrap().scene.name, "竖屏特写");
        assert!(!after.last().unwrap().builtin);
        assert_eq!(find(&store, "竖屏特写").unwrap().height, 1920);

        let code = |r: Result<Vec<SceneEntry>, StoreError>| match r {
            Err(StoreError::Invalid(fields)) => (fields[0].field.clone(), fields[0].code),
            other => panic!("{other:?}"),
        };
        mine.name = "单机位".into();
        assert_eq!(code(save(&mut store, mine.clone())), ("name".into(), FieldErrorCode::Taken));
        mine.name = "  ".into();
        assert_eq!(code(save(&mut store, mine.clone())), ("name".into(), FieldErrorCode::Required));
        mine.name = "坏的".into();
        mine.layers[1].rect.w = 2.0;
        assert_eq!(code(save(&mut store, mine)), ("layers".into(), FieldErrorCode::UnknownValue));

        let gone = delete(&mut store, "竖屏特写").unwrap();
        assert_eq!(gone.name, "竖屏特写");
        assert!(matches!(find(&store, "竖屏特写"), Err(StoreError::NotFound { .. })));
        assert!(delete(&mut store, "单机位").is_err(), "a built-in stays");
    }

    #[test]
    fn a_broadcast_keeps_the_scene_its_template_names_and_takes_only_scenes_of_the_library() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("db.sqlite3")).unwrap();
        let library_names: Vec<String> = builtins().into_iter().map(|s| s.name).collect();
        for template in anchordesk_core::templates::built_in() {
            if let Some(scene) = &template.scene {
                assert!(library_names.contains(scene), "template {} names {scene:?}, not a built-in layout", template.name);
            }
        }
        let draft = BroadcastDraft { title: "十点档".into(), planned_start: "2026-12-08T22:00".into(), platform: "sandbox".into(), ..Default::default() };
        let mcn = anchordesk_core::templates::by_name("mcn").unwrap();
        let made = store.create_broadcast_from_template(&draft, &mcn).unwrap();
        assert_eq!(made.draft.scene, "竖屏全身");
        let farmer = anchordesk_core::templates::by_name("farmer").unwrap();
        let own = BroadcastDraft { scene: "左右分屏".into(), ..draft.clone() };
        assert_eq!(store.create_broadcast_from_template(&own, &farmer).unwrap().draft.scene, "左右分屏", "the draft's own scene wins");

        let changed = plan_for(&mut store, made.id, Some(" 人+商品特写 ")).unwrap();
        assert_eq!(changed.draft.scene, "人+商品特写");
        assert_eq!(changed.draft.title, "十点档", "the rest of the broadcast is kept");
        match plan_for(&mut store, made.id, Some("不存在")) {
            Err(StoreError::Invalid(fields)) => assert_eq!((fields[0].field.as_str(), fields[0].code), ("scene", FieldErrorCode::UnknownValue)),
            other => panic!("{other:?}"),
        }
        assert_eq!(store.broadcast(made.id).unwrap().draft.scene, "人+商品特写", "a refused change leaves it");
        assert_eq!(plan_for(&mut store, made.id, None).unwrap().draft.scene, "");
    }
}
