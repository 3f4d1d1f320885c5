//! The printed report (placeholder).
