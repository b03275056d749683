"""SIGNED request checks: API key, timestamp window, HMAC signature (pure)."""

from __future__ import annotations

import pytest

from ordergate.sim.binance.errors import ApiError, ErrorCode
from ordergate.sim.binance.signing import (
    check_signed,
    check_ws_signed,
    sign,
    strip_signature,
    ws_payload,
)

KEYS = {"simkey": "simsecret"}
NOW_MS = 1_700_000_000_000


def _signed_query(query: str, secret: str = "simsecret") -> str:
    return f"{query}&signature={sign(query, secret)}"


def _params(query: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in query.split("&"))


def _check(query: str, *, body: str = "", key: str | None = "simkey") -> str:
    params = _params(query) if query else {}
    if body:
        params.update(_params(body))
    return check_signed(key, query, body, params, KEYS, NOW_MS)


def _code(query: str, **kwargs: str | None) -> ErrorCode:
    with pytest.raises(ApiError) as caught:
        _check(query, **kwargs)  # type: ignore[arg-type]
    return caught.value.code


def test_binance_documented_example_signature() -> None:
    # The example of Binance's "SIGNED endpoint examples for POST /api/v3/order".
    secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
    payload = (
        "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1"
        "&recvWindow=5000&timestamp=1499827319559"
    )
    assert sign(payload, secret) == (
        "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
    )


def test_good_signature_in_the_query_is_accepted() -> None:
    assert _check(_signed_query(f"symbol=BTCUSDT&timestamp={NOW_MS}")) == "simkey"


def test_signature_over_query_and_body_together_is_accepted() -> None:
    query = "symbol=BTCUSDT"
    body = f"timestamp={NOW_MS}"
    signature = sign(query + body, "simsecret")
    assert _check(query, body=f"{body}&signature={signature}") == "simkey"


def test_wrong_signature_is_minus_1022() -> None:
    query = f"symbol=BTCUSDT&timestamp={NOW_MS}"
    assert _code(_signed_query(query, "othersecret")) is ErrorCode.INVALID_SIGNATURE


def test_tampered_parameter_is_minus_1022() -> None:
    signed = _signed_query(f"symbol=BTCUSDT&quantity=1&timestamp={NOW_MS}")
    assert _code(signed.replace("quantity=1", "quantity=2")) is ErrorCode.INVALID_SIGNATURE


def test_missing_signature_is_minus_1102() -> None:
    code = _code(f"symbol=BTCUSDT&timestamp={NOW_MS}")
    assert code is ErrorCode.MANDATORY_PARAM_EMPTY_OR_MALFORMED


def test_missing_api_key_is_minus_2014() -> None:
    assert _code(_signed_query(f"timestamp={NOW_MS}"), key=None) is ErrorCode.BAD_API_KEY_FMT


def test_malformed_api_key_is_minus_2014() -> None:
    assert _code(_signed_query(f"timestamp={NOW_MS}"), key="bad key!") is ErrorCode.BAD_API_KEY_FMT


def test_unknown_api_key_is_minus_2015() -> None:
    assert _code(_signed_query(f"timestamp={NOW_MS}"), key="nobody") is ErrorCode.REJECTED_MBX_KEY


def test_missing_timestamp_is_minus_1102() -> None:
    code = _code(_signed_query("symbol=BTCUSDT"))
    assert code is ErrorCode.MANDATORY_PARAM_EMPTY_OR_MALFORMED


def test_malformed_timestamp_is_minus_1102() -> None:
    code = _code(_signed_query("timestamp=soon"))
    assert code is ErrorCode.MANDATORY_PARAM_EMPTY_OR_MALFORMED


def test_timestamp_older_than_the_receive_window_is_minus_1021() -> None:
    code = _code(_signed_query(f"timestamp={NOW_MS - 5_001}"))
    assert code is ErrorCode.INVALID_TIMESTAMP


def test_timestamp_inside_a_wider_receive_window_is_accepted() -> None:
    assert _check(_signed_query(f"timestamp={NOW_MS - 9_000}&recvWindow=10000")) == "simkey"


def test_timestamp_ahead_of_the_server_is_minus_1021() -> None:
    assert _code(_signed_query(f"timestamp={NOW_MS + 1_000}")) is ErrorCode.INVALID_TIMESTAMP


def test_receive_window_over_a_minute_is_refused() -> None:
    code = _code(_signed_query(f"timestamp={NOW_MS}&recvWindow=60001"))
    assert code is ErrorCode.MANDATORY_PARAM_EMPTY_OR_MALFORMED


def test_strip_signature_keeps_the_other_parameters_in_order() -> None:
    assert strip_signature("a=1&signature=ff&b=2") == ("a=1&b=2", "ff")
    assert strip_signature("") == ("", None)


def test_websocket_api_signature_is_over_sorted_params() -> None:
    params: dict[str, object] = {"timestamp": NOW_MS, "apiKey": "simkey"}
    assert ws_payload(params) == f"apiKey=simkey&timestamp={NOW_MS}"
    params["signature"] = sign(ws_payload(params), "simsecret")

    assert check_ws_signed(params, KEYS, NOW_MS) == "simkey"


def test_websocket_api_wrong_signature_is_minus_1022() -> None:
    params: dict[str, object] = {"timestamp": NOW_MS, "apiKey": "simkey", "signature": "00"}
    with pytest.raises(ApiError) as caught:
        check_ws_signed(params, KEYS, NOW_MS)
    assert caught.value.code is ErrorCode.INVALID_SIGNATURE
