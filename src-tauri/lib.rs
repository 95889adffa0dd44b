//! The desktop shell: window, IPC commands and plugins. No business logic lives here: each
//! command unpacks its arguments, calls `anchordesk_core` on the store's thread and maps
//! the error. See ARCHITECTURE.md.

mod archive_commands;
mod claims_commands;
mod commands;
mod course;
mod devices;
mod live;
mod plan_commands;
mod prompter;
mod room;
mod state;
mod sync;

pub use state::AppState;

include!("command_names.rs");

/// Every command and type the UI sees, listed once. `tests/bindings.rs` writes
/// `ui/src/lib/bindings.ts` from it and fails when the committed file is stale.
pub fn specta_builder() -> tauri_specta::Builder<tauri::Wry> {
    use commands::*;
    tauri_specta::Builder::<tauri::Wry>::new()
        .commands(tauri_specta::collect_commands![
            app_info,
            set_locale,
            finish_first_run,
            list_products,
            validate_product,
            save_product,
            delete_products,
            restore_products,
            remove_sample_catalog,
            list_broadcasts,
            save_broadcast,
            delete_broadcast,
            restore_broadcast,
            get_lineup,
            add_lineup_item,
            update_lineup_terms,
            remove_lineup_item,
            restore_lineup_item,
            reorder_lineup,
            list_anchors,
            save_anchor,
            plan_commands::list_templates,
            plan_commands::duplicate_broadcast,
            plan_commands::run_of_show,
            plan_commands::add_segment,
            plan_commands::update_segment,
            plan_commands::remove_segment,
            plan_commands::restore_segment,
            plan_commands::reorder_segments,
            plan_commands::checklist_state,
            plan_commands::set_checklist_done,
            plan_commands::override_go_live,
            plan_commands::clear_go_live_override,
            plan_commands::export_script,
            plan_commands::import_script,
            prompter::open_prompter,
            prompter::prompter_state,
            prompter::prompter_move,
            claims_commands::lint_text,
            claims_commands::compliance_report,
            claims_commands::acknowledge_finding,
            claims_commands::withdraw_acknowledgement,
            claims_commands::rules_overview,
            claims_commands::save_team_rules,
            live::go_live,
            live::live_product,
            live::live_marker,
            live::live_status,
            live::stop_live,
            archive_commands::broadcast_report,
            archive_commands::export_report,
            archive_commands::list_archive,
            live::close_interrupted,
            devices::list_devices,
            devices::save_capture_settings,
            devices::start_device_preview,
            devices::stop_device_preview,
            devices::test_recording,
            devices::watch_preview,
            sync::sync_status,
            room::room_events,
            sync::platform_settings,
            sync::test_platform_connection,
            sync::save_platform_settings,
            archive_commands::export_archive,
            live::resume_interrupted,
            live::send_reply,
            room::quick_replies,
            room::save_quick_replies,
            archive_commands::preflight,
            live::live_take_off,
            live::live_overlay,
            live::live_caption,
            course::course_scenarios,
            course::course_student,
            course::save_course_student,
            course::start_rehearsal,
            course::course_attempt,
            course::grade_attempt,
            course::export_attempt,
            course::course_history,
            course::grade_class,
        ])
        .events(tauri_specta::collect_events![prompter::PrompterMoved, live::LiveStats, live::LiveChanged, devices::DeviceLevel, sync::SyncChanged, live::RoomAppended, live::PromptsDue])
        .error_handling(tauri_specta::ErrorHandlingMode::Result)
}

/// The TypeScript exporter settings used for `ui/src/lib/bindings.ts`.
pub fn typescript_exporter() -> specta_typescript::Typescript {
    specta_typescript::Typescript::default().header("// Generated from the Rust types by src-tauri/tests/bindings.rs. Do not edit.\n")
}

/// Starts the app. The data directory comes from `--data-dir DIR`, else
/// `ANCHORDESK_DATA_DIR`, else the OS app-data directory.
pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,tao=warn,wry=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();

    let data_dir_flag = data_dir_flag(std::env::args());
    let state = AppState::open(data_dir_flag.as_deref());
    let builder = specta_builder();

    tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
            // A second launch focuses the window that is already open instead of starting twice.
            use tauri::Manager;
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.show();
                let _ = window.set_focus();
            }
        }))
        .plugin(tauri_plugin_global_shortcut::Builder::new().build())
        .manage(state)
        .invoke_handler(builder.invoke_handler())
        .setup(move |app| {
            builder.mount_events(app);
            prompter::register_shortcuts(app.handle());
            sync::start(app.handle());
            live::start(app.handle());
            Ok(())
        })
        .build(tauri::generate_context!())
        .expect("the Tauri runtime failed to start (is there a display? try xvfb-run)")
        .run(|app, event| {
            // Closing the window while live still finalises the recording.
            if let tauri::RunEvent::Exit = event {
                live::stop_on_exit(app);
                sync::stop(app);
            }
        });
}

fn data_dir_flag(args: impl Iterator<Item = String>) -> Option<std::path::PathBuf> {
    let mut args = args.skip(1);
    while let Some(arg) = args.next() {
        if arg == "--data-dir" {
            return args.next().map(Into::into);
        }
        if let Some(dir) = arg.strip_prefix("--data-dir=") {
            return Some(dir.into());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_registered_command_has_a_permission_and_back() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("bindings.ts");
        super::specta_builder().export(super::typescript_exporter(), &path).expect("bindings export");
        let exported = std::fs::read_to_string(&path).expect("exported bindings");
        for name in super::APP_COMMANDS {
            assert!(
                exported.contains(&format!("__TAURI_INVOKE(\"{name}\"")) || exported.contains(&format!(">(\"{name}\"")),
                "command {name} is listed in command_names.rs but not registered in specta_builder()"
            );
        }
        // One invoke per registered command, plus the import line.
        let n_registered = exported.matches("__TAURI_INVOKE").count() - 1;
        assert_eq!(n_registered, super::APP_COMMANDS.len(), "command_names.rs and specta_builder() disagree");
    }

    #[test]
    fn the_permission_set_lists_exactly_the_commands() {
        let toml = include_str!("permissions/app-commands.toml");
        for name in super::APP_COMMANDS {
            let permission = format!("\"allow-{}\"", name.replace('_', "-"));
            assert!(toml.contains(&permission), "permissions/app-commands.toml lacks {permission}");
        }
        assert_eq!(toml.matches("\"allow-").count(), super::APP_COMMANDS.len() + 1, "one permission per command, plus the set's own name");
    }

    #[test]
    fn data_dir_flag_is_read_in_both_spellings() {
        let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>().into_iter();
        assert_eq!(super::data_dir_flag(args(&["app", "--data-dir", "/x"])), Some("/x".into()));
        assert_eq!(super::data_dir_flag(args(&["app", "--data-dir=/y"])), Some("/y".into()));
        assert_eq!(super::data_dir_flag(args(&["app"])), None);
    }
}
