"""Abuse without identity (issue 5): proof-of-work before a chat, throttles keyed by a daily
hash of the address that only lives in memory. See docs/security.md, "Abuse without identity"."""
