//! loom models of goro's protocols live in `tests/`, one file per protocol, each
//! `#![cfg(loom)]`. Run them with `cargo xtask loom [FILTER] [--ci]`.
