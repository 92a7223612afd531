// The traversal's live pictures (gr.HTML js_on_load). Protocol: explorer/page/tabs/traversal.py.
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
      { textContent: m.caption }));
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
      const run = window.leDecode.run;  // the slider rule as the server sent it, then the decoder
      const z = run([{ op: "linear", in: m.map.in, out: m.map.out }], m.__map ||= Float32Array.from(m.map.values),
                    offsets.slice(0, m.map.in));
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
  trigger("submit", { offsets, start: state.spec.start, drawn: state.spec.drawn });
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
root.leLive = { state };  // for tests
watch("value", update);
update();
