"""PyTorch peer of the float executor benchmark. For each model in the manifest: builds a torch module
from the ONNX file (onnx_to_torch.py), traces it with torch.jit.trace at the batch size being timed, then
applies torch.jit.freeze + torch.jit.optimize_for_inference, which folds BatchNormalization and moves
convolutions to oneDNN. Without that, Debian's torch (built with BLAS_INFO=generic) runs batch-1
convolutions through its slow reference GEMM, ~10x slower, which would flatter us. Under torch.no_grad it
measures batch-1 latency and batch-256 throughput with the manifest's thread counts (torch.set_num_threads),
and reports the max abs difference of torch's outputs from tinyopt's on the check input, torch's version
and its build configuration (BLAS), for bench/results/float_executor.json.

Run with Debian's interpreter: /usr/bin/python3 torch_bench.py MANIFEST.json OUT.json
"""
import os
import re
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
import torch  # noqa: E402

from bench_common import (batch_of, check_input, load_manifest, ours_output, time_runs,  # noqa: E402
                          write_json)
from onnx_to_torch import OnnxModule  # noqa: E402


# torch 1.13 warns when F.pad's output buffer is resized inside a traced graph; harmless here.
warnings.filterwarnings("ignore", message="An output with one or more elements was resized")


def config_summary():
    show = torch.__config__.show()
    blas = re.search(r"BLAS_INFO=([^,\s]+)", show)
    lapack = re.search(r"LAPACK_INFO=([^,\s]+)", show)
    return {"version": torch.__version__, "blas": blas.group(1) if blas else "unknown",
            "lapack": lapack.group(1) if lapack else "unknown",
            "mkldnn": torch.backends.mkldnn.is_available(), "config": show}


def prepare(onnx_path, example):
    """(module, mode): the ONNX file traced on example's shape, then frozen and inference-optimized;
    or the plain trace when the optimized module disagrees with it on `example` (torch's oneDNN
    rewrites have had wrong-result bugs, see onnx_to_torch.py Clip), so torch is never timed wrong."""
    with torch.no_grad():
        traced = torch.jit.trace(OnnxModule(onnx_path).eval(), example, check_trace=False)
        ref = traced(example)
        opt = torch.jit.optimize_for_inference(torch.jit.freeze(traced))
        diff = float((opt(example) - ref).abs().max())
    if diff <= 1e-3 * max(1.0, float(ref.abs().max())):
        return opt, "trace+freeze+optimize_for_inference"
    return traced, f"trace (optimize_for_inference off: it differed by {diff:.3g})"


def time_protocol(prepare_for, x, proto, res):
    """Times the module prepare_for(xb) returns, as (callable, mode or None), at the protocol's latency and
    throughput settings on batches cycled from x; adds `<kind>_batch_ms`, `<kind>_runs` (and `<kind>_mode`),
    `latency_ms` and `throughput_ips` to res and returns it. Call under torch.no_grad()."""
    for kind in ("latency", "throughput"):
        p = proto[kind]
        torch.set_num_threads(p["threads"])
        xb = torch.from_numpy(batch_of(x, p["batch"]))
        m, mode = prepare_for(xb)
        if mode is not None:
            res[f"{kind}_mode"] = mode
        secs, runs = time_runs(lambda: m(xb), p)
        res[f"{kind}_batch_ms"] = secs * 1e3
        res[f"{kind}_runs"] = runs
    res["latency_ms"] = res["latency_batch_ms"]
    res["throughput_ips"] = proto["throughput"]["batch"] / (res["throughput_batch_ms"] / 1e3)
    return res


def bench_model(model, proto):
    x = check_input(model)
    res = {}
    with torch.no_grad():
        torch.set_num_threads(proto["latency"]["threads"])
        xt = torch.from_numpy(x)
        check = prepare(model["onnx"], xt)[0](xt).numpy()
        res["max_abs_diff"] = float(np.max(np.abs(check - ours_output(model))))
        return time_protocol(lambda xb: prepare(model["onnx"], xb), x, proto, res)


def main():
    manifest = load_manifest(sys.argv[1])
    torch.set_num_interop_threads(1)
    out = {"peer": "torch", **config_summary(),
           "mode": "torch.jit.trace + freeze + optimize_for_inference, under no_grad "
                   "(per model: latency_mode, throughput_mode)", "models": {}}
    for model in manifest["models"]:
        out["models"][model["name"]] = bench_model(model, manifest["protocol"])
        r = out["models"][model["name"]]
        print(f"  torch        {model['name']:<12} {r['latency_ms']:8.3f} ms  {r['throughput_ips']:9.0f} img/s"
              f"  max|diff| {r['max_abs_diff']:.2e}", flush=True)
    write_json(sys.argv[2], out)


if __name__ == "__main__":
    main()
