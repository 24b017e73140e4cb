// onnxruntime peer of the float executor benchmark (onnxruntime-node, CPU execution provider). For each
// model in the manifest: one InferenceSession per thread setting (intraOpNumThreads from the protocol,
// sequential execution, all graph optimizations), batch-1 latency and batch-256 throughput timed with the
// same loop as bench_common.py / bench_timing.h (warm-up, then runs until min_runs and min_seconds, median),
// and the max abs difference of onnxruntime's outputs from tinyopt's on the check input.
// It is not a general ORT harness: one float input, one float output per model.
//
// Usage: node onnxruntime_bench.js MANIFEST.json OUT.json   (onnxruntime-node in bench/node_modules)
'use strict';
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

function loadF32(file) {
  const buf = fs.readFileSync(file);
  const out = new Float32Array(buf.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}

// `batch` images cycled from the check input (N, ...sample), as bench_common.batch_of does.
function batchOf(x, checkBatch, sampleNumel, batch) {
  const out = new Float32Array(batch * sampleNumel);
  for (let b = 0; b < batch; b++) {
    const src = (b % checkBatch) * sampleNumel;
    out.set(x.subarray(src, src + sampleNumel), b * sampleNumel);
  }
  return out;
}

async function timeRuns(fn, p) {
  for (let i = 0; i < p.warmup; i++) await fn();
  const times = [];
  const start = process.hrtime.bigint();
  const elapsed = () => Number(process.hrtime.bigint() - start) / 1e9;
  while (times.length < p.max_runs && (times.length < p.min_runs || elapsed() < p.min_seconds)) {
    const t0 = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  const median = times.length % 2 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
  return [median, times.length];
}

function session(model, threads) {
  return ort.InferenceSession.create(model.onnx, {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
}

async function benchModel(model, proto) {
  const sample = model.sample_shape.reduce((a, b) => a * b, 1);
  const x = loadF32(model.check_input);
  const ours = loadF32(model.ours_output);
  const res = {};
  const feed = (data, batch) => ({
    [model.input_name]: new ort.Tensor('float32', data, [batch, ...model.sample_shape]),
  });

  const checkSess = await session(model, proto.latency.threads);
  const check = (await checkSess.run(feed(x, model.check_batch)))[model.output_name].data;
  let maxDiff = 0;
  for (let i = 0; i < ours.length; i++) maxDiff = Math.max(maxDiff, Math.abs(check[i] - ours[i]));
  res.max_abs_diff = check.length === ours.length ? maxDiff : Infinity;

  for (const kind of ['latency', 'throughput']) {
    const p = proto[kind];
    const sess = p.threads === proto.latency.threads ? checkSess : await session(model, p.threads);
    const f = feed(batchOf(x, model.check_batch, sample, p.batch), p.batch);
    const [secs, runs] = await timeRuns(() => sess.run(f), p);
    res[`${kind}_batch_ms`] = secs * 1e3;
    res[`${kind}_runs`] = runs;
  }
  res.latency_ms = res.latency_batch_ms;
  res.throughput_ips = proto.throughput.batch / (res.throughput_batch_ms / 1e3);
  return res;
}

async function main() {
  const [manifestPath, outPath] = process.argv.slice(2);
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  const pkg = require('onnxruntime-node/package.json');
  const out = {peer: 'onnxruntime', version: pkg.version, execution_provider: 'cpu', models: {}};
  for (const model of manifest.models) {
    const r = await benchModel(model, manifest.protocol);
    out.models[model.name] = r;
    console.log(`  onnxruntime  ${model.name.padEnd(12)} ${r.latency_ms.toFixed(3).padStart(8)} ms ` +
                ` ${r.throughput_ips.toFixed(0).padStart(9)} img/s  max|diff| ${r.max_abs_diff.toExponential(2)}`);
  }
  const tmp = `${outPath}.tmp${process.pid}`;  // atomic: temp file beside the target, then rename
  fs.writeFileSync(tmp, JSON.stringify(out, null, 2) + '\n');
  fs.renameSync(tmp, path.resolve(outPath));
}

main().catch((e) => { console.error(`onnxruntime_bench: ${e.message}`); process.exit(1); });
