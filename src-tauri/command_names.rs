// The app's own IPC commands, listed once, by module. build.rs turns each into an
// `allow-…` permission (the window may call nothing else); lib.rs registers the same list
// with specta, which writes the window's typed bindings.
macro_rules! app_commands {
    ($then:ident) => {
        $then! {
            commands: [app_info, set_locale, finish_first_run, list_products, validate_product,
                save_product, delete_products, restore_products, remove_sample_catalog, list_broadcasts,
                save_broadcast, delete_broadcast, restore_broadcast, get_lineup, add_lineup_item,
                update_lineup_terms, remove_lineup_item, restore_lineup_item, reorder_lineup, list_anchors,
                save_anchor, list_scenes, save_scene, delete_scene, plan_broadcast_scene, set_second_picture],
            plan_commands: [list_templates, duplicate_broadcast, run_of_show, add_segment, update_segment,
                remove_segment, restore_segment, reorder_segments, checklist_state, set_checklist_done,
                override_go_live, clear_go_live_override, export_script, import_script],
            prompter: [open_prompter, prompter_state, prompter_move],
            claims_commands: [lint_text, compliance_report, acknowledge_finding, withdraw_acknowledgement,
                rules_overview, save_team_rules],
            live: [go_live, live_product, live_marker, live_status, stop_live, close_interrupted,
                resume_interrupted, send_reply, live_take_off, live_overlay, live_caption, live_scene,
                live_reconnect_push, live_sound],
            archive_commands: [broadcast_report, export_report, list_archive, export_archive, preflight],
            devices: [list_devices, save_capture_settings, start_device_preview, stop_device_preview,
                test_recording, watch_preview, watch_second_preview],
            sync: [sync_status, platform_settings, test_platform_connection, save_platform_settings,
                push_destinations, save_push_destination, delete_push_destination],
            room: [room_events, quick_replies, save_quick_replies],
            team: [team_status, join_team, sync_team, leave_team, team_rooms, pick_team_room, use_practice_shop,
                class_course, set_class_course, class_grades, share_team_template],
            course: [course_scenarios, course_student, save_course_student, start_rehearsal,
                course_attempt, grade_attempt, export_attempt, course_history, grade_class, course_key_fingerprint],
        }
    };
}

/// The command names of [`app_commands`], for permissions and tests.
macro_rules! command_names {
    ($($module:ident: [$($name:ident),* $(,)?]),* $(,)?) => {
        &[$($(stringify!($name)),*),*]
    };
}

#[allow(dead_code)] // Read by build.rs and by the tests of lib.rs.
const APP_COMMANDS: &[&str] = app_commands!(command_names);
