//! Escaping text for the HTML pages the app writes (reports, printable scripts): the one
//! escape of `anchordesk-text`.

pub use anchordesk_text::escape_html as escape;
