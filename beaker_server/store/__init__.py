"""The variable store: saved variables in SQLite (``save_var`` and friends), its
handlers, and the kernel side reached over a comm (``python_variables.py``)."""
