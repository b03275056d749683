"""The credential routes, in-process over a real SQLite vault and a small checker."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from ordergate.api.credentials import USER_HEADER, credentials_router
from ordergate.api.errors import ApiError, handle_api_error
from ordergate.clock import TestClock
from ordergate.gateway.vault import (
    CredentialStore,
    CredentialVault,
    Keyring,
    MasterKey,
    open_credential_store,
)
from tests.gateway.vault.contract import SECRET, Broker

BROKERS = {"alpaca", "binance"}
ALICE = {USER_HEADER: "alice"}
BODY = {
    "api_key": SECRET.api_key,
    "api_secret": SECRET.api_secret,
    "passphrase": SECRET.passphrase,
    "extra": SECRET.extra,
    "label": "paper account",
}
SECRET_TEXTS = (SECRET.api_key, SECRET.api_secret, "correct horse", "acct-42")


@pytest.fixture
async def credential_store(tmp_path: Path) -> AsyncIterator[CredentialStore]:
    async with open_credential_store(f"sqlite:///{tmp_path / 'credentials.db'}") as store:
        yield store


@pytest.fixture
def vault(credential_store: CredentialStore) -> CredentialVault:
    return CredentialVault(credential_store, Keyring(MasterKey.generate()), TestClock())


@pytest.fixture
def broker() -> Broker:
    return Broker()


@pytest.fixture
async def client(vault: CredentialVault, broker: Broker) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.add_exception_handler(ApiError, handle_api_error)
    app.include_router(
        credentials_router(vault, checker=broker.check, is_known_broker=BROKERS.__contains__)
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def error(response: httpx.Response) -> tuple[int, str, str | None]:
    body = response.json()["error"]
    return response.status_code, body["code"], body["field"]


def assert_no_secret(response: httpx.Response) -> None:
    for text in SECRET_TEXTS:
        assert text not in response.text


async def test_create_returns_metadata_only(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/credentials/alpaca", json=BODY, headers=ALICE)

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "broker",
        "label",
        "status",
        "fingerprint",
        "permissions",
        "version",
        "created_at",
        "updated_at",
        "last_used_at",
    }
    assert body["broker"] == "alpaca"
    assert body["label"] == "paper account"
    assert body["status"] == "untested"
    assert body["permissions"] == ["read", "trade"]
    assert body["created_at"] == "2023-11-14T22:13:20Z"
    assert body["last_used_at"] is None
    assert len(body["fingerprint"]) == 16
    assert_no_secret(response)


async def test_create_then_the_adapter_can_use_it(
    client: httpx.AsyncClient, vault: CredentialVault
) -> None:
    await client.post("/api/credentials/alpaca", json=BODY, headers=ALICE)

    assert await vault.use("alice", "alpaca") == SECRET

    got = await client.get("/api/credentials/alpaca", headers=ALICE)
    assert got.json()["last_used_at"] is not None


async def test_create_twice_is_409(client: httpx.AsyncClient) -> None:
    await client.post("/api/credentials/alpaca", json=BODY, headers=ALICE)

    response = await client.post("/api/credentials/alpaca", json=BODY, headers=ALICE)

    assert error(response)[:2] == (409, "CREDENTIAL_EXISTS")


async def test_get_returns_metadata_and_is_audited(client: httpx.AsyncClient) -> None:
    await client.post("/api/credentials/alpaca", json=BODY, headers=ALICE)

    response = await client.get("/api/credentials/alpaca", headers=ALICE)

    assert response.status_code == 200
    assert response.json()["label"] == "paper account"
    assert_no_secret(response)
    audit = await client.get("/api/credentials/alpaca/audit", headers=ALICE)
    assert [(e["action"], e["actor"]) for e in audit.json()["items"]] == [
        ("created", "alice"),
        ("read", "alice"),
    ]


async def test_a_missing_credential_is_404(client: httpx.AsyncClient) -> None:
    for method in ("GET", "PUT", "DELETE"):
        response = await client.request(
            method, "/api/credentials/alpaca", json=BODY if method == "PUT" else None, headers=ALICE
        )
        assert error(response)[:2] == (404, "CREDENTIAL_NOT_FOUND")
    response = await client.post("/api/credentials/alpaca/test", headers=ALICE)
    assert error(response)[:2] == (404, "CREDENTIAL_NOT_FOUND")


async def test_put_replaces_the_credential(
    client: httpx.AsyncClient, vault: CredentialVault
) -> None:
    await client.post("/api/credentials/alpaca", json=BODY, headers=ALICE)

    response = await client.put(
        "/api/credentials/alpaca",
        json={"api_key": "PKNEW", "api_secret": "new-secret", "permissions": ["read"]},
        headers=ALICE,
    )

    assert response.status_code == 200
    assert response.json()["version"] == 2
    assert response.json()["permissions"] == ["read"]
    assert response.json()["label"] == ""
    assert (await vault.use("alice", "alpaca")).api_secret == "new-secret"


async def test_delete_removes_it(client: httpx.AsyncClient) -> None:
    await client.post("/api/credentials/alpaca", json=BODY, headers=ALICE)

    response = await client.delete("/api/credentials/alpaca", headers=ALICE)

    assert response.json() == {"broker": "alpaca", "deleted": True}
    assert (await client.get("/api/credentials/alpaca", headers=ALICE)).status_code == 404


async def test_list_shows_only_the_callers_credentials(client: httpx.AsyncClient) -> None:
    await client.post("/api/credentials/binance", json=BODY, headers=ALICE)
    await client.post("/api/credentials/alpaca", json=BODY, headers=ALICE)
    await client.post("/api/credentials/alpaca", json=BODY, headers={USER_HEADER: "bob"})

    response = await client.get("/api/credentials", headers=ALICE)

    assert [i["broker"] for i in response.json()["items"]] == ["alpaca", "binance"]
    assert response.json()["next_cursor"] is None
    assert_no_secret(response)


async def test_another_user_cannot_see_or_delete_alices_credential(
    client: httpx.AsyncClient,
) -> None:
    await client.post("/api/credentials/alpaca", json=BODY, headers=ALICE)
    bob = {USER_HEADER: "bob"}

    assert (await client.get("/api/credentials/alpaca", headers=bob)).status_code == 404
    assert (await client.delete("/api/credentials/alpaca", headers=bob)).status_code == 404
    assert (await client.get("/api/credentials/alpaca", headers=ALICE)).status_code == 200


async def test_test_logs_on_with_the_stored_secret(
    client: httpx.AsyncClient, broker: Broker
) -> None:
    await client.post("/api/credentials/alpaca", json=BODY, headers=ALICE)

    response = await client.post("/api/credentials/alpaca/test", headers=ALICE)

    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["message"] == "logged on"
    assert body["credential"]["status"] == "verified"
    assert broker.calls == [("alpaca", SECRET.api_key)]
    assert_no_secret(response)


async def test_test_with_a_refused_secret_reports_rejected(client: httpx.AsyncClient) -> None:
    await client.post(
        "/api/credentials/alpaca",
        json={"api_key": "PKWRONG", "api_secret": "wrong"},
        headers=ALICE,
    )

    response = await client.post("/api/credentials/alpaca/test", headers=ALICE)

    assert response.json()["ok"] is False
    assert response.json()["message"] == "invalid signature"
    assert response.json()["credential"]["status"] == "rejected"


async def test_a_tampered_credential_is_409_and_never_reaches_the_broker(
    client: httpx.AsyncClient, credential_store: CredentialStore, tmp_path: Path, broker: Broker
) -> None:
    await client.post("/api/credentials/alpaca", json=BODY, headers=ALICE)
    row = await credential_store.get("alice", "alpaca")
    assert row is not None
    conn = sqlite3.connect(tmp_path / "credentials.db")
    with conn:
        conn.execute(
            "UPDATE credentials SET ciphertext = ?",
            (bytes([row.ciphertext[0] ^ 1]) + row.ciphertext[1:],),
        )
    conn.close()

    response = await client.post("/api/credentials/alpaca/test", headers=ALICE)

    assert error(response) == (409, "CREDENTIAL_TAMPERED", "broker")
    assert broker.calls == []
    listed = await client.get("/api/credentials", headers=ALICE)
    assert listed.json()["items"][0]["status"] == "tampered"
    audit = await client.get("/api/credentials/alpaca/audit", headers=ALICE)
    assert "failed-decrypt" in [e["action"] for e in audit.json()["items"]]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/credentials"),
        ("POST", "/api/credentials/alpaca"),
        ("GET", "/api/credentials/alpaca"),
        ("PUT", "/api/credentials/alpaca"),
        ("DELETE", "/api/credentials/alpaca"),
        ("POST", "/api/credentials/alpaca/test"),
        ("GET", "/api/credentials/alpaca/audit"),
    ],
)
@pytest.mark.parametrize("headers", [{}, {USER_HEADER: ""}, {USER_HEADER: "al ice"}])
async def test_a_missing_or_malformed_user_is_401(
    client: httpx.AsyncClient, method: str, path: str, headers: dict[str, str]
) -> None:
    response = await client.request(method, path, json=BODY, headers=headers)

    assert error(response)[:2] == (401, "UNAUTHENTICATED")


async def test_an_unknown_broker_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/credentials/robinhood", json=BODY, headers=ALICE)

    assert error(response) == (422, "UNKNOWN_BROKER", "broker")


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/credentials/alpaca", content=b'{"api_key": ', headers=ALICE)

    assert error(response)[:2] == (400, "MALFORMED_JSON")


async def test_an_empty_body_is_400(client: httpx.AsyncClient) -> None:
    response = await client.put("/api/credentials/alpaca", headers=ALICE)

    assert error(response)[:2] == (400, "MALFORMED_JSON")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"api_secret": "s"}, "api_key"),
        ({"api_key": "k"}, "api_secret"),
        ({"api_key": 12345, "api_secret": "s"}, "api_key"),
        ({"api_key": "k", "api_secret": ["s"]}, "api_secret"),
        ({"api_key": "", "api_secret": "s"}, "api_key"),
        ({"api_key": "k", "api_secret": ""}, "api_secret"),
        ({"api_key": "k", "api_secret": "   "}, "api_secret"),
        ({"api_key": "k", "api_secret": "s", "passphrase": ""}, "passphrase"),
        ({"api_key": "k", "api_secret": "s", "extra": {"uid": 5}}, "extra[...]"),
        ({"api_key": "k", "api_secret": "s", "extra": {"Bad Name": "v"}}, "extra.Bad Name"),
        ({"api_key": "k", "api_secret": "s", "permissions": ["admin"]}, "permissions[0]"),
        ({"api_key": "k", "api_secret": "s", "permissions": []}, "permissions"),
        ({"api_key": "k", "api_secret": "s", "label": "x" * 101}, "label"),
        ({"api_key": "k", "api_secret": "s", "label": "tab\there"}, "label"),
        ({"api_key": "k", "api_secret": "s", "secret": "typo"}, None),
        ({"api_key": "k", "api_secret": "x" * 8193}, "api_secret"),
    ],
)
async def test_a_bad_body_is_422_naming_the_field(
    client: httpx.AsyncClient, body: dict[str, object], field: str | None
) -> None:
    response = await client.post("/api/credentials/alpaca", json=body, headers=ALICE)

    status, code, named = error(response)
    assert (status, code) == (422, "INVALID_FIELD")
    if field is not None:
        assert named == field
    else:
        assert "unknown field" in response.json()["error"]["message"]
    assert (await client.get("/api/credentials/alpaca", headers=ALICE)).status_code == 404


async def test_a_json_array_body_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/credentials/alpaca", json=[BODY], headers=ALICE)

    assert error(response)[:2] == (422, "INVALID_FIELD")


async def test_no_response_ever_carries_the_secret(client: httpx.AsyncClient) -> None:
    responses = [
        await client.post("/api/credentials/alpaca", json=BODY, headers=ALICE),
        await client.post("/api/credentials/alpaca", json=BODY, headers=ALICE),
        await client.get("/api/credentials/alpaca", headers=ALICE),
        await client.get("/api/credentials", headers=ALICE),
        await client.post("/api/credentials/alpaca/test", headers=ALICE),
        await client.get("/api/credentials/alpaca/audit", headers=ALICE),
        await client.put("/api/credentials/alpaca", json=BODY, headers=ALICE),
        await client.delete("/api/credentials/alpaca", headers=ALICE),
    ]

    for response in responses:
        assert_no_secret(response)


async def test_a_credential_under_a_master_key_this_process_lacks_is_503(
    client: httpx.AsyncClient, credential_store: CredentialStore, broker: Broker
) -> None:
    await CredentialVault(credential_store, Keyring(MasterKey.generate()), TestClock()).create(
        "alice", "alpaca", SECRET
    )

    response = await client.post("/api/credentials/alpaca/test", headers=ALICE)

    assert error(response)[:2] == (503, "MASTER_KEY_UNAVAILABLE")
    assert broker.calls == []


async def test_the_router_serves_inside_the_platform_app(
    app: FastAPI, vault: CredentialVault, broker: Broker
) -> None:
    app.include_router(
        credentials_router(vault, checker=broker.check, is_known_broker=BROKERS.__contains__)
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        created = await client.post("/api/credentials/alpaca", json=BODY, headers=ALICE)
        missing = await client.get("/api/credentials/binance", headers=ALICE)
        schema = await client.get("/openapi.json")

    assert created.status_code == 201
    assert error(missing)[:2] == (404, "CREDENTIAL_NOT_FOUND")
    assert "/api/credentials/{broker}/test" in schema.json()["paths"]
