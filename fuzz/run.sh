#!/usr/bin/env bash
# Runs each fuzz target for a bounded time and records what it did: usage
#   fuzz/run.sh BUILD_DIR SECONDS RESULTS_JSON TARGET...
# Each TARGET (onnx_import, qdq_import, idx, npy, csv, target_json) runs BUILD_DIR/TARGET_fuzz for SECONDS
# on its growing corpus BUILD_DIR/corpus/TARGET plus the seeds BUILD_DIR/seeds/TARGET, one target at a
# time. Crash, leak, timeout and out-of-memory inputs are saved as BUILD_DIR/artifacts/TARGET-*.
# RESULTS_JSON gets one entry per target: this run's seconds, executions, execs/s, coverage (libFuzzer's
# `cov`, covered edges, and `ft`, features), corpus size and artifacts, every earlier run's figures under
# "runs", and totals over all of them (total_seconds, total_execs, max_cov).
# Exits non-zero when any target found something (after running all of them). FUZZ_TIMEOUT (10 s) is the
# wall time one input may take (and the "slow unit" threshold): libFuzzer's clock is the wall clock, so on a
# machine busy enough that a `nice -n 19` fuzzer waits seconds for a core, raise it or fast inputs are
# reported as hangs.
set -uo pipefail
build=$1
seconds=$2
results=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
status=0
mkdir -p "$build/artifacts" "$build/logs"
for t in "$@"; do
  bin="$build/${t}_fuzz"
  [ -x "$bin" ] || { echo "fuzz: $bin is missing" >&2; status=1; continue; }
  mkdir -p "$build/corpus/$t" "$build/seeds/$t"
  args=(-max_total_time="$seconds" -print_final_stats=1 -timeout="${FUZZ_TIMEOUT:-10}" -report_slow_units="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048
        -artifact_prefix="$build/artifacts/$t-")
  case $t in
    onnx_import | qdq_import) args+=(-dict="$here/onnx.dict" -max_len=65536) ;;
    *) args+=(-max_len=8192) ;;
  esac
  log="$build/logs/$t.log"
  before=$(ls "$build/artifacts" | grep -c "^$t-" || true)
  echo "fuzz: $t for ${seconds}s"
  started=$(date +%s)
  "$bin" "${args[@]}" "$build/corpus/$t" "$build/seeds/$t" > "$log" 2>&1
  rc=$?
  elapsed=$(($(date +%s) - started))  # what counts: a run that stops at a finding is shorter than asked
  after=$(ls "$build/artifacts" | grep -c "^$t-" || true)
  if [ $rc -ne 0 ] || [ "$after" -ne "$before" ]; then
    echo "fuzz: $t FOUND SOMETHING (exit $rc); see $log and $build/artifacts/$t-*" >&2
    grep -m3 -E "ERROR|SUMMARY|==[0-9]+==" "$log" >&2 || true
    status=1
  fi
  # flock: two run.sh processes (two targets at a time on two cores) may share one results file.
  flock "$results.lock" /usr/bin/python3 - "$results" "$t" "$elapsed" "$log" "$rc" "$build/corpus/$t" "$build/artifacts" \
    "$((after - before))" <<'PY'
import datetime, json, os, re, sys
results, target, seconds, log, rc, corpus, artifacts, new_artifacts = sys.argv[1:]
text = open(log, errors="replace").read()
def stat(name):
    m = re.findall(rf"stat::{name}:\s+(\d+)", text)
    return int(m[-1]) if m else 0
progress = re.findall(r"#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)", text)
execs = stat("number_of_executed_units") or (int(progress[-1][0]) if progress else 0)
cov, ft, corp = (int(progress[-1][1]), int(progress[-1][2]), int(progress[-1][3])) if progress else (0, 0, 0)
try:
    data = json.load(open(results))
except (OSError, ValueError):
    data = {}
data.setdefault("about", "fuzz/run.sh: libFuzzer (clang 14) with ASan+UBSan; cov = covered edges, ft = features")
entry = data.setdefault("targets", {}).setdefault(target, {})
run_keys = ("last_run", "seconds", "execs", "execs_per_s", "cov", "ft", "corpus", "exit_code", "artifacts",
            "new_artifacts", "seconds_note")
# Every run is kept in "runs"; an entry written before the history existed becomes its first run.
runs = entry.get("runs") or ([{k: entry[k] for k in run_keys if k in entry}] if "last_run" in entry else [])
seconds_run = int(seconds)
run = {
    "last_run": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    "seconds": seconds_run, "execs": execs, "execs_per_s": round(execs / max(seconds_run, 1)),
    "cov": cov, "ft": ft, "corpus": len(os.listdir(corpus)), "exit_code": int(rc),
    "artifacts": sorted(f for f in os.listdir(artifacts) if f.startswith(target + "-")),
    "new_artifacts": int(new_artifacts),
}
runs.append(run)
entry.clear()
entry.update(run)  # the latest run's figures at the top, as before
# Totals over every recorded run. libFuzzer reloads the grown corpus, so the latest cov is the corpus's
# coverage; max_cov guards against a run that could not load it.
entry["total_seconds"] = sum(r["seconds"] for r in runs)
entry["total_execs"] = sum(r["execs"] for r in runs)
entry["max_cov"] = max(r["cov"] for r in runs)
entry["max_ft"] = max(r["ft"] for r in runs)
entry["findings_total"] = sum(r.get("new_artifacts", r.get("exit_code", 0) != 0) for r in runs)
entry["runs"] = runs
os.makedirs(os.path.dirname(os.path.abspath(results)), exist_ok=True)
tmp = results + ".tmp"
with open(tmp, "w") as f:
    json.dump(data, f, indent=2, sort_keys=True)
    f.write("\n")
os.replace(tmp, results)
print(f"fuzz: {target}: {execs} execs, cov {cov}, ft {ft}, corpus {entry['corpus']}, exit {rc}")
PY
done
exit $status
