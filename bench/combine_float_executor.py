"""Combines one `make bench` run of the float executor benchmark into bench/results/float_executor.json
and prints the results table. Inputs: the manifest float_executor_bench wrote, and one folder per round
holding tinyopt.json, onnxruntime.json and torch.json (a peer that was skipped has no file; its reason is
passed with --skip). Not a benchmark itself: it times nothing.

Aggregation: each tool's per-round medians are reduced to the best one (min latency, max throughput),
since on a shared machine noise only ever slows a run down; rounds interleave the tools, so a burst of
load from elsewhere hits one round of one tool, not one tool throughout. Ratios are speed ratios,
ours / peer: > 1 means tinyopt is faster (latency: peer_ms / ours_ms; throughput: ours_ips / peer_ips).

Standard library only. Usage:
  combine_float_executor.py --manifest M.json --round DIR [--round DIR ...] [--skip PEER=REASON ...]
                            --build-dir BUILD --load-start "1.0 2.0 3.0" --out OUT.json
"""
import argparse
import datetime
import json
import os
import platform
import subprocess

PEERS = ("onnxruntime", "torch")
GOAL = {"torch": 1.0, "onnxruntime": 0.8}  # ours must reach at least this speed ratio (the issue's goal)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def git(*args):
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        return subprocess.run(["git", "-C", here, *args], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def cmake_cache(build_dir, key):
    try:
        with open(os.path.join(build_dir, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return None


def load_round(folder):
    out = {}
    for tool in ("tinyopt",) + PEERS:
        path = os.path.join(folder, tool + ".json")
        if os.path.exists(path):
            with open(path) as f:
                out[tool] = json.load(f)
    return out


def best(rounds, tool, model):
    """Best latency / throughput over rounds, the worst output difference, and each round's figures."""
    per_round = [r[tool]["models"][model] for r in rounds if tool in r and model in r[tool]["models"]]
    if not per_round:
        return None
    return {
        "latency_ms": min(r["latency_ms"] for r in per_round),
        "throughput_ips": max(r["throughput_ips"] for r in per_round),
        "max_abs_diff": max(r["max_abs_diff"] for r in per_round),
        "per_round": [{"latency_ms": r["latency_ms"], "throughput_ips": r["throughput_ips"],
                       "latency_runs": r["latency_runs"], "throughput_runs": r["throughput_runs"]}
                      for r in per_round],
    }


def peer_info(rounds, peer, skipped):
    for r in rounds:
        if peer in r:
            return {k: v for k, v in r[peer].items() if k not in ("models", "peer")}
    return {"skipped": skipped.get(peer, "no results")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--round", action="append", default=[])
    ap.add_argument("--skip", action="append", default=[])
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--load-start", default="")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    with open(args.manifest) as f:
        manifest = json.load(f)
    rounds = [load_round(d) for d in args.round]
    skipped = dict(s.split("=", 1) for s in args.skip)

    models = {}
    for m in manifest["models"]:
        name = m["name"]
        entry = {"onnx": os.path.basename(m["onnx"]), "width": m["width"],
                 "input_shape": ["N"] + m["sample_shape"], "ours": best(rounds, "tinyopt", name)}
        ratios, meets = {}, True
        for peer in PEERS:
            res = best(rounds, peer, name)
            if res is None:
                continue
            entry[peer] = res
            if entry["ours"]:
                lat = res["latency_ms"] / entry["ours"]["latency_ms"]
                thr = entry["ours"]["throughput_ips"] / res["throughput_ips"]
                ratios[f"latency_vs_{peer}"] = lat
                ratios[f"throughput_vs_{peer}"] = thr
                meets = meets and min(lat, thr) >= GOAL[peer]
        entry["ratios"] = ratios
        entry["meets_goal"] = meets if ratios else None
        models[name] = entry

    load_end = list(os.getloadavg())
    out = {
        "benchmark": "float_executor",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "cpu_model": cpu_model(),
        "cpus": os.cpu_count(),
        "load_average_start": [float(v) for v in args.load_start.split()] or None,
        "load_average_end": load_end,
        "tinyopt_build": {"build_type": cmake_cache(args.build_dir, "CMAKE_BUILD_TYPE"),
                          "compiler": cmake_cache(args.build_dir, "CMAKE_CXX_COMPILER")},
        "protocol": manifest["protocol"],
        "rounds": len(rounds),
        "aggregation": "best of per-round medians (min latency, max throughput)",
        "ratio_meaning": "speed ours/peer; > 1 means tinyopt is faster",
        "goal": {f"vs_{p}": g for p, g in GOAL.items()},
        "peers": {p: peer_info(rounds, p, skipped) for p in PEERS},
        "models": models,
    }
    tmp = f"{args.out}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    os.replace(tmp, args.out)
    print_table(out)


def print_table(out):
    lp, tp = out["protocol"]["latency"], out["protocol"]["throughput"]
    print(f"\nfloat executor: latency = batch {lp['batch']}, {lp['threads']} thread(s), ms; "
          f"throughput = batch {tp['batch']}, {tp['threads']} threads, img/s; "
          f"ratio = speed ours/peer (>1: ours faster)")
    head = f"{'model':<12} {'ours ms':>8} {'ort ms':>8} {'torch ms':>9} {'ours/ort':>8} {'ours/torch':>10}" \
           f" | {'ours i/s':>9} {'ort i/s':>9} {'torch i/s':>9} {'ours/ort':>8} {'ours/torch':>10}" \
           f" | {'max|diff| ort, torch':>20}"
    print(head)
    print("-" * len(head))

    def fmt(v, spec):
        return format(v, spec) if v is not None else format("-", spec.split(".")[0].rstrip("f") + "s")

    for name, m in out["models"].items():
        get = lambda tool, key: m[tool][key] if m.get(tool) else None  # noqa: E731
        r = m["ratios"]
        print(f"{name:<12} {fmt(get('ours', 'latency_ms'), '8.3f')} {fmt(get('onnxruntime', 'latency_ms'), '8.3f')}"
              f" {fmt(get('torch', 'latency_ms'), '9.3f')} {fmt(r.get('latency_vs_onnxruntime'), '8.2f')}"
              f" {fmt(r.get('latency_vs_torch'), '10.2f')}"
              f" | {fmt(get('ours', 'throughput_ips'), '9.0f')} {fmt(get('onnxruntime', 'throughput_ips'), '9.0f')}"
              f" {fmt(get('torch', 'throughput_ips'), '9.0f')} {fmt(r.get('throughput_vs_onnxruntime'), '8.2f')}"
              f" {fmt(r.get('throughput_vs_torch'), '10.2f')}"
              f" | {fmt(get('onnxruntime', 'max_abs_diff'), '9.1e')}, {fmt(get('torch', 'max_abs_diff'), '9.1e')}")
    for p, info in out["peers"].items():
        if "skipped" in info:
            print(f"{p}: skipped ({info['skipped']})")
    print(f"load average at start {out['load_average_start']}, at end {out['load_average_end']}")


if __name__ == "__main__":
    main()
