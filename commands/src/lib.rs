//! The write side: load a stream, fold it, decide, append with the expected version.
