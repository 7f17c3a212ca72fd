// ort-op.js - times ONNX Runtime's session.run on one model and a batch.
//
//   node ort-op.js MODEL BATCH THREADS REPEATS C H W
//
// Feeds a deterministic (BATCH, C, H, W) float input to the model's
// first input, one warm-up run, then REPEATS timed runs; prints one JSON
// line with the median milliseconds.  onnxruntime-node is found as in
// ort-eval.js.
'use strict';
const path = require('path');

function requireOrt() {
  const dirs = [process.env.ORT_NODE_DIR, path.join(__dirname, 'node_modules'),
    path.join(process.cwd(), 'node_modules')].filter(Boolean);
  for (const d of dirs) {
    try { return require(path.join(d, 'onnxruntime-node')); } catch (e) { /* next */ }
  }
  return require('onnxruntime-node');
}

async function main() {
  const [model, batchS, threadsS, repeatsS] = process.argv.slice(2);
  const ort = requireOrt();
  const batch = +batchS, threads = +threadsS, repeats = +repeatsS;
  const s = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads, interOpNumThreads: 1,
    executionMode: 'sequential', graphOptimizationLevel: 'all' });
  const dims = process.argv.slice(6).map(Number);
  const count = batch * dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = 0.1 + 2 * Math.cos(i);
  const feeds = {};
  feeds[s.inputNames[0]] = new ort.Tensor('float32', data, [batch, ...dims]);
  await s.run(feeds);
  const times = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = process.hrtime.bigint();
    await s.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  times.sort((a, b) => a - b);
  const h = times.length >> 1;
  const med = times.length % 2 ? times[h] : (times[h - 1] + times[h]) / 2;
  console.log(JSON.stringify({ ms: med, min: times[0] }));
}

main().catch((e) => { console.error('ort-op: ' + e.message); process.exit(1); });
