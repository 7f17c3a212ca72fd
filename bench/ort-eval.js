// ort-eval.js - times ONNX Runtime on a model and an IDX validation set.
//
//   node ort-eval.js MODEL IMAGES LABELS THREADS BATCH REPEATS [SCALE MEAN STD]
//   node ort-eval.js --check     (prints the onnxruntime version if it loads)
//
// Preprocesses every image in float32 as ((u8 * SCALE) - MEAN) / STD
// (defaults: 1/255, 0, 1), creates one session with THREADS intra-op threads,
// then runs REPEATS timed passes over the whole set in batches of BATCH.
// Prints one JSON line: the number of correct top-1 predictions, accuracy,
// the median seconds of the timed passes (session creation and data loading
// excluded), images per second at that median, and every pass's time.
//
// onnxruntime-node is looked up in $ORT_NODE_DIR, then ./node_modules next to
// this script, then tests/ort/node_modules (where 'make check' installs it),
// then ./node_modules of the working directory, then the usual Node module
// path.  ORT_PREDICTIONS=FILE writes the predicted class of every
// sample, one per line; ORT_MARGINS=FILE the gap between each sample's two
// largest outputs (how close it came to a tie); ORT_LOGITS=FILE the outputs
// of the first ORT_LOGITS_ROWS samples (default 8), one sample per line.
// ORT_LIMIT=N evaluates only the first N samples.  ORT_OPT_LEVEL=disabled,
// basic, extended or all sets the session's graphOptimizationLevel; unset,
// the runtime's default applies (all).
'use strict';
const fs = require('fs');
const zlib = require('zlib');
const path = require('path');

function requireOrt() {
  const dirs = [process.env.ORT_NODE_DIR, path.join(__dirname, 'node_modules'),
    path.join(__dirname, '..', 'tests', 'ort', 'node_modules'),
    path.join(process.cwd(), 'node_modules')].filter(Boolean);
  for (const d of dirs) {
    try { return require(path.join(d, 'onnxruntime-node')); } catch (e) { /* next */ }
  }
  return require('onnxruntime-node');
}

function readIdx(file) {
  let buf = fs.readFileSync(file);
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = zlib.gunzipSync(buf);
  if (buf.length < 4 || buf[0] !== 0 || buf[1] !== 0 || buf[2] !== 0x08)
    throw new Error(file + ': not an IDX file of unsigned bytes');
  const nd = buf[3];
  const dims = [];
  for (let i = 0; i < nd; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  const data = buf.subarray(4 + 4 * nd);
  if (data.length !== dims.reduce((a, b) => a * b, 1))
    throw new Error(file + ': size does not match its dimensions');
  return { dims, data };
}

function median(v) {
  const s = v.slice().sort((a, b) => a - b), h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--check') {          // is onnxruntime-node loadable?
    const ort = requireOrt();
    console.log(ort.env && ort.env.versions ? ort.env.versions.common : 'unknown');
    return;
  }
  if (args.length < 6) {
    console.error('usage: node ort-eval.js MODEL IMAGES LABELS THREADS BATCH REPEATS [SCALE MEAN STD]');
    process.exit(2);
  }
  const [model, images, labels, threads, batch, repeats, scale, mean, std] = args;
  const ort = requireOrt();
  const img = readIdx(images), lab = readIdx(labels);
  const total = img.dims[0], ss = img.data.length / total;
  if (lab.dims[0] !== total) throw new Error('image/label count mismatch');
  const limit = process.env.ORT_LIMIT ? Number(process.env.ORT_LIMIT) : total;
  if (!(limit > 0)) throw new Error('ORT_LIMIT must be a positive number');
  const n = Math.min(total, limit);
  // (N, H, W) images -> (batch, 1, H, W); (N, C, H, W) stays as it is
  const sampleDims = img.dims.length === 3 ? [1].concat(img.dims.slice(1)) : img.dims.slice(1);
  const sc = scale ? Number(scale) : 1 / 255;
  const mu = mean ? Number(mean) : 0, sd = std ? Number(std) : 1;
  const x = new Float32Array(n * ss);  // the first n samples only
  const f32 = Math.fround;
  for (let i = 0; i < x.length; i++)
    x[i] = f32(f32(f32(img.data[i] * f32(sc)) - f32(mu)) / f32(sd));
  const so = { intraOpNumThreads: Number(threads), interOpNumThreads: 1,
    executionMode: 'sequential' };
  if (process.env.ORT_OPT_LEVEL) so.graphOptimizationLevel = process.env.ORT_OPT_LEVEL;
  const sess = await ort.InferenceSession.create(model, so);
  const inName = sess.inputNames[0], outName = sess.outputNames[0];
  const B = Number(batch), R = Math.max(1, Number(repeats)), times = [];
  let correct = -1;
  const preds = new Int32Array(n);
  const margins = new Float64Array(n);
  const logitRows = Number(process.env.ORT_LOGITS_ROWS || 8), logits = [];
  for (let r = 0; r < R; r++) {
    let c = 0;
    const t0 = process.hrtime.bigint();
    for (let s = 0; s < n; s += B) {
      const m = Math.min(B, n - s);
      const t = new ort.Tensor('float32', x.subarray(s * ss, (s + m) * ss), [m].concat(sampleDims));
      const out = (await sess.run({ [inName]: t }))[outName];
      const k = out.dims[1];
      if (r === 0)
        for (let i = 0; i < m && s + i < logitRows; i++)
          logits.push(Array.from(out.data.subarray(i * k, (i + 1) * k), (v) => v.toPrecision(9)).join(' '));
      for (let i = 0; i < m; i++) {
        let best = 0;
        for (let j = 1; j < k; j++)
          if (out.data[i * k + j] > out.data[i * k + best]) best = j;
        preds[s + i] = best;
        let second = -Infinity;
        for (let j = 0; j < k; j++)
          if (j !== best && out.data[i * k + j] > second) second = out.data[i * k + j];
        margins[s + i] = out.data[i * k + best] - second;
        if (best === lab.data[s + i]) c++;
      }
    }
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
    if (correct >= 0 && c !== correct) throw new Error('passes disagree: ' + correct + ' vs ' + c + ' correct');
    correct = c;
  }
  const med = median(times);
  if (process.env.ORT_PREDICTIONS)
    fs.writeFileSync(process.env.ORT_PREDICTIONS, Array.from(preds).join('\n') + '\n');
  if (process.env.ORT_LOGITS)
    fs.writeFileSync(process.env.ORT_LOGITS, logits.join('\n') + '\n');
  if (process.env.ORT_MARGINS)
    fs.writeFileSync(process.env.ORT_MARGINS, Array.from(margins).join('\n') + '\n');
  console.log(JSON.stringify({ runtime: 'onnxruntime-node',
    version: ort.env && ort.env.versions ? ort.env.versions.common : '',
    threads: Number(threads), batch: B, repeats: R,
    optimization: process.env.ORT_OPT_LEVEL || 'default',
    samples: n, correct, accuracy: correct / n, seconds: med, images_per_second: n / med,
    times }));
}
main().catch((e) => { console.error('ort-eval: ' + e.message); process.exit(1); });
