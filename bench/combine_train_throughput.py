"""Combines one `make bench` run of the training-throughput benchmark into
bench/results/train_throughput.json and prints its table. Inputs: one folder per round holding
`<engine>-<arch>-b<batch>.json` files written by train_throughput (engine tinyopt) and
train_throughput_torch.py (engine pytorch). Times nothing itself.

Aggregation as in combine_float_executor.py: each engine's best round (max images/s), since load from
elsewhere only slows a run; ratios are ours / PyTorch, > 1 means tinyopt trains faster. images_per_cpu_s
(process CPU time) is kept beside the wall-clock figure: on a loaded machine it is the fairer one.

Usage: combine_train_throughput.py --round DIR [--round DIR ...] [--skip-torch REASON]
                                   --build-dir BUILD --load-start "1 2 3" --out OUT.json
"""
import argparse
import datetime
import glob
import json
import os
import subprocess

from combine_float_executor import cmake_cache, cpu_model, git

GOAL = 1.0  # the goal: at least PyTorch's images/s on both models


def blas_alternative():
    """The library behind libblas.so.3 (Debian's torch is built BLAS_INFO=generic and calls whatever
    the system alternative points to)."""
    for path in ("/usr/lib/x86_64-linux-gnu/libblas.so.3", "/usr/lib/aarch64-linux-gnu/libblas.so.3"):
        if os.path.exists(path):
            return os.path.realpath(path)
    return "unknown"


def load_rounds(folders):
    runs = {}  # (arch, batch) -> engine -> list of result dicts
    for folder in folders:
        for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
            with open(path) as f:
                r = json.load(f)
            runs.setdefault((r["arch"], r["batch"]), {}).setdefault(r["engine"], []).append(r)
    return runs


def summarize(results):
    best = max(results, key=lambda r: r["images_per_s"])
    return {"images_per_s": best["images_per_s"], "images_per_cpu_s": max(r["images_per_cpu_s"] for r in results),
            "threads": best["threads"], "per_round_images_per_s": [r["images_per_s"] for r in results]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--round", action="append", default=[])
    ap.add_argument("--skip-torch", default="")
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--load-start", default="")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    rows = []
    torch_version = None
    for (arch, batch), engines in sorted(load_rounds(a.round).items()):
        row = {"arch": arch, "batch": batch, "ours": summarize(engines["tinyopt"])}
        if "pytorch" in engines:
            torch_version = engines["pytorch"][0].get("torch")
            row["pytorch"] = summarize(engines["pytorch"])
            row["ratio_vs_pytorch"] = round(row["ours"]["images_per_s"] / row["pytorch"]["images_per_s"], 3)
            row["ratio_vs_pytorch_per_cpu_s"] = round(
                row["ours"]["images_per_cpu_s"] / row["pytorch"]["images_per_cpu_s"], 3)
            row["meets_goal"] = row["ratio_vs_pytorch"] >= GOAL
        rows.append(row)

    out = {
        "benchmark": "training throughput: forward (train mode) + cross-entropy + backward + SGD momentum 0.9, "
                     "weight decay 5e-4, random data, same model/batch/threads for both engines",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "git_commit": git("rev-parse", "HEAD"), "git_dirty": bool(git("status", "--porcelain", "-uno")),
        "cpu": cpu_model(), "build_type": cmake_cache(a.build_dir, "CMAKE_BUILD_TYPE"),
        "load_average_start": a.load_start, "load_average_end": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "pytorch": {"version": torch_version, "blas_info": "generic (calls libblas.so.3)",
                    "libblas.so.3": blas_alternative()} if torch_version else {"skipped": a.skip_torch},
        "goal": f"ratio_vs_pytorch >= {GOAL} on fmnist-cnn and fmnist-ds at batch 64 and 128",
        "results": rows,
    }
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    os.replace(tmp, a.out)

    print(f"{'model':<12}{'batch':>6}{'ours img/s':>12}{'torch img/s':>13}{'ratio':>8}{'ratio/cpu-s':>13}")
    for r in rows:
        t = r.get("pytorch", {})
        print(f"{r['arch']:<12}{r['batch']:>6}{r['ours']['images_per_s']:>12.0f}"
              f"{t.get('images_per_s', float('nan')):>13.0f}{r.get('ratio_vs_pytorch', float('nan')):>8.2f}"
              f"{r.get('ratio_vs_pytorch_per_cpu_s', float('nan')):>13.2f}")


if __name__ == "__main__":
    main()
