"""Credential routes: store, read, replace, delete and test a user's broker credentials.

No route ever returns a secret: only its metadata (status, fingerprint, label,
permissions, times). The user is named by the ``X-Ordergate-User`` header, because the
platform has no authentication yet: whoever can reach the API can act as any user, so
serve it only where every caller is trusted until an authenticating proxy or real auth
sets that header. Every read and change is audited by the vault.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Request
from fastapi.responses import Response

from ordergate.api.body import decode_body, request_body_doc
from ordergate.api.errors import ApiError
from ordergate.api.orders import json_response
from ordergate.api.schemas import iso
from ordergate.gateway.vault import (
    DEFAULT_PERMISSIONS,
    AuditEntry,
    BrokerSecret,
    ConcurrentCredentialUpdate,
    CredentialChecker,
    CredentialExists,
    CredentialInfo,
    CredentialNotFound,
    CredentialTampered,
    CredentialVault,
    InvalidCredential,
    MasterKeyUnavailable,
    Permission,
)
from ordergate.gateway.vault.models import MAX_SECRET_LENGTH, check_user

__all__ = ["USER_HEADER", "CredentialRequest", "credentials_router"]

USER_HEADER = "X-Ordergate-User"

Secret = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_SECRET_LENGTH)]


class CredentialRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Body of POST and PUT /api/credentials/{broker} (PUT replaces the whole credential)."""

    api_key: Secret
    api_secret: Secret
    passphrase: Secret | None = None
    extra: dict[str, str] = msgspec.field(default_factory=dict)
    label: Annotated[str, msgspec.Meta(max_length=100)] = ""
    permissions: list[Permission] = msgspec.field(default_factory=lambda: list(DEFAULT_PERMISSIONS))

    def secret(self) -> BrokerSecret:
        """Return the secret part of the request."""
        return BrokerSecret(
            api_key=self.api_key,
            api_secret=self.api_secret,
            passphrase=self.passphrase,
            extra=dict(self.extra),
        )


def info_json(info: CredentialInfo) -> dict[str, Any]:
    """Return the API form of a credential's metadata."""
    return {
        "broker": info.broker,
        "label": info.label,
        "status": info.status,
        "fingerprint": info.fingerprint,
        "permissions": list(info.permissions),
        "version": info.version,
        "created_at": iso(info.created_ns),
        "updated_at": iso(info.updated_ns),
        "last_used_at": iso(info.last_used_ns),
    }


def audit_json(entry: AuditEntry) -> dict[str, Any]:
    """Return the API form of an audit line."""
    return {
        "seq": entry.seq,
        "at": iso(entry.ts_ns),
        "actor": entry.actor,
        "broker": entry.broker,
        "action": entry.action,
        "version": entry.version,
        "detail": entry.detail,
    }


@contextmanager
def _vault_errors() -> Iterator[None]:
    try:
        yield
    except InvalidCredential as e:
        raise ApiError(422, "INVALID_FIELD", e.message, e.field) from None
    except CredentialNotFound as e:
        raise ApiError(404, "CREDENTIAL_NOT_FOUND", str(e)) from None
    except CredentialExists as e:
        raise ApiError(409, "CREDENTIAL_EXISTS", f"{e}; use PUT to replace it") from None
    except ConcurrentCredentialUpdate as e:
        raise ApiError(409, "CONCURRENT_UPDATE", f"{e}; read it and try again") from None
    except CredentialTampered as e:
        raise ApiError(
            409, "CREDENTIAL_TAMPERED", f"{e}; store it again with PUT", "broker"
        ) from None
    except MasterKeyUnavailable as e:
        raise ApiError(503, "MASTER_KEY_UNAVAILABLE", str(e)) from None


def credentials_router(
    vault: CredentialVault,
    *,
    checker: CredentialChecker,
    is_known_broker: Callable[[str], bool],
) -> APIRouter:
    """Return the routes under ``/api/credentials`` serving ``vault``.

    Parameters
    ----------
    vault
        The started credential vault.
    checker
        Called by ``POST /api/credentials/{broker}/test`` with the broker name and the
        decrypted secret; logs on to the broker and says whether it accepted the secret.
    is_known_broker
        Whether a broker name is one the platform can trade at; other names get 422.
    """
    router = APIRouter(prefix="/api/credentials", tags=["credentials"])

    def user_of(request: Request) -> str:
        user = request.headers.get(USER_HEADER)
        if not user:
            raise ApiError(401, "UNAUTHENTICATED", f"the {USER_HEADER} header is required")
        try:
            return check_user(user)
        except InvalidCredential as e:
            raise ApiError(401, "UNAUTHENTICATED", f"{USER_HEADER}: {e.message}") from None

    def known(broker: str) -> str:
        if not is_known_broker(broker):
            raise ApiError(422, "UNKNOWN_BROKER", f"unknown broker {broker[:64]!r}", "broker")
        return broker

    @router.get("")
    async def list_credentials(request: Request) -> Response:
        """List the caller's credentials: metadata only, never a secret."""
        user = user_of(request)
        with _vault_errors():
            items = await vault.list_credentials(user)
        return json_response({"items": [info_json(i) for i in items], "next_cursor": None})

    @router.post("/{broker}", status_code=201, openapi_extra=request_body_doc(CredentialRequest))
    async def create_credential(request: Request, broker: str) -> Response:
        """Store a new credential for the caller at ``broker`` (409 if one exists)."""
        user = user_of(request)
        known(broker)
        body = await decode_body(request, CredentialRequest)
        with _vault_errors():
            info = await vault.create(
                user, broker, body.secret(), label=body.label, permissions=body.permissions
            )
        return json_response(info_json(info), 201)

    @router.get("/{broker}")
    async def get_credential(request: Request, broker: str) -> Response:
        """Return the metadata of the caller's credential at ``broker``."""
        user = user_of(request)
        known(broker)
        with _vault_errors():
            info = await vault.info(user, broker)
        return json_response(info_json(info))

    @router.put("/{broker}", openapi_extra=request_body_doc(CredentialRequest))
    async def replace_credential(request: Request, broker: str) -> Response:
        """Replace the caller's credential at ``broker`` with a new one (404 if none)."""
        user = user_of(request)
        known(broker)
        body = await decode_body(request, CredentialRequest)
        with _vault_errors():
            info = await vault.replace(
                user, broker, body.secret(), label=body.label, permissions=body.permissions
            )
        return json_response(info_json(info))

    @router.delete("/{broker}")
    async def delete_credential(request: Request, broker: str) -> Response:
        """Delete the caller's credential at ``broker``."""
        user = user_of(request)
        known(broker)
        with _vault_errors():
            await vault.delete(user, broker)
        return json_response({"broker": broker, "deleted": True})

    @router.post("/{broker}/test")
    async def test_credential(request: Request, broker: str) -> Response:
        """Log on to ``broker`` with the stored credential; return whether it was accepted."""
        user = user_of(request)
        known(broker)
        with _vault_errors():
            result = await vault.test(user, broker, checker)
            info = await vault.info(user, broker)
        return json_response(
            {"ok": result.ok, "message": result.message, "credential": info_json(info)}
        )

    @router.get("/{broker}/audit")
    async def credential_audit(request: Request, broker: str) -> Response:
        """Return the audit log of the caller's credential at ``broker``, oldest first."""
        user = user_of(request)
        known(broker)
        entries = await vault.audit(user, broker)
        return json_response({"items": [audit_json(e) for e in entries], "next_cursor": None})

    return router
