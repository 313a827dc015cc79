"""The variable store: saved kernel variables in SQLite, per user.

One database file (by default ``<jupyter data dir>/beaker_server/variables.sqlite``)
holds every user's saved values with their metadata. It is created on first use
and survives server restarts. All database work runs on one worker thread, so
the event loop never waits on the disk and writes from concurrent requests are
serialized; WAL mode lets another server process read and write the same file.

Every query is scoped to an *owner*: one owner can neither list nor load nor
delete another's values. The owner is the user name, except on a server whose
users are all holders of its one token or password (jupyter_server's own
identity providers, which name each browser randomly): those hold the same
secret, are one principal, and share one store (``shared_owner``).
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import os
import sqlite3
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..errors import NotFound

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS variables (
    id TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    user TEXT NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    module TEXT NOT NULL,
    format TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    kernel_id TEXT NOT NULL,
    created TEXT NOT NULL,
    value BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS variables_by_owner ON variables (owner, created);
"""
_COLUMNS = "id, user, name, type, module, format, bytes, kernel_id, created"
#: Seconds a statement waits for another connection's lock.
_BUSY_TIMEOUT = 30.0


def _switch_to_wal(db: sqlite3.Connection) -> None:
    """WAL mode, waiting for other connections (another server on the same file).

    Changing the journal mode of a new file can fail with "database is locked" at
    once, without SQLite's busy wait, while another connection is setting the same
    file up; so this one step waits by itself.
    """
    deadline = time.monotonic() + _BUSY_TIMEOUT
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _private_file(path: Path) -> None:
    """The store holds users' data: its folder 0700 and its file 0600, like
    Jupyter's own secrets. SQLite gives the ``-wal`` and ``-shm`` files the
    database file's mode, so those follow. Existing files are tightened too."""
    if not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, 0o700)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(FileNotFoundError):
            if file.stat().st_mode & 0o077:
                os.chmod(file, 0o600)


@dataclass(frozen=True)
class StoredVariable:
    """What the store knows about one saved value, without the value."""

    id: str
    #: Who saved it (the owner may be a shared one).
    user: str
    name: str
    type: str
    module: str
    format: str
    bytes: int
    kernel_id: str
    created: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class VariableStore:
    """Saved variables in one SQLite file; every method is a coroutine."""

    def __init__(self, path: Path, shared_owner: str | None = None) -> None:
        self.path = Path(path)
        #: When set, every user's values belong to this one owner.
        self.shared_owner = shared_owner
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="beaker-store")
        self._db: sqlite3.Connection | None = None
        self._closed = False

    # -- the worker thread ---------------------------------------------------

    async def _run(self, fn: Any, *args: Any) -> Any:
        if self._closed:
            raise RuntimeError("the variable store is closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, *args)

    def _connection(self) -> sqlite3.Connection:
        """Open (and on first use create) the database; only on the worker thread."""
        if self._db is None:
            _private_file(self.path)
            db = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT)
            _switch_to_wal(db)
            db.execute("PRAGMA synchronous=FULL")
            with db:
                db.executescript(_SCHEMA)
                db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            self._db = db
        return self._db

    def owner_of(self, user: str) -> str:
        return self.shared_owner or user

    # -- operations -------------------------------------------------------------

    async def save(
        self,
        *,
        user: str,
        name: str,
        type: str,
        module: str,
        format: str,
        kernel_id: str,
        value: bytes,
    ) -> StoredVariable:
        """Store a value under a new id and return its metadata."""
        record = StoredVariable(
            id=uuid.uuid4().hex,
            user=user,
            name=name,
            type=type,
            module=module,
            format=format,
            bytes=len(value),
            kernel_id=kernel_id,
            created=datetime.now(timezone.utc).isoformat(),
        )
        await self._run(self._insert, self.owner_of(user), record, value)
        return record

    def _insert(self, owner: str, record: StoredVariable, value: bytes) -> None:
        db = self._connection()
        with db:
            db.execute(
                f"INSERT INTO variables (owner, {_COLUMNS}, value) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (owner, *asdict(record).values(), sqlite3.Binary(value)),
            )

    async def list(self, user: str) -> list[StoredVariable]:
        """The values the user may see, newest first."""
        found: builtins.list[StoredVariable] = await self._run(
            self._select_all, self.owner_of(user)
        )
        return found

    def _select_all(self, owner: str) -> builtins.list[StoredVariable]:
        rows = self._connection().execute(
            f"SELECT {_COLUMNS} FROM variables WHERE owner = ? ORDER BY created DESC, rowid DESC",
            (owner,),
        )
        return [StoredVariable(*row) for row in rows]

    async def load(self, user: str, id: str) -> tuple[StoredVariable, bytes]:
        """A saved value and its metadata; :class:`NotFound` for an id the user lacks."""
        found: tuple[StoredVariable, bytes] | None = await self._run(
            self._select_one, self.owner_of(user), id
        )
        if found is None:
            raise NotFound(f"no saved variable {id!r}")
        return found

    def _select_one(self, owner: str, id: str) -> tuple[StoredVariable, bytes] | None:
        row = (
            self._connection()
            .execute(
                f"SELECT {_COLUMNS}, value FROM variables WHERE owner = ? AND id = ?", (owner, id)
            )
            .fetchone()
        )
        return None if row is None else (StoredVariable(*row[:-1]), bytes(row[-1]))

    async def delete(self, user: str, id: str) -> None:
        """Remove a saved value; :class:`NotFound` for an id the user lacks."""
        if not await self._run(self._delete, self.owner_of(user), id):
            raise NotFound(f"no saved variable {id!r}")

    def _delete(self, owner: str, id: str) -> bool:
        db = self._connection()
        with db:
            cursor = db.execute("DELETE FROM variables WHERE owner = ? AND id = ?", (owner, id))
        return cursor.rowcount > 0

    async def close(self) -> None:
        """Close the database after the operations already queued."""
        if self._closed:
            return
        await self._run(self._close_connection)
        self._closed = True
        self._executor.shutdown(wait=False)

    def _close_connection(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
