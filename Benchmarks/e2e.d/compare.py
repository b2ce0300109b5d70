#!/usr/bin/env python3
"""Benchmarks/e2e.d/compare.py: the side-by-side table of `STORE=both Benchmarks/e2e` (Python 3 stdlib only).

Reads the key=value summaries that Benchmarks/e2e writes with E2E_SUMMARY (one SQLite run, one PostgreSQL run,
same binary, same settings, one after the other) and prints a markdown table with both stores, the ratios and the
targets of issue #14:
  - PostgreSQL drain ÷ SQLite drain ≥ 0.6;
  - PostgreSQL end to end at RATE: p95 < 50 ms, p99 < 100 ms, flat through the run: every time window's p95
    below 50 ms and the last window's p95 at most 2× the first's;
  - PostgreSQL CPU per delivered notification ≤ 150 µs (CPU of every process of the throwaway cluster over the
    latency run ÷ notifications delivered); the relay's CPU is reported separately, and SQLite's relay CPU next
    to it;
  - exactly once: no webhook-id received twice, no waybill delivered under two webhook-ids, no delivery with two
    2xx attempts (any of these makes the exit status 1).
Writes the table to stdout and, with --stdout FILE, the table plus the top 5 PostgreSQL statements of each part
(from the pg_stat_statements files next to the PostgreSQL summary) to FILE for the terminal.
"""
import argparse
import os
import sys

PG_DRAIN_RATIO = 0.6
PG_P95_MS = 50.0
PG_P99_MS = 100.0
PG_CPU_US = 150.0


def read_kv(path):
    out = {}
    try:
        with open(path) as f:
            for line in f:
                k, sep, v = line.rstrip("\n").partition("=")
                if sep:
                    out[k] = v
    except FileNotFoundError:
        pass
    return out


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def fmt(v, digits=0):
    x = num(v)
    if x is None:
        return "n/a"
    return f"{x:,.{digits}f}"


def ratio(a, b, digits=2):
    x, y = num(a), num(b)
    if x is None or y is None or y == 0:
        return "n/a"
    return f"{x / y:.{digits}f}×"


def verdict(ok):
    return "n/a" if ok is None else ("met" if ok else "**not met**")


def total(a, b):
    x, y = num(a), num(b)
    return None if x is None or y is None else x + y


def windows(v):
    return "n/a" if not v or v == "n/a" else ", ".join(v.split(","))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sqlite", required=True)
    p.add_argument("--postgres", required=True)
    p.add_argument("--stdout", help="also write the table and the top 5 statements per part here")
    args = p.parse_args()
    s, g = read_kv(args.sqlite), read_kv(args.postgres)
    inst = g.get("instances", "?")
    rows = []
    failures = []

    def row(name, sv, gv, rat="", target="", ok=""):
        rows.append(f"| {name} | {sv} | {gv} | {rat} | {target} | {ok} |")

    if "drain_rate" in s or "drain_rate" in g:
        r = None
        if num(s.get("drain_rate")) and num(g.get("drain_rate")) is not None:
            r = num(g["drain_rate"]) / num(s["drain_rate"])
        row("drain: deliveries/s", fmt(s.get("drain_rate")), fmt(g.get("drain_rate")), ratio(g.get("drain_rate"), s.get("drain_rate")),
            f"PostgreSQL ≥ {PG_DRAIN_RATIO}× SQLite", verdict(None if r is None else r >= PG_DRAIN_RATIO))
        row("drain: delivered / dead", f"{fmt(s.get('drain_delivered'))} / {s.get('drain_dead', 'n/a')}",
            f"{fmt(g.get('drain_delivered'))} / {g.get('drain_dead', 'n/a')}", "", "all / 0", "")
        row("drain: time to 0 pending (s)", s.get("drain_elapsed", "n/a"), g.get("drain_elapsed", "n/a"),
            ratio(g.get("drain_elapsed"), s.get("drain_elapsed")), "", "")
        row("drain: CPU outside the benchmark's processes (other work, kernel; 2 CPUs = 200 %)",
            f"{s.get('drain_other_pct', 'n/a')} %", f"{g.get('drain_other_pct', 'n/a')} %", "", "low, or the run is noise", "")
        row("backlog build: callbacks/s accepted (closed loop, no delivery)", fmt(s.get("backlog_rate")),
            fmt(g.get("backlog_rate")), ratio(g.get("backlog_rate"), s.get("backlog_rate")), "", "")
    if "p95_ms" in s or "p95_ms" in g:
        rate = g.get("rate") or s.get("rate") or "?"
        gen = []
        for name, d in (("SQLite", s), ("PostgreSQL", g)):
            if d.get("gen_ok") == "0":
                gen.append(name)
        row(f"end to end at {rate}/s: achieved send rate", fmt(s.get("achieved"), 1), fmt(g.get("achieved"), 1), "",
            f"{rate}/s", "**load generator fell behind: " + ", ".join(gen) + "**" if gen else "")
        row("end to end: delivered / duplicate receipts", f"{fmt(s.get('delivered'))} / {s.get('duplicates', 'n/a')}",
            f"{fmt(g.get('delivered'))} / {g.get('duplicates', 'n/a')}", "", "all accepted / 0", "")
        row("end to end: p50 ms", s.get("p50_ms", "n/a"), g.get("p50_ms", "n/a"), ratio(g.get("p50_ms"), s.get("p50_ms")), "", "")
        p95, p99 = num(g.get("p95_ms")), num(g.get("p99_ms"))
        row("end to end: p95 ms", s.get("p95_ms", "n/a"), g.get("p95_ms", "n/a"), ratio(g.get("p95_ms"), s.get("p95_ms")),
            f"PostgreSQL < {PG_P95_MS:g} ms", verdict(None if p95 is None else p95 < PG_P95_MS))
        row("end to end: p99 ms", s.get("p99_ms", "n/a"), g.get("p99_ms", "n/a"), ratio(g.get("p99_ms"), s.get("p99_ms")),
            f"PostgreSQL < {PG_P99_MS:g} ms", verdict(None if p99 is None else p99 < PG_P99_MS))
        row("end to end: CPU outside the benchmark's processes (other work, kernel; 2 CPUs = 200 %)",
            f"{s.get('lat_other_pct', 'n/a')} %", f"{g.get('lat_other_pct', 'n/a')} %", "", "low, or the run is noise", "")
        row("end to end: max ms", s.get("max_ms", "n/a"), g.get("max_ms", "n/a"), "", "", "")
        ws = g.get("window_s") or s.get("window_s") or "?"
        gflat = g.get("flat", "n/a").replace("_", " ")
        row(f"end to end: p95 ms per {ws} s window (by send time)", windows(s.get("window_p95_ms")),
            windows(g.get("window_p95_ms")), "",
            f"PostgreSQL flat: every window < {PG_P95_MS:g} ms, last ≤ 2× first",
            "n/a" if gflat == "n/a" else ("met" if gflat == "flat" else f"**not met**: {gflat}"))
        row(f"CPU µs per delivered notification at {rate}/s: relay", fmt(s.get("lat_relay_us")), fmt(g.get("lat_relay_us")),
            ratio(g.get("lat_relay_us"), s.get("lat_relay_us")), "", "")
        gpg = num(g.get("lat_pg_us"))
        row(f"CPU µs per delivered notification at {rate}/s: PostgreSQL (all its processes)", "—", fmt(g.get("lat_pg_us")), "",
            f"≤ {PG_CPU_US:g} µs", verdict(None if gpg is None else gpg <= PG_CPU_US))
        row(f"CPU µs per delivered notification at {rate}/s: relay + store", fmt(s.get("lat_relay_us")),
            fmt(total(g.get("lat_relay_us"), g.get("lat_pg_us"))),
            ratio(total(g.get("lat_relay_us"), g.get("lat_pg_us")), s.get("lat_relay_us")), "", "")
    if "drain_rate" in s or "drain_rate" in g:
        row("CPU µs per delivery in the drain: relay / PostgreSQL", fmt(s.get("drain_relay_us")),
            f"{fmt(g.get('drain_relay_us'))} / {fmt(g.get('drain_pg_us'))}", "", "", "")
        row("CPU µs per callback building the backlog: relay / PostgreSQL", fmt(s.get("backlog_relay_us")),
            f"{fmt(g.get('backlog_relay_us'))} / {fmt(g.get('backlog_pg_us'))}", "", "", "")
        sp = total(s.get("backlog_relay_us"), s.get("drain_relay_us"))
        gr = total(g.get("backlog_relay_us"), g.get("drain_relay_us"))
        gp = total(g.get("backlog_pg_us"), g.get("drain_pg_us"))
        row("CPU µs per notification, backlog + drain (full speed): relay / PostgreSQL", fmt(sp),
            f"{fmt(gr)} / {fmt(gp)}", "", f"PostgreSQL ≤ {PG_CPU_US:g} µs (for comparison)",
            verdict(None if gp is None else gp <= PG_CPU_US))
    if "ingest_relay_us" in s or "ingest_relay_us" in g:
        row(f"ingest at {g.get('ingest_rate') or s.get('ingest_rate')}/s: relay CPU µs per accepted callback",
            fmt(s.get("ingest_relay_us")), f"{fmt(g.get('ingest_relay_us'))} (PostgreSQL {fmt(g.get('ingest_pg_us'))})",
            ratio(g.get("ingest_relay_us"), s.get("ingest_relay_us")), "", "")

    # exactly once
    once = []
    for name, d in (("SQLite", s), ("PostgreSQL", g)):
        for key, what in (("duplicates", "receipts of an already received webhook-id"),
                          ("awb_multi_ids", "waybills delivered under more than one webhook-id"),
                          ("drain_multi", "drain deliveries with more than one 2xx attempt")):
            v = num(d.get(key))
            if v:
                once.append(f"{name}: {int(v)} {what}")
    row("exactly once (duplicate webhook-ids, waybills under two ids, double 2xx)",
        "0 / 0" if not any(x.startswith("SQLite") for x in once) else "**violated**",
        "0 / 0 / 0" if not any(x.startswith("PostgreSQL") for x in once) else "**violated**", "", "none", 
        "met" if not once else "**FAILED**")
    failures += once
    for name, d in (("SQLite", s), ("PostgreSQL", g)):
        if d.get("run_exit", "0") != "0":
            failures.append(f"the {name} run failed (exit {d.get('run_exit')}, failures counted by it: {d.get('failures', 'n/a')})")

    out = [f"| measurement | SQLite | PostgreSQL ({inst} instance{'s' if inst != '1' else ''}) | PG ÷ SQLite | target (issue #14) | verdict |",
           "| --- | ---: | ---: | ---: | --- | --- |"] + rows
    notes = []
    notes.append(f"- load average (1/5/15 min): SQLite run {s.get('loadavg_start', 'n/a').replace(',', ' ')} → "
                 f"{s.get('loadavg_end', 'n/a').replace(',', ' ')}; PostgreSQL run {g.get('loadavg_start', 'n/a').replace(',', ' ')} → "
                 f"{g.get('loadavg_end', 'n/a').replace(',', ' ')} (2 CPUs: above 2 the runs shared the machine)")
    notes.append(f"- machine speed (CPU s of a fixed Python loop, about 0.30 on a calm machine): SQLite run "
                 f"{s.get('speed_start', 'n/a')} → {s.get('speed_end', 'n/a')}; PostgreSQL run "
                 f"{g.get('speed_start', 'n/a')} → {g.get('speed_end', 'n/a')}")
    notes.append("- CPU: utime+stime from /proc of the relay process(es) and of every process of the throwaway "
                 "PostgreSQL cluster (postmaster, its children, and children it reaped), ÷ notifications delivered "
                 "(or callbacks accepted); the harness's polls in the drain use one persistent psql session")
    for f in failures:
        notes.append(f"- **{f}**")
    text = "\n".join(out + [""] + notes) + "\n"
    sys.stdout.write(text)
    if args.stdout:
        with open(args.stdout, "w") as f:
            f.write(text)
            for part in ("latency", "backlog", "drain", "ingest"):
                path = f"{args.postgres}.pgss-{part}.md"
                if os.path.exists(path):
                    with open(path) as pf:
                        lines = pf.read().splitlines()
                    f.write(f"\nPostgreSQL top 5 statements by total execution time, {part}:\n")
                    f.write("\n".join(lines[:7]) + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
