"""Combines one run of the pruning benchmark (bench/run.sh, `bench_pruning`) into
bench/results/pruning.json (accuracy vs MACs for L1, slimming and Taylor) and
bench/results/pruning_vs_torch.json (our L1 + KD vs PyTorch ln_structured masks + plain fine-tune, at the
same MACs and epochs), and prints both tables. Inputs: the work folder with `<method>-<fraction>.json`
(`tinyopt prune --json`) and `torch-<fraction>.json` (peers/torch_prune.py). Times nothing itself.

The long acceptance runs (docs/pruning.md section 7) are not re-run by the benchmark; an `acceptance` key
already in pruning.json is kept as it is.

Usage: combine_pruning.py --dir WORK --fractions "0.5 0.35 ..." --methods "l1 slimming taylor"
                          --command-template "..." --torch-command-template "..." [--skip-torch REASON]
                          --build-dir BUILD --load-start "1 2 3" --results DIR
"""
import argparse
import datetime
import json
import os

from combine_float_executor import cmake_cache, cpu_model, git


def read_json(path):
    with open(path) as f:
        return json.load(f)


def write_json(path, obj):
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def point(r, fraction, command):
    return {"target_fraction": fraction, "macs": r["macs_after"], "macs_fraction": r["macs_after"] / r["macs_before"],
            "params": r["params_after"], "accuracy": r["accuracy"],
            "accuracy_drop_pt": round(100 * (r["accuracy_before"] - r["accuracy"]), 2),
            "channels": {l["name"]: l["channels_after"] for l in r["layers"]}, "command": command}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--fractions", required=True)
    ap.add_argument("--methods", required=True)
    ap.add_argument("--command-template", required=True)
    ap.add_argument("--torch-command-template", required=True)
    ap.add_argument("--skip-torch", default="")
    ap.add_argument("--budget", required=True, help="the fine-tune budget, in words")
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--load-start", default="")
    ap.add_argument("--results", required=True)
    a = ap.parse_args()
    fractions = a.fractions.split()
    methods = a.methods.split()

    curves, teacher = {}, None
    for m in methods:
        curves[m] = []
        for f in fractions:
            r = read_json(os.path.join(a.dir, f"{m}-{f}.json"))
            teacher = teacher or {"macs": r["macs_before"], "params": r["params_before"], "accuracy": r["accuracy_before"]}
            curves[m].append(point(r, float(f), a.command_template.format(method=m, fraction=f)))

    common = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "cpu": cpu_model(), "build_type": cmake_cache(a.build_dir, "CMAKE_BUILD_TYPE"), "load_start": a.load_start, "load_end": " ".join(open("/proc/loadavg").read().split()[:3]),
        "teacher": dict(teacher, model="models/fmnist-cnn.onnx"), "fine_tune_budget": a.budget,
    }
    out_path = os.path.join(a.results, "pruning.json")
    previous = read_json(out_path) if os.path.exists(out_path) else {}
    out = dict(common, experiment="accuracy vs MACs of the Fashion-MNIST teacher pruned with L1, slimming (BN gamma) "
               "and Taylor at 5 MAC targets, the same short KD fine-tune for each", curves=curves)
    if "acceptance" in previous:
        out["acceptance"] = previous["acceptance"]
    write_json(out_path, out)

    print(f"teacher: {teacher['macs']} MACs, {100 * teacher['accuracy']:.2f}%  ({a.budget})")
    print(f"{'target':>7} " + " ".join(f"{m + ' MACs%':>14} {m + ' acc%':>14}" for m in methods))
    for i, f in enumerate(fractions):
        print(f"{f:>7} " + " ".join(f"{100 * curves[m][i]['macs_fraction']:>14.1f} {100 * curves[m][i]['accuracy']:>14.2f}"
                                     for m in methods))

    rows = []
    for i, f in enumerate(fractions):
        ours = curves["l1"][i]
        row = {"target_fraction": float(f), "macs": ours["macs"], "macs_fraction": ours["macs_fraction"],
               "ours_l1_kd": ours["accuracy"]}
        tp = os.path.join(a.dir, f"torch-{f}.json")
        if not a.skip_torch and os.path.exists(tp):
            t = read_json(tp)
            row.update(torch_ln_structured=t["accuracy"],
                       ours_minus_torch_pt=round(100 * (ours["accuracy"] - t["accuracy"]), 2),
                       meets_goal=ours["accuracy"] >= t["accuracy"], torch_version=t["torch_version"])
        rows.append(row)
    vs = dict(common, experiment="ours (tinyopt prune --method l1, physical shrink, KD from the unpruned model) vs "
              "PyTorch (torch.nn.utils.prune.ln_structured masks with the same per-layer channel counts, plain "
              "cross-entropy fine-tune), same MACs, epochs, training images and recipe",
              ours_command=a.command_template.format(method="l1", fraction="F"),
              torch_command=a.torch_command_template.format(fraction="F"), rows=rows)
    if a.skip_torch:
        vs["torch_skipped"] = a.skip_torch
    else:
        missing = [r["target_fraction"] for r in rows if "torch_ln_structured" not in r]
        if missing:
            vs["torch_missing"] = missing  # peer runs that did not finish; the goal is then undecided
        vs["meets_goal_at_every_ratio"] = None if missing else all(r["meets_goal"] for r in rows)
    write_json(os.path.join(a.results, "pruning_vs_torch.json"), vs)
    print(f"{'target':>7} {'MACs%':>7} {'ours L1+KD':>11} {'torch':>7}")
    for r in rows:
        t = f"{100 * r['torch_ln_structured']:.2f}" if "torch_ln_structured" in r else "-"
        print(f"{r['target_fraction']:>7} {100 * r['macs_fraction']:>7.1f} {100 * r['ours_l1_kd']:>11.2f} {t:>7}")


if __name__ == "__main__":
    main()
