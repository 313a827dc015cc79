"""The Data Explorer: tables of the kernel paged, sorted and filtered by the kernel.

The package ``kernel`` is the procedure that runs inside the kernel (README, issue 12);
``handlers`` are its messages on the server.
"""
