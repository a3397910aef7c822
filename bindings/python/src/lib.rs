//! Python bindings. STUB: the Python issue fills it in.
