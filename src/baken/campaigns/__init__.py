"""Campaign counts (issue 18): anonymous daily visits, chats started and chats answered per code."""
