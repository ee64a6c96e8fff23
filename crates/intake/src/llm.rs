//! The optional language model.
