"""Real brokers from a TOML file: ``ORDERGATE_BROKERS_FILE`` or ``ordergate serve --brokers``.

One ``[[broker]]`` table per venue the platform trades at besides its simulators
(``examples/brokers.toml`` is a commented example). Keys never live in this file: each
broker's API keys (a FIX broker's password) are read from the credential vault, stored
there beforehand with ``python -m ordergate.gateway.vault store NAME --user USER``.

Every kind:

=====================  ==========================================================
``kind``               ``"ccxt"``, ``"alpaca"`` or ``"fix"`` (required).
``name``               the venue name orders are routed to (required; 1 to 64
                       letters, digits or ``_ . -``; unique, and not the name of a
                       simulated venue).
``credential_user``    the vault user whose credential for ``name`` holds the keys
                       (default ``"platform"``).
``symbols``            our symbol -> the broker's symbol (default: the same).
=====================  ==========================================================

``kind = "ccxt"`` (a :class:`~ordergate.venues.ccxt.CcxtVenue`):

=====================  ==========================================================
``exchange``           ccxt's exchange id (required); ``binance``, ``coinbase`` and
                       ``kraken`` use the adapter's presets, any other id a plain
                       :class:`~ordergate.venues.ccxt.CcxtVenueConfig`.
``urls``               entries merged into ccxt's ``urls["api"]`` (a table).
``options``            entries merged into the exchange's ccxt ``options``.
``sandbox``            use ccxt's test URLs of the exchange (default false).
=====================  ==========================================================

``kind = "alpaca"`` (an :class:`~ordergate.venues.alpaca.AlpacaVenue`): ``paper`` (default
true), ``base_url`` (REST base URL without ``/v2``).

``kind = "fix"`` (a :class:`~ordergate.fix.venue.FixVenue`, the fields of
:class:`~ordergate.fix.venue.FixVenueConfig`): ``begin_string``, ``sender_comp_id``,
``target_comp_id``, ``endpoints`` (``["host:port", ...]``; all required), ``account``,
``extra_tags`` (MsgType -> {tag: value}), ``heartbeat_interval``, ``username``,
``tls`` (default false), ``supports_mass_cancel``. A FIX broker with a ``username``
logs on with the vault credential's ``api_secret`` as Password(554); one without
needs no credential.

Every problem found while loading raises :class:`BrokersFileError` naming the file, the
broker (``broker[i] (NAME)``) and the key; a broker whose credential is not in the vault
raises :class:`BrokerCredentialMissing` when the platform starts.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import Any, ClassVar

import ccxt.async_support
import ccxt.pro
import msgspec

from ordergate.clock import Clock
from ordergate.domain.reports import VenueOrder
from ordergate.fix.registry import SessionRegistry
from ordergate.fix.transport import StoreFactory
from ordergate.fix.transport.tls import client_context
from ordergate.fix.venue import FixVenue, FixVenueConfig
from ordergate.gateway.checks import BrokerCheck
from ordergate.gateway.vault import (
    BrokerSecret,
    CredentialNotFound,
    CredentialVault,
    InvalidCredential,
)
from ordergate.gateway.vault.models import check_broker
from ordergate.venues.alpaca import AlpacaVenue, AlpacaVenueConfig
from ordergate.venues.alpaca.check import check_keys as check_alpaca_keys
from ordergate.venues.ccxt import (
    CcxtVenue,
    CcxtVenueConfig,
    binance_config,
    coinbase_config,
    kraken_config,
)
from ordergate.venues.ccxt.check import check_keys as check_ccxt_keys

__all__ = [
    "DEFAULT_CREDENTIAL_USER",
    "AlpacaBroker",
    "BrokerCredentialMissing",
    "BrokerSettings",
    "BrokersFileError",
    "BuiltBroker",
    "CcxtBroker",
    "FixBroker",
    "build_broker",
    "check_credentials",
    "load_brokers",
    "parse_brokers",
]

DEFAULT_CREDENTIAL_USER = "platform"

# Fields that would put key material in the file: refused, whatever the kind.
_SECRET_FIELDS = frozenset(
    {"api_key", "api_secret", "secret", "secret_key", "key_id", "password", "passphrase"}
)
_PRESETS: dict[str, Callable[..., CcxtVenueConfig]] = {
    "binance": binance_config,
    "coinbase": coinbase_config,
    "kraken": kraken_config,
}
_FIELD_PATH = re.compile(r"at `\$\.([A-Za-z_][\w-]*)")


class BrokersFileError(ValueError):
    """A brokers file that cannot be used; the message says where and why.

    Parameters
    ----------
    message
        What is wrong, for people.
    broker
        Where: ``"broker[2] (KRAKEN)"``, or None for the file as a whole.
    field
        The offending key of that broker, where there is one.
    """

    def __init__(self, message: str, *, broker: str | None = None, field: str | None = None):
        where = ": ".join(part for part in (broker, field) if part)
        super().__init__(f"{where}: {message}" if where else message)
        self.message = message
        self.broker = broker
        self.field = field


class BrokerCredentialMissing(LookupError):
    """A configured broker whose keys are not in the vault (a startup error).

    Parameters
    ----------
    broker
        The broker's name.
    user
        The vault user its credential is looked up for (``credential_user``).
    """

    def __init__(self, broker: str, user: str) -> None:
        super().__init__(
            f"broker {broker!r} of the brokers file has no credential for user {user!r} in "
            f"the vault: store it with `python -m ordergate.gateway.vault store {broker} "
            f'--user {user}` (reads {{"api_key": ..., "api_secret": ...}} from stdin), '
            "then start again"
        )
        self.broker = broker
        self.user = user


class CcxtBroker(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A ``kind = "ccxt"`` broker (see the module docstring for its keys)."""

    kind: ClassVar[str] = "ccxt"

    name: str
    exchange: str
    urls: dict[str, Any] = msgspec.field(default_factory=dict)
    symbols: dict[str, str] = msgspec.field(default_factory=dict)
    options: dict[str, Any] = msgspec.field(default_factory=dict)
    sandbox: bool = False
    credential_user: str = DEFAULT_CREDENTIAL_USER

    def venue_config(self, secret: BrokerSecret) -> CcxtVenueConfig:
        """Return the adapter's config, keyed with ``secret``."""
        urls = {**_sandbox_urls(self.exchange), **self.urls} if self.sandbox else dict(self.urls)
        preset = _PRESETS.get(self.exchange)
        if preset is None:
            return CcxtVenueConfig(
                venue=self.name,
                exchange_id=self.exchange,
                api_key=secret.api_key,
                secret=secret.api_secret,
                password=secret.passphrase,
                api_urls=urls,
                symbol_map=dict(self.symbols),
                options=dict(self.options),
            )
        base = preset(venue=self.name)
        return preset(
            secret.api_key,
            secret.api_secret,
            venue=self.name,
            password=secret.passphrase,
            api_urls=urls,
            symbol_map=dict(self.symbols),
            options={**base.options, **self.options},
        )


class AlpacaBroker(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A ``kind = "alpaca"`` broker (see the module docstring for its keys)."""

    kind: ClassVar[str] = "alpaca"

    name: str
    paper: bool = True
    base_url: str | None = None
    symbols: dict[str, str] = msgspec.field(default_factory=dict)
    credential_user: str = DEFAULT_CREDENTIAL_USER

    def venue_config(self, secret: BrokerSecret) -> AlpacaVenueConfig:
        """Return the adapter's config, keyed with ``secret``."""
        return AlpacaVenueConfig(
            name=self.name,
            key_id=secret.api_key,
            secret_key=secret.api_secret,
            paper=self.paper,
            base_url=self.base_url,
            symbols=dict(self.symbols),
        )


class FixBroker(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A ``kind = "fix"`` broker (see the module docstring for its keys)."""

    kind: ClassVar[str] = "fix"

    name: str
    begin_string: str
    sender_comp_id: str
    target_comp_id: str
    endpoints: tuple[tuple[str, int], ...]
    account: str = ""
    symbols: dict[str, str] = msgspec.field(default_factory=dict)
    extra_tags: dict[str, dict[int, str]] = msgspec.field(default_factory=dict)
    heartbeat_interval: int = 30
    username: str | None = None
    tls: bool = False
    supports_mass_cancel: bool = False
    credential_user: str = DEFAULT_CREDENTIAL_USER

    @property
    def needs_credential(self) -> bool:
        """Return True when the Logon carries a password (the broker has a ``username``)."""
        return self.username is not None

    def venue_config(self, secret: BrokerSecret | None) -> FixVenueConfig:
        """Return the venue's config; ``secret``'s ``api_secret`` is the Password(554).

        Raises
        ------
        ValueError
            If :class:`~ordergate.fix.venue.FixVenueConfig` refuses the values.
        """
        return FixVenueConfig(
            name=self.name,
            begin_string=self.begin_string,
            sender_comp_id=self.sender_comp_id,
            target_comp_id=self.target_comp_id,
            endpoints=list(self.endpoints),
            heartbeat_interval=self.heartbeat_interval,
            account=self.account,
            symbols=dict(self.symbols),
            extra_tags={k: dict(v) for k, v in self.extra_tags.items()},
            supports_mass_cancel=self.supports_mass_cancel,
            username=self.username,
            password=secret.api_secret if secret is not None else None,
        )


#: One configured broker.
BrokerSettings = CcxtBroker | AlpacaBroker | FixBroker

_KINDS: dict[str, type[CcxtBroker] | type[AlpacaBroker] | type[FixBroker]] = {
    "ccxt": CcxtBroker,
    "alpaca": AlpacaBroker,
    "fix": FixBroker,
}


def load_brokers(path: str | Path, *, reserved: Collection[str] = ()) -> tuple[BrokerSettings, ...]:
    """Read a brokers file.

    Parameters
    ----------
    path
        The TOML file.
    reserved
        Venue names taken already (the simulated venues); a broker may not use one.

    Raises
    ------
    BrokersFileError
        If the file cannot be read or parsed, or describes an unusable broker.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise BrokersFileError(f"{path}: {e.strerror or e}") from e
    try:
        return parse_brokers(data, reserved=reserved)
    except BrokersFileError as e:
        raise BrokersFileError(f"{path}: {e.message}", broker=e.broker, field=e.field) from e


def parse_brokers(
    data: bytes | str, *, reserved: Collection[str] = ()
) -> tuple[BrokerSettings, ...]:
    """Parse brokers file text (TOML); see :func:`load_brokers`.

    Raises
    ------
    BrokersFileError
        If the text does not parse or describes an unusable broker.
    """
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        raw = tomllib.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise BrokersFileError(f"does not parse as TOML: {e}") from e
    unknown = set(raw) - {"broker"}
    if unknown:
        raise BrokersFileError(
            f"unknown top-level keys {', '.join(sorted(unknown))} (only [[broker]] tables)"
        )
    items = raw.get("broker", [])
    if not isinstance(items, list):
        raise BrokersFileError("broker must be an array of tables ([[broker]])")
    taken = {name.upper(): name for name in reserved}
    brokers: list[BrokerSettings] = []
    for index, item in enumerate(items):
        broker = _broker(index, item)
        where = f"broker[{index}] ({broker.name})"
        # Names differing only in case would be two venues people cannot tell apart.
        clash = taken.get(broker.name.upper())
        if clash is not None:
            reason = (
                f"is the simulated venue {clash!r}"
                if clash in reserved
                else f"is configured twice (also {clash!r})"
            )
            raise BrokersFileError(f"{broker.name!r} {reason}", broker=where, field="name")
        taken[broker.name.upper()] = broker.name
        brokers.append(broker)
    return tuple(brokers)


def _broker(index: int, item: object) -> BrokerSettings:
    where = f"broker[{index}]"
    if not isinstance(item, dict):
        raise BrokersFileError("must be a table", broker=where)
    name = item.get("name")
    if isinstance(name, str) and name:
        where = f"{where} ({name})"
    secrets = sorted(_SECRET_FIELDS & set(item))
    if secrets:
        raise BrokersFileError(
            "keys do not belong in the brokers file: store them in the credential vault "
            "(python -m ordergate.gateway.vault store NAME --user USER)",
            broker=where,
            field=secrets[0],
        )
    kind = item.get("kind")
    if kind is None:
        raise BrokersFileError("is required (ccxt, alpaca or fix)", broker=where, field="kind")
    cls = _KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise BrokersFileError(
            f"unknown kind {kind!r} (ccxt, alpaca or fix)", broker=where, field="kind"
        )
    fields = {f.name: f for f in msgspec.structs.fields(cls)}
    body = {k: v for k, v in item.items() if k != "kind"}
    unknown = sorted(set(body) - set(fields))
    if unknown:
        raise BrokersFileError(
            f"unknown field of a {kind} broker (known: {', '.join(sorted(fields))})",
            broker=where,
            field=unknown[0],
        )
    for field in fields.values():
        if field.required and field.name not in body:
            raise BrokersFileError(
                f"is required for a {kind} broker", broker=where, field=field.name
            )
    if not isinstance(body["name"], str) or not _valid_name(body["name"]):
        raise BrokersFileError(
            "must be 1 to 64 letters, digits or _ . -", broker=where, field="name"
        )
    if cls is FixBroker:
        body["endpoints"] = _endpoints(where, body["endpoints"])
    try:
        broker: BrokerSettings = msgspec.convert(body, cls, str_keys=True)
    except msgspec.ValidationError as e:
        match = _FIELD_PATH.search(str(e))
        raise BrokersFileError(str(e), broker=where, field=match.group(1) if match else None) from e
    if not broker.credential_user:
        raise BrokersFileError("must not be empty", broker=where, field="credential_user")
    _check(where, broker)
    return broker


def _check(where: str, broker: BrokerSettings) -> None:
    # Build what can be built without keys now, so a bad value stops the load, not a logon.
    if isinstance(broker, CcxtBroker):
        if not _ccxt_class(broker.exchange):
            raise BrokersFileError(
                f"ccxt has no exchange {broker.exchange!r}", broker=where, field="exchange"
            )
        if broker.sandbox and not _sandbox_urls(broker.exchange):
            raise BrokersFileError(
                f"ccxt has no sandbox URLs for {broker.exchange!r}", broker=where, field="sandbox"
            )
    elif isinstance(broker, AlpacaBroker):
        if broker.base_url is not None and not re.match(r"https?://[^/]+", broker.base_url):
            raise BrokersFileError(
                f"{broker.base_url!r} is not an http(s) URL", broker=where, field="base_url"
            )
    else:
        try:
            broker.venue_config(None)
        except ValueError as e:
            raise BrokersFileError(str(e), broker=where) from e


def _valid_name(name: str) -> bool:
    try:
        check_broker(name)
    except InvalidCredential:
        return False
    return True


def _endpoints(where: str, raw: object) -> list[tuple[str, int]]:
    if not isinstance(raw, list) or not raw:
        raise BrokersFileError(
            'must be a non-empty list of "host:port"', broker=where, field="endpoints"
        )
    endpoints = []
    for text in raw:
        host, sep, port = text.rpartition(":") if isinstance(text, str) else ("", "", "")
        if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise BrokersFileError(
                f"{text!r} is not host:port (port 1-65535)", broker=where, field="endpoints"
            )
        endpoints.append((host.strip("[]"), int(port)))
    return endpoints


def _ccxt_class(exchange_id: str) -> Any:
    return getattr(ccxt.pro, exchange_id, None) or getattr(ccxt.async_support, exchange_id, None)


def _sandbox_urls(exchange_id: str) -> dict[str, Any]:
    # ccxt's set_sandbox_mode swaps urls["api"] for urls["test"]; the adapter merges
    # api_urls into urls["api"], so the test URLs go there. Building the object opens nothing.
    cls = _ccxt_class(exchange_id)
    test = cls().urls.get("test") if cls is not None else None
    return dict(test) if isinstance(test, dict) else {}


class BuiltBroker(msgspec.Struct, frozen=True, kw_only=True):
    """A configured broker's adapter, ready for the platform to manage.

    Parameters
    ----------
    adapter
        The venue adapter (not connected).
    kind
        ``"ccxt"``, ``"alpaca"`` or ``"fix"``: the managed venue's kind.
    account
        The fingerprint of the credential, the rate limiter's account ("": none used).
    check
        The credential check of the broker, for ``POST /api/credentials/{name}/test``.
    """

    adapter: CcxtVenue | AlpacaVenue | FixVenue
    kind: str
    account: str = ""
    check: BrokerCheck | None = None


async def check_credentials(brokers: Iterable[BrokerSettings], vault: CredentialVault) -> None:
    """Make sure every broker that logs on with keys has its credential in ``vault``.

    Raises
    ------
    BrokerCredentialMissing
        For the first broker whose credential is not stored.
    """
    for broker in brokers:
        if isinstance(broker, FixBroker) and not broker.needs_credential:
            continue
        try:
            await vault.info(broker.credential_user, broker.name, actor="platform")
        except CredentialNotFound as e:
            raise BrokerCredentialMissing(broker.name, broker.credential_user) from e


async def build_broker(
    broker: BrokerSettings,
    vault: CredentialVault,
    *,
    clock: Clock,
    fix_stores: StoreFactory | None = None,
    fix_registry: SessionRegistry | None = None,
    fix_orders: Callable[[str], Iterable[VenueOrder]] | None = None,
) -> BuiltBroker:
    """Build ``broker``'s adapter with its keys from ``vault``.

    Parameters
    ----------
    broker
        One entry of the brokers file.
    vault
        The started credential vault.
    clock
        The platform's clock.
    fix_stores, fix_registry
        The FIX message store factory and session registry (FIX brokers).
    fix_orders
        Returns the orders the OMS holds open at a venue, by venue name (FIX brokers).

    Raises
    ------
    BrokerCredentialMissing
        If the broker's credential is not in the vault.
    """
    secret: BrokerSecret | None = None
    account = ""
    if not isinstance(broker, FixBroker) or broker.needs_credential:
        try:
            secret = await vault.use(broker.credential_user, broker.name, actor="platform")
        except CredentialNotFound as e:
            raise BrokerCredentialMissing(broker.name, broker.credential_user) from e
        info = await vault.info(broker.credential_user, broker.name, actor="platform")
        account = info.fingerprint
    if isinstance(broker, CcxtBroker):
        assert secret is not None
        ccxt_config = broker.venue_config(secret)
        return BuiltBroker(
            adapter=CcxtVenue(ccxt_config, clock=clock),
            kind="ccxt",
            account=account,
            check=lambda secret: check_ccxt_keys(ccxt_config, secret),
        )
    if isinstance(broker, AlpacaBroker):
        assert secret is not None
        alpaca_config = broker.venue_config(secret)
        return BuiltBroker(
            adapter=AlpacaVenue(alpaca_config, clock=clock),
            kind="alpaca",
            account=account,
            check=lambda secret: check_alpaca_keys(alpaca_config, secret),
        )
    name = broker.name
    source: Callable[[], Iterable[VenueOrder]] | None = None
    if fix_orders is not None:
        orders_at = fix_orders

        def source() -> Iterable[VenueOrder]:
            return orders_at(name)

    venue = FixVenue(
        broker.venue_config(secret),
        clock=clock,
        store_factory=fix_stores,
        registry=fix_registry,
        ssl_context=client_context() if broker.tls else None,
        order_source=source,
    )
    return BuiltBroker(adapter=venue, kind="fix", account=account)
