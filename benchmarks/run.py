"""Run every ``benchmarks/bench_*.py`` and write ``benchmarks/results.json``.

Usage: ``python -m benchmarks.run --scale quick|full [--only NAME] [--size N] [--repeats N]
[--out FILE]``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import psutil

from benchmarks.harness import BenchResult
from features.files import atomic_write_text

HERE = Path(__file__).resolve().parent


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> dict[str, Any]:
    """Describe the machine the numbers were measured on."""
    return {
        "cores": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def discover() -> list[str]:
    return sorted(p.stem for p in HERE.glob("bench_*.py"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=["quick", "full"], default="quick")
    parser.add_argument("--only", action="append", default=[], help="bench_<name> to run")
    parser.add_argument("--repeats", type=int, default=None, help="default: 3 quick, 3 full")
    parser.add_argument(
        "--size", type=int, action="append", default=[],
        help="run only these sizes of the scale (e.g. --scale full --size 10000000)",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    args = parser.parse_args(argv)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # readable logs

    repeats = args.repeats or 3
    names = [n for n in discover() if not args.only or n in args.only or n[6:] in args.only]
    rows: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    started = time.time()

    def write() -> list[dict[str, Any]]:
        """Write the results so far (with growth factors) atomically to ``args.out``;
        return them."""
        grown = [dict(r) for r in rows]
        _add_growth(grown)
        payload = {
            "scale": args.scale,
            "repeats": repeats,
            "machine": machine(),
            "wall_s": round(time.time() - started, 1),
            "skipped": skipped,
            "results": grown,
        }
        atomic_write_text(args.out, json.dumps(payload, indent=2))
        return grown

    for name in names:
        try:
            module = importlib.import_module(f"benchmarks.{name}")
        except Exception as err:  # noqa: BLE001 - a module mid-edit must not stop the others
            skipped[name] = f"{type(err).__name__}: {err}"
            print(f"skipping {name}: it does not import ({skipped[name]})", flush=True)
            continue
        for size in module.SIZES[args.scale]:
            if args.size and size not in args.size:
                continue
            print(f"running {name} size={size:,} ...", flush=True)
            try:
                results: list[BenchResult] = module.bench(size, repeats)
            except Exception as err:  # noqa: BLE001 - reported, and the run exits non-zero
                skipped[f"{name}@{size}"] = f"failed: {type(err).__name__}: {err}"
                traceback.print_exc()
                continue
            rows.extend(r.as_dict() | {"module": name} for r in results)
            write()  # partial results survive a crash
    _print_table(write())
    print(f"\nwrote {args.out}")
    for name, why in skipped.items():
        print(f"NOT RUN {name}: {why}")
    return 1 if skipped else 0


def _add_growth(rows: list[dict[str, Any]]) -> None:
    """Per module and benchmark name: time growth vs size growth from the next smaller size."""
    by_name: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        by_name.setdefault((row.get("module", ""), row["name"]), []).append(row)
    for group in by_name.values():
        ordered = sorted(group, key=lambda r: r["size"])
        ordered[0]["growth"] = None
        for smaller, row in zip(ordered, ordered[1:], strict=False):
            if smaller["ours_s"] <= 0:
                row["growth"] = None
                continue
            row["growth"] = {
                "size_x": row["size"] / smaller["size"],
                "time_x": row["ours_s"] / smaller["ours_s"],
            }


def _print_table(rows: list[dict[str, Any]]) -> None:
    header = f"{'benchmark':<34}{'size':>11}{'ours s':>10}{'ref s':>10}{'ratio':>9}{'peak MB':>9}"
    print("\n" + header + "\n" + "-" * len(header))
    for r in rows:
        ref = f"{r['ref_s']:.3f}" if r["ref_s"] is not None else "-"
        ratio = f"{r['ratio']:.1f}x" if r["ratio"] is not None else "-"
        print(
            f"{r['name']:<34}{r['size']:>11,}{r['ours_s']:>10.3f}{ref:>10}{ratio:>9}"
            f"{r['peak_mem_mb']:>9.0f}"
        )
        if r.get("growth"):
            g = r["growth"]
            print(f"    growth: size x{g['size_x']:g} -> time x{g['time_x']:.2f}")
        if r.get("notes"):
            print(f"    {r['notes']}")


if __name__ == "__main__":
    sys.exit(main())
