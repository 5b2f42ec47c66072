"""Envelope encryption of message text: per-conversation keys wrapped by a master key."""
