#!/usr/bin/env python3
"""Arm kernel variants vs their references, in instructions per MAC: reads the per-kernel counts that
emu_kernels_bench measured on the emulated cores (MLPerf Tiny layer shapes, exact qemu plugin counts) and
writes bench/results/emulated_kernels_arm.json with, per platform and layer, the reference the selector would
pick without the variant, the kernel
the selector picks there (the first listed Arm row that supports the layer), both insns/MAC and the ratio,
plus per model the MAC-weighted insns/MAC over its standard and pointwise conv layers (issue 6's goal:
<= 2.0 on the Cortex-M4). Prints a table. Not a test: it asserts nothing.

usage: combine_arm_kernels.py EMU_KERNELS_JSON OUT_JSON
"""
import json
import os
import sys

ARM_VARIANT = {"cortex-m4": "dsp", "cortex-m7": "dsp", "rpi4": "neon", "rpi5": "neon"}
CORE = {"cortex-m4": "Cortex-M4 (qemu mps2-an386)", "cortex-m7": "Cortex-M7 (qemu mps2-an500)",
        "rpi4": "Cortex-A72, Raspberry Pi 4 (qemu-aarch64, SMULL/SADALP)",
        "rpi5": "Cortex-A76, Raspberry Pi 5 (qemu-aarch64, SDOT)"}
GOAL = 2.0


def model_of(layer):
    return layer.split(" ", 1)[0]


def combine(platform, data):
    variant = ARM_VARIANT.get(platform)
    by_layer = {}  # layer -> records in run order (= kernel list order)
    for r in data.get("layers", []):
        by_layer.setdefault(r["layer"], []).append(r)
    rows, per_model = [], {}
    for layer, recs in by_layer.items():
        family = recs[0]["family"]
        # the baseline is what a build without the variant runs: the first reference row that supports the
        # layer (list order, e.g. topt_conv2d_1x1_s8__ref for a pointwise layer)
        ref = next((r for r in recs if r["variant"] == "ref"), None)
        chosen = next((r for r in recs if r["variant"] == variant), None)
        if ref is None:
            continue
        row = {"layer": layer, "family": family, "macs": ref["macs"],
               "reference_kernel": ref["kernel"], "reference_insns_per_mac": round(ref["instructions_per_mac"], 3)}
        if chosen is not None:
            row.update({"kernel": chosen["kernel"], "insns_per_mac": round(chosen["instructions_per_mac"], 3),
                        "speedup_vs_reference": round(ref["instructions"] / chosen["instructions"], 2)})
            if family == "conv2d_s8":
                m = per_model.setdefault(model_of(layer), {"macs": 0, "instructions": 0})
                m["macs"] += chosen["macs"]
                m["instructions"] += chosen["instructions"]
        rows.append(row)
    models = {name: {"conv_macs": m["macs"], "conv_insns_per_mac": round(m["instructions"] / m["macs"], 3),
                     "goal_insns_per_mac": GOAL, "goal_met": m["instructions"] / m["macs"] <= GOAL}
              for name, m in per_model.items()}
    return {"core": CORE.get(platform, platform), "variant": variant, "layers": rows,
            "conv_and_pointwise_by_model": models,
            "bit_exact_with_host": data.get("bit_exact_with_host"), "mismatches": data.get("mismatches", [])}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    src = json.load(open(sys.argv[1]))
    out = {"benchmark": "arm_kernels", "date": src.get("date"),
           "what": "dynamic instructions per MAC, Arm kernel variant vs its family reference, MLPerf Tiny layer shapes",
           "source": "emu_kernels_bench (qemu TCG plugin, exact counts); bench/combine_arm_kernels.py",
           "note": "instructions, not cycles: QEMU models no pipeline, caches or wait states",
           "platforms": {}}
    for platform, data in src.get("platforms", {}).items():
        if platform not in ARM_VARIANT:
            continue
        if "skipped" in data:
            out["platforms"][platform] = {"skipped": data["skipped"]}
            print("%s: skipped (%s)" % (platform, data["skipped"]))
            continue
        res = combine(platform, data)
        out["platforms"][platform] = res
        print("== %s: %s" % (platform, res["core"]))
        print("%-44s %-28s %9s %8s %8s" % ("layer", "kernel", "ref i/MAC", "i/MAC", "speedup"))
        for r in res["layers"]:
            print("%-44s %-28s %9.2f %8s %8s" % (r["layer"], r.get("kernel", "-"), r["reference_insns_per_mac"],
                                                 "%.2f" % r["insns_per_mac"] if "kernel" in r else "-",
                                                 "%.2fx" % r["speedup_vs_reference"] if "kernel" in r else "-"))
        for name, m in res["conv_and_pointwise_by_model"].items():
            print("  %-18s conv+pointwise %.2f insns/MAC (goal <= %.1f: %s)" %
                  (name, m["conv_insns_per_mac"], GOAL, "met" if m["goal_met"] else "not met"))
    tmp = sys.argv[2] + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    os.replace(tmp, sys.argv[2])
    print("wrote %s" % sys.argv[2])


if __name__ == "__main__":
    main()
