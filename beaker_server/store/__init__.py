"""The variable store: saved variables in SQLite (``save_var`` and friends), its
handlers, and the kernel side reached over a comm (``python_variables.py``).

``VariableStore`` and ``StoredVariable`` are what a handler's ``ctx.store`` is made of.
"""

from .variable_store import StoredVariable, VariableStore

__all__ = ["StoredVariable", "VariableStore"]
