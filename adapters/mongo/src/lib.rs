//! Portico's mongo store (work in progress).
