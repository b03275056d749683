"""Per-counterparty dictionaries from the settings file: loading, bad entries, and the
acceptor and initiator built from the file validating with them over real sockets."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ordergate.fix.dictionary import load_dictionary
from ordergate.fix.message import FixMessage
from ordergate.fix.settings import FixSettings, SettingsError, load_settings, parse_settings
from ordergate.fix.store import DurableMessageStore
from ordergate.fix.transport import FixAcceptor, build_acceptors, build_initiators, memory_stores
from tests.fix.transport.helpers import TIMEOUT, RawPeer, Recorder, order

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BROKER_XML = EXAMPLES / "FIX44-broker.xml"

ACCEPTOR = """
[[sessions]]
role = "acceptor"
begin_string = "FIX.4.4"
sender_comp_id = "OGATE"
target_comp_id = "CLIENT"
port = 0
"""

EXTENSIONS = """
[[sessions.extensions.fields]]
tag = 9001
name = "ClientStrategy"
enums = ["VWAP", "TWAP"]

[sessions.extensions.message_fields]
D = [9001]
8 = [9001]
"""

INITIATOR = """
[[sessions]]
role = "initiator"
begin_string = "FIX.4.4"
sender_comp_id = "CLIENT"
target_comp_id = "OGATE"
endpoints = ["127.0.0.1:{port}"]
"""


def write(tmp_path: Path, text: str, name: str = "fix.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def custom_order(cl_ord_id: str, strategy: str = "VWAP") -> FixMessage:
    message = order(cl_ord_id)
    message.append(9001, strategy)
    return message


# -- loading ----------------------------------------------------------------------------


def test_extensions_build_the_session_dictionary() -> None:
    (session,) = parse_settings((ACCEPTOR + EXTENSIONS).encode(), "toml").sessions

    assert session.extensions is not None
    assert session.extensions.fields[0].enums == ["VWAP", "TWAP"]
    assert session.extensions.message_fields == {"D": [9001], "8": [9001]}
    dictionary = session.session_dictionary()
    assert dictionary is session.dictionary
    assert dictionary.field_name(9001) == "ClientStrategy"
    assert 9001 in dictionary.message_fields("D")
    assert 9001 not in dictionary.message_fields("F")


def test_without_dictionary_or_extensions_the_standard_dictionary_is_used() -> None:
    (session,) = parse_settings(ACCEPTOR.encode(), "toml").sessions

    assert session.dictionary is None
    assert session.session_dictionary().field_name(9001) is None
    assert session.session_dictionary().begin_string == "FIX.4.4"


def test_a_dictionary_file_is_relative_to_the_settings_file_and_takes_extensions(
    tmp_path: Path,
) -> None:
    (tmp_path / "dicts").mkdir()
    shutil.copy(BROKER_XML, tmp_path / "dicts" / "broker.xml")
    extra = """
[[sessions.extensions.fields]]
tag = 9002
name = "DeskID"
[sessions.extensions.message_fields]
D = [9002]
"""
    path = write(tmp_path, ACCEPTOR + 'dictionary = "dicts/broker.xml"\n' + extra)

    (session,) = load_settings(path).sessions

    assert session.dictionary_file == str(tmp_path / "dicts" / "broker.xml")
    dictionary = session.session_dictionary()
    assert dictionary.field_name(9001) == "BrokerStrategy"  # from the XML file
    assert dictionary.field_name(9002) == "DeskID"  # from the extensions
    assert "X" not in dictionary.message_types()  # only what the file defines


SESSION = r"sessions\[0\] \(FIX\.4\.4:OGATE->CLIENT\)"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            '[[sessions.extensions.fields]]\ntag = "x"\nname = "A"\n',
            SESSION + r": extensions: Expected `int`, got `str` - at `\$\.fields\[0\]\.tag`",
        ),
        (
            "[[sessions.extensions.fields]]\ntag = 9001\n",
            SESSION + r": extensions: Object missing required field `name` - at `\$\.fields\[0\]`",
        ),
        (
            '[[sessions.extensions.fields]]\ntag = 9001\nname = "A"\nenum = ["X"]\n',
            SESSION + r": extensions: Object contains unknown field `enum`",
        ),
        (
            "[sessions.extensions]\nmesage_fields = 1\n",
            SESSION + r": extensions: Object contains unknown field `mesage_fields`",
        ),
        (
            "[sessions.extensions.message_fields]\nD = 9001\n",
            SESSION + r": extensions: message_fields\.D: Expected `array`, got `int`",
        ),
        (
            "[sessions.extensions.message_fields]\nD = [9001]\n",
            SESSION + r": extensions: extensions allow undefined tags \[9001\] in 'D'",
        ),
        (
            "[sessions.extensions.message_fields]\nZZ = [1]\n",
            SESSION + r": extensions: extensions name unknown MsgType\(35\) 'ZZ'",
        ),
        (
            '[[sessions.extensions.fields]]\ntag = 0\nname = "A"\n',
            SESSION + r": extensions: custom field A has tag 0",
        ),
        (
            "[[sessions.extensions.groups]]\ncount_tag = 9010\nmembers = [9011]\n"
            'msg_types = ["D"]\n',
            SESSION + r": extensions: group 9010 has undefined or no members",
        ),
        ("extensions = 5\n", SESSION + r": extensions: Expected `object`, got `int`"),
        ("dictionary = 5\n", r"sessions\[0\]: Expected `str \| null`, got `int`"),
    ],
)
def test_bad_extension_entries_name_the_session_and_the_entry(
    tmp_path: Path, extra: str, message: str
) -> None:
    path = write(tmp_path, ACCEPTOR + extra)

    with pytest.raises(SettingsError, match=r"fix\.toml: " + message):
        load_settings(path)


def test_bad_dictionary_files_are_refused_with_the_reason(tmp_path: Path) -> None:
    def refused(dictionary: str, begin: str = "FIX.4.4") -> str:
        text = ACCEPTOR.replace("FIX.4.4", begin) + f'dictionary = "{dictionary}"\n'
        with pytest.raises(SettingsError) as caught:
            load_settings(write(tmp_path, text))
        return str(caught.value)

    assert "missing.xml: No such file" in refused("missing.xml")
    (tmp_path / "junk.xml").write_text("<fix><unclosed></fix>")
    assert "junk.xml: dictionary XML does not parse" in refused("junk.xml")
    shutil.copy(BROKER_XML, tmp_path / "broker.xml")
    assert "broker.xml is FIX.4.4, not FIX.4.2" in refused("broker.xml", "FIX.4.2")
    # A file with only application messages could not run a session.
    no_admin = (tmp_path / "broker.xml").read_text()
    start, end = no_admin.index('<message name="Heartbeat"'), no_admin.index('<message name="New')
    (tmp_path / "app-only.xml").write_text(no_admin[:start] + no_admin[end:])
    assert "lacks session messages (MsgType 0, 1, 2, 3, 4, 5, A)" in refused("app-only.xml")


# -- over real sockets ------------------------------------------------------------------


@pytest.fixture
async def served(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[FixAcceptor, Recorder]]:
    """An echoing acceptor built from a settings file with the parametrized dictionary."""
    shutil.copy(BROKER_XML, tmp_path / "broker.xml")
    extra = {"standard": "", "extensions": EXTENSIONS, "xml": 'dictionary = "broker.xml"\n'}
    settings = load_settings(write(tmp_path, ACCEPTOR + extra[request.param]))
    application = Recorder(echo=True)
    (acceptor,) = build_acceptors(settings, application)
    await acceptor.start()
    yield acceptor, application
    await acceptor.stop()


async def logged_on_peer(port: int) -> RawPeer:
    peer = await RawPeer.connect(port, sender="CLIENT", target="OGATE")
    assert (await peer.logon()).msg_type == "A"
    return peer


@pytest.mark.parametrize("served", ["standard"], indirect=True)
async def test_a_custom_tag_is_rejected_without_the_extension(
    served: tuple[FixAcceptor, Recorder],
) -> None:
    acceptor, application = served
    peer = await logged_on_peer(acceptor.port)
    try:
        await peer.send(peer.frame("D", *custom_order("CUSTOM").body()))
        reject = await peer.receive_type("3")
        # The session goes on: the next order is delivered and echoed.
        await peer.send(peer.order_frame("PLAIN"))
        echoed = await peer.receive_type("D")
    finally:
        await peer.close()

    assert reject.get_int(373) in (2, 3)  # tag not defined for MsgType / undefined tag
    assert reject.get_int(371) == 9001
    assert reject.get_int(45) == 2
    delivered = await application.next_message()
    assert delivered.get_str(11) == "PLAIN"  # the custom order never reached it
    assert echoed.get_str(11) == "PLAIN"


@pytest.mark.parametrize("served", ["extensions", "xml"], indirect=True)
async def test_a_custom_tag_is_delivered_and_echoed_with_the_counterparty_dictionary(
    served: tuple[FixAcceptor, Recorder],
) -> None:
    acceptor, application = served
    peer = await logged_on_peer(acceptor.port)
    try:
        await peer.send(peer.frame("D", *custom_order("CUSTOM").body()))
        echoed = await peer.receive_type("D")
        # Its enumerated values are checked too.
        await peer.send(peer.frame("D", *custom_order("BAD", strategy="ICEBERG").body()))
        reject = await peer.receive_type("3")
    finally:
        await peer.close()

    delivered = await application.next_message()
    assert delivered.get_str(11) == "CUSTOM"
    assert delivered.get_str(9001) == "VWAP"
    assert echoed.get_str(11) == "CUSTOM"
    assert echoed.get_str(9001) == "VWAP"
    assert reject.get_int(373) == 5  # value is incorrect
    assert reject.get_int(371) == 9001
    assert application.messages.empty()


@pytest.mark.parametrize("extended", [True, False])
async def test_an_initiator_from_settings_validates_with_its_dictionary(
    tmp_path: Path, extended: bool
) -> None:
    server_settings = load_settings(write(tmp_path, ACCEPTOR + EXTENSIONS, "server.toml"))
    server_app = Recorder(echo=True)
    (acceptor,) = build_acceptors(server_settings, server_app)
    await acceptor.start()
    client_text = f'store = "sqlite:///{tmp_path}/client.db"\n'
    client_text += INITIATOR.format(port=acceptor.port) + (EXTENSIONS if extended else "")
    client_settings: FixSettings = load_settings(write(tmp_path, client_text, "client.toml"))
    client_app = Recorder()
    (initiator,) = build_initiators(client_settings, client_app)
    await initiator.start()
    try:
        connection = await initiator.wait_logged_on(TIMEOUT)
        connection.send(custom_order("CUSTOM"))
        connection.send(order("PLAIN"))
        assert (await server_app.next_message()).get_str(9001) == "VWAP"
        assert (await server_app.next_message()).get_str(11) == "PLAIN"
        first = await client_app.next_message()
        if extended:
            second = await client_app.next_message()
        store = initiator.store
        assert isinstance(store, DurableMessageStore)
        await store.flush()
        rejects = await store.messages(msg_type="3")
    finally:
        await initiator.stop()
        await acceptor.stop()

    if extended:
        assert (first.get_str(11), first.get_str(9001)) == ("CUSTOM", "VWAP")
        assert second.get_str(11) == "PLAIN"
        assert rejects == []
    else:
        # The echo of CUSTOM was refused by the initiator's (standard) dictionary.
        assert first.get_str(11) == "PLAIN"
        (reject,) = rejects
        assert reject.direction == "out"
        assert b"\x01371=9001\x01" in reject.raw


def test_an_acceptor_refuses_a_session_dictionary_it_cannot_use() -> None:
    (session,) = parse_settings(ACCEPTOR.encode(), "toml").sessions
    fix42 = load_dictionary("FIX.4.2")

    with pytest.raises(ValueError, match="not configured"):
        FixAcceptor(
            "127.0.0.1", 0, [session.config], memory_stores(), Recorder(),
            session_dictionaries={"FIX.4.4:OGATE->OTHER": fix42},
        )  # fmt: skip
    with pytest.raises(ValueError, match=r"dictionary is FIX\.4\.2"):
        FixAcceptor(
            "127.0.0.1", 0, [session.config], memory_stores(), Recorder(),
            session_dictionaries={session.config.session_id: fix42},
        )  # fmt: skip
