"""A lean WebSocket and HTTP/1.1 client on asyncio protocols, for the load generator.

The `websockets` client costs tens of microseconds per message in the generator; at thousands
of deliveries a second the generator, not the server, would be measured. This one does only
what a diner socket needs: the upgrade (with Origin and Cookie, as a browser sends them),
unmasked text frames from the server, ping -> pong, close. It does not offer
permessage-deflate, so every server under test (daphne has none; uvicorn and `websockets`
would compress) moves the same plain frames.

Client frames are masked with an all-zero key: a valid mask per RFC 6455 (servers unmask it
as any other), which spares the generator the XOR.
"""

import asyncio
import base64
import os
import struct
import time
from collections.abc import Callable

_ZERO_MASK = b"\x00\x00\x00\x00"
_clock = time.perf_counter


def text_frame(payload: bytes) -> bytes:
    n = len(payload)
    if n < 126:
        header = bytes((0x81, 0x80 | n))
    elif n < 65536:
        header = b"\x81\xfe" + struct.pack("!H", n)
    else:
        header = b"\x81\xff" + struct.pack("!Q", n)
    return header + _ZERO_MASK + payload


def _control_frame(opcode: int, payload: bytes = b"") -> bytes:
    return bytes((0x80 | opcode, 0x80 | len(payload))) + _ZERO_MASK + payload


class HandshakeError(Exception):
    def __init__(self, status: int | None, detail: str = "") -> None:
        super().__init__(f"handshake refused: {status} {detail}".strip())
        self.status = status


class WsConnection(asyncio.Protocol):
    """One client socket. `on_message(conn, payload: bytes, t: float)` gets each text message
    with the time its bytes arrived; it may be swapped at any moment."""

    def __init__(self, request: bytes, on_message: Callable | None = None, user=None) -> None:
        self.request = request
        self.on_message = on_message or (lambda conn, payload, t: None)
        self.on_close: Callable | None = None
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.handshaken = False
        self.opened: asyncio.Future = asyncio.get_running_loop().create_future()
        # A failed handshake is reported by ws_connect; nobody else needs to read it.
        self.opened.add_done_callback(lambda f: f.cancelled() or f.exception())
        self.closed = False
        self.close_code: int | None = None
        self.fragments: list[bytes] = []
        # Whatever the caller hangs on the connection; set before connecting, because the
        # first message may come in the same read as the handshake's answer.
        self.user = user

    # --- asyncio.Protocol ---------------------------------------------------------------------
    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        t = _clock()
        self.buffer += data
        if not self.handshaken:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).decode("latin-1")
            del self.buffer[: end + 4]
            status_line = head.split("\r\n", 1)[0]
            parts = status_line.split(" ", 2)
            status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
            if status != 101:
                if not self.opened.done():
                    self.opened.set_exception(HandshakeError(status, status_line))
                self.transport.close()
                return
            self.handshaken = True
            if not self.opened.done():
                self.opened.set_result(self)
        self._frames(t)

    def _frames(self, t: float) -> None:
        buf = self.buffer
        pos = 0
        size = len(buf)
        while size - pos >= 2:
            b0 = buf[pos]
            b1 = buf[pos + 1]
            n = b1 & 0x7F
            head = 2
            if n == 126:
                if size - pos < 4:
                    break
                n = (buf[pos + 2] << 8) | buf[pos + 3]
                head = 4
            elif n == 127:
                if size - pos < 10:
                    break
                n = struct.unpack_from("!Q", buf, pos + 2)[0]
                head = 10
            if b1 & 0x80:  # a masked server frame is a protocol error; treat as opaque
                head += 4
            if size - pos < head + n:
                break
            payload = bytes(buf[pos + head : pos + head + n])
            pos += head + n
            opcode = b0 & 0x0F
            fin = b0 & 0x80
            if opcode == 0x1 or opcode == 0x2:
                if fin:
                    self.on_message(self, payload, t)
                else:
                    self.fragments = [payload]
            elif opcode == 0x0:
                self.fragments.append(payload)
                if fin:
                    whole = b"".join(self.fragments)
                    self.fragments = []
                    self.on_message(self, whole, t)
            elif opcode == 0x9:  # ping
                if not self.closed:
                    self.transport.write(_control_frame(0xA, payload[:125]))
            elif opcode == 0x8:  # close
                self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                if not self.closed:
                    self.closed = True
                    self.transport.write(_control_frame(0x8, payload[:2]))
                    self.transport.close()
        if pos:
            del buf[:pos]

    def connection_lost(self, exc) -> None:
        was_closed = self.closed
        self.closed = True
        if not self.opened.done():
            self.opened.set_exception(HandshakeError(None, f"connection lost: {exc}"))
        if self.on_close is not None:
            self.on_close(self, was_closed)

    # --- API ----------------------------------------------------------------------------------
    def send_bytes(self, payload: bytes) -> None:
        if not self.closed:
            self.transport.write(text_frame(payload))

    def close(self, code: int = 1000) -> None:
        if self.transport is None:
            return
        if not self.closed:
            self.closed = True
            try:
                self.transport.write(_control_frame(0x8, struct.pack("!H", code)))
            finally:
                self.transport.close()
        else:
            self.transport.close()

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()


async def ws_connect(
    host: str,
    port: int,
    path: str,
    *,
    origin: str | None,
    cookie: str | None = None,
    on_message: Callable | None = None,
    timeout: float = 10,
    user=None,
    on_close: Callable | None = None,
) -> WsConnection:
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
    ]
    if origin:
        lines.append(f"Origin: {origin}")
    if cookie:
        lines.append(f"Cookie: {cookie}")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    loop = asyncio.get_running_loop()
    conn = WsConnection(request, on_message, user)
    conn.on_close = on_close
    try:
        await asyncio.wait_for(loop.create_connection(lambda: conn, host, port), timeout)
        await asyncio.wait_for(asyncio.shield(conn.opened), timeout)
    except BaseException:
        conn.abort()
        raise
    return conn


async def http_get(
    host: str, port: int, path: str, *, cookie: str | None = None, timeout: float = 15
) -> tuple[int, dict[str, str], bytes]:
    """One GET over its own connection: (status, {cookie name: value} set, body)."""
    return await http_request(host, port, path, cookie=cookie, timeout=timeout)


async def join_table(host: str, port: int, token: str, *, timeout: float = 15) -> str:
    """What the table page does: GET it (its session and CSRF cookies; the GET makes no
    diner), then `POST /t/<token>/join/` with the CSRF token, which makes the diner. Returns
    the session cookie."""
    path = f"/t/{token}/"
    status, cookies, _ = await http_get(host, port, path, timeout=timeout)
    if status != 200 or "sessionid" not in cookies or "csrftoken" not in cookies:
        raise HandshakeError(status, f"GET /t/{token[:6]}…/ gave no session or CSRF cookie")
    status, joined, _ = await http_request(
        host, port, f"{path}join/", method="POST", timeout=timeout,
        cookie=f"sessionid={cookies['sessionid']}; csrftoken={cookies['csrftoken']}",
        headers={"X-CSRFToken": cookies["csrftoken"], "Referer": f"http://{host}:{port}{path}"},
    )  # fmt: skip
    if status != 200:
        raise HandshakeError(status, f"POST /t/{token[:6]}…/join/ made no diner")
    return joined.get("sessionid", cookies["sessionid"])


async def http_request(
    host: str,
    port: int,
    path: str,
    *,
    method: str = "GET",
    cookie: str | None = None,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    timeout: float = 15,
) -> tuple[int, dict[str, str], bytes]:
    """One request over its own connection: (status, {cookie name: value} set, body)."""
    sent = body

    async def go():
        reader, writer = await asyncio.open_connection(host, port)
        try:
            head = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close"]
            if cookie:
                head.append(f"Cookie: {cookie}")
            head += [f"{name}: {value}" for name, value in (headers or {}).items()]
            if method != "GET":
                head.append(f"Content-Length: {len(sent)}")
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + sent)
            data = await reader.read()
        finally:
            writer.close()
        header, _, body = data.partition(b"\r\n\r\n")
        lines = header.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        cookies = {}
        chunked = False
        for line in lines[1:]:
            name, _, value = line.partition(":")
            lname = name.strip().lower()
            if lname == "set-cookie":
                pair = value.strip().split(";", 1)[0]
                k, _, v = pair.partition("=")
                cookies[k.strip()] = v.strip()
            elif lname == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        if chunked:
            body = _dechunk(body)
        return status, cookies, body

    return await asyncio.wait_for(go(), timeout)


def _dechunk(body: bytes) -> bytes:
    out = bytearray()
    pos = 0
    while pos < len(body):
        end = body.find(b"\r\n", pos)
        if end < 0:
            break
        size = int(body[pos:end].split(b";")[0], 16)
        if size == 0:
            break
        out += body[end + 2 : end + 2 + size]
        pos = end + 2 + size + 2
    return bytes(out)
