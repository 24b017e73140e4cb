"""Combines one `make bench` run of the int8 benchmark into bench/results/int8_latency.json and
bench/results/ptq_accuracy.json and prints both tables (bench/README.md, "int8"). Not a benchmark itself.

Inputs:
  --manifest   the int8 manifest `int8_bench prepare` wrote (models, test set, calibration images, protocol)
  --ours       prepare's accuracy file (tinyopt's fp32 and int8 accuracy, its test-set logits)
  --round DIR  per round: tinyopt.json (our integer executor's timing), onnxruntime.json
               (peers/onnxruntime_bench.js on the QDQ files) and torch.json (peers/torch_int8_bench.py);
               a missing file is a skipped tool (reason via --skip TOOL=REASON)
  DIR/NAME.ort_test_logits.f32  onnxruntime's logits over the test set (peers/onnxruntime_run.js), for
               the top-1 agreement with ours and the largest logit difference
Aggregation as in combine_float_executor.py (whose helpers it reuses): best of per-round medians; ratios
are speed ours/peer, > 1 means tinyopt is faster.

Usage: combine_int8.py --manifest M.json --ours OURS.json --work DIR --round DIR ... [--skip T=R ...]
                       --build-dir BUILD --load-start "l1 l5 l15" --load-note TEXT --results DIR
"""
import argparse
import datetime
import json
import os

import numpy as np

from combine_float_executor import best, cmake_cache, cpu_model, git, load_round, peer_info

PEERS = ("onnxruntime", "torch")
# The speed goal for int8: >= 2x PyTorch and >= 1x onnxruntime at batch 1, >= 1x onnxruntime at 256.
GOAL = {"latency_vs_torch": 2.0, "latency_vs_onnxruntime": 1.0, "throughput_vs_onnxruntime": 1.0}


def agreement(model, work, classes, executor):
    ours_path = model["ours_test_logits"]
    ort_path = os.path.join(work, model["name"] + ".ort_test_logits.f32")
    if not os.path.exists(ort_path):
        return None
    ours = np.fromfile(ours_path, dtype="<f4").reshape(-1, classes)
    ort = np.fromfile(ort_path, dtype="<f4").reshape(-1, classes)
    return {"samples": int(ours.shape[0]),
            "top1_agreement": float((ours.argmax(1) == ort.argmax(1)).mean()),
            "max_abs_logit_diff": float(np.abs(ours - ort).max()),
            "acceptance": ">= 0.995",
            "ours": f"{executor} executor"}


def write_json(path, obj):
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def header(args, manifest):
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "git_commit": git("rev-parse", "HEAD"),
        "git_dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "cpu_model": cpu_model(),
        "cpus": os.cpu_count(),
        "load_average_start": [float(v) for v in args.load_start.split()] or None,
        "load_average_end": list(os.getloadavg()),
        "load_note": args.load_note,
        "tinyopt_build": {"build_type": cmake_cache(args.build_dir, "CMAKE_BUILD_TYPE")},
    }


def latency_results(args, manifest, rounds, skipped):
    models = {}
    for m in manifest["models"]:
        name = m["name"]
        entry = {"onnx": os.path.basename(m["onnx"]), "ours": best(rounds, "tinyopt", name)}
        ratios = {}
        for peer in PEERS:
            res = best(rounds, peer, name)
            if res is None:
                continue
            entry[peer] = res
            if entry["ours"]:
                ratios[f"latency_vs_{peer}"] = res["latency_ms"] / entry["ours"]["latency_ms"]
                ratios[f"throughput_vs_{peer}"] = entry["ours"]["throughput_ips"] / res["throughput_ips"]
        entry["ratios"] = ratios
        entry["meets_goal"] = all(ratios[k] >= g for k, g in GOAL.items()) if set(GOAL) <= set(ratios) else None
        models[name] = entry
    return {"benchmark": "int8_latency", **header(args, manifest), "protocol": manifest["protocol"],
            "rounds": len(rounds), "aggregation": "best of per-round medians (min latency, max throughput)",
            "ratio_meaning": "speed ours/peer; > 1 means tinyopt is faster", "goal": GOAL,
            "peers": {p: peer_info(rounds, p, skipped) for p in ("tinyopt",) + PEERS}, "models": models}


def accuracy_results(args, manifest, ours, rounds, skipped):
    torch_round = next((r["torch"] for r in rounds if "torch" in r), None)
    models = {}
    for m in manifest["models"]:
        name = m["name"]
        mine = ours["models"][name]
        entry = {"tinyopt": {**mine, "delta_pt": 100 * (mine["int8_accuracy"] - mine["fp32_accuracy"])}}
        entry["tinyopt"].pop("ours_test_logits", None)
        if torch_round and name in torch_round["models"]:
            t = torch_round["models"][name]
            entry["torch"] = {"fp32_accuracy": t["fp32_accuracy"], "int8_accuracy": t["int8_accuracy"],
                              "delta_pt": 100 * (t["int8_accuracy"] - t["fp32_accuracy"])}
        else:
            entry["torch"] = {"skipped": skipped.get("torch", "no results")}
        entry["onnxruntime_agreement"] = agreement(m, args.work, m["output_shape"][-1], mine["executor"]) or \
            {"skipped": skipped.get("onnxruntime", "no results")}
        models[name] = entry
    return {"benchmark": "ptq_accuracy", **header(args, manifest), "calibration": manifest["calibration"],
            "test": {k: v for k, v in manifest["test"].items() if k == "count"},
            "torch": {k: torch_round[k] for k in ("version", "engine", "qconfig")} if torch_round else None,
            "models": models}


def print_tables(lat, acc):
    print("\nint8 latency: batch 1, 1 thread (ms); throughput: batch 256, 2 threads (img/s); ratio = speed ours/peer")
    print(f"{'model':<12} {'ours ms':>8} {'ort ms':>8} {'torch ms':>9} | {'ours i/s':>9} {'ort i/s':>9} "
          f"{'torch i/s':>9} | ratios")
    for name, m in lat["models"].items():
        g = lambda tool, key: f"{m[tool][key]:.3f}" if m.get(tool) else "-"  # noqa: E731
        print(f"{name:<12} {g('ours', 'latency_ms'):>8} {g('onnxruntime', 'latency_ms'):>8} "
              f"{g('torch', 'latency_ms'):>9} | {g('ours', 'throughput_ips'):>9} "
              f"{g('onnxruntime', 'throughput_ips'):>9} {g('torch', 'throughput_ips'):>9} | "
              + ", ".join(f"{k} {v:.2f}" for k, v in m["ratios"].items()))
    print("\nPTQ accuracy (test set): fp32 -> int8 (delta pt); onnxruntime top-1 agreement with ours")
    for name, m in acc["models"].items():
        t, p, a = m["tinyopt"], m["torch"], m["onnxruntime_agreement"]
        torch_text = (f"{100 * p['fp32_accuracy']:.2f}% -> {100 * p['int8_accuracy']:.2f}% ({p['delta_pt']:+.2f})"
                      if "int8_accuracy" in p else f"skipped ({p['skipped']})")
        agree = (f"{100 * a['top1_agreement']:.2f}%, max |logit diff| {a['max_abs_logit_diff']:.3g}"
                 if "top1_agreement" in a else f"skipped ({a['skipped']})")
        print(f"{name:<12} tinyopt {100 * t['fp32_accuracy']:.2f}% -> {100 * t['int8_accuracy']:.2f}% "
              f"({t['delta_pt']:+.2f}); torch {torch_text}; onnxruntime agreement {agree}")
    print(f"load average at start {lat['load_average_start']}, at end {lat['load_average_end']}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--ours", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--round", action="append", default=[])
    ap.add_argument("--skip", action="append", default=[])
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--load-start", default="")
    ap.add_argument("--load-note", default="")
    ap.add_argument("--results", required=True)
    args = ap.parse_args()
    with open(args.manifest) as f:
        manifest = json.load(f)
    with open(args.ours) as f:
        ours = json.load(f)
    rounds = [load_round(d) for d in args.round]
    skipped = dict(s.split("=", 1) for s in args.skip)
    lat = latency_results(args, manifest, rounds, skipped)
    acc = accuracy_results(args, manifest, ours, rounds, skipped)
    write_json(os.path.join(args.results, "int8_latency.json"), lat)
    write_json(os.path.join(args.results, "ptq_accuracy.json"), acc)
    print_tables(lat, acc)


if __name__ == "__main__":
    main()
