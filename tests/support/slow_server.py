"""A Jupyter server extension for tests: the server's event loop is blocked for
0.3 s of every 0.4 s, as on a machine whose cores are busy with other work.

A flood from the kernel then outruns the relay, and what the ZMQ queues between
kernel and server cannot hold is lost; see tests/integration/test_relay_under_load.py.
"""

from __future__ import annotations

import time
from typing import Any

from tornado.ioloop import PeriodicCallback

#: Milliseconds between stalls, and seconds each one lasts.
PERIOD_MS = 400
STALL_SECONDS = 0.3


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "tests.support.slow_server"}]


def _stall() -> None:
    time.sleep(STALL_SECONDS)  # on purpose: the loop can do nothing meanwhile


def _load_jupyter_server_extension(serverapp: Any) -> None:
    stalls = PeriodicCallback(_stall, PERIOD_MS)
    stalls.start()
    serverapp.log.info(
        "tests.support.slow_server: the event loop stalls %g s every %d ms",
        STALL_SECONDS,
        PERIOD_MS,
    )
