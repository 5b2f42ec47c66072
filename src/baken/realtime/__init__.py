"""The live layer: WebSocket endpoints, frame schemas, the hub and the broker between processes."""
