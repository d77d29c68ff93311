// Filled in by the Signing implementation.
