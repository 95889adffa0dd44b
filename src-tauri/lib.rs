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
mod team;

pub use state::AppState;

include!("command_names.rs");

/// Every command and type the UI sees, listed once. `tests/bindings.rs` writes
/// `ui/src/lib/bindings.ts` from it and fails when the committed file is stale.
pub fn specta_builder() -> tauri_specta::Builder<tauri::Wry> {
    macro_rules! register {
        ($($module:ident: [$($name:ident),* $(,)?]),* $(,)?) => {
            tauri_specta::collect_commands![$($($module::$name),*),*]
        };
    }
    tauri_specta::Builder::<tauri::Wry>::new()
        .commands(app_commands!(register))
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
    let started = std::time::Instant::now();
    // Without a GPU, WebKit composites on software GL for nothing but memory: off then.
    if anchordesk_capture::software_rendering_only() && std::env::var_os("WEBKIT_DISABLE_COMPOSITING_MODE").is_none() {
        unsafe { std::env::set_var("WEBKIT_DISABLE_COMPOSITING_MODE", "1") }; // SAFETY: no other thread yet
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,tao=warn,wry=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();

    let data_dir_flag = anchordesk_core::paths::data_dir_flag(std::env::args());
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
            live::start(app.handle());
            Ok(())
        })
        .on_page_load({
            // The practice platform, its sync worker and the linter start after the first paint.
            let once = std::sync::Once::new();
            move |webview, payload| {
                use tauri::Manager;
                if webview.label() == "main" && payload.event() == tauri::webview::PageLoadEvent::Finished {
                    tracing::debug!("startup: page loaded {} ms after main", started.elapsed().as_millis());
                    once.call_once(|| {
                        sync::start(webview.app_handle());
                        let app = webview.app_handle().clone();
                        std::thread::spawn(move || app.state::<AppState>().linter());
                    });
                }
            }
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

#[cfg(test)]
mod tests {
    #[test]
    fn the_permission_set_lists_exactly_the_commands() {
        let toml = include_str!("permissions/app-commands.toml");
        for name in super::APP_COMMANDS {
            let permission = format!("\"allow-{}\"", name.replace('_', "-"));
            assert!(toml.contains(&permission), "permissions/app-commands.toml lacks {permission}");
        }
        assert_eq!(toml.matches("\"allow-").count(), super::APP_COMMANDS.len() + 1, "one permission per command, plus the set's own name");
    }
}
