"""The Data Explorer: tables of the kernel paged, sorted and filtered by the kernel.

``python_tables.py`` is the procedure that runs inside the kernel (README, issue 12).
"""
