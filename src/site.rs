//! Site profile (placeholder).
