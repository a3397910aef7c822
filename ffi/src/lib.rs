//! The C ABI of sharedpool. STUB: the C ABI issue fills it in.
