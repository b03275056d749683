"""FIX routes: live session status, the audit log of a session, its export as a message log.

Session ids (``FIX.4.4:SENDER->TARGET``) go in the path URL-encoded. Times in filters are
either integer nanoseconds since the epoch or ISO-8601 with a time zone; ``since`` is
inclusive and ``until`` exclusive.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from ordergate.api.errors import ApiError
from ordergate.api.orders import json_response
from ordergate.api.schemas import iso
from ordergate.fix.codec import FixParseError
from ordergate.fix.logfile import (
    Namer,
    decode_fields,
    dictionary_namer,
    export_log,
    frame_problems,
    render,
)
from ordergate.fix.registry import SessionRegistry, SessionStatus
from ordergate.fix.store.durable import DurableMessageStore, LoggedMessage

__all__ = ["fix_router"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_LIMIT = 1000
_TIME_DOC = (
    "Integer nanoseconds since the epoch, or ISO-8601 with a time zone (e.g. 2024-03-01T09:30:00Z)."
)
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")

fix_router = APIRouter(prefix="/api/fix", tags=["fix"])


def _registry(request: Request) -> SessionRegistry:
    registry: SessionRegistry = request.app.state.fix
    return registry


def _store(request: Request, session_id: str) -> tuple[DurableMessageStore, str]:
    source = _registry(request).get(session_id)
    if source is None:
        raise ApiError(404, "SESSION_NOT_FOUND", f"no FIX session {session_id!r}", "session_id")
    store = source.store
    if not isinstance(store, DurableMessageStore):
        raise ApiError(404, "MESSAGE_LOG_NOT_FOUND", f"session {session_id!r} keeps no message log")
    return store, source.status().begin_string


def _time_param(value: str | None, field: str) -> int | None:
    if value is None:
        return None
    if value.isdigit():
        return int(value)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(422, "INVALID_FIELD", f"{field} is not a timestamp", field) from None
    if parsed.tzinfo is None:
        raise ApiError(422, "INVALID_FIELD", f"{field} needs a time zone", field)
    return (parsed - _EPOCH) // timedelta(microseconds=1) * 1_000


def _window(since: str | None, until: str | None) -> tuple[int | None, int | None]:
    since_ns = _time_param(since, "since")
    until_ns = _time_param(until, "until")
    if since_ns is not None and until_ns is not None and since_ns >= until_ns:
        raise ApiError(422, "INVALID_FIELD", "since must be before until", "since")
    return since_ns, until_ns


def _text_param(value: str | None, field: str) -> str | None:
    if value is not None and not value.strip():
        raise ApiError(422, "INVALID_FIELD", f"{field} must not be empty", field)
    return value


def _limit(value: str | None) -> int:
    if value is None:
        return 100
    if not value.isdigit() or not 1 <= int(value) <= _MAX_LIMIT:
        raise ApiError(422, "INVALID_FIELD", f"limit must be from 1 to {_MAX_LIMIT}", "limit")
    return int(value)


def _encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(["fix", last_id])).decode().rstrip("=")


def _decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        kind, last_id = msgspec.json.decode(raw, type=tuple[str, int])
    except (ValueError, msgspec.DecodeError, msgspec.ValidationError):
        kind, last_id = "", 0
    if kind != "fix" or last_id < 0:
        raise ApiError(422, "INVALID_FIELD", "cursor is not one this API issued", "cursor")
    return last_id


def status_json(status: SessionStatus) -> dict[str, Any]:
    """Return a session status as JSON, with ISO-8601 copies of its timestamps."""
    body: dict[str, Any] = msgspec.to_builtins(status)
    body["connected_since"] = iso(status.connected_since_ns)
    body["last_sent_at"] = iso(status.last_sent_ns)
    body["last_received_at"] = iso(status.last_received_ns)
    body["last_heartbeat_at"] = iso(status.last_heartbeat_ns)
    return body


def message_json(
    message: LoggedMessage, field_name: Namer, message_name: Callable[[str], str | None]
) -> dict[str, Any]:
    """Return a logged message as JSON: raw with '|' separators and its decoded fields."""
    problems = frame_problems(message.raw)
    try:
        fields = [
            {"tag": f.tag, "name": f.name, "value": f.value}
            for f in decode_fields(message.raw, field_name)
        ]
    except FixParseError as e:
        fields = []
        problems.append(str(e))
    return {
        "id": message.id,
        "session_id": message.session_id,
        "direction": message.direction.value,
        "ts": iso(message.ts_ns),
        "ts_ns": message.ts_ns,
        "msg_type": message.msg_type,
        "msg_type_name": message_name(message.msg_type),
        "seq": message.seq,
        "cl_ord_id": message.cl_ord_id,
        "raw": render(message.raw),
        "fields": fields,
        "problems": problems,
    }


@fix_router.get("/sessions")
async def list_sessions(request: Request) -> Response:
    """Return the status of every FIX session: state, sequence numbers, liveness."""
    items = [status_json(s) for s in _registry(request).statuses()]
    return json_response({"items": items, "next_cursor": None})


@fix_router.get("/sessions/{session_id:path}/messages/export")
async def export_messages(
    request: Request,
    session_id: str,
    msg_type: Annotated[str | None, Query(description="only this MsgType(35), e.g. D")] = None,
    since: Annotated[str | None, Query(description=f"inclusive. {_TIME_DOC}")] = None,
    until: Annotated[str | None, Query(description=f"exclusive. {_TIME_DOC}")] = None,
    delimiter: Annotated[
        str, Query(description="field separator: 'soh' (as on the wire) or 'pipe' ('|')")
    ] = "soh",
) -> Response:
    """Return the session's audit log as a tag=value message log (text/plain), oldest first.

    One message per line: ``YYYYMMDD-HH:MM:SS.ffffff : 8=FIX.4.4<SOH>9=...``.
    """
    store, _ = _store(request, session_id)
    if delimiter not in ("soh", "pipe"):
        raise ApiError(422, "INVALID_FIELD", "delimiter must be soh or pipe", "delimiter")
    since_ns, until_ns = _window(since, until)
    await store.flush()
    lines = export_log(
        store.database,
        session_id,
        delimiter=b"\x01" if delimiter == "soh" else b"|",
        msg_type=_text_param(msg_type, "msg_type"),
        since_ns=since_ns,
        until_ns=until_ns,
    )
    filename = _UNSAFE_FILENAME.sub("_", session_id.replace("->", "_")) + ".log"
    return StreamingResponse(
        lines,
        media_type="text/plain; charset=iso-8859-1",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


@fix_router.get("/sessions/{session_id:path}/messages")
async def list_messages(
    request: Request,
    session_id: str,
    msg_type: Annotated[str | None, Query(description="only this MsgType(35), e.g. D")] = None,
    cl_ord_id: Annotated[
        str | None, Query(description="only messages with this ClOrdID(11)")
    ] = None,
    since: Annotated[str | None, Query(description=f"inclusive. {_TIME_DOC}")] = None,
    until: Annotated[str | None, Query(description=f"exclusive. {_TIME_DOC}")] = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    limit: Annotated[str | None, Query(description="page size, 1 to 1000 (default 100)")] = None,
) -> Response:
    """Return the session's logged messages (in and out), oldest first, a page at a time.

    Each message carries ``raw`` with '|' for SOH, its fields named from the dictionary of
    the session's version, and ``problems`` (wrong BodyLength/CheckSum). 404 for an unknown
    session; 422 (``INVALID_FIELD``) for a bad filter, limit or cursor.
    """
    store, begin_string = _store(request, session_id)
    since_ns, until_ns = _window(since, until)
    page_size = _limit(limit)
    after_id = _decode_cursor(cursor)
    await store.flush()  # show what the session logged up to now
    page = await store.messages(
        session_id,
        msg_type=_text_param(msg_type, "msg_type"),
        cl_ord_id=_text_param(cl_ord_id, "cl_ord_id"),
        since_ns=since_ns,
        until_ns=until_ns,
        after_id=after_id,
        limit=page_size + 1,
    )
    field_name, message_name = dictionary_namer(begin_string)
    items = [message_json(m, field_name, message_name) for m in page[:page_size]]
    next_cursor = _encode_cursor(page[page_size - 1].id) if len(page) > page_size else None
    return json_response({"items": items, "next_cursor": next_cursor})
