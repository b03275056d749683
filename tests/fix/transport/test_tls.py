"""A FIX session end to end over TLS (a self-signed certificate made for the test)."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from ordergate.fix.session.config import Role, SessionConfig
from ordergate.fix.transport import (
    FixAcceptor,
    FixInitiator,
    client_context,
    memory_stores,
    server_context,
)
from tests.fix.transport.helpers import TIMEOUT, Recorder, order, self_signed_certificate

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed_certificate(tmp_path_factory.mktemp("tls"))


def sessions() -> tuple[SessionConfig, SessionConfig]:
    common = {"begin_string": "FIX.4.2"}
    return (
        SessionConfig(sender_comp_id="C", target_comp_id="V", role=Role.INITIATOR, **common),
        SessionConfig(sender_comp_id="V", target_comp_id="C", role=Role.ACCEPTOR, **common),
    )


async def test_logon_order_and_logout_over_tls(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    init_config, acc_config = sessions()
    server_app, client_app = Recorder(echo=True), Recorder()
    acceptor = FixAcceptor(
        "127.0.0.1",
        0,
        [acc_config],
        memory_stores(),
        server_app,
        ssl_context=server_context(cert, key),
    )
    await acceptor.start()
    initiator = FixInitiator(
        init_config,
        memory_stores(),
        None,
        [("127.0.0.1", acceptor.port)],
        client_app,
        ssl_context=client_context(ca=cert),
    )
    await initiator.start()
    try:
        connection = await initiator.wait_logged_on(TIMEOUT)
        connection.send(order("SECRET-1"))
        echoed = await client_app.next_message()
        received = await server_app.next_message()
    finally:
        await initiator.stop()
        await acceptor.stop()

    assert echoed.get_str(11) == "SECRET-1"
    assert received.get_str(11) == "SECRET-1"
    await client_app.next_logout()


async def test_an_initiator_that_does_not_trust_the_certificate_never_logs_on(
    certificate: tuple[Path, Path], tmp_path: Path
) -> None:
    cert, key = certificate
    other_cert, _ = self_signed_certificate(tmp_path)
    init_config, acc_config = sessions()
    acceptor = FixAcceptor(
        "127.0.0.1",
        0,
        [acc_config],
        memory_stores(),
        Recorder(),
        ssl_context=server_context(cert, key),
    )
    await acceptor.start()
    initiator = FixInitiator(
        init_config,
        memory_stores(),
        None,
        [("127.0.0.1", acceptor.port)],
        Recorder(),
        ssl_context=client_context(ca=other_cert),
    )
    await initiator.start()
    try:
        with pytest.raises(TimeoutError):
            await initiator.wait_logged_on(0.5)
        assert initiator.attempts >= 1
        assert acceptor.session("FIX.4.2:V->C").store.next_target_seq() == 1
    finally:
        await initiator.stop()
        await acceptor.stop()


def test_tls_contexts_refuse_bad_files(tmp_path: Path) -> None:
    missing = tmp_path / "missing.pem"
    with pytest.raises(FileNotFoundError):
        server_context(missing, missing)
    (tmp_path / "junk.pem").write_text("not a certificate")
    with pytest.raises(ssl.SSLError):
        client_context(ca=tmp_path / "junk.pem")
    with pytest.raises(ValueError, match="both cert and key"):
        client_context(cert=tmp_path / "junk.pem")
