"""The yearly research report, computed from registrations only (never from conversations)."""
