"""Pure rules of the chat: no I/O, easy to test."""
