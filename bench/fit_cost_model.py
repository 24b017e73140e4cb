#!/usr/bin/python3
"""Fits the cost model of the Cortex-M targets: instruction terms to our emulated counts, cycles per
instruction to published MLPerf Tiny latencies.

Step 1, instruction terms (docs/targets.md "Instruction terms"). Input: --emu, the per-layer file of
cost_model_emu_bench compare (bench/results/cost_model_emu.json): per kernel call of a spread of models, on
the emulated cortex-m4 and cortex-m7 with the ref and the dsp kernels, the cost terms of the step
(cost_terms in include/tinyopt/target/cost_model.h) and the emulated instruction count. Per platform and
kernel (class/variant, taken from the kernel that ran):

    instructions = sum_t a_t * term_t,    a_t >= 0

fitted by non-negative least squares on the relative error (each row divided by its count, so a small
layer weighs as much as a large one: the acceptance is a median of per-layer relative errors). Held out:
every architecture group (all widths of one architecture) is predicted by coefficients fitted without it;
a kernel that only that group uses stays unpredicted (listed as missing), never predicted from its own rows.

Step 2, cycles per instruction (one factor per core). Input: --results, cost_model_bench's file with the
published MLPerf Tiny rows (REFERENCE-NUMBERS.md 1.3, best submission per board, X-CUBE-AI). Our dsp
instruction counts of ds-cnn, resnet8, mobilenetv1-0.25 and fc-ae (predicted by step 1's terms on the
emulated layers of those models) against published cycles = latency x clock:

    cycles(model, core) = cpi_core * instructions(model, core)

least squares in log space (closed form: the geometric mean of published / instructions), with the
leave-one-row-out error. cortex-m33 (no emulator) uses cortex-m4's instruction terms (same Armv7E-M / v8-M
DSP instructions and compiler) with its own cpi. cpi is not a property of our code alone: the published
rows ran X-CUBE-AI, so cpi < 1 means that stack needs fewer cycles than our kernels need instructions.

--write updates data/targets/cortex-m{4,7,33}.json ("<class>/<variant>" entries with "instructions" and
"cycles_per_instruction"; removes "default/dsp", which would otherwise shadow the measured ref entries of
the elementwise kernels). --out writes the fit summary with every held-out layer prediction, which
cost_model_emu_bench compare reports beside the in-sample ones.
"""
import argparse
import collections
import json
import math
import os

import numpy as np

CALIBRATED = {"cortex-m4": "cortex-m4", "cortex-m7": "cortex-m7", "cortex-m33": "cortex-m4"}  # core -> terms from
MLPERF = {"KWS": "ds-cnn", "IC": "resnet8", "VWW": "mobilenetv1-0.25", "AD": "fc-ae"}


def nnls(A, b, iters=500):
    """Lawson-Hanson non-negative least squares, min |Ax - b| with x >= 0 (numpy only; no scipy here)."""
    m, n = A.shape
    x = np.zeros(n)
    passive = np.zeros(n, dtype=bool)
    w = A.T @ (b - A @ x)
    for _ in range(iters):
        if passive.all() or w[~passive].max() <= 1e-10:
            break
        j = np.argmax(np.where(passive, -np.inf, w))
        passive[j] = True
        while True:
            z = np.zeros(n)
            z[passive] = np.linalg.lstsq(A[:, passive], b, rcond=None)[0]
            if (z[passive] > 0).all():
                x = z
                break
            neg = passive & (z <= 0)
            alpha = np.min(x[neg] / (x[neg] - z[neg]))
            x = x + alpha * (z - x)
            passive &= x > 1e-12
            x[~passive] = 0
        w = A.T @ (b - A @ x)
    return x


def kernel_key(layer):
    """'topt_conv2d_1x1_s8__dsp' -> 'conv2d_1x1_s8/dsp' (the kernel that ran, not a guess)."""
    name = layer["kernel"]
    cls, variant = name[len("topt_"):].split("__")
    return cls + "/" + variant


def fit_terms(rows, names):
    A = np.array([[r["terms"][t] for t in names] for r in rows], dtype=float)
    y = np.array([r["emulated_instructions"] for r in rows], dtype=float)
    A = A / y[:, None]
    scale = np.maximum(np.abs(A).max(axis=0), 1e-30)  # column scaling for conditioning
    c = nnls(A / scale, np.ones(len(rows))) / scale
    return {t: float(v) for t, v in zip(names, c) if v > 0}


def predict(coef, layer):
    return sum(v * layer["terms"].get(t, 0.0) for t, v in coef.items())


def term_names(rows):
    return [t for t in rows[0]["terms"] if any(r["terms"][t] != 0 for r in rows)]


def fit_all(layers):
    groups = collections.defaultdict(list)
    for l in layers:
        groups[(l["platform"], kernel_key(l))].append(l)
    return {k: fit_terms(v, term_names(v)) for k, v in groups.items()}, groups


# Kernel families that get their own cycles-per-instruction ratio (the published stack's relative speed
# per family differs from ours: X-CUBE-AI runs depthwise far closer to its conv speed than our kernels do).
FAMILIES = ["conv", "pointwise", "depthwise", "dense", "other"]
PRIOR_SIGMA = 1.0  # weak log-normal prior of every family ratio around 1 (the 4 models alone confound them)


def family_of(key):
    cls = key.split("/")[0]
    return ("pointwise" if cls.startswith("conv2d_1x1") else "conv" if cls.startswith("conv2d")
            else "depthwise" if cls.startswith("dwconv") else "dense" if cls.startswith("dense") else "other")


def predict_ms(p, row, instr, clocks):
    core, model = row["target"], MLPERF[row["benchmark"]]
    cycles = p[core] * sum(p[f] * instr[(CALIBRATED[core], model, f)] for f in FAMILIES)
    return cycles / clocks[core] * 1e3


def calibrate(rows, instr, clocks, x0=None):
    """Per-core cpi and shared family ratios (conv fixed at 1): Levenberg-Marquardt on log(predicted /
    published) with the priors; returns {name: value}."""
    names = list(CALIBRATED) + FAMILIES[1:]
    x = np.log(np.array([x0[n] for n in names])) if x0 else np.zeros(len(names))
    def resid(lx):
        p = dict(zip(names, np.exp(lx)), conv=1.0)
        data = [math.log(predict_ms(p, r, instr, clocks) / r["published_ms"]) for r in rows]
        return np.array(data + [lx[i] / PRIOR_SIGMA for i in range(len(CALIBRATED), len(names))])
    lam = 1e-2
    for _ in range(200):
        r0 = resid(x)
        J = np.array([(resid(x + d) - r0) / 1e-6 for d in np.eye(len(x)) * 1e-6]).T
        step = np.linalg.solve(J.T @ J + lam * np.eye(len(x)), -J.T @ r0)
        if np.sum(resid(x + step) ** 2) < np.sum(r0 ** 2):
            x, lam = x + step, max(lam / 3, 1e-9)
        else:
            lam *= 5
        if np.linalg.norm(step) < 1e-10:
            break
    return dict(zip(names, np.exp(x)), conv=1.0)


def median_abs(v):
    return float(np.median(np.abs(v))) if len(v) else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--emu", default="bench/results/cost_model_emu.json")
    ap.add_argument("--results", default="bench/results/cost_model.json")
    ap.add_argument("--targets", default="data/targets")
    ap.add_argument("--write", action="store_true", help="update data/targets/cortex-m{4,7,33}.json")
    ap.add_argument("--out", default="bench/results/cost_model_fit.json")
    a = ap.parse_args()
    emu = json.load(open(a.emu))
    layers = emu["layers"]
    coef, groups = fit_all(layers)

    # held out, by architecture group
    held = []
    for g in sorted({l["group"] for l in layers}):
        hc, _ = fit_all([l for l in layers if l["group"] != g])
        for l in layers:
            c = hc.get((l["platform"], kernel_key(l)))
            if l["group"] == g and c is not None:
                held.append({"key": l["key"], "predicted_instructions": predict(c, l),
                             "emulated_instructions": l["emulated_instructions"]})
    in_err = [100 * (predict(coef[(l["platform"], kernel_key(l))], l) / l["emulated_instructions"] - 1) for l in layers]
    ho_err = [100 * (h["predicted_instructions"] / h["emulated_instructions"] - 1) for h in held]
    print(f"instruction terms: {len(layers)} layers, median |error| in-sample {median_abs(in_err):.1f}%, "
          f"held out by architecture {median_abs(ho_err):.1f}% ({len(held)} layers predicted)")
    for (platform, key), rows in sorted(groups.items()):
        errs = [100 * (predict(coef[(platform, key)], l) / l["emulated_instructions"] - 1) for l in rows]
        print(f"  {platform:<10} {key:<24} {len(rows):4d} layers  {median_abs(errs):5.1f}%  "
              + " ".join(f"{t}={v:.4g}" for t, v in coef[(platform, key)].items()))

    # cycles per instruction from the published MLPerf Tiny rows
    res = json.load(open(a.results))
    clocks = {c: json.load(open(os.path.join(a.targets, c + ".json")))["clock_hz"] for c in CALIBRATED}
    instr = collections.defaultdict(float)  # (platform, model, family) -> predicted dsp instructions
    for l in layers:
        if l["variant"] == "dsp" and l["model"] in MLPERF.values():
            instr[(l["platform"], l["model"], family_of(kernel_key(l)))] += predict(
                coef[(l["platform"], kernel_key(l))], l)
    rows = [r for r in res["rows"] if r["in_median"]]
    cal = lambda rs, x0=None: calibrate(rs, instr, clocks, x0)
    p = cal(rows)
    mlperf = []
    for i, r in enumerate(rows):
        q = cal(rows[:i] + rows[i + 1:], p)
        e_in = 100 * (predict_ms(p, r, instr, clocks) / r["published_ms"] - 1)
        e_loo = 100 * (predict_ms(q, r, instr, clocks) / r["published_ms"] - 1)
        mlperf.append({"target": r["target"], "benchmark": r["benchmark"], "published_ms": r["published_ms"],
                       "predicted_ms": predict_ms(p, r, instr, clocks), "in_sample_error_pct": e_in,
                       "leave_one_out_error_pct": e_loo})
        print(f"  {r['target']:<10} {r['benchmark']:<4} published {r['published_ms']:8.3f} ms predicted "
              f"{predict_ms(p, r, instr, clocks):8.3f}  in-sample {e_in:6.1f}%  leave-one-out {e_loo:6.1f}%")
    m_in = median_abs([m["in_sample_error_pct"] for m in mlperf])
    m_loo = median_abs([m["leave_one_out_error_pct"] for m in mlperf])
    cpi = {c: p[c] for c in CALIBRATED}
    ratios = {f: p[f] for f in FAMILIES}
    print("cycles per instruction:", {c: round(v, 4) for c, v in cpi.items()}, "family ratios:",
          {f: round(v, 3) for f, v in ratios.items()},
          f"MLPerf median |error| in-sample {m_in:.1f}%, leave-one-row-out {m_loo:.1f}%")

    summary = {"generator": "bench/fit_cost_model.py", "model": __doc__.strip(),
               "instruction_terms": {f"{p} {k}": c for (p, k), c in sorted(coef.items())},
               "emulated_median_abs_error_pct": median_abs(in_err),
               "emulated_held_out_median_abs_error_pct": median_abs(ho_err),
               "cycles_per_instruction": cpi, "family_ratios": ratios, "mlperf_rows": mlperf,
               "mlperf_median_abs_error_pct": m_in, "mlperf_leave_one_out_median_abs_error_pct": m_loo,
               "held_out_layers": held}
    tmp = a.out + ".tmp"
    open(tmp, "w").write(json.dumps(summary, indent=2) + "\n")
    os.replace(tmp, a.out)
    print("wrote", a.out)
    if not a.write:
        return
    for core, terms_from in CALIBRATED.items():
        path = os.path.join(a.targets, core + ".json")
        t = json.load(open(path))
        t["kernel_costs"].pop("default/dsp", None)
        for (platform, key), c in sorted(coef.items()):
            if platform != terms_from:
                continue
            n = len(groups[(platform, key)])
            src = (f"instructions: NNLS fit to {n} emulated kernel calls of {key} on {platform} (qemu insn count, "
                   f"bench/cost_model_emu_bench.cpp + bench/fit_cost_model.py) [D]; cycles_per_instruction "
                   f"= {cpi[core]:.4f} (this core) x {ratios[family_of(key)]:.3f} ({family_of(key)} kernels, shared by the "
                   f"cores), least squares in log space of MLPerf Tiny best-submission latencies on this board "
                   f"(REFERENCE-NUMBERS.md 1.3 [V]) against our predicted dsp instructions for ds-cnn, resnet8, "
                   f"mobilenetv1-0.25, fc-ae [D]")
            t["kernel_costs"][key] = {"instructions": {k: round(v, 6) for k, v in c.items()},
                                      "cycles_per_instruction": round(cpi[core] * ratios[family_of(key)], 4),
                                      "source": src}
        tmp = path + ".tmp"
        open(tmp, "w").write(json.dumps(t, indent=2) + "\n")
        os.replace(tmp, path)
        print("updated", path)


if __name__ == "__main__":
    main()
