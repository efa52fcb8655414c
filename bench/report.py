"""bench/run's output: one Markdown table, the JSON beside it, a PNG, RSS and log checks."""
import json
import shutil
import statistics
import subprocess
from pathlib import Path
from typing import Any

from bench import OUT, RATIO_TARGETS, ROOT, Bench

ORDER = ["ref", "ref_row", "get_one", "list", "list_filtered", "list_revalidate", "changes", "create", "create_key", "delete", "patch", "complete", "mix", "login"]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summarise(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (scenario, connections): medians over repeats; ratios to the reference
    measured in the same repeat (or at the same connection count)."""
    refs = {(r["connections"], r["repeat"], r.get("pair")): r["rps"] for r in results if r["scenario"] == "ref"}
    groups: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
    for r in results:
        # The --against tree's rows ("base") apart; the app's and the reference's together.
        groups.setdefault(("base" if r["server"] == "base" else "", r["scenario"], r["connections"]), []).append(r)
    rows = []
    for (tree, name, conns), runs in groups.items():
        keys = [(conns, r["repeat"], r.get("pair")) for r in runs]
        ratios = [r["rps"] / refs[key] for r, key in zip(runs, keys) if refs.get(key) and name != "open"]
        rows.append({
            "tree": tree, "scenario": name, "connections": conns, "runs": len(runs),
            "rps": median([r["rps"] for r in runs]), "ratio": median(ratios) if ratios else None,
            "ratios": ratios, **{k: median([r[k] for r in runs]) for k in ("p50_ms", "p95_ms", "p99_ms")},
            "non2xx": sum(r["non2xx"] for r in runs), "socket_errors": sum(r["socket_errors"] for r in runs),
        })
    rows.sort(key=lambda row: (row["connections"] != 100, row["scenario"] == "open",
                               row["scenario"] not in ORDER, ORDER.index(row["scenario"]) if row["scenario"] in ORDER else 0,
                               row["connections"]))
    return rows


def judge(row: dict[str, Any], rows: list[dict[str, Any]]) -> str:
    """The issue's target for this row, and whether this run met it."""
    name, conns = row["scenario"], row["connections"]
    errors_ok = row["non2xx"] == 0 and row["socket_errors"] == 0
    if name == "open":
        ok = row["p95_ms"] < 50 and row["p99_ms"] < 100 and errors_ok
        return f"p95<50, p99<100, 0 errors {'✅' if ok else '❌'}"
    if conns == 500 and name in {"get_one", "list"}:
        at100 = next((r["rps"] for r in rows if r["scenario"] == name and r["connections"] == 100), None)
        ok = errors_ok and at100 is not None and row["rps"] >= 0.8 * at100
        return f"0 errors, ≥80% of c=100 ({row['rps'] / at100:.0%}) {'✅' if ok else '❌'}" if at100 else "0 errors"
    if conns != 100 or name not in RATIO_TARGETS or row["ratio"] is None:
        return ""
    target = RATIO_TARGETS[name]
    ok = row["ratio"] >= target and (name != "list" or row["p95_ms"] < 500)
    extra = ", p95<500" if name == "list" else ""
    return f"≥{target}x{extra} {'✅' if ok else '❌'}"


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| scenario | conns | req/s | ratio to ref | p50 ms | p95 ms | p99 ms | non-2xx | socket errors | target |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for row in rows:
        ratio = "" if row["ratio"] is None else f"{row['ratio']:.2f}x"
        lines.append(f"| {row['scenario']} | {row['connections']} | {row['rps']:.0f} | {ratio} | {row['p50_ms']:.1f} | "
                     f"{row['p95_ms']:.1f} | {row['p99_ms']:.1f} | {row['non2xx']} | {row['socket_errors']} | {judge(row, rows)} |")
    return "\n".join(lines)


def ab_table(rows: list[dict[str, Any]], against: str) -> str:
    """This tree against --against's, scenario by scenario, both measured in this run."""
    base = {r["scenario"]: r for r in rows if r["tree"] == "base"}
    lines = [f"| scenario | this tree req/s | ratio | {against} req/s | ratio | this / {against} |",
             "|---|---:|---:|---:|---:|---:|"]
    for row in rows:
        other = base.get(row["scenario"])
        if row["tree"] or row["connections"] != 100 or other is None or row["ratio"] is None or other["ratio"] is None:
            continue
        lines.append(f"| {row['scenario']} | {row['rps']:.0f} | {row['ratio']:.3f}x | {other['rps']:.0f} | "
                     f"{other['ratio']:.3f}x | {row['ratio'] / other['ratio']:.2f} |")
    return "\n".join(lines)


def rss_report(bench: Bench) -> dict[str, Any]:
    report = {}
    for server in (bench.app, bench.ref):
        peaks: dict[str, int] = {}
        for sample in server.rss_samples:
            for pid, values in sample["workers"].items():
                peaks[str(pid)] = max(peaks.get(str(pid), 0), values["hwm_kib"])
        master = max((s["master_rss_kib"] for s in server.rss_samples), default=0)
        trend = [(s["label"], sum(w["rss_kib"] for w in s["workers"].values())) for s in server.rss_samples]
        report[server.name] = {"peak_per_worker_mib": {pid: round(kib / 1024, 1) for pid, kib in peaks.items()},
                               "peak_total_mib": round((sum(peaks.values()) + master) / 1024, 1),
                               "master_mib": round(master / 1024, 1), "workers_rss_trend_mib": [(label, round(kib / 1024, 1)) for label, kib in trend]}
    return report


def draw(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), dpi=80)
    block = [r for r in rows if r["connections"] == 100 or r["scenario"] == "open"]
    block = list({r["scenario"]: r for r in block}.values())
    x = range(len(block))
    for offset, key in ((-0.27, "p50_ms"), (0, "p95_ms"), (0.27, "p99_ms")):
        left.bar([i + offset for i in x], [r[key] for r in block], width=0.27, label=key.split("_")[0])
    left.set_xticks(list(x), [r["scenario"] for r in block], rotation=30)
    left.set_yscale("log")
    left.set_ylabel("latency, ms (log)")
    left.set_title("Latency per scenario (100 connections; open = paced)")
    left.legend()
    twin = right.twinx()
    for name, style in (("ref", "k"), ("get_one", "b"), ("list", "r")):
        series = sorted((r["connections"], r["rps"], r["p95_ms"]) for r in rows if r["scenario"] == name)
        if len(series) > 1:
            right.plot([s[0] for s in series], [s[1] for s in series], style + "-o", label=f"{name} req/s")
            twin.plot([s[0] for s in series], [s[2] for s in series], style + "--x", label=f"{name} p95")
    right.set_xscale("log")
    right.set_xlabel("connections")
    right.set_ylabel("req/s (solid)")
    twin.set_ylabel("p95 ms (dashed)")
    twin.set_yscale("log")
    right.set_title("req/s and p95 against connections")
    if right.get_lines():
        right.legend(loc="upper left", fontsize=7)
        twin.legend(loc="lower right", fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def finish(bench: Bench, problems: dict[str, dict[str, int]], stamp: str, run_dir: Path) -> int:
    every_row = summarise(bench.results)
    rows = [r for r in every_row if not r["tree"]]
    rss = rss_report(bench)
    markdown = table(rows)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    print("\n" + markdown + "\n")
    if bench.base:
        markdown += "\n\n" + ab_table(every_row, bench.args.against_label)
        print(ab_table(every_row, bench.args.against_label) + "\n")
    print(f"load average at the end (1, 5, 15 min): {load}")
    for name, values in rss.items():
        workers = ", ".join(f"{v} MiB" for v in values["peak_per_worker_mib"].values())
        print(f"peak RSS {name}: workers {workers}; total with master {values['peak_total_mib']} MiB")
    print(f"app workers' RSS over the run (MiB): {rss['app']['workers_rss_trend_mib']}")
    for name, found in problems.items():
        print(f"gunicorn log {name}: {found}")
    document = {"stamp": stamp, "commit": commit, "args": vars(bench.args), "load": load, "rows": every_row, "runs": bench.results,
                "rss": rss, "gunicorn_log": problems, "table": markdown}
    (run_dir / "results.json").write_text(json.dumps(document, indent=1, default=str))
    shutil.copy(run_dir / "results.json", OUT / "latest.json")
    try:
        draw(rows, run_dir / "bench.png")
        shutil.copy(run_dir / "bench.png", OUT / "latest.png")
    except ImportError:
        print("matplotlib is missing: no PNG (bin/venv installs requirements-dev.txt)")
    print(f"written: {run_dir}/results.json, bench.png (and {OUT}/latest.*)")
    errors = sum(r["non2xx"] + r["socket_errors"] for r in bench.results if r["server"] != "base")
    app_log = problems["app"]
    crashed = app_log["worker_timeouts"] or app_log["worker_exits"] or app_log["tracebacks"]
    if bench.args.quick and (errors or crashed):
        print(f"SMOKE FAILED: {errors} error(s), gunicorn log {app_log}")
        return 1
    return 0
