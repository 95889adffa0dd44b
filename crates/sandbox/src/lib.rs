//! The AnchorDesk platform sandbox (work in progress).
