//! Portico's HTTP adapter (work in progress).
