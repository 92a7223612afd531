// The traversal's live pictures (gr.HTML js_on_load). Protocol: explorer/tabs/traversal.py.
// - A spec (lineup and start) builds one figure per model and loads each decoder's weights once.
// - A slider's input event decodes every model here, at once, from the spec's ops (the layer list of
//   training/backbones.py) and paints it on a canvas over the server's picture.
// - A server frame is shown only if it belongs to the current spec; it replaces the page's canvas when
//   it carries the sliders' current offsets, so the last frame of a drag is always the server's, exact.
// state.timings (ms, for the benchmark): input event -> the page's frame painted ("local"); the page
// asking for the exact frame (at a drag's release) -> the server's frame painted ("server").
const state = { spec: null, weights: {}, frames: 0, last: {}, inputs: new Map(), asked: new Map(),
                timings: { local: [], server: [] } };
const afterPaint = (since, list) => requestAnimationFrame(() => list.push(performance.now() - since));
const root = element.appendChild(Object.assign(document.createElement("div"), { className: "le-live" }));
const weightsOf = (url) => (state.weights[url] ||= fetch(url).then((r) => r.arrayBuffer())
  .then((buffer) => new Float32Array(buffer)));

// ---- the decoder: a tiny interpreter of the exported ops, channels-last inside -------------------------
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
  if (layout === "hwc" && channels > 1) {  // back to (C, H, W)
    const chw = new Float32Array(h.length);
    for (let c = 0; c < channels; c++) for (let p = 0; p < height * width; p++) chw[c * height * width + p] = h[p * channels + c];
    h = chw;
  }
  return h;
};

const toRGBA = (m, values) => {
  const n = m.height * m.width, out = new Uint8ClampedArray(4 * n);
  for (let p = 0; p < n; p++) {
    for (let c = 0; c < 3; c++) out[4 * p + c] = Math.round(255 * values[(m.channels === 3 ? c * n : 0) + p]);
    out[4 * p + 3] = 255;
  }
  return out;
};

// ---- the pictures ---------------------------------------------------------------------------------------
const sliderValues = () => [...Array(state.spec ? state.spec.sliders : 0).keys()].map((i) => {
  const range = document.querySelector(`#le-axis-${i} input[type=range]`);
  return range ? parseFloat(range.value) || 0 : 0;
});
const figureOf = (name) => root.querySelector(`figure[data-model="${CSS.escape(name)}"]`);

const install = (spec) => {
  state.spec = spec; state.last = {};
  root.replaceChildren(...spec.models.map((m) => {
    const figure = document.createElement("figure");
    figure.dataset.model = m.name;
    figure.innerHTML = `<figcaption></figcaption><div class="le-frame" style="aspect-ratio: ${m.width} / ${m.height}">`
      + `<img alt=""><canvas hidden></canvas></div>`;
    figure.querySelector("figcaption").append(m.label, Object.assign(document.createElement("small"),
      { textContent: `sliders move ${m.axes_text}` }));
    figure.querySelector("img").alt = `${m.label}, decoded`;
    if (m.url) weightsOf(m.url);
    return figure;
  }));
};

const paintLocal = (since = performance.now()) => {
  const spec = state.spec;
  if (!spec) return;
  const offsets = sliderValues();
  state.inputs.set(offsets.join(","), since);
  if (state.inputs.size > 200) state.inputs.delete(state.inputs.keys().next().value);
  let painted = 0;
  spec.models.forEach((m) => {
    if (!m.url) return;
    weightsOf(m.url).then((w) => {
      if (state.spec !== spec) return;  // the lineup or start changed meanwhile: never paint a stale frame
      const z = Float32Array.from(m.base);
      m.axes.forEach((axis, i) => { z[axis] += Math.max(-spec.range, Math.min(spec.range, offsets[i] || 0)) * m.step[i]; });
      const pixels = toRGBA(m, run(m.ops, w, z));
      const canvas = figureOf(m.name).querySelector("canvas");
      canvas.width = m.width; canvas.height = m.height;
      canvas.getContext("2d").putImageData(new ImageData(pixels, m.width, m.height), 0, 0);
      canvas.hidden = false;
      state.last[m.name] = { pixels, offsets };
      state.frames += 1;
      if (++painted === spec.models.filter((n) => n.url).length) afterPaint(since, state.timings.local);
    });
  });
};

const same = (a, b) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) < 1e-6);
const showFrame = (frame) => {
  const current = sliderValues(), matches = same(frame.offsets.slice(0, current.length), current);
  const since = matches && (state.asked.get(current.join(",")) || state.inputs.get(current.join(",")));
  const shown = [];
  state.spec.models.forEach((m) => {
    const figure = figureOf(m.name), picture = frame.pictures[m.name];
    if (!figure || !picture) return;
    if (!matches && state.last[m.name]) return;  // the page's own frame is newer than this one
    const img = figure.querySelector("img");
    img.src = picture;
    shown.push(img.decode().catch(() => {}).then(() => { figure.querySelector("canvas").hidden = true; }));
  });
  if (since) Promise.all(shown).then(() => afterPaint(since, state.timings.server));
};

const update = () => {
  const value = props.value;
  if (!value) { state.spec = null; root.replaceChildren(); return; }  // emptied: another lineup's pictures go
  if (value.spec) install(value.spec);  // a new lineup or start, or the sliders reset: the page's frames are void
  if (value.frame && state.spec && value.frame.spec === state.spec.id) showFrame(value.frame);
};

// Ask the server for its exact frame: at once where the page cannot decode every model, else when the
// drag ends (pointer up) or the keys pause.
let settleTimer = null;
const askServer = () => {
  clearTimeout(settleTimer);
  settleTimer = null;  // asked: a later pointer-up (on the reset button, say) must not ask again for these values
  if (!state.spec) return;
  const offsets = sliderValues();
  state.asked.set(offsets.join(","), performance.now());
  if (state.asked.size > 200) state.asked.delete(state.asked.keys().next().value);
  trigger("submit", { offsets, start: state.spec.start });
};
const onInput = (event) => {
  paintLocal(event.timeStamp);
  if (!state.spec || state.spec.models.some((m) => !m.url)) { askServer(); return; }
  clearTimeout(settleTimer);
  settleTimer = setTimeout(askServer, 150);
};
const onRelease = () => { if (settleTimer) askServer(); };
if (!window.__leLiveListening) {  // one listener for the page, whichever component instance is current
  window.__leLiveListening = true;
  const onSlider = (handler) => (event) => {
    if (event.target.closest && event.target.closest("[id^=le-axis-]")) window.__leLive[handler](event);
  };
  document.addEventListener("input", onSlider("onInput"), true);
  document.addEventListener("pointerup", onSlider("onRelease"), true);
  document.addEventListener("keyup", onSlider("onRelease"), true);
  document.addEventListener("click", (event) => {  // a slider's own reset (↺) changes it without an input event,
    const button = event.target.closest && event.target.closest("[id^=le-axis-] .reset-button");  // a moment later
    if (!button) return;
    const range = button.closest("[id^=le-axis-]").querySelector("input[type=range]"), before = range.value;
    const started = performance.now();
    const settled = () => {
      if (range.value === before && performance.now() - started < 5000) { setTimeout(settled, 25); return; }
      window.__leLive.onInput({ timeStamp: started }); window.__leLive.onRelease();
    };
    setTimeout(settled, 25);
  }, true);
}
window.__leLive = { onInput, onRelease };
root.leLive = { state, run };  // for tests
watch("value", update);
update();
