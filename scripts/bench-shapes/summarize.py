#!/usr/bin/env python3
"""Markdown tables of one scripts/bench-shapes.sh run: one table per shape.

    python3 scripts/bench-shapes/summarize.py scripts/bench-shapes/out/<run>

<run> holds one directory per shape run (shape1-token, shape4-orders, shape6-items, ...),
each written by the measurement kit's run.sh (shapes 1-3, 6) or by the suite's harness.sh
(4, 5, 6's MCP part) in the kit's format (results.tsv, peak_rss.tsv, meta.txt), plus
idle_rss.tsv and suite.txt (the shape's number, title and baselines, written by
bench-shapes.sh). Figures are medians over rounds; a ratio is taken per round against the
baseline of the same round (only same-round ratios mean anything on a shared machine), then
its median is shown. hop CPU is the CPU of the target's own process(es) per request (for
`direct`, the upstream itself).
"""
import os
import statistics
import sys

LABELS = {
    "rest": "naftiko REST",
    "mcp-2025": "naftiko MCP 2025-06-18",
    "mcp-2026": "naftiko MCP 2026-07-28",
    "fastmcp-2025": "FastMCP 2025-06-18",
    "fastmcp-2026": "FastMCP 2026-07-28",
}
BASELINE_LABELS = {"nginx": "nginx", "rest": "naftiko REST", "fastmcp-era": "FastMCP (same era)"}


def read_kv_file(path):
    out = {}
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                out[k] = v
    return out


def read_tsv(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        lines = [l.rstrip("\n").split("\t") for l in f if l.strip()]
    if not lines:
        return []
    head, rows = lines[0], lines[1:]
    out = []
    for r in rows:
        if len(r) < 3 or r[2] == "FAILED":
            out.append({"round": r[0], "target": r[1] if len(r) > 1 else "?", "failed": True})
            continue
        d = dict(zip(head, r))
        d["failed"] = False
        out.append(d)
    return out


def read_kb(path):
    """server -> kB from peak_rss.tsv / idle_rss.tsv (a header line, then NAME<TAB>kB)."""
    out = {}
    if os.path.exists(path):
        for line in list(open(path, encoding="utf-8"))[1:]:
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit():
                out[parts[0]] = int(parts[1])
    return out


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, f="{:.0f}"):
    return "–" if x is None else f.format(x)


def server_of(target, extra_name):
    if target == "direct":
        return "upstream"
    if extra_name and target == extra_name:
        return "extra"
    return target


def baseline_for(b, target):
    if b == "fastmcp-era":
        for era in ("2025", "2026"):
            if target.endswith("-" + era):
                return "fastmcp-" + era
        return None
    return b


def shape_section(d):
    suite = read_kv_file(os.path.join(d, "suite.txt"))
    meta = read_kv_file(os.path.join(d, "meta.txt"))
    rows = read_tsv(os.path.join(d, "results.tsv"))
    peak = read_kb(os.path.join(d, "peak_rss.tsv"))
    idle = read_kb(os.path.join(d, "idle_rss.tsv"))
    extra_name = None
    for tok in meta.get("extra_name", "").split():
        extra_name = extra_name or tok
    baselines = suite.get("baselines", "nginx").split()
    title = suite.get("title", os.path.basename(d))
    out = [f"### Shape {suite.get('shape', '?')}: {title}", ""]
    out.append(
        f"`{os.path.basename(d)}`: {meta.get('date_utc', '?')}, pin={meta.get('pin', '?')}, "
        f"nginx workers {meta.get('nginx_workers', '?').split()[0]}, {meta.get('loadgen', '?')}"
        + (f"; {suite['note']}" if suite.get("note") else "")
    )
    if suite.get("status", "ok") != "ok":
        out.append(f"\n**This shape's run failed ({suite['status']}); see `{d}` (checks.txt, logs).**")
    if not rows:
        out.append("\nNo measurements.\n")
        return out
    out.append("")

    by_round = {}
    for r in rows:
        if not r["failed"]:
            by_round.setdefault(r["round"], {})[r["target"]] = r
    order = []
    for r in rows:
        if r["target"] not in order:
            order.append(r["target"])
    # the kit's order of targets: direct, nginx, then the rest as they appear
    order.sort(key=lambda t: {"direct": 0, "nginx": 1}.get(t, 2))

    head = ["target", "req/s", "p50 ms", "p99 ms", "1-conn p50 µs", "hop CPU µs/req",
            "peak RSS MiB", "idle RSS MiB", "errors", "n"]
    for b in baselines:
        bl = BASELINE_LABELS.get(b, b)
        head += [f"req/s × {bl}", f"p99 × {bl}", f"CPU × {bl}"]
    out.append("| " + " | ".join(head) + " |")
    out.append("|---|" + "---:|" * (len(head) - 1))
    flagged = []
    spreads = []
    for t in order:
        rs = [r for r in rows if r["target"] == t and not r["failed"]]
        failed = sum(1 for r in rows if r["target"] == t and r["failed"])
        label = LABELS.get(t, t)
        if not rs:
            out.append(f"| {label} | FAILED ({failed}) |" + " |" * (len(head) - 2))
            continue
        g = lambda k: [float(r.get(k) or 0) for r in rs]
        srv = server_of(t, extra_name)
        cells = [
            label,
            fmt(med(g("rps"))),
            fmt(med([x / 1000 for x in g("p50_us")]), "{:.2f}"),
            fmt(med([x / 1000 for x in g("p99_us")]), "{:.2f}"),
            fmt(med(g("lat1_p50_us"))),
            fmt(med(g("hop_cpu_us_req")), "{:.1f}"),
            fmt(peak[srv] / 1024 if srv in peak else None, "{:.1f}"),
            fmt(idle[srv] / 1024 if srv in idle else None, "{:.1f}"),
            str(sum(int(r["errors"]) for r in rs)) + (f" ({failed} failed)" if failed else ""),
            str(len(rs)),
        ]
        for b in baselines:
            ratios = {"rps": [], "p99_us": [], "hop_cpu_us_req": []}
            for r in rs:
                bt = baseline_for(b, t)
                base = by_round.get(r["round"], {}).get(bt) if bt else None
                if base is None or bt == t:
                    continue
                for k in ratios:
                    if float(base[k]) > 0:
                        ratios[k].append(float(r[k]) / float(base[k]))
            for k in ("rps", "p99_us", "hop_cpu_us_req"):
                cells.append(fmt(med(ratios[k]), "{:.2f}"))
            ours = t not in ("direct", "nginx") and not t.startswith("fastmcp")
            if ours and len(ratios["rps"]) > 1:
                # issue 16's targets against nginx are those of the REST shapes
                verdict = b == "nginx" and not t.startswith("mcp")
                spreads.append(spread_line(label, BASELINE_LABELS.get(b, b), ratios, verdict))
        out.append("| " + " | ".join(cells) + " |")
        if any(r.get("post_check") == "FAILED" for r in rs):
            flagged.append(label)
    if spreads:
        out.append("")
        out.append("naftiko's same-round ratios, lowest to highest over the rounds (a target is met by")
        out.append("more than the run-to-run noise only when it holds in every round):")
        out.append("")
        out.extend(spreads)
    others = [float(r.get("other_cpu_pct") or 0) for r in rows if not r["failed"]]
    steals = [float(r.get("steal_pct") or 0) for r in rows if not r["failed"]]
    out.append("")
    out.append(
        f"Conditions: other processes' CPU during the measurements (median / max % of all CPUs) "
        f"{fmt(med(others), '{:.0f}')} / {fmt(max(others) if others else None, '{:.0f}')}; "
        f"hypervisor steal (median) {fmt(med(steals), '{:.1f}')} %."
    )
    if flagged:
        out.append(f"**Wrong answer after the load:** {', '.join(flagged)} (see checks.txt).")
    out.append("")
    return out


def spread_line(label, baseline, ratios, verdict):
    """One of naftiko's targets' same-round ratios against one baseline: each one's range
    over the rounds and, with `verdict` (against nginx, issue 16's targets of shapes 1-4),
    whether "at least its throughput, at most its p99 and CPU" held in every round."""
    parts, every = [], []
    for key, name, better in (("rps", "req/s", 1), ("p99_us", "p99", -1), ("hop_cpu_us_req", "CPU", -1)):
        xs = ratios[key]
        if not xs:
            continue
        lo, hi = min(xs), max(xs)
        parts.append(f"{name} {lo:.2f}–{hi:.2f}")
        held = lo >= 1.0 if better > 0 else hi <= 1.0
        every.append(f"{name} {'yes' if held else 'no'}")
    line = f"- {label} × {baseline} ({len(ratios['rps'])} rounds): {', '.join(parts)}"
    return line + (f"; in every round: {', '.join(every)}" if verdict else "")


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    root = sys.argv[1]
    dirs = sorted(
        (os.path.join(root, x) for x in os.listdir(root) if x.startswith("shape") and os.path.isdir(os.path.join(root, x))),
        key=lambda p: (int(read_kv_file(os.path.join(p, "suite.txt")).get("seq", "99") or 99), p),
    )
    out = [f"## Shape suite run `{os.path.basename(os.path.abspath(root))}`", ""]
    m = None
    for d in dirs:
        m = m or read_kv_file(os.path.join(d, "meta.txt")) or None
    if m:
        out.append(f"Machine: {m.get('cpu_model', '?')}, {m.get('ncpu', '?')} CPUs, kernel {m.get('kernel', '?')}; "
                   f"wrk {m.get('wrk', '?')}, nginx {m.get('nginx', '?')}.")
        out.append("")
    for d in dirs:
        out.extend(shape_section(d))
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
