"""Settings: each default written once (the settings slices), every bound checked
when a user configures it, so a mistyped value fails loudly at start."""

from __future__ import annotations

import pytest
from traitlets import TraitError

from beaker_server.app import BeakerServerApp
from beaker_server.messages.flow import FlowLimits
from beaker_server.preview.kernel_preview import PreviewSettings
from beaker_server.settings import BeakerSettings


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("handler_timeout", 0.0),
        ("handler_timeout", -1.0),
        ("kernel_connect_timeout", 0.0),
        ("max_payload_bytes", 0),
        ("max_variable_bytes", -5),
        ("zmq_receive_hwm", -1),
        ("kernel_iopub_wait", -0.5),
        ("preview_time_budget", 0.0),
        ("preview_stall_timeout", -1.0),
        ("preview_max_items", -1),
        ("preview_max_chars", 0),
        ("preview_max_bytes", 0),
    ],
)
def test_an_out_of_range_setting_is_refused(name: str, value: float) -> None:
    with pytest.raises(TraitError):
        BeakerServerApp(**{name: value})


def test_the_app_defaults_are_the_settings_defaults() -> None:
    """An app left as it is gives the parts exactly the slices' own defaults."""
    app = BeakerServerApp()
    preview = PreviewSettings()
    assert app.preview_max_items == preview.max_items
    assert app.preview_time_budget == preview.time_budget
    assert app.preview_stall_timeout == preview.stall_timeout
    assert app.handler_timeout == FlowLimits().handler_timeout
    assert app.kernel_iopub_wait == BeakerSettings().kernel_iopub_wait
