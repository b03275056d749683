"""The JetStream stream the feed is published to: its name, subjects, headers and set-up.

Subjects are ``og.events.<account>.<symbol>.<type>``. A NATS subject token may not hold
``.``, ``*``, ``>`` or whitespace, so each value goes through :func:`subject_token`: ASCII
letters, digits and ``-`` stay as they are and every other byte of its UTF-8 form becomes
``_`` and two upper-case hex digits (``BRK.B`` -> ``BRK_2EB``, ``_`` -> ``_5F``). The
mapping is injective, and a missing value (or an empty one) is the bare token ``_``, which
no non-empty value maps to. Subjects only narrow what a reader is sent; the reader still
applies its :class:`~ordergate.feed.filters.FeedFilter` to every event in process.
"""

from __future__ import annotations

import contextlib
from typing import Any

import msgspec
import nats.js.errors
from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig

from ordergate.feed.events import FeedEvent
from ordergate.feed.filters import FeedFilter

__all__ = [
    "MISSING_SUBJECT_VALUE",
    "MSG_ID_HEADER",
    "POSITION_HEADER",
    "STREAM_NAME",
    "SUBJECT_PREFIX",
    "decode_feed_event",
    "encode_feed_event",
    "ensure_stream",
    "event_subject",
    "filter_subject",
    "last_published_position",
    "subject_token",
]

STREAM_NAME = "OG_EVENTS"
SUBJECT_PREFIX = "og.events"
MSG_ID_HEADER = "Nats-Msg-Id"
POSITION_HEADER = "Og-Position"
MISSING_SUBJECT_VALUE = "_"

_PLAIN = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")


def subject_token(value: str | None) -> str:
    """Return ``value`` as one subject token (:data:`MISSING_SUBJECT_VALUE` for None or empty)."""
    if not value:
        return MISSING_SUBJECT_VALUE
    return "".join(chr(b) if b in _PLAIN else f"_{b:02X}" for b in value.encode("utf-8"))


def event_subject(event: FeedEvent) -> str:
    """Return the subject ``event`` is published on."""
    account, symbol = subject_token(event.account), subject_token(event.symbol)
    return f"{SUBJECT_PREFIX}.{account}.{symbol}.{subject_token(event.type)}"


def filter_subject(filter: FeedFilter) -> str:
    """Return the one subject pattern that covers every event ``filter`` can match.

    A dimension (account, symbol, type) with exactly one accepted value becomes that
    value's token; any other becomes ``*``. Other dimensions are not in the subject.
    """

    def token(values: frozenset[str]) -> str:
        return subject_token(next(iter(values))) if len(values) == 1 else "*"

    return (
        f"{SUBJECT_PREFIX}.{token(filter.accounts)}.{token(filter.symbols)}.{token(filter.types)}"
    )


def encode_feed_event(event: FeedEvent) -> bytes:
    """Return the message payload of ``event``: its JSON form, as the feed sends it."""
    return msgspec.json.encode(event.to_json())


def decode_feed_event(payload: bytes) -> FeedEvent:
    """Return the :class:`FeedEvent` of a payload made by :func:`encode_feed_event`.

    Raises
    ------
    msgspec.DecodeError
        If the payload is not JSON.
    KeyError
        If a field is missing.
    """
    data: dict[str, Any] = msgspec.json.decode(payload)
    return FeedEvent(
        position=data["position"],
        type=data["type"],
        order_id=data["order_id"],
        account=data["account"],
        portfolio=data["portfolio"],
        strategy=data["strategy"],
        symbol=data["symbol"],
        venue=data["venue"],
        ts_event=data["ts_event"],
        body=data["event"],
    )


async def ensure_stream(
    js: JetStreamContext, name: str = STREAM_NAME, *, duplicate_window: float = 120.0
) -> None:
    """Create the feed's stream, or bring an existing one to this configuration.

    File storage, subjects ``og.events.>``, limits retention and the given duplicate
    window (seconds): a message whose ``Nats-Msg-Id`` was stored within it is not stored
    again. Safe to call from several processes at once.
    """
    config = StreamConfig(
        name=name,
        subjects=[f"{SUBJECT_PREFIX}.>"],
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        duplicate_window=duplicate_window,
    )
    try:
        await js.stream_info(name)
    except nats.js.errors.NotFoundError:
        # Another process may create it between the two calls: then it is updated below.
        with contextlib.suppress(nats.js.errors.BadRequestError):
            await js.add_stream(config)
            return
    await js.update_stream(config)


async def last_published_position(js: JetStreamContext, name: str = STREAM_NAME) -> int:
    """Return the position of the last event in the stream (0 when it holds none).

    Read by the stream's last sequence, not "last message on og.events.>": a last-by-subject
    lookup with a wildcard is not something every JetStream server version handles.
    """
    try:
        info = await js.stream_info(name)
        if not info.state.messages:
            return 0
        message = await js.get_msg(name, info.state.last_seq)
    except nats.js.errors.NotFoundError:
        return 0
    headers = message.headers or {}
    return int(headers[POSITION_HEADER])
