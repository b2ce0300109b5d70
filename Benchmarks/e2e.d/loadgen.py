#!/usr/bin/env python3
"""Benchmarks/e2e.d/loadgen.py: the Clickpost callback load generator of Benchmarks/e2e (Python 3 stdlib only).

POSTs ~1 KB Clickpost All-Status callbacks (the body of Benchmarks/clickpost_unique.lua) with a unique waybill
per request (SALT + 9-digit index) over a few keep-alive HTTP/1.1 connections. The send time (epoch µs, taken
just before the request is written, strictly increasing) goes as a string into the top-level "remark" and into
additional.latest_status.remark.

Two modes:
  --rate R --duration S   open loop: request i is written at start + i/R, never waiting for answers, on an
                          idle connection if one of the --connections is idle, else pipelined (HTTP/1.1) behind
                          the fewest unanswered requests; the summary counts those as "pipelined".
  --count N --window W    closed loop: exactly N requests, at most W unanswered per connection (for backlogs).
After the last request it waits up to --answer-timeout seconds for the outstanding answers.

Several targets (several relay instances on one database): repeat --port. Connection k goes to target k mod T
(--connections is the total). Open loop: request i goes to target i mod T (an even split whatever the answer
times), on one of that target's connections. Closed loop: each connection takes the next index when it has a free
slot, so the split follows each target's throughput.

Writes one line per request to --out: `index waybill send_us status answer_us target` (status 0 = no answer,
-1 = the connection failed; target = index of its --port) and prints a JSON summary on stdout (sent, ok, statuses,
achieved send rate, pacing lag, and per target: port, sent, ok).
"""
import argparse
import asyncio
import collections
import json
import os
import sys
import time

HEAD = '{"waybill": "'
MID = ('", "cp_id": 4, "account_code": "DELHIVERY SURFACE", "status": "In Transit", "remark": "')
MID2 = ('", "location": "Bhiwandi_Mankoli_HB (Maharashtra)", "clickpost_city": "", "timestamp": '
        '"2024-03-04T09:28:00Z", "clickpost_status_code": 4, "clickpost_status_description": "PickedUp", '
        '"rto_awb": null, "additional": {"is_rvp": false, "courier_partner_edd": "2024-03-08", "order_id": '
        '"WEB-100234", "account_code": "DELHIVERY SURFACE", "destination_hub_inscan_ts": null, "ndr_status_code": '
        'null, "ndr_status_description": null, "npr_status_code": null, "npr_status_description": null, '
        '"latest_status": {"clickpost_status_code": 4, "clickpost_status_description": "PickedUp", '
        '"clickpost_status_bucket": 2, "clickpost_status_bucket_description": "Shipped", "status": "In Transit", '
        '"remark": "')
TAIL = ('", "location": "Bhiwandi_Mankoli_HB (Maharashtra)", "clickpost_city": "", "timestamp": '
        '"2024-03-04T09:28:00Z", "reference_number": "WEB-100234"}}}')


class Conn(asyncio.Protocol):
    """One keep-alive connection: a FIFO of the request indexes written and not yet answered."""

    def __init__(self, gen, target):
        self.gen = gen
        self.target = target
        self.transport = None
        self.buf = bytearray()
        self.fifo = collections.deque()
        self.alive = False
        self.drained = None  # closed loop: set when an answer frees a slot

    def connection_made(self, transport):
        self.transport = transport
        self.alive = True

    def connection_lost(self, exc):
        self.alive = False
        for i in self.fifo:
            self.gen.status[i] = -1
        self.gen.errors += len(self.fifo)
        self.gen.lost_connections += 1
        self.fifo.clear()
        if self.drained:
            self.drained.set()

    def data_received(self, data):
        now = time.time_ns() // 1000
        buf = self.buf
        buf += data
        gen = self.gen
        while True:
            he = buf.find(b"\r\n\r\n")
            if he < 0:
                break
            lines = bytes(buf[:he]).split(b"\r\n")
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            total = he + 4 + length
            if len(buf) < total:
                break
            parts = lines[0].split(b" ", 2)
            code = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 999
            del buf[:total]
            if not self.fifo:
                gen.unexpected += 1
                continue
            i = self.fifo.popleft()
            gen.status[i] = code
            gen.answer_us[i] = now
            gen.answered += 1
        if self.drained:
            self.drained.set()

    def send(self, i, payload):
        self.fifo.append(i)
        self.gen.target[i] = self.target
        self.transport.write(payload)


class Generator:
    def __init__(self, args):
        self.args = args
        n = args.count if args.count else int(round(args.rate * args.duration))
        self.n = n
        self.send_us = [0] * n
        self.status = [0] * n
        self.answer_us = [0] * n
        self.lag_us = [0] * n
        self.target = [-1] * n  # index into args.port of the connection the request went on
        self.answered = 0
        self.errors = 0
        self.unexpected = 0
        self.lost_connections = 0
        self.pipelined = 0
        self.last_us = 0
        self.prefixes = [(f"POST {args.path} HTTP/1.1\r\nHost: {args.host}:{port}\r\n"
                          f"Content-Type: application/json\r\nwebhook_key: {args.key}\r\n"
                          f"Connection: keep-alive\r\nContent-Length: ").encode() for port in args.port]
        self.conns = []
        self.groups = [[] for _ in args.port]  # the connections of each target

    def waybill(self, i):
        return f"{self.args.salt}{i:09d}"

    def request(self, i, target):
        """The request bytes for index i to target, stamped with the current time (strictly increasing µs)."""
        now = time.time_ns() // 1000
        if now <= self.last_us:
            now = self.last_us + 1
        self.last_us = now
        self.send_us[i] = now
        stamp = str(now)
        body = (HEAD + self.waybill(i) + MID + stamp + MID2 + stamp + TAIL).encode()
        return self.prefixes[target] + str(len(body)).encode() + b"\r\n\r\n" + body

    async def connect(self):
        loop = asyncio.get_running_loop()
        ports = self.args.port
        for k in range(self.args.connections):
            t = k % len(ports)
            _, conn = await loop.create_connection(lambda: Conn(self, t), self.args.host, ports[t])
            self.conns.append(conn)
            self.groups[t].append(conn)

    def pick(self, i):
        """Request i goes to target i mod T: an idle live connection of that target if there is one (searched
        round-robin from i div T), else its live one with the fewest unanswered requests: the request is then
        pipelined behind them (counted in `pipelined`)."""
        t = len(self.groups)
        group = self.groups[i % t]
        j = i // t
        c = len(group)
        best = None
        for k in range(c):
            conn = group[(j + k) % c]
            if not conn.alive:
                continue
            if not conn.fifo:
                return conn
            if best is None or len(conn.fifo) < len(best.fifo):
                best = conn
        if best is not None:
            self.pipelined += 1
        return best

    async def open_loop(self):
        loop = asyncio.get_running_loop()
        rate = self.args.rate
        n = self.n
        start = loop.time() + 0.05
        i = 0
        while i < n:
            now = loop.time()
            due = min(n, int((now - start) * rate) + 1)
            while i < due:
                conn = self.pick(i)
                if conn is None:
                    self.status[i] = -1
                    self.errors += 1
                    self.send_us[i] = time.time_ns() // 1000
                else:
                    conn.send(i, self.request(i, conn.target))
                self.lag_us[i] = int((loop.time() - (start + i / rate)) * 1e6)
                i += 1
            if i < n:
                await asyncio.sleep(max(0.0, start + i / rate - loop.time()))

    async def closed_loop(self):
        window = self.args.window
        next_i = 0
        n = self.n

        async def worker(conn):
            nonlocal next_i
            conn.drained = asyncio.Event()
            while conn.alive:
                while conn.alive and len(conn.fifo) < window and next_i < n:
                    i = next_i
                    next_i += 1
                    conn.send(i, self.request(i, conn.target))
                if next_i >= n:
                    return
                conn.drained.clear()
                await conn.drained.wait()

        await asyncio.gather(*(worker(c) for c in self.conns))
        for i in range(next_i, n):  # every connection failed
            self.status[i] = -1
            self.errors += 1

    async def wait_answers(self):
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.args.answer_timeout
        while loop.time() < deadline and any(c.fifo for c in self.conns if c.alive):
            await asyncio.sleep(0.02)

    async def run(self):
        await self.connect()
        t0 = time.time_ns() // 1000
        if self.args.count:
            await self.closed_loop()
        else:
            await self.open_loop()
        t1 = time.time_ns() // 1000
        await self.wait_answers()
        for c in self.conns:
            if c.transport:
                c.transport.close()
        with open(self.args.out, "w") as f:
            for i in range(self.n):
                f.write(f"{i} {self.waybill(i)} {self.send_us[i]} {self.status[i]} {self.answer_us[i]} "
                        f"{self.target[i]}\n")
        statuses = collections.Counter(self.status)
        sends = [s for s in self.send_us if s]
        span = (max(sends) - min(sends)) / 1e6 if len(sends) > 1 else 0.0
        lag = sorted(self.lag_us) if not self.args.count else [0]
        summary = {
            "sent": self.n,
            "ok": statuses.get(200, 0),
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "send_span_s": round(span, 3),
            "achieved_rate": round((len(sends) - 1) / span, 1) if span > 0 else 0.0,
            "target_rate": self.args.rate if not self.args.count else None,
            "wall_s": round((t1 - t0) / 1e6, 3),
            "lag_p99_ms": round(lag[min(len(lag) - 1, int(len(lag) * 0.99))] / 1000, 2),
            "lag_max_ms": round(lag[-1] / 1000, 2),
            "connection_errors": self.errors,
            "lost_connections": self.lost_connections,
            "unexpected_answers": self.unexpected,
            "pipelined": self.pipelined,
            "last_send_us": max(sends) if sends else 0,
            "cpu_s": round(os.times().user + os.times().system, 2),
            "targets": [{"port": port,
                         "sent": sum(1 for x in self.target if x == t),
                         "ok": sum(1 for x, st in zip(self.target, self.status) if x == t and st == 200)}
                        for t, port in enumerate(self.args.port)],
        }
        print(json.dumps(summary), flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, action="append", required=True,
                   help="target port; repeat it for several relay instances (request i goes to the (i mod T)-th)")
    p.add_argument("--path", default="/v1/callbacks/clickpost/bench")
    p.add_argument("--key", default=os.environ.get("E2E_WEBHOOK_KEY"),
                   help="webhook_key header value (default: $E2E_WEBHOOK_KEY, which keeps it out of `ps`)")
    p.add_argument("--salt", default="7", help="digits prefixed to every waybill")
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--rate", type=float, default=2000.0)
    p.add_argument("--duration", type=float, default=60.0)
    p.add_argument("--count", type=int, default=0, help="closed loop: send exactly this many")
    p.add_argument("--window", type=int, default=32, help="closed loop: unanswered requests per connection")
    p.add_argument("--answer-timeout", type=float, default=30.0)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    if not args.key:
        p.error("no webhook key: pass --key or set E2E_WEBHOOK_KEY")
    if not args.salt.isdigit():
        p.error("--salt must be digits")
    if args.connections < len(args.port):
        p.error("need at least one connection per --port")
    if args.connections < 1 or (not args.count and (args.rate <= 0 or args.duration <= 0)):
        p.error("need --connections >= 1 and a positive --rate and --duration (or --count)")
    asyncio.run(Generator(args).run())


if __name__ == "__main__":
    sys.exit(main())
