//! Application protocol recognition (placeholder, filled by the proto work).
