#!/usr/bin/env python3
"""Benchmarks/e2e.d/analyse.py: joins loadgen.py's and receiver.py's records into the latency result.

For every distinct webhook-id the receiver got, the first receipt counts: latency = receive time − the send time
carried in logisticAggregatorInfo.logisticAggregatorMetaData.remark. The delivered body's forwardAwb must be a
waybill this run sent, with that send time (a mismatch is counted, not used). Later receipts of the same id are
duplicates (`duplicates` = receipts beyond the first per id, `duplicate_ids` = ids received more than once).
Every callback of a run has its own waybill and so exactly one notification: a waybill delivered under more than
one webhook-id (`awb_multi_ids`) means one callback was normalised twice (e.g. by two instances). Both must be 0;
with several instances they are the exactly-once check. With a `target` column in the sent records (several
instances), `by_target` gives, per target, callbacks accepted and the latency p50/p99 of those delivered.
Prints `key=value` lines (values without spaces or `=`; `window_p95_ms` is the comma-separated p95 of each time
window of --window-seconds, by send time); --windows FILE gets a markdown table of the latency per time window.
"""
import argparse
import collections
import json
import sys


def pct(sorted_values, p):
    """Nearest-rank percentile of an ascending list (p in 0..100)."""
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, int(-(-p * len(sorted_values) // 100)) - 1))
    return sorted_values[k]


def ms(us):
    return "n/a" if us is None else f"{us / 1000:.2f}"


def read_received(path):
    with open(path, "rb") as f:
        while True:
            head = f.readline()
            if not head:
                return
            recv_us, wid, length = head.split()
            body = f.read(int(length))
            f.read(1)  # the newline after the body
            yield int(recv_us), wid.decode(), body


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sent", required=True)
    p.add_argument("--received", required=True)
    p.add_argument("--window-seconds", type=float, default=10.0)
    p.add_argument("--windows", help="write the per-window markdown table here")
    args = p.parse_args()

    send_of = {}  # waybill -> send_us
    target_of = {}  # waybill -> target index (several instances)
    accepted_by_target = collections.Counter()
    statuses = collections.Counter()
    answer_lat = []
    first_send = None
    with open(args.sent) as f:
        for line in f:
            parts = line.split()
            waybill, send_us, status, answer_us = parts[1:5]
            send_us, status, answer_us = int(send_us), int(status), int(answer_us)
            target = int(parts[5]) if len(parts) > 5 else 0
            target_of[waybill] = target
            if status == 200:
                accepted_by_target[target] += 1
            send_of[waybill] = (send_us, status)
            statuses[status] += 1
            if status == 200:
                answer_lat.append(answer_us - send_us)
            if send_us and (first_send is None or send_us < first_send):
                first_send = send_us
    accepted = statuses.get(200, 0)

    requests = 0
    seen = set()
    repeated = collections.Counter()  # webhook-id -> receipts beyond the first
    ids_of_awb = collections.defaultdict(set)  # waybill -> distinct webhook-ids it was delivered under
    lat_by_target = collections.defaultdict(list)
    lat = []
    by_window = collections.defaultdict(list)
    delivered_accepted = set()
    foreign = mismatched = unparsable = 0
    for recv_us, wid, body in read_received(args.received):
        requests += 1
        if wid in seen:
            repeated[wid] += 1
            continue
        seen.add(wid)
        try:
            doc = json.loads(body)
            remark = doc["logisticAggregatorInfo"]["logisticAggregatorMetaData"]["remark"]
            awb = doc["forwardAwb"]
            sent_us = int(remark)
        except (ValueError, KeyError, TypeError):
            unparsable += 1
            continue
        ids_of_awb[awb].add(wid)
        sent = send_of.get(awb)
        if sent is None:
            foreign += 1
            continue
        if sent[0] != sent_us:
            mismatched += 1
            continue
        if sent[1] == 200:
            delivered_accepted.add(awb)
        latency = recv_us - sent_us
        lat.append(latency)
        lat_by_target[target_of.get(awb, 0)].append(latency)
        if first_send is not None:
            by_window[int((sent_us - first_send) / 1e6 // args.window_seconds)].append(latency)

    lat.sort()
    answer_lat.sort()
    for v in lat_by_target.values():
        v.sort()
    multi = sorted(awb for awb, ids in ids_of_awb.items() if len(ids) > 1)
    out = {
        "sent": sum(statuses.values()),
        "accepted": accepted,
        "not_accepted": ",".join(f"{k if k > 0 else ('no-answer' if k == 0 else 'conn-error')}:{v}"
                                 for k, v in sorted(statuses.items()) if k != 200) or "0",
        "received_requests": requests,
        "delivered": len(seen),
        "duplicates": requests - len(seen),
        "duplicate_ids": len(repeated),
        "duplicate_examples": ",".join(f"{w}x{n + 1}" for w, n in repeated.most_common(3)) or "-",
        "awb_multi_ids": len(multi),
        "awb_multi_examples": ",".join(multi[:3]) or "-",
        "measured": len(lat),
        "accepted_not_delivered": accepted - len(delivered_accepted),
        "foreign": foreign,
        "mismatched": mismatched,
        "unparsable": unparsable,
        "p50_ms": ms(pct(lat, 50)),
        "p95_ms": ms(pct(lat, 95)),
        "p99_ms": ms(pct(lat, 99)),
        "max_ms": ms(lat[-1] if lat else None),
        "min_ms": ms(lat[0] if lat else None),
        "mean_ms": ms(sum(lat) / len(lat) if lat else None),
        "over_25ms": sum(1 for v in lat if v >= 25000),
        "over_50ms": sum(1 for v in lat if v >= 50000),
        "answer_p50_ms": ms(pct(answer_lat, 50)),
        "answer_p99_ms": ms(pct(answer_lat, 99)),
        "answer_max_ms": ms(answer_lat[-1] if answer_lat else None),
        "by_target": ";".join(f"{t}:accepted:{accepted_by_target[t]}:delivered:{len(lat_by_target[t])}:"
                              f"p50:{ms(pct(lat_by_target[t], 50))}:p99:{ms(pct(lat_by_target[t], 99))}"
                              for t in sorted(set(accepted_by_target) | set(lat_by_target))) or "-",
    }
    w = args.window_seconds
    out["window_p95_ms"] = ",".join(ms(pct(sorted(by_window[k]), 95)) for k in sorted(by_window)) or "n/a"
    for k, v in out.items():
        print(f"{k}={v}")

    if args.windows:
        with open(args.windows, "w") as f:
            f.write("| sent at s | delivered | p50 ms | p95 ms | p99 ms | max ms |\n")
            f.write("| --- | ---: | ---: | ---: | ---: | ---: |\n")
            for k in sorted(by_window):
                v = sorted(by_window[k])
                f.write(f"| {k * w:g}–{(k + 1) * w:g} | {len(v)} | {ms(pct(v, 50))} | {ms(pct(v, 95))} | "
                        f"{ms(pct(v, 99))} | {ms(v[-1])} |\n")


if __name__ == "__main__":
    sys.exit(main())
