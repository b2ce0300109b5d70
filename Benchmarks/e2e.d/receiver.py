#!/usr/bin/env python3
"""Benchmarks/e2e.d/receiver.py: the notification receiver of Benchmarks/e2e (Python 3 stdlib only).

A raw HTTP/1.1 server on asyncio Protocols (keep-alive, pipelining-safe, Content-Length bodies only) that answers
every request `200 {}` and records, per request, the receive time (epoch µs, taken when the whole request has
arrived), the `webhook-id` header and the raw body. Bodies are not parsed on the hot path: records go to OUT as
`<recv_us> <webhook-id> <body length>\n<body>\n` and analyse.py parses them afterwards.

`GET /_stats` answers {"requests": n, "distinct": k} (k = distinct webhook-ids) and is not recorded, so the caller
can tell when the stragglers have arrived. SIGTERM/SIGINT: flush OUT and exit 0.

Usage: receiver.py --port-file FILE --out FILE [--host 127.0.0.1] [--port 0]
"""
import argparse
import asyncio
import json
import os
import signal
import sys
import time

RESPONSE = (b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n"
            b"connection: keep-alive\r\n\r\n{}")
MAX_HEAD = 64 * 1024
MAX_BODY = 16 * 1024 * 1024


class State:
    def __init__(self, out):
        self.out = out
        self.requests = 0
        self.ids = set()
        self.bad = 0


class Conn(asyncio.Protocol):
    __slots__ = ("state", "transport", "buf")

    def __init__(self, state):
        self.state = state
        self.transport = None
        self.buf = bytearray()

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        now = time.time_ns() // 1000
        buf = self.buf
        buf += data
        replies = []
        state = self.state
        while True:
            he = buf.find(b"\r\n\r\n")
            if he < 0:
                if len(buf) > MAX_HEAD:
                    self.fail()
                    return
                break
            lines = bytes(buf[:he]).split(b"\r\n")
            length = 0
            wid = b"-"
            chunked = False
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    try:
                        length = int(value.strip())
                    except ValueError:
                        self.fail()
                        return
                elif name == b"webhook-id":
                    wid = value.strip() or b"-"
                elif name == b"transfer-encoding" and b"chunked" in value.lower():
                    chunked = True
            if chunked or length < 0 or length > MAX_BODY:
                self.fail()
                return
            total = he + 4 + length
            if len(buf) < total:
                break
            if lines[0].startswith(b"GET /_stats"):
                body = json.dumps({"requests": state.requests, "distinct": len(state.ids),
                                   "bad": state.bad}).encode()
                replies.append(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s"
                               % (len(body), body))
            else:
                body = bytes(buf[he + 4:total])
                state.requests += 1
                state.ids.add(wid)
                state.out.write(b"%d %s %d\n" % (now, wid, len(body)))
                state.out.write(body)
                state.out.write(b"\n")
                replies.append(RESPONSE)
            del buf[:total]
        if replies:
            self.transport.write(b"".join(replies))

    def fail(self):
        self.state.bad += 1
        self.transport.write(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
        self.transport.close()


async def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", required=True, help="the bound port is written here once listening")
    parser.add_argument("--out", required=True, help="records file")
    args = parser.parse_args()

    out = open(args.out, "wb", buffering=1 << 20)
    state = State(out)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Conn(state), args.host, args.port, backlog=1024, reuse_address=True)
    port = server.sockets[0].getsockname()[1]
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{port}\n")
    os.replace(tmp, args.port_file)

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    out.flush()
    out.close()
    t = os.times()
    print(json.dumps({"requests": state.requests, "distinct": len(state.ids), "bad": state.bad,
                      "cpu_s": round(t.user + t.system, 2)}), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
