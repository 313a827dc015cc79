"""The kernel websocket path: the connection mixin put in front of whatever
connection class jupyter_server is configured with, the wire formats of both
websocket protocols (read header-only on the hot path), the coalescing of bursts
under TCP_NODELAY, and the hop onto the server's loop thread."""
