#!/usr/bin/python3
"""Fault injection for `tinyopt optimize` (issue 9.4; docs/hostile-inputs.md, "Interruptions").

Runs a small, fast optimize once uninterrupted (the reference), then again in another folder, SIGKILLing it
at random moments and restarting it with --resume until it was killed KILLS times, then lets it finish. It
checks that
  - after every kill, no file in the output folder under its final name is partial: JSON parses, the HTML
    ends, a trainer checkpoint's trailing FNV-1a hash matches, and every write-once file (models, candidate
    records) is byte-identical to the reference's file of that name; leftover temporary files are counted;
  - the final pareto.json equals the reference's (all but wall-time fields) and best.onnx and every
    checkpointed model are byte-identical;
  - a read-only output folder and a full disk give one `tinyopt: error:` line and exit code 1.
Not a unit test of the search: tests/unit/search_optimize_test.cpp interrupts it in-process at chosen points.

usage: fault_injection.py --tinyopt BIN --work DIR [--kills 20] [--seed 1] [--json OUT]
Exit 0 when every check passed, 1 when one failed, 77 when a prerequisite (the Fashion-MNIST package) is
missing. The kill moments come from --seed, so a failing run can be repeated.
"""
import argparse
import datetime
import gzip
import json
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import time

FASHION_MNIST = "/usr/share/datasets/fashion-mnist"
TRAIN_IMAGES, TEST_IMAGES = 256, 64
# What makes the run small: one pruning level, a few hundred fine-tune images, one thread, a fixed seed.
OPTIMIZE_ARGS = ["--target", "cortex-m4", "--keep", "0.5", "--finetune-images", "512", "--limit", "64",
                 "--time-budget", "10", "--threads", "1", "--seed", "7"]
# write_file_atomic's temporary name: <final name>.tmp<pid>.<counter> (src/core/file_bytes.cpp).
TEMP_NAME = re.compile(r"\.tmp\d+\.\d+$")
# Rewritten while the run goes on (per epoch, per finished candidate), so an older complete version may be
# seen after a kill; every other file is written once and must equal the reference's.
REWRITTEN = re.compile(r"(\.ckpt|pareto\.json|report\.html)$")
# JSON fields that measure wall time, say how the run was interrupted, or name its folder (the runs differ in
# these and only these).
VOLATILE_KEYS = {"seconds", "resumed_candidates", "reused", "report", "output", "firmware"}


def write_idx_subset(src_dir, dst_dir, prefix, count):
    """The first `count` images and labels of an IDX pair (same header layout, big-endian counts)."""
    for kind, item_bytes in (("images-idx3-ubyte", 28 * 28), ("labels-idx1-ubyte", 1)):
        with gzip.open(os.path.join(src_dir, f"{prefix}-{kind}.gz"), "rb") as f:
            magic = f.read(4)
            rank = magic[3]
            dims = list(struct.unpack(">" + "I" * rank, f.read(4 * rank)))
            body = f.read(count * item_bytes)
        dims[0] = count
        with open(os.path.join(dst_dir, f"{prefix}-{kind}"), "wb") as f:
            f.write(magic + struct.pack(">" + "I" * rank, *dims) + body)


def prepare(args):
    """A small IDX dataset folder and an untrained fmnist-ds teacher in WORK/inputs (made once)."""
    inputs = os.path.join(args.work, "inputs")
    data, teacher = os.path.join(inputs, "data"), os.path.join(inputs, "teacher.onnx")
    if not os.path.exists(teacher):
        os.makedirs(data, exist_ok=True)
        write_idx_subset(FASHION_MNIST, data, "train", TRAIN_IMAGES)
        write_idx_subset(FASHION_MNIST, data, "t10k", TEST_IMAGES)
        subprocess.run([args.tinyopt, "new", "--arch", "fmnist-ds", "--seed", "3", "-o", teacher], check=True,
                       stdout=subprocess.DEVNULL)
    return teacher, data


def optimize_command(args, teacher, data, out, resume):
    return [args.tinyopt, "optimize", teacher, "--data", data, *OPTIMIZE_ARGS, "-o", out] + (["--resume"] if resume else [])


def run_reference(command, folder):
    """Runs the uninterrupted reference; returns its wall time and when it saved what: a list of
    (seconds since start, the set of files saved by then), counting only files still there at the end."""
    timeline, last = [], None
    start = time.monotonic()
    p = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    while p.poll() is None:
        state = saved_files(folder)
        if state != last:
            timeline.append((time.monotonic() - start, state))
            last = state
        time.sleep(0.05)
    seconds = time.monotonic() - start
    err = p.communicate()[1]
    if p.returncode != 0:
        raise SystemExit(f"fault_injection: the reference run failed (exit {p.returncode}): {err.decode()[-500:]}")
    final = saved_files(folder)
    return seconds, [(t, state & final) for t, state in timeline]


def saved_files(folder):
    """Files under their final names (not write_file_atomic's temporaries)."""
    return frozenset(f for f in files_under(folder) if not TEMP_NAME.search(f)) if os.path.isdir(folder) else frozenset()


def files_under(folder):
    out = []
    for root, _, names in os.walk(folder):
        out += [os.path.relpath(os.path.join(root, n), folder) for n in names]
    return sorted(out)


def fnv1a_ok(blob):
    if len(blob) < 8:
        return False
    h = 0xCBF29CE484222325
    for b in blob[:-8]:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return struct.unpack("<Q", blob[-8:])[0] == h


def same_file(a, b):
    """Byte-identical, or for JSON records the same values but for wall-time fields."""
    with open(a, "rb") as fa, open(b, "rb") as fb:
        x, y = fa.read(), fb.read()
    if x == y:
        return True
    if not a.endswith(".json"):
        return False
    try:
        return stripped(json.loads(x)) == stripped(json.loads(y))
    except ValueError:
        return False


def partial_files(folder, reference):
    """Files under their final name that are not complete; and the count of leftover temporary files."""
    bad, temps = [], 0
    for rel in files_under(folder):
        path = os.path.join(folder, rel)
        if TEMP_NAME.search(rel):
            temps += 1
            continue
        with open(path, "rb") as f:
            blob = f.read()
        ref = os.path.join(reference, rel)
        if not REWRITTEN.search(rel) and os.path.exists(ref):
            if not same_file(ref, path):
                bad.append(f"{rel} ({len(blob)} bytes) differs from the reference's")
            continue
        try:
            if rel.endswith(".json"):
                json.loads(blob)
            elif rel.endswith(".html") and not blob.rstrip().endswith(b"</html>"):
                raise ValueError("no </html>")
            elif rel.endswith(".ckpt") and not fnv1a_ok(blob):
                raise ValueError("hash mismatch")
        except ValueError as e:
            bad.append(f"{rel} ({len(blob)} bytes): {e}")
    return bad, temps


def stripped(value):
    if isinstance(value, dict):
        return {k: stripped(v) for k, v in value.items() if k not in VOLATILE_KEYS}
    if isinstance(value, list):
        return [stripped(v) for v in value]
    return value


def compare_results(reference, killed):
    """Differences between two finished runs: every model and JSON record (JSON minus wall-time fields)."""
    diffs = []
    compared = [f for f in files_under(reference) if f.endswith((".onnx", ".json"))]
    for rel in compared:
        p = os.path.join(killed, rel)
        if not os.path.exists(p):
            diffs.append(f"{rel} missing")
        elif not same_file(os.path.join(reference, rel), p):
            diffs.append(rel)
    return diffs, len(compared)


def one_line_error(command, env=None, preexec=None):
    """Runs a command expected to fail; returns (ok, what the user saw)."""
    r = subprocess.run(command, capture_output=True, text=True, env=env, preexec_fn=preexec)
    lines = r.stderr.strip().splitlines()
    ok = r.returncode == 1 and len(lines) >= 1 and lines[-1].startswith("tinyopt: error:")
    ok = ok and all(not l.startswith("tinyopt: error:") for l in lines[:-1])  # progress lines may come first
    return ok, {"exit_code": r.returncode, "stderr": lines[-1] if lines else ""}


def error_cases(args, teacher, data):
    """A read-only output folder and a full disk, each must give one clear error line and exit 1."""
    cases = {}
    ro = os.path.join(args.work, "read-only")
    shutil.rmtree(ro, ignore_errors=True)
    os.makedirs(ro)
    os.chmod(ro, 0o555)
    # root writes anywhere regardless of mode bits: drop to nobody for this case (inputs are world-readable).
    drop = None
    if os.geteuid() == 0:
        def drop():
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
    ok, seen = one_line_error(optimize_command(args, teacher, data, ro, False), preexec=drop)
    cases["read_only_output_folder"] = dict(seen, ok=ok)
    # A full disk: the file-size limit makes every write past 8 KiB fail (EFBIG) as ENOSPC would: the plan
    # (search.json, ~1 KiB) fits, the first candidate's model (~14 KiB) does not. SIGXFSZ is ignored so the
    # write returns an error instead of killing the process.
    full = os.path.join(args.work, "full-disk")
    shutil.rmtree(full, ignore_errors=True)

    def limit_file_size():
        import resource
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (8 * 1024, 8 * 1024))
    ok, seen = one_line_error(optimize_command(args, teacher, data, full, False), preexec=limit_file_size)
    cases["full_disk"] = dict(seen, ok=ok)
    leftovers = [f for f in files_under(full) if TEMP_NAME.search(f)]
    cases["full_disk"]["temporary_files_left"] = len(leftovers)
    return cases


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tinyopt", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json")
    args = ap.parse_args()
    if not os.path.isdir(FASHION_MNIST):
        print(f"fault_injection: skipped: {FASHION_MNIST} missing (Debian package dataset-fashion-mnist)")
        return 77
    os.makedirs(args.work, exist_ok=True)
    os.chmod(args.work, 0o755)
    teacher, data = prepare(args)
    rng = random.Random(args.seed)

    reference, killed = os.path.join(args.work, "reference"), os.path.join(args.work, "killed")
    for d in (reference, killed):
        shutil.rmtree(d, ignore_errors=True)
    reference_s, timeline = run_reference(optimize_command(args, teacher, data, reference, False), reference)
    # Start-up (loading the model and data, planning) until the plan is saved; a resume repeats about as much.
    startup = next((t for t, state in timeline if "checkpoints/search.json" in state), 0.0)

    # Kill points: KILLS moments drawn uniformly over the reference run, in order. For the moment u the
    # reference had saved `state` (at time t) and been busy for u - t since; each attempt is resumed, waits
    # until the killed run has saved that state too, then for the same u - t (plus the start-up when it
    # resumed with that state already saved), and is killed. So the kills land all along the pipeline
    # (start-up, fine-tune, quantization, QAT, evaluation, writing the outputs) and the run advances
    # between them. Once the run has finished, later attempts are resumes of a finished run (reload, rewrite
    # the outputs) and are killed within the time such a resume took.
    points = sorted(rng.uniform(0.0, reference_s) for _ in range(args.kills))
    kills, attempts, finished_early, partial, temps_seen, failures = [], 0, 0, [], 0, []
    finished_resume_s = None
    while len(kills) < args.kills and attempts < 3 * args.kills:
        attempts += 1
        u = points[min(len(kills), len(points) - 1)]
        t, state = max(((t, st) for t, st in timeline if t <= u), default=(0.0, frozenset()), key=lambda e: e[0])
        # Killed before it saved its plan, a run has nothing to resume (--resume refuses, exit 2): start over.
        resume = os.path.exists(os.path.join(killed, "checkpoints", "search.json"))
        already = state <= saved_files(killed)
        delay = (u - t) + (startup if already else 0.0)
        if finished_resume_s is not None:
            delay = rng.uniform(0.05, finished_resume_s)
        started = time.monotonic()
        p = subprocess.Popen(optimize_command(args, teacher, data, killed, resume), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
        while not already and p.poll() is None and not state <= saved_files(killed):
            time.sleep(0.05)
        try:
            _, err = p.communicate(timeout=delay)
            finished_early += 1  # done before the kill: the next attempt resumes a finished run
            finished_resume_s = time.monotonic() - started
            if p.returncode != 0:
                failures.append(f"attempt {attempts} (resume {resume}) exit {p.returncode}: {err.decode()[-300:]}")
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGKILL)
            p.communicate()
            bad, temps = partial_files(killed, reference)
            temps_seen += temps
            kills.append({"reference_moment_s": round(u, 2), "after_s": round(time.monotonic() - started, 2),
                          "resumed": resume, "saved": sorted(saved_files(killed)), "partial_files": bad,
                          "temporary_files": temps})
            partial += bad
    final = subprocess.run(optimize_command(args, teacher, data, killed, True), capture_output=True, text=True)
    diffs, models = compare_results(reference, killed) if final.returncode == 0 else (["final --resume failed"], 0)
    bad_final, temps_final = partial_files(killed, reference)
    cases = error_cases(args, teacher, data)

    passed = (len(kills) == args.kills and not failures and not partial and not diffs and not bad_final and temps_final == 0 and
              all(c["ok"] for c in cases.values()))
    result = {
        "about": "scripts/fault_injection.py: optimize SIGKILLed at random moments, each followed by --resume",
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": " ".join(optimize_command(args, "TEACHER", "DATA", "OUT", False)),
        "seed": args.seed,
        "reference_seconds": round(reference_s, 1),
        "startup_seconds": round(startup, 1),
        "kills": len(kills),
        "attempts": attempts + 1,
        "finished_before_kill": finished_early,
        "failed_attempts": failures,
        "identical": not diffs and final.returncode == 0,
        "differences": diffs,
        "files_compared": models,
        "partial_files_seen": partial + bad_final,
        "temporary_files_seen_after_kills": temps_seen,
        "temporary_files_left_at_end": temps_final,
        "final_stderr": final.stderr.strip().splitlines()[-1:] if final.returncode else [],
        "error_cases": cases,
        "kill_log": kills,
        "passed": passed,
    }
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")
        os.replace(tmp, args.json)
    summary = {k: result[k] for k in ("kills", "identical", "differences", "partial_files_seen",
                                      "temporary_files_seen_after_kills", "temporary_files_left_at_end", "passed")}
    print("fault_injection:", json.dumps(summary))
    for name, c in cases.items():
        print(f"fault_injection: {name}: {'ok' if c['ok'] else 'FAILED'}: exit {c['exit_code']}: {c['stderr']}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
