#!/usr/bin/env python3
"""Whole models on the emulated devices (issue 6 acceptance; docs/emulation.md "Figures: whole models").

Drives the CLI exactly as a user would: `tinyopt quantize` (the Fashion-MNIST teacher int8 and W4A8 on 500
training images; the MLPerf Tiny shapes ds-cnn, resnet8, mobilenetv1 0.25 and fc-ae from `tinyopt new`
with seeded random weights, quantized on 8 uniform-noise samples: meaningless outputs, real bytes and
counts), then `tinyopt emulate --json` per model and platform (every output byte compared with the host
integer executor), once more with `--reference-kernels` on the Cortex-M4 (a couple of samples: counts
depend on shapes only), and `tinyopt estimate --json` for the same model and target. Writes one JSON file.
Usage: emulation_bench.py BUILD_DIR OUT.json [--fmnist-samples 100] [--samples 20]
       [--platforms cortex-m4,cortex-m7,rpi4] [--work DIR]
Standard library only, except numpy for the noise calibration file (python3-numpy, a dependency of
python3-torch). Not a timing benchmark: QEMU counts instructions, deterministically.
"""
import argparse
import datetime
import json
import os
import subprocess
import sys

from combine_int8 import write_json  # atomic (temp file + rename)

# name, `tinyopt new` flags, one sample's input shape (docs/architectures.md)
ARCHS = [("ds-cnn", [], [1, 49, 10]), ("resnet8", [], [3, 32, 32]),
         ("mobilenetv1-0.25", ["--width", "0.25"], [3, 96, 96]), ("fc-ae", [], [640])]


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"emulation_bench: {' '.join(cmd)} failed: {r.stderr.strip()}")
    return r.stdout


def layer_class(layer, ref_kernel=None):
    """ref_kernel: the reference kernel of the same step, whose name tells a pointwise layer (conv2d_1x1)
    apart; the optimized Cortex-M conv kernel (topt_conv2d_c1x4_s8__dsp) takes both classes."""
    if layer["macs"] == 0:
        return None
    if layer["family"].startswith("dwconv"):
        return "depthwise"
    if layer["family"].startswith("dense"):
        return "fc"
    return "pointwise" if "conv2d_1x1" in (ref_kernel or layer["kernel"]) else "conv"


def by_class(layers, reference, classify=None):
    """classify: a --reference-kernels run of the same model (steps match across targets)."""
    ref = {l["step"]: l for l in reference["layers"]} if reference else {}
    kinds = {l["step"]: l["kernel"] for l in classify["layers"]} if classify else {}
    rows, sums = [], {}
    for l in layers:
        cls = layer_class(l, kinds.get(l["step"]))
        if cls is None:
            continue
        row = {"step": l["step"], "nodes": l["nodes"], "class": cls, "kernel": l["kernel"], "macs": l["macs"],
               "instructions": l["instructions"], "instructions_per_mac": l["instructions_per_mac"]}
        s = sums.setdefault(cls, [0.0, 0.0, 0.0])
        s[0] += l["macs"]
        s[1] += l["instructions"]
        if l["step"] in ref:
            r = ref[l["step"]]
            row.update(reference_kernel=r["kernel"], reference_instructions=r["instructions"],
                       reference_instructions_per_mac=r["instructions_per_mac"])
            s[2] += r["instructions"]
        rows.append(row)
    summary = {}
    for cls, (macs, insns, ref_insns) in sums.items():
        summary[cls] = {"macs": macs, "instructions_per_mac": insns / macs}
        if ref_insns > 0:
            summary[cls]["reference_instructions_per_mac"] = ref_insns / macs
    return rows, summary


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("out")
    ap.add_argument("--fmnist-samples", type=int, default=100)
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--reference-samples", type=int, default=2)
    ap.add_argument("--platforms", default="cortex-m4,cortex-m7,rpi4")
    ap.add_argument("--work", default=None)
    a = ap.parse_args()
    tinyopt = os.path.join(a.build, "tinyopt")
    here = os.path.dirname(os.path.abspath(__file__))
    work = a.work or os.path.join(a.build, "bench-work", "emulation")
    os.makedirs(work, exist_ok=True)
    teacher = os.path.join(here, "..", "models", "fmnist-cnn.onnx")

    models = []  # (name, quantization, path, data args, samples)
    for quant, extra in (("int8", []), ("w4a8", ["--weights", "int4"])):
        path = os.path.join(work, f"fmnist-cnn.{quant}.onnx")
        run([tinyopt, "quantize", teacher, "--data", "fashion-mnist", "--calib", "500", "--limit", "100", *extra,
             "-o", path])
        models.append(("fmnist-cnn", quant, path, ["--data", "fashion-mnist"], a.fmnist_samples))
    import numpy as np  # only here: the teacher part needs nothing but the CLI
    for name, flags, shape in ARCHS:
        arch = name.split("-0.")[0] if name.startswith("mobilenet") else name
        fp = os.path.join(work, f"{name}.onnx")
        run([tinyopt, "new", "--arch", arch, *flags, "--seed", "1", "-o", fp])
        rng = np.random.default_rng(1)
        np.save(os.path.join(work, f"{name}.x.npy"), rng.random([8] + shape, dtype=np.float32))
        np.save(os.path.join(work, f"{name}.y.npy"), np.zeros(8, dtype=np.int64))
        q = os.path.join(work, f"{name}.int8.onnx")
        run([tinyopt, "quantize", fp, "--data", f"{work}/{name}.x.npy,{work}/{name}.y.npy", "--calib", "8",
             "--limit", "8", "-o", q])
        models.append((name, "int8 (random weights)", q, [], a.samples))

    runs, ref_runs = [], {}  # ref_runs: the Cortex-M4 reference-kernel run per model, classifying every target's layers
    for name, quant, path, data, samples in models:
        for platform in a.platforms.split(","):
            print(f"-- {name} {quant} on {platform}: {samples} samples", file=sys.stderr, flush=True)
            best = json.loads(run([tinyopt, "emulate", path, "--target", platform, *data, "--samples", str(samples),
                                   "--json"]))
            ref = None
            if platform == "cortex-m4":
                ref = json.loads(run([tinyopt, "emulate", path, "--target", platform, *data, "--samples",
                                      str(a.reference_samples), "--reference-kernels", "--json"]))
            est = json.loads(run([tinyopt, "estimate", path, "--target", platform, "--json"]))
            if ref:
                ref_runs[(name, quant)] = ref
            layers, summary = by_class(best["layers"], ref, ref_runs.get((name, quant)))
            identical = sum(best["identical"])
            r = {"model": name, "quantization": quant, "platform": platform,
                 "data": "fashion-mnist test" if data else "seeded random inputs in [0, 1)",
                 "samples_tried": best["samples"], "samples_identical": identical,
                 "accuracy": best["accuracy"]}
            for k in ("instructions_per_inference", "instructions_min", "instructions_max", "macs",
                      "instructions_per_mac", "flash_bytes", "text_bytes", "rodata_bytes", "data_bytes", "bss_bytes",
                      "ram_bytes", "arena_bytes", "arena_used_bytes", "stack_bytes", "weight_bytes", "requant_bytes",
                      "code_overhead_bytes", "kernels"):
                r[k] = best.get(k)
            r["flash_minus_weights_bytes"] = best["flash_bytes"] - best["weight_bytes"]
            if ref:
                r["reference_kernels"] = {"samples_tried": ref["samples"], "samples_identical": sum(ref["identical"]),
                                          "instructions_per_inference": ref["instructions_per_inference"],
                                          "instructions_per_mac": ref["instructions_per_mac"],
                                          "flash_bytes": ref["flash_bytes"], "arena_bytes": ref["arena_bytes"]}
            r["layers"], r["by_class"] = layers, summary
            r["estimate"] = {k: est[k] for k in ("arena_bytes", "stack_bytes", "ram_bytes", "flash_bytes")}
            r["within_estimate"] = (best["arena_used_bytes"] <= est["arena_bytes"] and
                                    best["stack_bytes"] <= est["stack_bytes"] and
                                    best["arena_used_bytes"] + best["stack_bytes"] <= est["ram_bytes"])
            runs.append(r)

    tried = sum(r["samples_tried"] + r.get("reference_kernels", {}).get("samples_tried", 0) for r in runs)
    same = sum(r["samples_identical"] + r.get("reference_kernels", {}).get("samples_identical", 0) for r in runs)
    ds = next((r for r in runs if r["model"] == "ds-cnn" and r["platform"] == "cortex-m4"), None)
    doc = {
        "generated_by": "bench/emulation_bench.py (bench/run.sh bench_emulation)",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
        "command": " ".join(sys.argv),
        "emulators": "qemu-system-arm -M mps2-an386 (cortex-m4) / mps2-an500 (cortex-m7), qemu-aarch64 -cpu "
                     "cortex-a72 (rpi4); instruction counts from tools/qemu-insncount, exact and deterministic",
        "reference": "host integer executor on the same quantized samples; every output byte compared",
        "sizes": "flash = text + rodata + data image of model.o and the runtime files (linker map after "
                 "--gc-sections; harness and C library excluded); RAM = data + bss (holds the arena) + painted "
                 "stack peak (includes a 128-byte unpainted margin); code overhead = flash - weights and biases - "
                 "per-channel requantization multipliers/shifts (model data) = kernel code + invoke + params structs",
        "samples_identical_total": same,
        "samples_tried_total": tried,
        "ds_cnn_cortex_m4_code_overhead": None if ds is None else {
            "code_overhead_bytes": ds["code_overhead_bytes"], "limit_bytes": 8192,
            "pass": ds["code_overhead_bytes"] is not None and ds["code_overhead_bytes"] <= 8192,
            "text_bytes": ds["text_bytes"], "requant_bytes": ds["requant_bytes"],
            "flash_minus_weights_bytes": ds["flash_minus_weights_bytes"]},
        "runs": runs,
    }
    write_json(a.out, doc)
    print(f"wrote {a.out}: {same} of {tried} samples byte-identical", file=sys.stderr)
    return 0 if same == tried else 1


if __name__ == "__main__":
    sys.exit(main())
