"""Which views the server closes for clients that are gone
(``explorer/handlers._Tables``): a reloaded page's views, after a grace that
lets a dropped connection come back; never a view opened over REST."""

from __future__ import annotations

from beaker_server.explorer.handlers import _Tables
from beaker_server.settings import BeakerSettings

ORPHAN_GRACE = BeakerSettings.explorer_orphan_grace


def tables_with(owners: dict[str, str], at: float = 0.0) -> _Tables:
    tables = _Tables()
    for view, owner in owners.items():
        tables.views[view] = "df"
        tables.owners[view] = owner
        tables.seen[owner] = at
    tables.views["rest"] = "df"  # opened over REST: no owner
    return tables


def test_a_connected_client_keeps_its_views():
    tables = tables_with({"v1": "tab-a"})
    assert tables.orphans({"tab-a"}, ORPHAN_GRACE * 10, ORPHAN_GRACE) == []


def test_a_gone_client_keeps_its_views_for_the_grace_then_loses_them():
    tables = tables_with({"v1": "tab-a", "v2": "tab-a", "v3": "tab-b"})
    assert tables.orphans({"tab-b"}, ORPHAN_GRACE - 1, ORPHAN_GRACE) == []
    assert sorted(tables.orphans({"tab-b"}, ORPHAN_GRACE + 1, ORPHAN_GRACE)) == ["v1", "v2"]


def test_a_client_seen_again_starts_its_grace_anew():
    tables = tables_with({"v1": "tab-a"})
    assert tables.orphans({"tab-a"}, 50.0, ORPHAN_GRACE) == []  # reconnected: seen at 50
    assert tables.orphans(set(), 50.0 + ORPHAN_GRACE - 1, ORPHAN_GRACE) == []
    assert tables.orphans(set(), 50.0 + ORPHAN_GRACE + 1, ORPHAN_GRACE) == ["v1"]


def test_forget_drops_a_view_and_its_owner_and_rest_views_stay():
    tables = tables_with({"v1": "tab-a"})
    tables.forget("v1")
    assert tables.orphans(set(), ORPHAN_GRACE * 10, ORPHAN_GRACE) == []
    assert "tab-a" not in tables.seen
    assert list(tables.views) == ["rest"]
