"""Decoding request bodies with msgspec, and their JSON schemas for the OpenAPI document."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec
from fastapi import Request

from ordergate.api.errors import ApiError, from_validation_error

__all__ = ["decode_body", "request_body_doc", "schema_components"]

T = TypeVar("T")

_REF = "#/components/schemas/{name}"
_decoders: dict[type[Any], msgspec.json.Decoder[Any]] = {}


async def decode_body(request: Request, kind: type[T]) -> T:
    """Decode the request body as ``kind``.

    Raises
    ------
    ApiError
        400 MALFORMED_JSON for bytes that are not JSON, 422 INVALID_FIELD for JSON of the
        wrong shape (naming the field).
    """
    decoder = _decoders.get(kind)
    if decoder is None:
        decoder = _decoders[kind] = msgspec.json.Decoder(kind)
    body = await request.body()
    if not body:
        raise ApiError(400, "MALFORMED_JSON", "the request needs a JSON body")
    try:
        value: T = decoder.decode(body)
    except (msgspec.ValidationError, msgspec.DecodeError) as e:
        raise from_validation_error(e) from None
    return value


def request_body_doc(kind: type[Any]) -> dict[str, Any]:
    """Return ``openapi_extra`` describing a JSON body of type ``kind``."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": _REF.format(name=kind.__name__)}}},
        }
    }


def schema_components(kinds: list[type[Any]]) -> dict[str, Any]:
    """Return the OpenAPI component schemas of ``kinds`` and everything they reference."""
    _, components = msgspec.json.schema_components(kinds, ref_template=_REF)
    return components
