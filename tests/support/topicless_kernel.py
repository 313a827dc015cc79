"""A real ipykernel that publishes on iopub without ipykernel's topics.

ipykernel sends each iopub message under a ZMQ topic (``kernel.<ident>.status``
for statuses), and the server's client subscribes to the status topic alone.
Kernels of other makers may use other topics or none: this one sends every
message under its bare type (``status``, ``execute_input``), so the server must
keep its full subscription to see the statuses that end cells.
"""

from __future__ import annotations

from pathlib import Path

from ipykernel.ipkernel import IPythonKernel
from ipykernel.kernelapp import IPKernelApp

from .dropping_kernel import write_kernelspec

KERNEL_NAME = "topicless-python3"


class TopiclessKernel(IPythonKernel):
    def _topic(self, topic: str) -> bytes:
        return topic.encode()


def install_kernelspec(data_dir: Path) -> str:
    return write_kernelspec(data_dir, KERNEL_NAME, __name__, "Python 3 (no iopub topics)")


if __name__ == "__main__":
    IPKernelApp.launch_instance(kernel_class=TopiclessKernel)
