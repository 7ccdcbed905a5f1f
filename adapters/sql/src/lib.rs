//! Portico's sql store (work in progress).
