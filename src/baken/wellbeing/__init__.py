"""Counselor wellbeing (issue 15, item 6): one's own day in figures, heavy chats, pauses and the
break reminder (docs/wellbeing.md). Never used to rank or judge anyone."""
