#!/usr/bin/env python3
"""Loopback token endpoint for scripts/soak.sh, answering a fixed cycle of good and faulty answers.

Prints its port on the first line of stdout, then serves HTTP/1.1 with keep-alive on 127.0.0.1
until SIGTERM/SIGINT, when it prints how many answers of each kind it gave (one JSON line).
A request whose form has `client_id=probe` always gets the good answer (the script's checks).

The cycle (21 answers): 12 good, then one each of: 500 and 503 with HTML, 200 with invalid JSON,
200 with a non-integer `expires_in`, close without answering, reset mid-body (SO_LINGER 0),
truncated body (FIN), bytes that are not HTTP, and no answer until naftiko gives up.
"""

import asyncio
import json
import signal
import socket
import struct
import sys
from collections import Counter

GOOD = json.dumps(
    {"access_token": "eyJ.soak.token", "expires_in": 3600, "token_type": "Bearer"}
).encode()
CYCLE = ["good"] * 12 + [
    "500",
    "503",
    "invalid-json",
    "wrong-type",
    "close",
    "reset",
    "truncated",
    "garbage",
    "hang",
]
TRUNCATED = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    b'{"access_t'
)
HOLD = 10.0  # a hung answer waits at most this long for naftiko to give up (a hang guard)

counts = Counter()
served = 0


def response(status, reason, content_type, body):
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def html(status, reason):
    body = f"<html><body><h1>{status} {reason}</h1></body></html>".encode()
    return response(status, reason, "text/html", body)


ANSWERS = {
    "good": response(200, "OK", "application/json", GOOD),
    "500": html(500, "Internal Server Error"),
    "503": html(503, "Service Unavailable"),
    "invalid-json": response(200, "OK", "application/json", b'{"access_token": "x", oops'),
    "wrong-type": response(
        200, "OK", "application/json", b'{"access_token": "x", "expires_in": "soon"}'
    ),
}


async def handle(reader, writer):
    global served
    aborted = False
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            body = await reader.readexactly(length) if length else b""
            if b"client_id=probe" in body:
                mode = "probe"
            else:
                mode = CYCLE[served % len(CYCLE)]
                served += 1
            counts[mode] += 1
            if mode in ANSWERS or mode == "probe":
                writer.write(ANSWERS.get(mode, ANSWERS["good"]))
                await writer.drain()
                continue
            if mode == "close":
                break
            if mode == "truncated":
                writer.write(TRUNCATED)
                await writer.drain()
                break
            if mode == "reset":
                writer.write(TRUNCATED)
                await writer.drain()
                sock = writer.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                writer.transport.abort()
                aborted = True
                return
            if mode == "garbage":
                writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\x00\x01\x02 not HTTP\r\n\r\n")
                await writer.drain()
                break
            if mode == "hang":
                try:
                    await asyncio.wait_for(reader.read(65536), HOLD)
                except asyncio.TimeoutError:
                    pass
                break
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
        pass
    finally:
        if not aborted:
            writer.close()


async def main():
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await stop.wait()
    print(json.dumps(dict(sorted(counts.items()))), flush=True)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
