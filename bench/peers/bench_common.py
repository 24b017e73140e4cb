"""Shared by the Python peer benchmarks: reading the manifest that float_executor_bench writes (models,
check inputs, our outputs, the timing protocol), and the timing loop. The loop mirrors the C++ one in
bench/bench_timing.h and the JavaScript one in onnxruntime_bench.js: `warmup` untimed runs, then timed
runs until both `min_runs` and `min_seconds` are reached (at most `max_runs`); the median is reported.
Standard library + numpy only, so it imports even where torch is absent.
"""
import json
import statistics
import time

import numpy as np


def load_manifest(path):
    with open(path) as f:
        return json.load(f)


def load_f32(path, shape):
    return np.fromfile(path, dtype="<f4").reshape(shape)


def check_input(model):
    return load_f32(model["check_input"], [model["check_batch"]] + model["sample_shape"])


def ours_output(model):
    return load_f32(model["ours_output"], model["output_shape"])


def batch_of(x, batch):
    """`batch` images cycled from the check input x (N, ...), so every peer times the same data."""
    return np.ascontiguousarray(x[np.arange(batch) % x.shape[0]])


def time_runs(fn, proto):
    """Median wall time in seconds of fn() under the protocol dict, and the number of timed runs."""
    for _ in range(proto["warmup"]):
        fn()
    times = []
    start = time.perf_counter()
    while len(times) < proto["max_runs"] and (
            len(times) < proto["min_runs"] or time.perf_counter() - start < proto["min_seconds"]):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), len(times)


def write_json(path, obj):
    """Atomic write: temp file beside the target, then rename."""
    import os
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)
