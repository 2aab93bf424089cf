"""What a run leaves on disk, and only when it is complete.

Files are written under temporary names in the output folder and renamed to their final
names at the very end (:class:`OutputDir`), so an interrupted or failed run leaves nothing
half-done, and the previous run's files stay until the new ones replace them. The per-path
Parquet file is written a chunk at a time (:class:`PathWriter`), never held whole in memory.
"""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from hedgelib.cli.args import CommandError

__all__ = ["METADATA_KEY", "OutputDir", "PathWriter", "jsonable", "versions", "write_table"]

#: Key of the run's description (JSON) in the metadata of the Parquet files written.
METADATA_KEY = b"hedgelab"

# Rows gathered before a Parquet row group is written: large enough for good columnar reads,
# small enough (about 35 MB at 35 columns) to keep memory flat.
_ROWS_PER_GROUP = 131_072


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401 - the submodule is what writes
    except ImportError:
        raise CommandError("writing Parquet files needs pyarrow (pip install pyarrow)") from None
    return pyarrow


def jsonable(value: Any) -> Any:
    """``value`` as strict JSON data: numpy numbers as Python ones, NaN and infinities as None."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _git_commit() -> str | None:
    here = Path(__file__).resolve().parents[2]
    if not (here / ".git").exists():
        return None
    try:
        out = subprocess.run(["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    return out.stdout.strip() or None


def versions(extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What produced a result: Python, the platform, hedgelib (and its git commit when run
    from a checkout) and the numerical packages."""
    out: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform()}
    for package in ("hedgelib", "numpy", "scipy", "pandas", "pyarrow"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = "source checkout" if package == "hedgelib" else None
    commit = _git_commit()
    if commit:
        out["hedgelib_git_commit"] = commit
    out.update(extra or {})
    return out


class OutputDir:
    """The output folder: files are written to hidden partial names and renamed on commit.

    Raises CommandError when the folder cannot be made or is a file.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        if self.path.exists() and not self.path.is_dir():
            raise CommandError(f"--out {self.path}: is a file, not a folder")
        self._created = not self.path.exists()
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"--out {self.path}: cannot make the folder ({exc.strerror or exc})") from None
        if not os.access(self.path, os.W_OK):
            raise CommandError(f"--out {self.path}: the folder is not writable")
        self._partial: dict[str, Path] = {}

    def partial(self, name: str) -> Path:
        """Where to write ``name`` until :meth:`commit` (a hidden name in the folder)."""
        tmp = self.path / f".{name}.partial-{os.getpid()}"
        self._partial[name] = tmp
        return tmp

    def final(self, name: str) -> Path:
        return self.path / name

    def commit(self) -> list[Path]:
        """Rename every partial file to its name (replacing an older one); returns them.

        The first name given to :meth:`partial` is renamed last: a run's summary appears only
        once its data file is in place.
        """
        done = []
        for name, tmp in reversed(list(self._partial.items())):
            os.replace(tmp, self.final(name))
            done.append(self.final(name))
        self._partial.clear()
        return done[::-1]

    def abort(self) -> None:
        """Remove the partial files (and the folder, if this run made it and it is empty)."""
        for tmp in self._partial.values():
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass
        self._partial.clear()
        if self._created:
            try:
                self.path.rmdir()
            except OSError:
                pass


class PathWriter:
    """A Parquet file of per-path rows, written a row group at a time.

    Parameters
    ----------
    path : Path
        The file (a partial name of :class:`OutputDir`).
    description : mapping
        Stored as JSON in the file's metadata under :data:`METADATA_KEY` (inputs, seed...).
    with_setup : bool
        Add a first column ``setup`` naming the set-up of each row (Rule Comparison runs).
    """

    def __init__(self, path: Path, description: Mapping[str, Any], *, with_setup: bool = False):
        self._pa = _pyarrow()
        self.path, self.with_setup = path, with_setup
        self._meta = {METADATA_KEY: json.dumps(jsonable(description)).encode()}
        self._writer: Any = None
        self._batches: list[Any] = []
        self._buffered = 0
        self.rows = 0
        self.columns: list[str] = []

    def add(self, first_path: int, columns: Mapping[str, np.ndarray], setup: str | None = None) -> None:
        """Rows for paths ``first_path, first_path + 1, ...`` (and their set-up)."""
        pa = self._pa
        n = len(next(iter(columns.values())))
        arrays: dict[str, Any] = {}
        if self.with_setup:
            arrays["setup"] = pa.array([setup] * n, type=pa.string())
        arrays["path"] = pa.array(np.arange(first_path, first_path + n, dtype=np.int64))
        arrays.update({k: pa.array(v) for k, v in columns.items()})
        batch = pa.record_batch(arrays)
        if self._writer is None:
            schema = batch.schema.with_metadata(self._meta)
            # Dictionary encoding only for the set-up names: on per-path floats (nearly all
            # distinct) it costs ten times the write time and makes the file larger.
            self._writer = pa.parquet.ParquetWriter(
                self.path, schema, compression="snappy",
                use_dictionary=["setup"] if self.with_setup else False)
            self.columns = list(schema.names)
        self._batches.append(batch)
        self._buffered += n
        if self._buffered >= _ROWS_PER_GROUP:
            self._flush()

    def _flush(self) -> None:
        if self._batches:
            table = self._pa.Table.from_batches(self._batches, schema=self._writer.schema)
            self._writer.write_table(table, row_group_size=max(self._buffered, 1))
            self.rows += self._buffered
            self._batches, self._buffered = [], 0

    def close(self) -> None:
        """Write what is buffered and close the file (safe to call twice)."""
        if self._writer is not None:
            try:
                self._flush()
            finally:
                self._writer.close()
                self._writer = None


def write_table(path: Path, frame: Any, description: Mapping[str, Any]) -> None:
    """A small DataFrame to Parquet, with the run's description in its metadata."""
    pa = _pyarrow()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = {**(table.schema.metadata or {}), METADATA_KEY: json.dumps(jsonable(description)).encode()}
    pa.parquet.write_table(table.replace_schema_metadata(meta), path)
