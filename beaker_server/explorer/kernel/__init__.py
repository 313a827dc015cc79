"""The Data Explorer's kernel procedure: a package the server installs in the kernel.

Its modules run *inside* an IPython kernel as package ``_beaker_tables`` (installed
by ``kernel/procedures.py: install_package_code``, in the order of
``explorer/handlers.py: KERNEL_MODULES``, this file last): the server calls
``handle(namespace, request_json)``, which is all the package exposes. See
``core`` for what a view is and what every answer is bounded by.
"""

from .dispatch import handle

__all__ = ["handle"]
