//! A teacher's scenario folder on top of the shipped scenarios.

use anchordesk_course::{EMBEDDED, embedded_scenarios, scenarios_with_folder};

#[test]
fn a_teachers_scenario_replaces_the_shipped_one_with_its_id_and_bad_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let shipped = embedded_scenarios();
    let (file, source) = EMBEDDED.iter().find(|(file, _)| file.contains("orange")).unwrap();
    let edited = source.replace("target_minutes = 10", "target_minutes = 7");
    assert_ne!(&edited, source, "the shipped orange scenario runs 10 minutes");
    std::fs::write(dir.path().join(file), edited).unwrap();
    std::fs::write(dir.path().join("broken.toml"), "id = \"x\"\nversion = \"one\"\n").unwrap();

    let (scenarios, problems) = scenarios_with_folder(dir.path());
    assert_eq!(scenarios.len(), shipped.len(), "replaced, not added");
    let orange = scenarios.iter().find(|s| s.id == "orange-organic").unwrap();
    assert_eq!(orange.target_minutes, 7);
    assert_eq!(problems.len(), 1);
    assert!(problems[0].to_string().contains("broken.toml"), "{}", problems[0]);

    let (none, no_problems) = scenarios_with_folder(&dir.path().join("absent"));
    assert_eq!((none.len(), no_problems.len()), (shipped.len(), 0));
}
