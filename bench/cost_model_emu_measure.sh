#!/usr/bin/env bash
# Emulated instruction counts per kernel call for the cost model's fit (bench/cost_model_emu_bench.cpp,
# bench/fit_cost_model.py; docs/targets.md "Instruction terms"). For each model of the spread (MODELS below:
# the MLPerf Tiny reference shapes, the shipped Fashion-MNIST teacher and student, other built-in
# architectures and widths for more layer shapes) it writes WORK/<model>.onnx (int8 PTQ, min-max on 8
# seeded uniform-noise samples: only shapes matter here), then per platform and kernel variant generates
# the C project (`tinyopt codegen`; variant ref = the target file without its "dsp" feature, so codegen
# picks the reference kernels) and runs it once on the emulator (`tinyopt emulate DIR --json`), keeping
# WORK/<model>.<platform>.<variant>.json. Counts do not depend on the input values (no kernel branches on
# data except the clamps, which are branch-free), so one sample suffices.
# Usage: bench/cost_model_emu_measure.sh TINYOPT WORK [JOBS]   (JOBS parallel runs, default 2)
set -euo pipefail

tinyopt="$(realpath "${1:?usage: cost_model_emu_measure.sh TINYOPT WORK [JOBS]}")"
work="${2:?usage: cost_model_emu_measure.sh TINYOPT WORK [JOBS]}"
jobs="${3:-2}"
here="$(cd "$(dirname "$0")" && pwd)"
python=/usr/bin/python3
mkdir -p "$work"
work="$(realpath "$work")"

# name | group (held out together) | architecture or ONNX file | width | input shape | platforms
MODELS="
ds-cnn|ds-cnn|ds-cnn|1|1,49,10|cortex-m4,cortex-m7
ds-cnn-w0.5|ds-cnn|ds-cnn|0.5|1,49,10|cortex-m4
resnet8|resnet8|resnet8|1|3,32,32|cortex-m4,cortex-m7
resnet8-w0.5|resnet8|resnet8|0.5|3,32,32|cortex-m4
mobilenetv1-0.25|mobilenetv1|mobilenetv1|0.25|3,96,96|cortex-m4,cortex-m7
fc-ae|fc-ae|fc-ae|1|640|cortex-m4,cortex-m7
fmnist-cnn|fmnist-cnn|models/fmnist-cnn.onnx|1|1,28,28|cortex-m4,cortex-m7
fmnist-cnn-w0.5|fmnist-cnn|fmnist-cnn|0.5|1,28,28|cortex-m4
fmnist-ds|fmnist-ds|models/fmnist-ds.onnx|1|1,28,28|cortex-m4
squeezenet-fire|squeezenet-fire|squeezenet-fire|1|1,28,28|cortex-m4
fmnist-ds-w2|fmnist-ds|fmnist-ds|2|1,28,28|cortex-m4
mbconv|mbconv|mbconv|1|1,28,28|cortex-m4
"

# The reference-kernel target files: the built-in ones without the dsp feature.
for p in cortex-m4 cortex-m7; do
  $python - "$here/../data/targets/$p.json" "$work/$p-ref.json" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))
t["features"] = [f for f in t["features"] if f != "dsp"]
t["name"] = t["name"] + "-ref"
json.dump(t, open(sys.argv[2], "w"), indent=2)
EOF
done

quantized() {  # name source width shape -> WORK/name.onnx
  local name=$1 source=$2 width=$3 shape=$4 float="$work/$1.float.onnx"
  [[ -f $work/$name.onnx ]] && return
  if [[ $source == *.onnx ]]; then cp "$here/../$source" "$float"; else
    "$tinyopt" new --arch "$source" --width "$width" --seed 1 -o "$float" >/dev/null; fi
  $python -c "
import numpy as np, sys
shape = [8] + [int(d) for d in sys.argv[1].split(',')]
np.save(sys.argv[2] + '.x.npy', np.random.RandomState(1).rand(*shape).astype(np.float32))
np.save(sys.argv[2] + '.y.npy', np.zeros(8, dtype=np.int64))" "$shape" "$work/$name"
  "$tinyopt" quantize "$float" --data "$work/$name.x.npy,$work/$name.y.npy" \
    --calib-data "$work/$name.x.npy,$work/$name.y.npy" --calibrator minmax --no-bias-correction --threads 1 \
    -o "$work/$name.onnx" >/dev/null
}

run_one() {  # name platform variant
  set -e
  local name=$1 platform=$2 variant=$3 out="$work/$1.$2.$3.json" dir="$work/$1.$2.$3.project"
  [[ -s $out ]] && return
  if [[ $variant == dsp ]]; then  # the platform's own kernel choice; reference: the integer executor
    "$tinyopt" emulate "$work/$name.onnx" --target "$platform" --samples 1 --json >"$out.tmp"
  else  # the reference kernels (a project a host build can also run: the reference for the comparison)
    rm -rf "$dir"
    "$tinyopt" codegen "$work/$name.onnx" --target "$work/$platform-ref.json" -o "$dir" >/dev/null
    "$tinyopt" emulate "$dir" --target "$platform" --samples 1 --json >"$out.tmp"
    rm -rf "$dir"
  fi
  mv "$out.tmp" "$out"
  echo "  $name $platform $variant"
}
export -f run_one
export tinyopt work

echo "$MODELS" | while IFS='|' read -r name group source width shape platforms; do
  [[ -z $name ]] && continue
  quantized "$name" "$source" "$width" "$shape" || echo "  $name: not quantizable for the integer runtime, left out"
done
echo "$MODELS" | while IFS='|' read -r name group source width shape platforms; do
  [[ -z $name || ! -f $work/$name.onnx ]] && continue
  for p in ${platforms//,/ }; do for v in dsp ref; do echo "$name $p $v"; done; done
done | xargs -P "$jobs" -L 1 bash -c 'run_one "$@"' _

# The list the compare step reads (name, group, file, runs).
echo "$MODELS" | $python -c "
import json, sys, os
work = sys.argv[1]
models = []
for line in sys.stdin:
    if not line.strip(): continue
    name, group, source, width, shape, platforms = line.strip().split('|')
    if not os.path.exists(os.path.join(work, name + '.onnx')): continue
    runs = [{'platform': p, 'variant': v, 'file': f'{name}.{p}.{v}.json'} for p in platforms.split(',')
            for v in ('dsp', 'ref')]
    models.append({'name': name, 'group': group, 'source': source, 'width': float(width), 'onnx': name + '.onnx',
                   'runs': runs})
json.dump({'generator': 'bench/cost_model_emu_measure.sh', 'models': models}, open(os.path.join(work, 'models.json'), 'w'), indent=2)
" "$work"
echo "wrote $work/models.json"
