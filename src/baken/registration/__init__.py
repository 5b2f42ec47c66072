"""Case registration: the codebook, validation of registered values, and their storage."""
