"""The brokers file: what it accepts, and a clear error for each thing it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from ordergate.gateway.brokers_file import (
    AlpacaBroker,
    BrokersFileError,
    CcxtBroker,
    FixBroker,
    load_brokers,
    parse_brokers,
)
from ordergate.gateway.vault import BrokerSecret
from ordergate.platform import SIMULATED_VENUES

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "brokers.toml"
SECRET = BrokerSecret(api_key="key", api_secret="shh")


def error_of(text: str) -> BrokersFileError:
    with pytest.raises(BrokersFileError) as raised:
        parse_brokers(text, reserved=SIMULATED_VENUES)
    return raised.value


def test_the_example_file_parses_into_one_broker_of_each_kind() -> None:
    brokers = load_brokers(EXAMPLE, reserved=SIMULATED_VENUES)

    assert [b.name for b in brokers] == ["BINANCE_LIVE", "KRAKEN", "ALPACA_PAPER", "FIXBROKER"]
    assert isinstance(brokers[0], CcxtBroker)
    assert isinstance(brokers[2], AlpacaBroker)
    fix = brokers[3]
    assert isinstance(fix, FixBroker)
    assert fix.endpoints == (("fix1.broker.example", 9880), ("fix2.broker.example", 9880))
    assert fix.extra_tags == {"D": {100: "XNAS"}}
    assert brokers[1].credential_user == "desk-1"


def test_a_binance_broker_uses_the_preset_with_the_files_urls_symbols_and_options() -> None:
    (broker,) = parse_brokers(
        """
        [[broker]]
        kind = "ccxt"
        name = "BINANCE2"
        exchange = "binance"
        urls = { public = "http://127.0.0.1:1/api/v3" }
        symbols = { "BTC-USD" = "BTC/USDT" }
        options = { recvWindow = 3000 }
        """
    )
    assert isinstance(broker, CcxtBroker)

    config = broker.venue_config(SECRET)

    assert config.venue == "BINANCE2"
    assert config.exchange_id == "binance"
    assert config.client_order_id_param == "newClientOrderId"  # the preset's
    assert config.api_urls == {"public": "http://127.0.0.1:1/api/v3"}
    assert config.symbol_map == {"BTC-USD": "BTC/USDT"}
    assert config.options["recvWindow"] == 3000
    assert config.options["defaultType"] == "spot"  # the preset's options kept
    assert (config.api_key, config.secret) == ("key", "shh")


def test_another_ccxt_exchange_gets_a_plain_config_and_sandbox_takes_ccxts_test_urls() -> None:
    bitstamp, testnet = parse_brokers(
        """
        [[broker]]
        kind = "ccxt"
        name = "BITSTAMP"
        exchange = "bitstamp"

        [[broker]]
        kind = "ccxt"
        name = "BINANCE_TEST"
        exchange = "binance"
        sandbox = true
        """
    )
    assert isinstance(bitstamp, CcxtBroker)
    assert isinstance(testnet, CcxtBroker)

    plain = bitstamp.venue_config(SECRET)
    sandboxed = testnet.venue_config(SECRET)

    assert (plain.exchange_id, plain.client_order_id_param) == ("bitstamp", "clientOrderId")
    assert "testnet" in sandboxed.api_urls["public"]


def test_alpaca_and_fix_brokers_map_to_their_venue_configs() -> None:
    alpaca, fix = parse_brokers(
        """
        [[broker]]
        kind = "alpaca"
        name = "ALPACA_LIVE"
        paper = false
        symbols = { "BRK-B" = "BRK.B" }

        [[broker]]
        kind = "fix"
        name = "FIX42"
        begin_string = "FIX.4.2"
        sender_comp_id = "ME"
        target_comp_id = "THEM"
        endpoints = ["10.0.0.1:9000"]
        username = "me"
        """
    )
    assert isinstance(alpaca, AlpacaBroker)
    assert isinstance(fix, FixBroker)

    alpaca_config = alpaca.venue_config(SECRET)
    fix_config = fix.venue_config(SECRET)

    assert alpaca_config.rest_url() == "https://api.alpaca.markets"
    assert alpaca_config.symbols == {"BRK-B": "BRK.B"}
    assert (alpaca_config.key_id, alpaca_config.secret_key) == ("key", "shh")
    assert fix_config.endpoints == [("10.0.0.1", 9000)]
    assert (fix_config.username, fix_config.password) == ("me", "shh")
    assert fix.needs_credential


def test_a_file_without_brokers_configures_none() -> None:
    assert parse_brokers("# nothing yet\n") == ()


CCXT = 'kind = "ccxt"\nname = "X1"\nexchange = "binance"\n'
FIX = (
    'kind = "fix"\nname = "F1"\nbegin_string = "FIX.4.4"\nsender_comp_id = "A"\n'
    'target_comp_id = "B"\n'
)


@pytest.mark.parametrize(
    ("body", "broker", "field", "says"),
    [
        ('kind = "ib"\nname = "IB"', "broker[0] (IB)", "kind", "unknown kind 'ib'"),
        ('name = "NOKIND"', "broker[0] (NOKIND)", "kind", "is required"),
        (CCXT + "colour = 1", "broker[0] (X1)", "colour", "unknown field"),
        ('kind = "ccxt"\nexchange = "binance"', "broker[0]", "name", "is required"),
        ('kind = "ccxt"\nname = "X1"', "broker[0] (X1)", "exchange", "is required"),
        (FIX, "broker[0] (F1)", "endpoints", "is required"),
        (
            FIX + 'endpoints = ["nohost"]',
            "broker[0] (F1)",
            "endpoints",
            "'nohost' is not host:port",
        ),
        (FIX + 'endpoints = ["h:70000"]', "broker[0] (F1)", "endpoints", "is not host:port"),
        (FIX + "endpoints = []", "broker[0] (F1)", "endpoints", "non-empty list"),
        (CCXT + 'api_key = "k"', "broker[0] (X1)", "api_key", "credential vault"),
        (CCXT + 'secret = "s"', "broker[0] (X1)", "secret", "credential vault"),
        (
            'kind = "ccxt"\nname = "X1"\nexchange = "nosuchx"',
            "broker[0] (X1)",
            "exchange",
            "no exchange",
        ),
        (CCXT + 'sandbox = "yes"', "broker[0] (X1)", "sandbox", "Expected `bool`"),
        ('kind = "ccxt"\nname = "a b"\nexchange = "binance"', "broker[0] (a b)", "name", "letters"),
        (
            'kind = "ccxt"\nname = "BINANCE"\nexchange = "binance"',
            "broker[0] (BINANCE)",
            "name",
            "simulated venue",
        ),
        (
            'kind = "alpaca"\nname = "A1"\nbase_url = "ftp://x"',
            "broker[0] (A1)",
            "base_url",
            "http(s) URL",
        ),
        (CCXT + 'credential_user = ""', "broker[0] (X1)", "credential_user", "must not be empty"),
    ],
)
def test_a_bad_broker_is_refused_naming_the_broker_and_the_field(
    body: str, broker: str, field: str, says: str
) -> None:
    error = error_of(f"[[broker]]\n{body}\n")

    assert (error.broker, error.field) == (broker, field)
    assert says in str(error)


def test_two_brokers_of_one_name_are_refused() -> None:
    error = error_of(f"[[broker]]\n{CCXT}\n[[broker]]\n{CCXT.replace('X1', 'x1')}")

    assert (error.broker, error.field) == ("broker[1] (x1)", "name")
    assert "configured twice" in str(error)


def test_a_fix_broker_the_venue_config_refuses_is_refused_at_load() -> None:
    error = error_of(
        f"[[broker]]\n{FIX.replace('4.4', '4.2')}endpoints = ['h:1']\nsupports_mass_cancel = true"
    )

    assert error.broker == "broker[0] (F1)"
    assert "FIX 4.2" in str(error)


def test_unparsable_text_unknown_top_level_keys_and_missing_files_are_refused(
    tmp_path: Path,
) -> None:
    assert "does not parse" in str(error_of("[[broker]\n"))
    assert "unknown top-level keys" in str(error_of('store = "x"\n'))
    assert "array of tables" in str(error_of("[broker]\nkind = 'ccxt'\n"))
    assert "must be a table" in str(error_of("broker = [1]\n"))
    with pytest.raises(BrokersFileError, match=r"brokers\.toml"):
        load_brokers(tmp_path / "brokers.toml")


def test_a_loaded_files_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "brokers.toml"
    path.write_text('[[broker]]\nkind = "ib"\nname = "IB"\n')

    with pytest.raises(BrokersFileError) as raised:
        load_brokers(path)

    assert str(raised.value).startswith("broker[0] (IB): kind: ")
    assert str(path) in str(raised.value)
