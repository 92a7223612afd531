// Latent Explorer page script: turns plotly clicks and hovers on the latent maps into app events.
// - A click on a point writes {kind: "point", index} into the hidden #le-event textbox (its .change
//   runs the Python handler) and rings the same test image in every map at once, with no round trip.
// - A click on empty space of a 2-D map writes {kind: "space", model, x, y} ("what lives here?").
// - Hovering a point shows that test image, cut from a sprite sheet named in the figure's layout.meta.
(() => {
  const send = (payload) => {
    const box = document.querySelector("#le-event textarea, #le-event input");
    if (!box) return;
    box.value = JSON.stringify({ ...payload, t: Date.now() });
    box.dispatchEvent(new Event("input", { bubbles: true }));
  };

  const ringEverywhere = (index) => {
    document.querySelectorAll(".js-plotly-plot").forEach((gd) => {
      if (!gd.data || !gd.layout || !gd.layout.meta || !gd.layout.meta.model) return;
      const ring = gd.data.findIndex((t) => t.name === "selected");
      if (ring < 0 || !gd._fullData) return;
      for (const trace of gd._fullData) {  // _fullData: arrays decoded from plotly's binary form
        if (trace.name === "selected" || !trace.customdata) continue;
        const i = Array.prototype.indexOf.call(trace.customdata, index);
        if (i >= 0) {
          window.Plotly.restyle(gd, { x: [[trace.x[i]]], y: [[trace.y[i]]], customdata: [[index]] }, [ring]);
          return;
        }
      }
    });
  };

  let preview = null;
  const showPreview = (gd, event) => {
    const sprite = gd.layout.meta && gd.layout.meta.sprite;
    const point = event.points && event.points[0];
    if (!sprite || !point || point.customdata === undefined) return;
    if (!preview) {
      preview = document.createElement("div");
      preview.id = "le-preview";
      document.body.appendChild(preview);
    }
    const zoom = sprite.zoom, i = point.customdata;
    const col = i % sprite.columns, row = Math.floor(i / sprite.columns);
    Object.assign(preview.style, {
      width: `${sprite.w * zoom}px`, height: `${sprite.h * zoom}px`,
      backgroundImage: `url("${sprite.url}")`,
      backgroundSize: `${sprite.columns * sprite.w * zoom}px auto`,
      backgroundPosition: `-${col * sprite.w * zoom}px -${row * sprite.h * zoom}px`,
      left: `${event.event.clientX + 18}px`, top: `${event.event.clientY + 18}px`, display: "block",
    });
    preview.dataset.caption = sprite.caption;
  };

  const attach = (gd) => {
    if (gd.__leAttached || !gd.on) return;
    gd.__leAttached = true;
    gd.on("plotly_click", (event) => {
      const point = event.points && event.points[0];
      if (!point || point.customdata === undefined || point.data.name === "selected") return;
      gd.__lePointClick = Date.now();
      ringEverywhere(point.customdata);
      send({ kind: "point", index: point.customdata });
    });
    gd.on("plotly_hover", (event) => showPreview(gd, event));
    gd.on("plotly_unhover", () => preview && (preview.style.display = "none"));
    gd.addEventListener("click", (event) => {
      const meta = gd.layout && gd.layout.meta;
      if (!meta || !meta.clickable_space) return;
      const box = gd.querySelector(".nsewdrag");
      if (!box) return;
      const rect = box.getBoundingClientRect();
      const px = event.clientX - rect.left, py = event.clientY - rect.top;
      if (px < 0 || py < 0 || px > rect.width || py > rect.height) return;
      setTimeout(() => {
        if (Date.now() - (gd.__lePointClick || 0) < 400) return;  // that click hit a point
        const full = gd._fullLayout;
        send({ kind: "space", model: meta.model, x: full.xaxis.p2d(px), y: full.yaxis.p2d(py) });
      }, 60);
    });
  };

  // ---- Slider decoding in the page ------------------------------------------------------------------
  // The server puts a JSON spec in the hidden #le-decoder box (explorer/browser_decoder.py): weights URL,
  // start code, axes and steps per model. Each slider input event decodes here and paints a canvas over
  // the #le-live picture at once; the server's picture (trigger_mode="always_last") replaces the canvas
  // only when it shows the same image, so the final frame always matches the slider.
  const weights = {}, ready = {};  // url -> Promise<Float32Array>; url -> Float32Array once loaded
  const load = (url) => (weights[url] ||= fetch(url).then((r) => r.arrayBuffer())
    .then((b) => (ready[url] = new Float32Array(b))));
  let specText = null, spec = null, lastInput = 0, settleTimer = null;
  window.__leLocalFrames = 0;
  const readSpec = () => {
    const box = document.querySelector("#le-decoder textarea, #le-decoder input");
    const text = box ? box.value : "";
    if (text !== specText) {
      specText = text;
      try { spec = text ? JSON.parse(text) : null; } catch { spec = null; }
      if (spec) Object.values(spec).forEach((m) => load(m.url));
    }
    return spec;
  };
  const sliderValues = () => [...Array(8).keys()].map((i) => {
    const range = document.querySelector(`#le-axis-${i} input[type=range]`);
    return range ? parseFloat(range.value) || 0 : 0;
  });
  const decode = (m, w, offsets) => {  // sigmoid(W2 relu(W1 z + b1) + b2) as gray RGBA bytes
    const k = m.k, h = m.hidden, d = m.height * m.width;
    const z = Float32Array.from(m.base);
    m.axes.forEach((axis, i) => { z[axis] += Math.max(-m.range, Math.min(m.range, offsets[i] || 0)) * m.step[i]; });
    const hidden = new Float32Array(h), b1 = h * k, w2 = b1 + h, b2 = w2 + d * h;
    for (let j = 0; j < h; j++) {
      let s = w[b1 + j];
      for (let i = 0; i < k; i++) s += w[j * k + i] * z[i];
      hidden[j] = s > 0 ? s : 0;
    }
    const out = new Uint8ClampedArray(d * 4);
    for (let p = 0; p < d; p++) {
      let s = w[b2 + p];
      const row = w2 + p * h;
      for (let j = 0; j < h; j++) s += w[row + j] * hidden[j];
      const v = Math.round(255 / (1 + Math.exp(-s)));
      out[4 * p] = out[4 * p + 1] = out[4 * p + 2] = v;
      out[4 * p + 3] = 255;
    }
    return out;
  };
  const lastLocal = (window.__leLastLocal = {});  // kind -> {pixels, width, height}: newest frame decoded here
  const frameOf = (kind) => document.querySelector(`#le-live figure[data-kind=${kind}] .le-frame`);
  const showLocal = (kind) => {  // (re)lay the canvas with the newest local frame over the server's picture
    const frame = frameOf(kind), local = lastLocal[kind];
    if (!frame || !local) return;
    let canvas = frame.querySelector("canvas.le-local");
    if (!canvas) {
      canvas = document.createElement("canvas");
      canvas.className = "le-local";
      frame.appendChild(canvas);
    }
    canvas.width = local.width; canvas.height = local.height;
    canvas.getContext("2d").putImageData(new ImageData(local.pixels, local.width, local.height), 0, 0);
    canvas.__pixels = local.pixels;
  };
  const paintLocal = async () => {
    const current = readSpec();
    if (!current) return;
    const offsets = sliderValues();
    for (const [kind, m] of Object.entries(current)) {
      const w = ready[m.url] || await load(m.url);  // synchronous once the weights are here
      if (current !== spec) return;  // the model changed meanwhile
      lastLocal[kind] = { pixels: decode(m, w, offsets), width: m.width, height: m.height };
      showLocal(kind);
      window.__leLocalFrames += 1;
    }
  };
  const reconcile = (kind) => {  // drop the canvas once the server's picture matches it (or input stopped)
    const frame = frameOf(kind), local = lastLocal[kind];
    const img = frame && frame.querySelector("img");
    if (!img || !local) return;
    const check = () => {
      const canvas = frame.querySelector("canvas.le-local");
      if (performance.now() - lastInput > 1000) { if (canvas) canvas.remove(); return; }
      let worst = 255;
      if (img.naturalWidth === local.width && img.naturalHeight === local.height) {
        const probe = document.createElement("canvas");
        probe.width = local.width; probe.height = local.height;
        const context = probe.getContext("2d");
        context.drawImage(img, 0, 0);
        const theirs = context.getImageData(0, 0, local.width, local.height).data;
        worst = 0;
        for (let i = 0; i < theirs.length; i += 4) worst = Math.max(worst, Math.abs(theirs[i] - local.pixels[i]));
      }
      if (worst <= 2) { if (canvas) canvas.remove(); } else if (!canvas) showLocal(kind);
    };
    img.decode().then(check, check);
  };
  document.addEventListener("input", (event) => {
    if (!event.target.closest || !event.target.closest("[id^=le-axis-]")) return;
    lastInput = performance.now();
    paintLocal();
    clearTimeout(settleTimer);
    settleTimer = setTimeout(() => ["ae", "vae"].forEach(reconcile), 1200);
  }, true);

  const scan = () => document.querySelectorAll(".js-plotly-plot").forEach(attach);
  new MutationObserver((mutations) => {
    scan();
    if (mutations.some((m) => m.target.closest && m.target.closest("#le-live"))) ["ae", "vae"].forEach(reconcile);
  }).observe(document.documentElement, { childList: true, subtree: true });
  window.addEventListener("load", scan);
})();
