//! Office 365 endpoint sets (placeholder).
