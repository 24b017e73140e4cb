#!/usr/bin/env bash
# Seed corpora for the fuzz targets, from real files: usage fuzz/make_seeds.sh OUT_DIR TINYOPT_CLI.
# Writes OUT_DIR/<target>/ for onnx_import, qdq_import, idx, npy, csv and target_json:
#   onnx_import  every node model of Debian's libonnx-testdata, `tinyopt new` of each built-in
#                architecture (width 0.25, files <= 64 KiB), the shipped models <= 64 KiB
#   qdq_import   `tinyopt quantize` of fmnist-ds (int8; int4 weights + int16 activations; mixed) and the
#                testdata's QuantizeLinear / DequantizeLinear / QLinear* models
#   idx          the first samples of Fashion-MNIST (images u8 3-D, labels u8 1-D; raw and gzip) and one
#                file per other IDX element type
#   npy          numpy.save of each supported dtype, big-endian, fortran order, 0-d, empty, version 2.0
#   csv          headed/unheaded, labelled, CRLF, quoted, semicolons (first byte = option selector)
#   target_json  data/targets/*.json (once the target files exist)
# Idempotent; regenerates everything. Needs /usr/bin/python3 with numpy (Debian's python3-numpy).
set -euo pipefail
out=$1
cli=$2
src=$(cd "$(dirname "$0")/.." && pwd)
testdata=/usr/share/libonnx-testdata/data/node
mkdir -p "$out"/{onnx_import,qdq_import,idx,npy,csv,target_json}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ONNX: conformance-test models (named after their folder) and our own architectures.
if [ -d "$testdata" ]; then
  for m in "$testdata"/*/model.onnx; do
    name=$(basename "$(dirname "$m")")
    cp "$m" "$out/onnx_import/$name.onnx"
    case $name in
      *quantizelinear* | *qlinear*) cp "$m" "$out/qdq_import/$name.onnx" ;;
    esac
  done
fi
for arch in fmnist-cnn fmnist-ds ds-cnn resnet8 mobilenetv1 fc-ae squeezenet-fire shufflenet mbconv; do
  "$cli" new --arch "$arch" --width 0.25 --seed 1 -o "$work/$arch.onnx" > /dev/null
  if [ "$(stat -c %s "$work/$arch.onnx")" -le 65536 ]; then cp "$work/$arch.onnx" "$out/onnx_import/new-$arch.onnx"; fi
done
for m in "$src"/models/*.onnx; do
  if [ "$(stat -c %s "$m")" -le 65536 ]; then cp "$m" "$out/onnx_import/shipped-$(basename "$m")"; fi
done

# QDQ: our quantizer's output forms (16 calibration images keep this quick).
quantize() {  # name, extra flags...
  local name=$1
  shift
  "$cli" quantize "$work/fmnist-ds.onnx" --data fashion-mnist --calib 16 --limit 64 "$@" -o "$out/qdq_import/$name.onnx" > /dev/null 2>&1
}
quantize fmnist-ds-w8a8
quantize fmnist-ds-w4a16 --weights int4 --activations int16
quantize fmnist-ds-w4a8 --weights int4

# Data files: IDX, NPY, CSV.
/usr/bin/python3 - "$out" <<'PY'
import gzip, os, struct, sys
import numpy as np

out = sys.argv[1]

def idx_bytes(arr, code):
    header = bytes([0, 0, code, arr.ndim]) + b"".join(struct.pack(">I", d) for d in arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()

def write(path, data):
    with open(path, "wb") as f:
        f.write(data)

fm = "/usr/share/datasets/fashion-mnist"
with gzip.open(f"{fm}/t10k-images-idx3-ubyte.gz") as f:
    images = np.frombuffer(f.read()[16:16 + 3 * 784], dtype=np.uint8).reshape(3, 28, 28)
with gzip.open(f"{fm}/t10k-labels-idx1-ubyte.gz") as f:
    labels = np.frombuffer(f.read()[8:8 + 3], dtype=np.uint8)
d = os.path.join(out, "idx")
write(f"{d}/images-u8.idx", idx_bytes(images, 0x08))
write(f"{d}/labels-u8.idx", idx_bytes(labels, 0x08))
write(f"{d}/labels-u8.idx.gz", gzip.compress(idx_bytes(labels, 0x08)))
write(f"{d}/images-u8.idx.gz", gzip.compress(idx_bytes(images[:1], 0x08)))
write(f"{d}/i8.idx", idx_bytes(np.arange(-4, 4, dtype=np.int8), 0x09))
write(f"{d}/i16.idx", idx_bytes(np.arange(-6, 6, dtype=np.int16).reshape(3, 4), 0x0B))
write(f"{d}/i32.idx", idx_bytes(np.arange(-6, 6, dtype=np.int32).reshape(2, 3, 2), 0x0C))
write(f"{d}/f32.idx", idx_bytes(np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4), 0x0D))
write(f"{d}/f64.idx", idx_bytes(np.linspace(-1, 1, 6, dtype=np.float64), 0x0E))
write(f"{d}/empty.idx", idx_bytes(np.zeros((0, 4), dtype=np.uint8), 0x08))

d = os.path.join(out, "npy")
arrays = {
    "f4": np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 1, 2, 2),
    "f8": np.linspace(-1, 1, 6, dtype=np.float64).reshape(2, 3),
    "u1": images[:2, :4, :4],
    "i1": np.arange(-3, 3, dtype=np.int8),
    "i2": np.arange(-3, 3, dtype=np.int16).reshape(2, 3),
    "i4": labels.astype(np.int32),
    "i8": labels.astype(np.int64),
    "b1": np.array([True, False, True]),
    "f4-big": np.linspace(0, 1, 4, dtype=">f4"),
    "i4-big": np.arange(4, dtype=">i4"),
    "f4-fortran": np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)),
    "f4-scalar": np.array(1.5, dtype=np.float32),
    "f4-empty": np.zeros((0, 3), dtype=np.float32),
}
for name, a in arrays.items():
    np.save(f"{d}/{name}.npy", a)
with open(f"{d}/f4-v2.npy", "wb") as f:
    np.lib.format.write_array(f, arrays["f4"], version=(2, 0))
write(f"{d}/f4.npy.gz", gzip.compress(open(f"{d}/f4.npy", "rb").read()))

# CSV seeds start with the option-selector byte csv_fuzz.cpp reads (0 = auto header, labelled, last col).
d = os.path.join(out, "csv")
csvs = {
    "headed": (0, "a,b,label\n0.5,1.5,0\n1e-3,-2,1\n"),
    "plain": (0, "1,2,3\n4,5,6\n"),
    "crlf-blank": (0, "x,y\r\n1,0\r\n\r\n2,1\r\n"),
    "quoted": (0, '"f1","f2","label"\n"1.0","2.0","3"\n'),
    "unlabelled": (0x04, "1,2\n3,4\n"),
    "label-named": (0x80, "label,x\n1,0.25\n0,0.75\n"),
    "semicolon": (0x40, "1;2;0\n3;4;1\n"),
    "first-col": (0x20, "2,0.1,0.2\n1,0.3,0.4\n"),
}
for name, (sel, text) in csvs.items():
    write(f"{d}/{name}.csv", bytes([sel]) + text.encode())
write(f"{d}/gzip.csv", bytes([0]) + gzip.compress(b"1,2,0\n3,4,1\n"))
PY

for t in "$src"/data/targets/*.json; do
  [ -e "$t" ] && cp "$t" "$out/target_json/"
done
echo "{}" > "$out/target_json/empty-object.json"
for t in onnx_import qdq_import idx npy csv target_json; do
  echo "$t: $(ls "$out/$t" | wc -l) seeds"
done
