# mypy: disable-error-code="no-any-return"
"""Attachments: files on work orders, requests, assets, checklist items and parts, stored in
the file store the database was opened with (``cmms.open(url, files_url=...)``)."""

from __future__ import annotations

import os
from typing import IO, List, Optional, Union

from ._base import Actor, Id, _Group, _id, _native_actor
from ._convert import loads
from .models import AttachedFile

__all__ = ["Attachments"]

#: What an upload reads: a path, the bytes themselves, or a binary file object.
Source = Union[str, "os.PathLike[str]", bytes, IO[bytes]]

_KINDS = ("work_order", "request", "asset", "checklist_item", "part")


def _kind(entity_type: str) -> str:
    if entity_type not in _KINDS:
        raise ValueError(f"entity_type: expected one of {', '.join(_KINDS)}, got {entity_type!r}")
    return entity_type


class Attachments(_Group):
    """Upload, list, download and delete files. Uploads stream (a large file is read a chunk
    at a time), their type is sniffed from the bytes and checked against the allow-list, and
    the limits apply; a refused upload stores nothing. Downloads check the SHA-256.

    >>> f = db.attachments.upload(owner, "work_order", wo.id, "photo.jpg")  # doctest: +SKIP
    >>> db.attachments.download(owner, f.id, "copy.jpg")  # doctest: +SKIP
    """

    def upload(
        self,
        actor: Actor,
        entity_type: str,
        entity_id: Id,
        source: Source,
        *,
        name: Optional[str] = None,
        content_type: Optional[str] = None,
    ) -> AttachedFile:
        """Attaches ``source`` (a path, bytes, or a binary file object read in chunks) to an
        entity; ``name`` defaults to the path's file name (required for bytes and file objects);
        ``content_type`` only picks a text subtype (``text/csv``) for text content."""
        native = _native_actor(actor)
        kind, eid = _kind(entity_type), _id(entity_id, "entity_id")
        if isinstance(source, (str, os.PathLike)):
            path = os.fspath(source)
            if not isinstance(path, str):
                raise TypeError("source: expected a str path")
            raw = self._db._native.attach(
                native, kind, eid, name or os.path.basename(path), content_type, path=path
            )
        elif isinstance(source, (bytes, bytearray, memoryview)):
            if name is None:
                raise ValueError("name: required when uploading bytes")
            raw = self._db._native.attach(native, kind, eid, name, content_type, data=bytes(source))
        elif hasattr(source, "read"):
            if name is None:
                name = os.path.basename(str(getattr(source, "name", ""))) or None
            if name is None:
                raise ValueError("name: required for a file object without a name")
            raw = self._db._native.attach(native, kind, eid, name, content_type, reader=source)
        else:
            raise TypeError(f"source: expected a path, bytes or a binary file, got {type(source).__name__}")
        return loads(AttachedFile, raw)

    def list(self, actor: Actor, entity_type: str, entity_id: Id) -> List[AttachedFile]:
        """The files on an entity, oldest first."""
        raw = self._db._native.attachments(_native_actor(actor), _kind(entity_type), _id(entity_id, "entity_id"))
        return loads(List[AttachedFile], raw)

    def get(self, actor: Actor, id: Id) -> AttachedFile:
        """One attachment's metadata."""
        return loads(AttachedFile, self._db._native.attachment(_native_actor(actor), _id(id)))

    def download(
        self, actor: Actor, id: Id, path: Optional[Union[str, "os.PathLike[str]"]] = None
    ) -> Optional[bytes]:
        """The file's bytes, or ``None`` once written to ``path`` (which appears only when the
        bytes match their SHA-256)."""
        target = None if path is None else os.fspath(path)
        if target is not None and not isinstance(target, str):
            raise TypeError("path: expected a str path")
        return self._db._native.download(_native_actor(actor), _id(id), target)

    def delete(self, actor: Actor, id: Id) -> AttachedFile:
        """Removes an attachment; its content goes once no row (a request's file carried over to
        its work order) points at it. Returns what was removed."""
        raw = self._db._native.detach(_native_actor(actor), _id(id))
        return loads(AttachedFile, raw)
