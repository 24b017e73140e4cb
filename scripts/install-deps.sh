#!/usr/bin/env bash
# Installs every Debian package tinyopt needs to build, test and demo (DESIGN.md section 6).
# Idempotent: when everything is present it only runs dpkg-query and exits.
# The Python peers (python3-torch, python3-onnx, python3-numpy) are test references, installed by default
# so `make check` really compares against them; TINYOPT_NO_PEERS=1 skips them (those tests then skip with
# a message). onnxruntime-node (npm) is a benchmark peer only, installed with --peers.
set -euo pipefail

required=(
  cmake ninja-build g++ make pkg-config zlib1g-dev
  libopenblas-dev
  libprotobuf-dev protobuf-compiler libonnx-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  dataset-fashion-mnist libonnx-testdata
  gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
  gcc-xtensa-lx106
  clang libclang-rt-14-dev libomp-dev
  chromium
)
peers=(python3-torch python3-onnx python3-numpy)

want=("${required[@]}")
if [[ "${TINYOPT_NO_PEERS:-0}" != "1" || "${1:-}" == "--peers" ]]; then want+=("${peers[@]}"); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo_cmd=""
  [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo_cmd apt-get update -qq
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [[ "${1:-}" == "--peers" ]]; then
  ort_dir="$(cd "$(dirname "$0")/.." && pwd)/bench/node_modules/onnxruntime-node"
  if [[ ! -d "$ort_dir" ]] && command -v npm >/dev/null; then
    echo "install-deps: installing onnxruntime-node@1.20.1 (npm, --ignore-scripts)"
    (cd "$(dirname "$0")/../bench" && npm install --silent --no-save --ignore-scripts onnxruntime-node@1.20.1) ||
      echo "install-deps: onnxruntime-node unavailable; the onnxruntime peer benchmark will skip"
  fi
fi
"$(dirname "$0")/get-qemu-plugin-h.sh" || echo "install-deps: no qemu-plugin.h; tinyopt emulate cannot count instructions" >&2
