"""Staff accounts, password hashing, sessions and permission checks."""
