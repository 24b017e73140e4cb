// Runs one ONNX model in onnxruntime-node (CPU execution provider) on a batch of float32 inputs and writes
// the first output, so tests and benchmarks can compare onnxruntime's outputs with tinyopt's on the same
// file (the QDQ agreement test, bench/run.sh's int8 agreement over the Fashion-MNIST test set). The batch
// is run in chunks of --chunk samples along dim 0. It times nothing (onnxruntime_bench.js does).
//
// Usage: node onnxruntime_run.js MODEL.onnx INPUT.f32 N,D1,D2,... OUTPUT.f32 [--chunk 256] [--threads 1]
//   INPUT.f32 / OUTPUT.f32: raw little-endian float32, C order. Prints the output's dims as a JSON line.
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

function option(args, name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

async function main() {
  const args = process.argv.slice(2);
  const [modelPath, inputPath, dimsText, outputPath] = args;
  if (!outputPath) throw new Error('usage: onnxruntime_run.js MODEL INPUT.f32 N,D1,... OUTPUT.f32');
  const chunk = option(args, '--chunk', 256);
  const threads = option(args, '--threads', 1);
  const dims = dimsText.split(',').map(Number);
  const buf = fs.readFileSync(inputPath);
  const x = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
  const sample = dims.slice(1).reduce((a, b) => a * b, 1);
  if (x.length !== dims[0] * sample) throw new Error(`${inputPath}: ${x.length} floats, dims need ${dims[0] * sample}`);

  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all',
  });
  const parts = [];
  let outDims = null;
  for (let start = 0; start < dims[0]; start += chunk) {
    const n = Math.min(chunk, dims[0] - start);
    const data = x.slice(start * sample, (start + n) * sample);
    const result = await session.run({[session.inputNames[0]]: new ort.Tensor('float32', data, [n, ...dims.slice(1)])});
    const y = result[session.outputNames[0]];
    outDims = outDims || [dims[0], ...y.dims.slice(1)];
    parts.push(Buffer.from(y.data.buffer, y.data.byteOffset, y.data.byteLength));
  }
  const tmp = `${outputPath}.tmp${process.pid}`;  // atomic: temp file beside the target, then rename
  fs.writeFileSync(tmp, Buffer.concat(parts));
  fs.renameSync(tmp, path.resolve(outputPath));
  console.log(JSON.stringify(outDims));
}

main().catch((e) => { console.error(`onnxruntime_run: ${e.message}`); process.exit(1); });
