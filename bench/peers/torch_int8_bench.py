"""PyTorch int8 peer of the int8 benchmark (bench/README.md, "int8"): PyTorch FX post-training
quantization of the same float models tinyopt quantizes, on the same calibration images.

For each model in the int8 manifest (written by `int8_bench prepare`):
  1. the float ONNX file becomes a torch.fx.GraphModule of standard layers (onnx_to_torch.to_fx_module);
  2. torch.ao.quantization.quantize_fx.prepare_fx with the `onednn` engine's default QConfigMapping
     (Debian's torch has no fbgemm): per-channel symmetric int8 weights (default_per_channel_weight_observer),
     per-tensor uint8 activations (HistogramObserver), Conv+BN+ReLU fused by prepare_fx;
  3. calibration on the manifest's calibration images (the same images tinyopt calibrates on), batches of 100;
  4. convert_fx, then top-1 accuracy of the float and the int8 module over the manifest's test set;
  5. the int8 module traced (torch.jit.trace) and frozen (torch.jit.freeze), timed with the manifest's
     protocol (bench_common.time_runs; batch-1 latency, 1 thread; batch-256 throughput, 2 threads).
Writes OUT.json: per model fp32_accuracy, int8_accuracy, latency_ms, throughput_ips and max_abs_diff (its
int8 logits vs tinyopt's on the check input: different quantizers, so not ~0 — a sanity bound only).

Run with Debian's interpreter: /usr/bin/python3 torch_int8_bench.py INT8_MANIFEST.json OUT.json
"""
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch.ao.quantization import get_default_qconfig_mapping  # noqa: E402
from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx  # noqa: E402

from bench_common import check_input, load_f32, load_manifest, ours_output, write_json  # noqa: E402
from onnx_to_torch import to_fx_module  # noqa: E402
from torch_bench import config_summary, time_protocol  # noqa: E402

ENGINE = "onednn"
# torch 1.13 warns that the onednn engine's default observers may overflow with reduce_range=False on CPUs
# without VNNI; the engine itself handles it. Keep the output readable.
warnings.filterwarnings("ignore", message=".*reduce_range.*")
warnings.filterwarnings("ignore", category=UserWarning, module="torch.ao.quantization")


def load_labels(path, count):
    return np.fromfile(path, dtype="<i4", count=count)


def accuracy(module, images, labels, batch=500):
    correct = 0
    with torch.no_grad():
        for i in range(0, len(labels), batch):
            logits = module(torch.from_numpy(images[i:i + batch]))
            correct += int((logits.argmax(1).numpy() == labels[i:i + batch]).sum())
    return correct / len(labels)


def quantize(float_module, calib, example):
    torch.backends.quantized.engine = ENGINE
    prepared = prepare_fx(float_module, get_default_qconfig_mapping(ENGINE), example_inputs=(example,))
    with torch.no_grad():
        for i in range(0, calib.shape[0], 100):
            prepared(torch.from_numpy(calib[i:i + 100]))
    return convert_fx(prepared).eval()


def bench_model(model, manifest):
    proto = manifest["protocol"]
    shape = model["sample_shape"]
    cal, test = manifest["calibration"], manifest["test"]
    calib = load_f32(cal["images"], [cal["count"]] + shape)
    test_x = load_f32(test["images"], [test["count"]] + shape)
    test_y = load_labels(test["labels"], test["count"])
    x = check_input(model)

    float_module = to_fx_module(model["float_onnx"])
    res = {"fp32_accuracy": accuracy(float_module, test_x, test_y)}
    q = quantize(float_module, calib, torch.from_numpy(x[:1]))
    res["int8_accuracy"] = accuracy(q, test_x, test_y)
    res["test_samples"] = int(test["count"])
    res["calibration_samples"] = int(cal["count"])
    with torch.no_grad():
        res["max_abs_diff"] = float(np.max(np.abs(q(torch.from_numpy(x)).numpy() - ours_output(model))))
        return time_protocol(lambda xb: (torch.jit.freeze(torch.jit.trace(q, xb, check_trace=False)), None),
                             x, proto, res)


def main():
    manifest = load_manifest(sys.argv[1])
    torch.set_num_interop_threads(1)
    info = config_summary()
    out = {"peer": "torch", **info, "engine": ENGINE,
           "qconfig": f"get_default_qconfig_mapping('{ENGINE}'): per-channel symmetric int8 weights, "
                      "uint8 HistogramObserver activations",
           "mode": "prepare_fx/convert_fx, torch.jit.trace + freeze, under no_grad", "models": {}}
    for model in manifest["models"]:
        r = bench_model(model, manifest)
        out["models"][model["name"]] = r
        print(f"  torch int8   {model['name']:<12} {r['latency_ms']:8.3f} ms  {r['throughput_ips']:9.0f} img/s"
              f"  accuracy fp32 {100 * r['fp32_accuracy']:.2f}% int8 {100 * r['int8_accuracy']:.2f}%", flush=True)
    write_json(sys.argv[2], out)


if __name__ == "__main__":
    main()
