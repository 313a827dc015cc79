"""The SQLite variable store on its own: durability, concurrency, owners."""

from __future__ import annotations

import asyncio
import os
import stat

import pytest

from beaker_server.errors import NotFound
from beaker_server.store.variable_store import VariableStore

pytestmark = pytest.mark.timeout(60)


async def _save(store: VariableStore, user: str, name: str, value: bytes):
    return await store.save(
        user=user,
        name=name,
        type="bytes",
        module="builtins",
        format="pickle",
        kernel_id="k",
        value=value,
    )


async def test_created_on_first_use_and_kept_after_close(tmp_path):
    path = tmp_path / "deep" / "dir" / "variables.sqlite"
    store = VariableStore(path)
    assert not path.exists()
    record = await _save(store, "ada", "x", b"\x00\x01payload")
    await store.close()
    reopened = VariableStore(path)
    found, value = await reopened.load("ada", record.id)
    assert found == record
    assert value == b"\x00\x01payload"
    await reopened.close()


async def test_the_store_is_private_to_its_owner(tmp_path):
    """Folder 0700, database and its WAL files 0600, whatever the umask."""
    path = tmp_path / "data" / "beaker_server" / "variables.sqlite"
    old_umask = os.umask(0o022)
    try:
        store = VariableStore(path)
        await _save(store, "ada", "x", b"secret")
        modes = {
            p.name: stat.S_IMODE(p.stat().st_mode)
            for p in (path.parent, path, path.with_name(path.name + "-wal"))
        }
        assert modes == {"beaker_server": 0o700, path.name: 0o600, path.name + "-wal": 0o600}
        shm = path.with_name(path.name + "-shm")
        assert stat.S_IMODE(shm.stat().st_mode) == 0o600
        await store.close()
    finally:
        os.umask(old_umask)


async def test_an_existing_readable_store_is_made_private(tmp_path):
    path = tmp_path / "variables.sqlite"
    store = VariableStore(path)
    await _save(store, "ada", "x", b"secret")
    await store.close()
    os.chmod(path, 0o644)
    reopened = VariableStore(path)
    await reopened.list("ada")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    await reopened.close()


async def test_concurrent_saves_from_two_processes_worth_of_stores(tmp_path):
    """Two stores on one file stand for two server processes sharing a data dir."""
    path = tmp_path / "variables.sqlite"
    first, second = VariableStore(path), VariableStore(path)
    saves = [
        _save(store, "ada", f"v{i}", str(i).encode() * 1000)
        for i in range(50)
        for store in (first, second)
    ]
    records = await asyncio.gather(*saves)
    listed = await first.list("ada")
    assert len(listed) == len(records) == 100
    assert {r.id for r in listed} == {r.id for r in records}
    for record in records[::7]:
        _, value = await second.load("ada", record.id)
        assert value == record.name[1:].encode() * 1000
    await first.close()
    await second.close()


async def test_owners_do_not_see_each_other(tmp_path):
    store = VariableStore(tmp_path / "v.sqlite")
    mine = await _save(store, "ada", "x", b"1")
    assert [r.id for r in await store.list("ada")] == [mine.id]
    assert await store.list("bob") == []
    with pytest.raises(NotFound):
        await store.load("bob", mine.id)
    with pytest.raises(NotFound):
        await store.delete("bob", mine.id)
    await store.delete("ada", mine.id)
    assert await store.list("ada") == []
    await store.close()


async def test_a_shared_owner_puts_everyone_in_one_store(tmp_path):
    store = VariableStore(tmp_path / "v.sqlite", shared_owner="*")
    saved = await _save(store, "anonymous-1", "x", b"1")
    listed = await store.list("anonymous-2")
    assert [(r.id, r.user) for r in listed] == [(saved.id, "anonymous-1")]
    await store.close()


async def test_a_closed_store_refuses_work(tmp_path):
    store = VariableStore(tmp_path / "v.sqlite")
    await store.close()
    with pytest.raises(RuntimeError, match="closed"):
        await store.list("ada")
