"""The audit log: who did what to which object, when — never content (docs/security.md)."""
