"""The kernel's preview procedure in this process, and objects of the zoo.

The unit tests call the same file the kernel loads (``fresh_procedure``, ``run``);
the integration tests send the zoo's classes to a real kernel as source.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import beaker_server

PROCEDURE = Path(beaker_server.__file__).parent / "preview" / "python_preview.py"
MIME = "application/vnd.beaker.variable+json"


def fresh_procedure():
    """A fresh copy of the module, as a newly started kernel would have."""
    spec = importlib.util.spec_from_file_location("_beaker_preview_test", PROCEDURE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


#: The time budget of tests that are not about it: the default 0.25 s is a real
#: limit, and a loaded CI machine can spend it on one figure, leaving a partial preview.
UNHURRIED = 30.0


def run(procedure, ns, **options):
    options.setdefault("time_budget", UNHURRIED)
    return json.loads(procedure.preview(ns, **options))


# -- objects of the issue, in this process and (as source) in a kernel ---------------


class ShapeRaises:
    @property
    def shape(self):
        raise ValueError("no shape today")


class ClassRaises:
    @property
    def __class__(self):
        raise RuntimeError("no class today")
