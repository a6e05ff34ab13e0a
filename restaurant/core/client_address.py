"""Who the client is: the one place that decides a request's or a socket's client address.

Every limit and allow-list that uses an address (token guessing, sockets per address,
`/metrics`, the admin's login throttle) reads what this module decided: `scope["client"]`
for sockets and ASGI HTTP, hence `request.META["REMOTE_ADDR"]` in Django views.

`X-Forwarded-For` is the client's to write. It is believed only when the connection comes
from a proxy the deployment names in TRUSTED_PROXIES (addresses or networks, and `unix` for
a peer on a unix socket file, which only local processes can reach). Behind several trusted
hops the client is the rightmost address that is not itself a trusted proxy: every entry
left of it was written by someone we do not trust. Without TRUSTED_PROXIES (`make run`, a
server facing clients directly) the header is ignored and the peer is the client.

The rendered nginx overwrites the header with the address it saw (never appends to what the
client sent), and the ASGI servers run without their own proxy-header handling, so this is
the only reader. uwsgi gets REMOTE_ADDR from nginx itself (`uwsgi_param REMOTE_ADDR`).
"""

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings

UNIX = "unix"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _trusted(entries: tuple[str, ...]) -> tuple[bool, tuple[Network, ...]]:
    unix = UNIX in entries
    networks = tuple(ipaddress.ip_network(e, strict=False) for e in entries if e != UNIX)
    return unix, networks


def _parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = address.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def is_trusted_proxy(peer: str | None, trusted: Iterable[str] | None = None) -> bool:
    """Whether the connection's peer (None: a unix socket) is a proxy the deployment names."""
    unix, networks = _trusted(tuple(settings.TRUSTED_PROXIES if trusted is None else trusted))
    if not peer:
        return unix
    address = _parse(peer)
    return address is not None and any(address in network for network in networks)


def client_address(
    peer: str | None, forwarded_for: list[str], trusted: Iterable[str] | None = None
) -> str | None:
    """The client's address for a connection from ``peer`` (an IP, or None for a unix
    socket) that carried these ``X-Forwarded-For`` header values (in order).

    Returns the peer unless it is a trusted proxy; then the rightmost forwarded address that
    is not a trusted proxy (a malformed entry there ends the walk: the hop that wrote it is
    not to be believed, so its own sender, the last trusted hop, answers). None only for a
    unix-socket peer that forwarded nothing usable."""
    trusted = tuple(settings.TRUSTED_PROXIES if trusted is None else trusted)
    if not is_trusted_proxy(peer, trusted):
        return peer
    client = peer
    hops = [hop for value in forwarded_for for hop in value.split(",")]
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            break
        client = str(address)
        if not is_trusted_proxy(client, trusted):
            break
    return client


class ClientAddressMiddleware:
    """ASGI: sets `scope["client"]` to the decided client address for HTTP and sockets,
    before any limit, allow-list or view sees the scope."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] in ("http", "websocket"):
            peer = scope.get("client") or (None, 0)
            forwarded = [
                value.decode("latin1")
                for name, value in scope.get("headers", ())
                if name == b"x-forwarded-for"
            ]
            address = client_address(peer[0], forwarded)
            if address != peer[0]:
                scope = {**scope, "client": (address, 0)}
        return await self.app(scope, receive, send)
