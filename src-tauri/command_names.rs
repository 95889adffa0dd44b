// The app's own IPC commands, listed once. build.rs turns each into an `allow-…` permission
// and lib.rs checks (in a test) that this list matches the commands registered with specta.
const APP_COMMANDS: &[&str] = &[
    "app_info",
    "set_locale",
    "list_products",
    "validate_product",
    "save_product",
    "delete_products",
    "restore_products",
    "remove_sample_catalog",
    "list_broadcasts",
    "save_broadcast",
    "delete_broadcast",
    "restore_broadcast",
    "get_lineup",
    "add_lineup_item",
    "update_lineup_terms",
    "remove_lineup_item",
    "restore_lineup_item",
    "reorder_lineup",
    "list_anchors",
    "save_anchor",
];
