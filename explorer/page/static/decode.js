// window.leDecode.run(ops, weights, input): the page's one interpreter of the ops a model exports
// (training/backbones.py: linear, relu, conv_transpose2d, sigmoid, clamp01), channels-last inside. The traversal
// runs the slider rule through it too (a linear op from slider values to the code: explorer/core/entries.py), and
// tests/test_browser_decode.py runs every zoo decoder through it against the server's pixels.
const run = (ops, w, z) => {
  let h = Float32Array.from(z), offset = 0, layout = "flat", channels = 0, height = 0, width = 0;
  const take = (n) => w.subarray(offset, (offset += n));
  for (const op of ops) {
    if (op.op === "linear") {
      const W = take(op.out * op.in), b = take(op.out), out = new Float32Array(op.out);
      for (let o = 0; o < op.out; o++) {
        let s = b[o];
        for (let i = 0, row = o * op.in; i < op.in; i++) s += W[row + i] * h[i];
        out[o] = s;
      }
      h = out; layout = "flat";
    } else if (op.op === "relu") {
      for (let i = 0; i < h.length; i++) if (h[i] < 0) h[i] = 0;
    } else if (op.op === "sigmoid") {
      for (let i = 0; i < h.length; i++) h[i] = 1 / (1 + Math.exp(-h[i]));
    } else if (op.op === "clamp01") {
      for (let i = 0; i < h.length; i++) h[i] = Math.min(1, Math.max(0, h[i]));
    } else if (op.op === "conv_transpose2d") {
      const cin = op.in, cout = op.out, K = op.kernel, S = op.stride, P = op.padding, H = op.height, Wd = op.width;
      if (layout === "flat") {  // (C, H, W) from a linear layer -> (H, W, C)
        const hwc = new Float32Array(h.length);
        for (let c = 0; c < cin; c++) for (let p = 0; p < H * Wd; p++) hwc[p * cin + c] = h[c * H * Wd + p];
        h = hwc;
      }
      const kernel = op.__kernel ||= (() => {  // (cin, cout, K, K) -> (cin, K, K, cout), once
        const raw = w.subarray(offset, offset + cin * cout * K * K), t = new Float32Array(raw.length);
        for (let ci = 0; ci < cin; ci++) for (let co = 0; co < cout; co++) for (let k = 0; k < K * K; k++)
          t[(ci * K * K + k) * cout + co] = raw[(ci * cout + co) * K * K + k];
        return t;
      })();
      offset += cin * cout * K * K;
      const bias = take(cout), Ho = (H - 1) * S - 2 * P + K, Wo = (Wd - 1) * S - 2 * P + K;
      const out = new Float32Array(Ho * Wo * cout);
      for (let p = 0; p < Ho * Wo; p++) out.set(bias, p * cout);
      for (let y = 0; y < H; y++) for (let x = 0; x < Wd; x++) for (let ci = 0; ci < cin; ci++) {
        const v = h[(y * Wd + x) * cin + ci];
        if (v === 0) continue;
        for (let ky = 0; ky < K; ky++) {
          const oy = y * S - P + ky;
          if (oy < 0 || oy >= Ho) continue;
          for (let kx = 0; kx < K; kx++) {
            const ox = x * S - P + kx;
            if (ox < 0 || ox >= Wo) continue;
            const o = (oy * Wo + ox) * cout, k = ((ci * K + ky) * K + kx) * cout;
            for (let co = 0; co < cout; co++) out[o + co] += v * kernel[k + co];
          }
        }
      }
      h = out; layout = "hwc"; channels = cout; height = Ho; width = Wo;
    } else {
      throw new Error(`unknown op ${op.op}`);
    }
  }
  if (offset !== w.length) throw new Error(`the weights hold ${w.length} numbers, the ops use ${offset}`);
  if (layout === "hwc" && channels > 1) {  // back to (C, H, W)
    const chw = new Float32Array(h.length);
    for (let c = 0; c < channels; c++) for (let p = 0; p < height * width; p++) chw[c * height * width + p] = h[p * channels + c];
    h = chw;
  }
  return h;
};
window.leDecode = { run };
