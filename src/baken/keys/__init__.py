"""Master key management: rotation of the key ring (docs/security.md, "Retention and keys")."""
