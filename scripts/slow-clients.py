#!/usr/bin/env python3
"""Slow clients against a reference server binary, as in issue 16: figures for docs/reliability.md.

Starts BINARY (an `attractos-reference` build) on 127.0.0.1 with its open-file limit lowered to
--nofile for its process alone, holds --connections slow connections open (a request head cut
short, or a whole head and one byte of a 1000-byte body), then times a legitimate request
(GET /api/v1/sites) and reports when the server closed or answered the slow connections.
Loopback only; every wait is bounded; the server is killed at the end.

    python3 scripts/slow-clients.py target/release/attractos-reference --framework axum --slow heads
    python3 scripts/slow-clients.py BINARY --framework actix --slow bodies --connections 200 \
        --server-arg=--head-timeout=10 --server-arg=--body-timeout=15
"""

import argparse
import re
import selectors
import socket
import subprocess
import sys
import threading
import time

GOOD = (b"GET /api/v1/sites HTTP/1.1\r\nHost: localhost\r\n"
        b"Authorization: Bearer ak_demo_free\r\nConnection: close\r\n\r\n")
SLOW_HEAD = b"GET /api/v1/sites HTTP/1.1\r\nHost: localhost\r\n"
SLOW_BODY = (b"POST /api/v1/events HTTP/1.1\r\nHost: localhost\r\n"
             b"Authorization: Bearer ak_demo_free\r\nContent-Type: application/json\r\n"
             b"Content-Length: 1000\r\n\r\n{")


def start(args):
    command = [args.binary, "--framework", args.framework, "--addr", "127.0.0.1:0",
               "--rate-limit", "1000000", *args.server_arg]
    server = subprocess.Popen(
        ["sh", "-c", f'ulimit -n {args.nofile} && exec "$0" "$@"', *command],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in server.stderr:
        found = re.search(r"url=http://(\S+)", line)
        if found:
            host, port = found.group(1).rsplit(":", 1)
            threading.Thread(target=lambda: [None for _ in server.stderr], daemon=True).start()
            return server, (host, int(port))
    sys.exit("the server did not start")


def legitimate(addr, wait):
    started = time.monotonic()
    try:
        with socket.create_connection(addr, timeout=wait) as conn:
            conn.settimeout(max(0.1, wait - (time.monotonic() - started)))
            conn.sendall(GOOD)
            answer = conn.recv(64)
        status = answer.split(b" ")[1].decode() if answer else "closed"
    except OSError as err:
        status = f"no answer ({err.__class__.__name__})"
    return status, time.monotonic() - started


def ready(conns, event, wait):
    """The connections of `conns` ready for `event` within `wait` seconds (epoll: no FD_SETSIZE)."""
    with selectors.DefaultSelector() as selector:
        for conn in conns:
            selector.register(conn, event)
        return [key.fileobj for key, _ in selector.select(wait)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("binary")
    parser.add_argument("--framework", choices=["axum", "actix"], required=True)
    parser.add_argument("--slow", choices=["heads", "bodies"], required=True)
    parser.add_argument("--connections", type=int, default=1100)
    parser.add_argument("--nofile", type=int, default=1024)
    parser.add_argument("--watch", type=float, default=35.0,
                        help="seconds to watch the slow connections, from the legitimate request")
    parser.add_argument("--wait", type=float, default=20.0,
                        help="seconds the legitimate request may wait for its answer")
    parser.add_argument("--server-arg", action="append", default=[])
    args = parser.parse_args()

    server, addr = start(args)
    try:
        measure(args, addr)
    finally:
        server.kill()
        server.wait()


def measure(args, addr):
    payload = SLOW_HEAD if args.slow == "heads" else SLOW_BODY
    slow, connecting = [], []
    for _ in range(args.connections):
        conn = socket.socket()
        conn.setblocking(False)
        conn.connect_ex(addr)
        connecting.append(conn)
    # Connections the kernel has not completed (a full accept queue) are sent to once they are.
    # Up to 8 s: a full accept queue drops SYNs, which the kernel resends after 1, 3 and 7 s.
    settle = time.monotonic() + 8
    while connecting and time.monotonic() < settle:
        writable = ready(connecting, selectors.EVENT_WRITE, 0.5)
        for conn in writable:
            connecting.remove(conn)
            try:
                conn.send(payload)
            except OSError:
                pass
            slow.append(conn)
    opened = time.monotonic()
    status, took = legitimate(addr, args.wait)
    print(f"{args.framework}, {args.connections} slow {args.slow}, open-file limit {args.nofile}, "
          f"server args {args.server_arg or 'none'}")
    print(f"  legitimate GET /api/v1/sites: {status} after {took:.2f} s")
    print(f"  slow connections established: {len(slow)}, still connecting: {len(connecting)}")
    slow += connecting

    ended, answers = {}, {}
    while slow and time.monotonic() - opened < args.watch:
        readable = ready(slow, selectors.EVENT_READ, 0.2)
        for conn in readable:
            try:
                data = conn.recv(4096)
            except OSError:
                data = b""
            if data:
                answers[conn] = answers.get(conn, b"") + data
                continue
            ended[conn] = time.monotonic() - opened
            slow.remove(conn)
            conn.close()
    kinds = {}
    for conn, data in answers.items():
        kind = data.split(b"\r\n", 1)[0].decode(errors="replace")
        kinds[kind] = kinds.get(kind, 0) + 1
    times = sorted(ended.values())
    if times:
        print(f"  slow connections ended: {len(times)}, first after {times[0]:.2f} s, "
              f"last after {times[-1]:.2f} s")
    print(f"  still open after {args.watch:.0f} s: {len(slow)}")
    for kind, count in sorted(kinds.items()):
        print(f"  answered {kind!r}: {count}")
    status, took = legitimate(addr, 10.0)
    print(f"  legitimate request afterwards: {status} after {took:.2f} s")
    for conn in slow:
        conn.close()


if __name__ == "__main__":
    main()
