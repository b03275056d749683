"""Session settings files (TOML and JSON): what they give, and every bad input refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ordergate.fix.session.config import Role
from ordergate.fix.settings import SettingsError, load_settings, parse_settings
from tests.fix.transport.helpers import self_signed_certificate

TOML = b"""
store = "sqlite:///tmp/fix.db"

[[sessions]]
role = "acceptor"
begin_string = "FIX.4.4"
sender_comp_id = "OGATE"
target_comp_id = "CLIENT1"
port = 9876
heartbeat_interval = 10
reset_on_logon = true

[[sessions]]
role = "acceptor"
begin_string = "FIX.4.2"
sender_comp_id = "OGATE"
target_comp_id = "CLIENT2"
port = 9876

[[sessions]]
role = "initiator"
begin_string = "FIX.4.2"
sender_comp_id = "OGATE"
target_comp_id = "BROKER"
endpoints = ["fix1.example:9880", "[::1]:9881"]
store = "postgresql://fix@db/fix"
"""


def test_a_toml_file_gives_sessions_listeners_and_stores(tmp_path: Path) -> None:
    path = tmp_path / "fix.toml"
    path.write_bytes(TOML)

    settings = load_settings(path)

    first, second, broker = settings.sessions
    assert first.config.session_id == "FIX.4.4:OGATE->CLIENT1"
    assert first.config.role is Role.ACCEPTOR
    assert first.config.heartbeat_interval == 10
    assert first.config.reset_on_logon
    assert (first.host, first.port) == ("127.0.0.1", 9876)
    assert list(settings.acceptor_groups()) == [("127.0.0.1", 9876)]
    assert len(settings.acceptor_groups()[("127.0.0.1", 9876)]) == 2
    assert settings.initiators() == [broker]
    assert broker.endpoints == (("fix1.example", 9880), ("::1", 9881))
    assert settings.store_url(first) == "sqlite:///tmp/fix.db"
    assert settings.store_url(broker) == "postgresql://fix@db/fix"
    assert second.ssl_context() is None


def test_json_has_the_same_shape_and_host_port_makes_an_initiator_endpoint() -> None:
    data = {
        "sessions": [
            {
                "role": "initiator",
                "begin_string": "FIX.4.4",
                "sender_comp_id": "A",
                "target_comp_id": "B",
                "host": "primary",
                "port": 1000,
                "endpoints": ["backup:1001"],
                "username": "u",
                "password": "p",
            }
        ]
    }

    settings = parse_settings(json.dumps(data).encode(), "json")

    (session,) = settings.sessions
    assert session.endpoints == (("primary", 1000), ("backup", 1001))
    assert session.config.username == "u"
    assert settings.store is None


def test_tls_paths_are_relative_to_the_file_and_give_contexts(tmp_path: Path) -> None:
    cert, key = self_signed_certificate(tmp_path)
    path = tmp_path / "fix.toml"
    path.write_text(
        f"""
[[sessions]]
role = "acceptor"
begin_string = "FIX.4.4"
sender_comp_id = "S"
target_comp_id = "T"
port = 0
[sessions.tls]
cert = "{cert.name}"
key = "{key.name}"

[[sessions]]
role = "initiator"
begin_string = "FIX.4.4"
sender_comp_id = "T"
target_comp_id = "S"
endpoints = ["localhost:1"]
[sessions.tls]
ca = "{cert.name}"
"""
    )

    acceptor, initiator = load_settings(path).sessions

    assert acceptor.tls is not None
    assert acceptor.tls.cert == str(cert)
    assert acceptor.ssl_context() is not None
    assert initiator.ssl_context() is not None


BASE = """
[[sessions]]
role = "{role}"
begin_string = "FIX.4.4"
sender_comp_id = "S"
target_comp_id = "T"
"""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not toml = = =", "does not parse"),
        ("sessions = 3", "sessions must be a non-empty list"),
        ("sessions = []", "sessions must be a non-empty list"),
        ("colour = 1\nsessions = []", "unknown top-level keys: colour"),
        ("store = 5\n" + BASE.format(role="acceptor") + "port = 1", "store must be a URL"),
        ("sessions = [1]", r"sessions\[0\]: must be a table"),
        (BASE.format(role="acceptor") + "port = 1\nhartbeat = 3", "unknown keys: hartbeat"),
        (BASE.format(role="broker") + "port = 1", r"sessions\[0\]: Invalid enum value"),
        (BASE.format(role="acceptor"), "an acceptor needs a port"),
        (BASE.format(role="acceptor") + "port = 70000", "an acceptor needs a port"),
        (BASE.format(role="acceptor") + 'port = 1\nendpoints = ["h:1"]', "endpoints are for"),
        (BASE.format(role="initiator"), "an initiator needs endpoints"),
        (BASE.format(role="initiator") + "port = 0", "port must be 1-65535"),
        (BASE.format(role="initiator") + 'endpoints = ["nohost"]', "is not host:port"),
        (BASE.format(role="initiator") + 'endpoints = ["h:0"]', "is not host:port"),
        (BASE.format(role="initiator") + 'endpoints = ["h:x"]', "is not host:port"),
        (BASE.format(role="initiator") + 'endpoints = "h:1"', "Expected `array`"),
        (BASE.format(role="acceptor") + "port = 1\nheartbeat_interval = 0", "must be positive"),
        (BASE.format(role="acceptor") + 'port = 1\nheartbeat_interval = "x"', "Expected `int`"),
        (
            BASE.format(role="acceptor").replace("FIX.4.4", "FIX.5.0") + "port = 1",
            "begin_string must be FIX.4.2 or FIX.4.4",
        ),
        (
            BASE.format(role="acceptor").replace('"S"', '""') + "port = 1",
            "must not be empty",
        ),
        (BASE.format(role="acceptor") + 'port = 1\n[sessions.tls]\nca = "x"', "needs cert and key"),
        (BASE.format(role="acceptor") + 'port = 1\n[sessions.tls]\nkeyy = "x"', "unknown field"),
        (
            BASE.format(role="acceptor") + "port = 1\n" + BASE.format(role="acceptor") + "port = 2",
            "configured twice",
        ),
    ],
)
def test_bad_settings_are_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        parse_settings(text.encode(), "toml")


def test_acceptors_on_one_port_must_share_tls() -> None:
    text = (
        BASE.format(role="acceptor")
        + 'port = 5\n[sessions.tls]\ncert = "c"\nkey = "k"\n'
        + BASE.format(role="acceptor").replace('"T"', '"U"')
        + "port = 5\n"
    )
    with pytest.raises(SettingsError, match="must share one tls setting"):
        parse_settings(text.encode(), "toml")


def test_unreadable_files_and_formats_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"missing\.toml"):
        load_settings(tmp_path / "missing.toml")
    (tmp_path / "fix.ini").write_text("x")
    with pytest.raises(SettingsError, match=r"must end in \.toml or \.json"):
        load_settings(tmp_path / "fix.ini")
    (tmp_path / "bad.json").write_text("[1, 2]")
    with pytest.raises(SettingsError, match=r"bad\.json: top level must be"):
        load_settings(tmp_path / "bad.json")
    (tmp_path / "latin.toml").write_bytes(b"\xff\xfe")
    with pytest.raises(SettingsError, match="does not parse"):
        load_settings(tmp_path / "latin.toml")
    with pytest.raises(SettingsError, match="unknown settings format"):
        parse_settings(b"", "yaml")


def test_tls_files_that_cannot_load_are_a_settings_error(tmp_path: Path) -> None:
    text = BASE.format(role="acceptor") + 'port = 1\n[sessions.tls]\ncert = "c"\nkey = "k"\n'
    path = tmp_path / "fix.toml"
    path.write_text(text)

    (session,) = load_settings(path).sessions

    with pytest.raises(SettingsError, match="tls:"):
        session.ssl_context()


def test_the_example_file_loads() -> None:
    path = Path(__file__).resolve().parents[3] / "examples" / "fix-acceptor.toml"

    settings = load_settings(path)

    client1, client2, client3, broker = settings.sessions
    assert settings.store == "sqlite:///var/lib/ordergate/fix.db"
    assert list(settings.acceptor_groups()) == [("0.0.0.0", 9876), ("127.0.0.1", 9877)]
    assert settings.initiators() == [broker]
    assert client1.tls is not None
    assert client1.tls.ca == str(path.parent / "certs" / "clients-ca.pem")
    assert client1.tls == client2.tls
    assert settings.store_url(client2) == "sqlite:///var/lib/ordergate/client2.db"
    extended = client1.session_dictionary()
    assert [extended.field_name(t) for t in (9001, 9002, 9010)] == [
        "ClientStrategy",
        "ClientDeskID",
        "NoClientTags",
    ]
    assert {9001, 9002, 9010} <= extended.message_fields("D")
    assert client2.dictionary is None
    assert client3.dictionary_file == str(path.parent / "FIX44-broker.xml")
    assert client3.session_dictionary().field_name(9001) == "BrokerStrategy"
    assert broker.endpoints == (("fix1.broker.example", 9880), ("fix2.broker.example", 9880))
    assert broker.config.username == "ogate"
    assert broker.tls is not None
    assert broker.tls.server_hostname == "fix.broker.example"
