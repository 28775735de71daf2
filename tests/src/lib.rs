//! Cross-crate behaviour tests live in `tests/`, one file per Go test file they port.
