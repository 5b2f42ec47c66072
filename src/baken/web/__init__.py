"""Pages, HTTP routes and the browser-facing security layer."""
