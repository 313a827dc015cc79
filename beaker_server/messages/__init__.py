"""Custom messages: the registry of message types (declared with
:func:`beaker_server.custom_message`), the flow that serves one request from busy
to idle, the context a handler gets, and the built-in handlers."""
