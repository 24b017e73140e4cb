#!/usr/bin/env bash
# Runs tinyopt's benchmarks against their peers and writes bench/results/*.json (bench/README.md).
# Usage: bench/run.sh BUILD_DIR    (the Makefile's `make bench` has already built BUILD_DIR and installed
# the peers with scripts/install-deps.sh --peers). Builds nothing. A missing peer is skipped with a
# message; its columns are then absent from the results. One function per benchmark: add yours to main().
# Environment: BENCH_ROUNDS (default 3) rounds per benchmark; BENCH_QUICK=1 for short timing loops
# (trying the pipeline, not for figures); BENCH_ONLY="int8 ..." runs only the named bench_* functions.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "${1:?usage: bench/run.sh BUILD_DIR}" && pwd)"
results="$here/results"
work="$build/bench-work"
rounds="${BENCH_ROUNDS:-3}"
python=/usr/bin/python3  # Debian's interpreter, which has python3-torch and python3-onnx (DESIGN.md 6)

# --- peer detection: each prints nothing and returns 0 when the peer is usable, else says why ----------
torch_missing() {
  if [[ ! -x $python ]]; then echo "$python not found"; return; fi
  $python -c 'import torch, onnx' 2>/dev/null || echo "python3-torch/python3-onnx not importable by $python"
}
onnxruntime_missing() {
  if ! command -v node >/dev/null; then echo "node not found"; return; fi
  (cd "$here" && node -e "require('onnxruntime-node')" 2>/dev/null) ||
    echo "onnxruntime-node not installed in bench/node_modules (scripts/install-deps.sh --peers)"
}

need_binary() {
  [[ -x "$build/$1" ]] || { echo "bench: $build/$1 missing (is libbenchmark-dev installed? re-run make bench)" >&2; exit 1; }
}

# --- float executor vs onnxruntime and PyTorch on the same ONNX models --------------------------------
bench_float_executor() {
  echo "== float executor vs onnxruntime and PyTorch ($rounds rounds)"
  need_binary float_executor_bench
  local dir="$work/float_executor" load_start skip=() round_args=()
  rm -rf "$dir" && mkdir -p "$dir"
  load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
  "$build/float_executor_bench" prepare "$dir"

  local ort_reason torch_reason
  ort_reason="$(onnxruntime_missing)"
  torch_reason="$(torch_missing)"
  if [[ -n $ort_reason ]]; then
    echo "  onnxruntime: skipped ($ort_reason)"
    skip+=(--skip "onnxruntime=$ort_reason")
  fi
  if [[ -n $torch_reason ]]; then
    echo "  torch: skipped ($torch_reason)"
    skip+=(--skip "torch=$torch_reason")
  fi

  local r
  for ((r = 1; r <= rounds; r++)); do
    echo "-- round $r/$rounds"
    local rd="$dir/round$r"
    mkdir -p "$rd"
    "$build/float_executor_bench" time "$dir" "$rd/tinyopt.json"
    if [[ -z $ort_reason ]]; then
      node "$here/peers/onnxruntime_bench.js" "$dir/manifest.json" "$rd/onnxruntime.json"
    fi
    if [[ -z $torch_reason ]]; then
      $python "$here/peers/torch_bench.py" "$dir/manifest.json" "$rd/torch.json"
    fi
    round_args+=(--round "$rd")
  done

  mkdir -p "$results"
  local combine=$python
  [[ -x $combine ]] || combine=python3
  "$combine" "$here/combine_float_executor.py" --manifest "$dir/manifest.json" "${round_args[@]}" \
    "${skip[@]}" --build-dir "$build" --load-start "$load_start" --out "$results/float_executor.json"
  echo "wrote $results/float_executor.json"
}

# --- where our batch-1 latency goes: each node of the same models timed alone ------------------------
bench_float_executor_layers() {
  echo "== float executor per layer (batch 1, 1 thread)"
  need_binary float_executor_layers
  local dir="$work/float_executor"
  [[ -f $dir/manifest.json ]] || { mkdir -p "$dir" && "$build/float_executor_bench" prepare "$dir"; }
  mkdir -p "$results"
  "$build/float_executor_layers" "$dir" "$results/float_executor_layers.json"
  echo "wrote $results/float_executor_layers.json"
}

# --- runtime kernels: every optimized variant vs its family reference on MLPerf Tiny layer shapes --------
bench_runtime_kernels() {
  echo "== runtime kernel variants vs reference ($rounds rounds)"
  need_binary runtime_kernels_bench
  mkdir -p "$results"
  local quick=()
  [[ -n ${BENCH_QUICK:-} ]] && quick=(--quick)
  "$build/runtime_kernels_bench" --rounds "$rounds" "${quick[@]}" --json "$results/runtime_kernels.json"
}

# --- training throughput: our engine vs PyTorch, same model, batch, optimizer, threads -----------------
bench_train_throughput() {
  echo "== training throughput vs PyTorch ($rounds rounds, 2 threads)"
  need_binary train_throughput
  local dir="$work/train_throughput" load_start torch_reason seconds=5 round_args=()
  rm -rf "$dir" && mkdir -p "$dir"
  [[ -n ${BENCH_QUICK:-} ]] && seconds=0.5
  load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
  torch_reason="$(torch_missing)"
  [[ -n $torch_reason ]] && echo "  torch: skipped ($torch_reason)"
  local r arch batch
  for ((r = 1; r <= rounds; r++)); do
    echo "-- round $r/$rounds"
    local rd="$dir/round$r"
    mkdir -p "$rd"
    for arch in fmnist-cnn fmnist-ds; do
      for batch in 64 128; do
        "$build/train_throughput" --arch $arch --batch $batch --threads 2 --seconds $seconds \
          >"$rd/tinyopt-$arch-b$batch.json"
        if [[ -z $torch_reason ]]; then
          $python "$here/train_throughput_torch.py" --arch $arch --batch $batch --threads 2 --seconds $seconds \
            >"$rd/pytorch-$arch-b$batch.json"
        fi
      done
    done
    round_args+=(--round "$rd")
  done
  mkdir -p "$results"
  local combine=$python
  [[ -x $combine ]] || combine=python3
  "$combine" "$here/combine_train_throughput.py" "${round_args[@]}" --skip-torch "$torch_reason" \
    --build-dir "$build" --load-start "$load_start" --out "$results/train_throughput.json"
  echo "wrote $results/train_throughput.json"
}

# --- integer executor: the int8 teacher vs our float executor (int8 peers: bench_int8, same rounds) -------
bench_int8_executor() {
  echo "== integer executor (int8 fmnist-cnn) vs float executor"
  need_binary int8_executor_bench
  mkdir -p "$results"
  local quick=()
  [[ -n ${BENCH_QUICK:-} ]] && quick=(--quick)
  "$build/int8_executor_bench" "${quick[@]}" --json "$results/int8_executor.json"
  echo "wrote $results/int8_executor.json"
}

# --- int8: PTQ accuracy vs PyTorch FX PTQ, onnxruntime agreement, int8 latency vs onnxruntime and PyTorch ---
# The float teacher and student are quantized by `tinyopt quantize` (500 calibration images); onnxruntime
# runs the very QDQ files we export, PyTorch quantizes the same float files on the same images.
# BENCH_STUDENT=FILE.onnx names the float student when models/fmnist-ds.onnx is not shipped.
bench_int8() {
  echo "== int8: PTQ accuracy, onnxruntime agreement, latency vs onnxruntime and PyTorch ($rounds rounds)"
  need_binary int8_bench
  local dir="$work/int8" load_start load_note skip=() round_args=() specs=() name float
  rm -rf "$dir" && mkdir -p "$dir"
  load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
  load_note="${BENCH_LOAD_NOTE:-}"
  local root="$here/.."
  for name in fmnist-cnn fmnist-ds; do
    float="$root/models/$name.onnx"
    [[ $name == fmnist-ds && -n ${BENCH_STUDENT:-} ]] && float="$BENCH_STUDENT"
    if [[ ! -f $float ]]; then
      echo "  $name: skipped ($float not found)"
      continue
    fi
    "$build/tinyopt" quantize "$float" --data fashion-mnist --calib 500 --limit 100 -o "$dir/$name.int8.onnx" \
      >/dev/null  # --limit: accuracy is measured by int8_bench prepare over the whole test set
    specs+=("$name=$float=$dir/$name.int8.onnx")
  done
  "$build/int8_bench" prepare "$dir" "${specs[@]}"

  local ort_reason torch_reason
  ort_reason="$(onnxruntime_missing)"
  torch_reason="$(torch_missing)"
  if [[ -n $ort_reason ]]; then
    echo "  onnxruntime: skipped ($ort_reason)"
    skip+=(--skip "onnxruntime=$ort_reason")
  else
    for spec in "${specs[@]}"; do  # onnxruntime's logits over the whole test set, for the agreement
      name="${spec%%=*}"
      node "$here/peers/onnxruntime_run.js" "$dir/$name.int8.onnx" "$dir/test_images.f32" 10000,1,28,28 \
        "$dir/$name.ort_test_logits.f32" --threads 2 >/dev/null
    done
  fi
  if [[ -n $torch_reason ]]; then
    echo "  torch: skipped ($torch_reason)"
    skip+=(--skip "torch=$torch_reason")
  fi

  local r
  for ((r = 1; r <= rounds; r++)); do
    echo "-- round $r/$rounds"
    local rd="$dir/round$r"
    mkdir -p "$rd"
    # Our integer executor's timing: its own benchmark, if built, times the manifest's QDQ files with the
    # manifest's protocol and writes tinyopt.json in the float benchmark's per-tool format.
    if [[ -x $build/int8_executor_bench ]]; then
      "$build/int8_executor_bench" time "$dir/manifest.json" "$rd/tinyopt.json"
    fi
    if [[ -z $ort_reason ]]; then
      node "$here/peers/onnxruntime_bench.js" "$dir/manifest.json" "$rd/onnxruntime.json"
    fi
    if [[ -z $torch_reason ]]; then
      $python "$here/peers/torch_int8_bench.py" "$dir/manifest.json" "$rd/torch.json"
    fi
    round_args+=(--round "$rd")
  done

  mkdir -p "$results"
  (cd "$here" && $python combine_int8.py --manifest "$dir/manifest.json" --ours "$dir/ours.json" --work "$dir" \
    "${round_args[@]}" "${skip[@]}" --build-dir "$build" --load-start "$load_start" --load-note "$load_note" \
    --results "$results")
  echo "wrote $results/int8_latency.json and $results/ptq_accuracy.json"
}

# --- instructions per MAC of every kernel variant on emulated Cortex-M4 / M7 / aarch64 (qemu plugin) ---------
bench_emu_kernels() {
  echo "== emulated kernels: instructions per MAC on MLPerf Tiny layer shapes (docs/emulation.md)"
  need_binary emu_kernels_bench
  mkdir -p "$results"
  "$build/emu_kernels_bench" --json "$results/emulated_kernels.json"
}

# --- Arm kernel variants vs their references: dsp on Cortex-M4/M7, neon on Pi 4 (A72) / Pi 5 (A76, SDOT) ----
# The same emulated counts as bench_emu_kernels (plus the Pi 5), condensed by combine_arm_kernels.py into
# reference vs variant per layer and the MAC-weighted conv + pointwise figure per model (issue 6's goal).
bench_arm_kernels() {
  echo "== Arm kernel variants: instructions per MAC, reference vs dsp / neon (qemu, exact counts)"
  need_binary emu_kernels_bench
  local dir="$work/arm_kernels"
  mkdir -p "$dir" "$results"
  "$build/emu_kernels_bench" --json "$dir/emu_kernels.json" --platforms cortex-m4,cortex-m7,rpi4,rpi5
  "$python" "$here/combine_arm_kernels.py" "$dir/emu_kernels.json" "$results/emulated_kernels_arm.json"
}

# --- whole models on emulated Cortex-M4 / M7 / Pi 4: byte-exact vs the host, flash, RAM, insns/MAC -----------
# The Fashion-MNIST teacher int8 and W4A8 on 100 test images, the MLPerf Tiny shapes (random weights) on 20
# random inputs, through `tinyopt quantize / emulate / estimate` (bench/emulation_bench.py; docs/emulation.md).
bench_emulation() {
  echo "== whole models emulated: byte-exact vs the host, flash, RAM, instructions per MAC (qemu)"
  need_binary tinyopt
  mkdir -p "$results"
  $python "$here/emulation_bench.py" "$build" "$results/emulation.json" \
    --fmnist-samples "${BENCH_EMU_FMNIST_SAMPLES:-100}" --samples "${BENCH_EMU_SAMPLES:-20}" \
    --platforms "${BENCH_EMU_PLATFORMS:-cortex-m4,cortex-m7,rpi4}"
}

# --- memory planner: arena bytes per model, naive vs greedy vs ours vs lower bound (no timing) --------
bench_arena() {
  echo "== arena sizes (memory planner)"
  need_binary arena_bench
  mkdir -p "$results"
  "$build/arena_bench" "$results/arena.json"
}

# --- cost model vs published MLPerf Tiny latencies (no timing; bench/fit_cost_model.py refits offline) ---
bench_cost_model() {
  echo "== cost model vs MLPerf Tiny"
  need_binary cost_model_bench
  mkdir -p "$results"
  "$build/cost_model_bench" "$results/cost_model.json"
}

# --- cost model vs our own emulated instruction counts, per kernel call (issue 8: <= 10%) ---------------
# Emulates a spread of models with the ref and dsp kernels on cortex-m4 / cortex-m7 (slow: codegen + qemu
# per run, BENCH_EMU_JOBS runs at a time), fits the instruction terms and cycles per instruction
# (bench/fit_cost_model.py; with BENCH_COST_WRITE=1 it rewrites data/targets/cortex-m{4,7,33}.json, a
# rebuild then compiles them in), and compares the shipped coefficients with every emulated call, in-sample
# and held out by architecture (bench/results/cost_model_emu.json, cost_model_fit.json).
bench_cost_model_emu() {
  echo "== cost model vs emulated instruction counts"
  need_binary tinyopt
  need_binary cost_model_emu_bench
  local dir="$work/cost_model_emu" write=()
  [[ -n ${BENCH_COST_WRITE:-} ]] && write=(--write)
  mkdir -p "$dir" "$results"
  "$here/cost_model_emu_measure.sh" "$build/tinyopt" "$dir" "${BENCH_EMU_JOBS:-2}"
  "$build/cost_model_emu_bench" "$dir" "$dir/terms.json"
  (cd "$here/.." && $python bench/fit_cost_model.py --emu "$dir/terms.json" --out "$results/cost_model_fit.json" "${write[@]}")
  "$build/cost_model_emu_bench" "$dir" "$results/cost_model_fit.json" "$results/cost_model_emu.json"
}

# --- fault injection: optimize SIGKILLed 20 times, each followed by --resume (issue 9.4) -------------------
# A small optimize (one pruning level, a few hundred images, one thread) killed at random moments; the
# resumed result must equal an uninterrupted run's and no output may ever be partial (docs/hostile-inputs.md).
bench_fault_injection() {
  echo "== fault injection: ${BENCH_KILLS:-20} kills of optimize, each followed by --resume"
  mkdir -p "$results"
  $python "$here/../scripts/fault_injection.py" --tinyopt "$build/tinyopt" --work "$work/fault_injection" \
    --kills "${BENCH_KILLS:-20}" --seed 1 --json "$results/fault_injection.json"
}

# --- pruning: accuracy vs MACs for l1 / slimming / taylor, and our L1 + KD vs PyTorch ln_structured ---------
# The shipped teacher pruned to 5 MAC targets (global threshold, --target-macs) by each criterion, each with
# the same short KD fine-tune (BENCH_PRUNE_EPOCHS epochs on the first BENCH_PRUNE_LIMIT training images).
# slimming ranks by the teacher's BN gammas as trained (no L1 sparsity phase). The PyTorch peer masks the
# same per-layer filter counts as our L1 run at each target and fine-tunes for the same epochs and images.
# Training runs, one thread each: several minutes per point on a busy 2-core machine.
bench_pruning() {
  local epochs="${BENCH_PRUNE_EPOCHS:-2}" limit="${BENCH_PRUNE_LIMIT:-10000}"
  echo "== pruning: accuracy vs MACs (l1, slimming, taylor), ours vs PyTorch ($epochs epochs on $limit images)"
  need_binary tinyopt
  local dir="$work/pruning" teacher="$here/../models/fmnist-cnn.onnx" load_start torch_reason macs
  local fractions="0.5 0.35 0.25 0.15 0.1" methods="l1 slimming taylor" m f
  rm -rf "$dir" && mkdir -p "$dir"
  load_start="$(cut -d' ' -f1-3 /proc/loadavg)"
  macs="$("$build/tinyopt" inspect "$teacher" --json | $python -c 'import json,sys; print(json.load(sys.stdin)["macs"])')"
  local recipe="--fine-tune-epochs $epochs --limit $limit --lr 0.01 --batch 128 --seed 1 --threads 1"
  local cmd="tinyopt prune models/fmnist-cnn.onnx --data fashion-mnist --method {method} --target-macs {fraction}*$macs $recipe --json"
  local torch_cmd="/usr/bin/python3 bench/peers/torch_prune.py --teacher models/fmnist-cnn.onnx --ours l1-{fraction}.json --epochs $epochs --limit $limit --lr 0.01 --batch 128 --seed 1 --threads 1"
  for m in $methods; do
    for f in $fractions; do
      echo "-- $m to $f of the MACs"
      # shellcheck disable=SC2086  # $recipe is a list of flags
      "$build/tinyopt" prune "$teacher" --data fashion-mnist --method "$m" \
        --target-macs "$($python -c "print(int($f * $macs))")" $recipe --json -o "$dir/$m-$f.onnx" \
        >"$dir/$m-$f.json" 2>"$dir/$m-$f.log"
    done
  done
  torch_reason="$(torch_missing)"
  if [[ -n $torch_reason ]]; then
    echo "  torch: skipped ($torch_reason)"
  else
    for f in $fractions; do
      echo "-- PyTorch ln_structured at the L1 run's channel counts for $f of the MACs"
      $python "$here/peers/torch_prune.py" --teacher "$teacher" --ours "$dir/l1-$f.json" --epochs "$epochs" \
        --limit "$limit" --lr 0.01 --batch 128 --seed 1 --threads 1 --out "$dir/torch-$f.json"
    done
  fi
  mkdir -p "$results"
  (cd "$here" && $python combine_pruning.py --dir "$dir" --fractions "$fractions" --methods "$methods" \
    --command-template "$cmd" --torch-command-template "$torch_cmd" --skip-torch "$torch_reason" \
    --budget "KD fine-tune (T 4, alpha 0.9, from the unpruned teacher), $epochs epochs on the first $limit training images, lr 0.01 cosine, SGD momentum 0.9, batch 128, seed 1" \
    --build-dir "$build" --load-start "$load_start" --results "$results")
  echo "wrote $results/pruning.json and $results/pruning_vs_torch.json"
}

main() {
  if [[ -n ${BENCH_ONLY:-} ]]; then  # e.g. BENCH_ONLY="int8 runtime_kernels": just those benchmarks
    local b
    for b in $BENCH_ONLY; do "bench_$b"; done
    return
  fi
  bench_float_executor
  bench_float_executor_layers
  bench_runtime_kernels
  bench_train_throughput
  bench_int8
  bench_int8_executor
  bench_emu_kernels
  bench_arm_kernels
  bench_emulation
  bench_pruning
  bench_arena
  bench_cost_model
  bench_cost_model_emu
  bench_fault_injection
}

main
