"""The live variable preview: when to ask the kernel and what to send the
clients (``kernel_preview.py``), and the procedure that runs in the kernel
(``python_preview.py``)."""
