// The lineup's latent maps (gr.HTML js_on_load; spec from explorer/tabs/latent_map.py and the trace
// templates of explorer/plots.py). One long-lived plot per model slot: Plotly.react reuses its WebGL
// context, and a new spec that only moves the marks restyles three overlay traces, nothing else.
// Points come as binary files (float32 x, y; int32 labels) fetched once per URL.
// Events to Python: trigger("select", {index}) for a point, trigger("click", {model, x, y}) for empty
// space (x, y null where the map is not a 2-D latent space).
// Layers (explorer/map_layers.py) come with every spec, each visible or not: density images as plotly
// layout images under the points, the prior's rings and the sampling grid's crosses drawn here on a
// canvas above the plot (neither makes plotly redraw the WebGL points). The layer switches call
// leMaps.showLayers(names), which shows and hides them at once (state.layers, once set, wins over the
// visibility a spec carries, so a spec answering an older request cannot undo a newer switch).
const state = { slots: [], spec: null, selected: null, rendered: null, layers: null };
const points = new Map();  // url -> Promise<{xy, labels, n}>
const legend = element.appendChild(Object.assign(document.createElement("div"), { className: "le-legend" }));
const grid = element.appendChild(Object.assign(document.createElement("div"), { className: "le-maps" }));
const placeholder = grid.appendChild(Object.assign(document.createElement("div"),  // never a blank wait
  { className: "le-placeholder", textContent: "Drawing the latent maps…" }));
const summary = element.appendChild(Object.assign(document.createElement("p"),  // the maps in words, for a
  { className: "le-maps-summary", id: "le-maps-summary" }));  // screen reader
Object.assign(grid, { role: "group", ariaLabel: "Latent maps" });
grid.setAttribute("aria-describedby", summary.id);

const drawLegend = (map) => {  // one legend for the whole row (every map colours classes alike)
  legend.replaceChildren(...(map.legend || []).map(([name, colour]) => {
    const item = document.createElement("span");
    item.append(Object.assign(document.createElement("i"), { style: `background:${colour}` }), name);
    return item;
  }));
};

const load = (url, n) => {
  if (!points.has(url)) {
    points.set(url, fetch(url).then((r) => r.arrayBuffer()).then((buffer) => ({
      n, xy: new Float32Array(buffer, 0, 2 * n), labels: new Int32Array(buffer, 8 * n, n),
    })));
  }
  return points.get(url);
};

const fill = (template, data, map) => {  // a trace template -> a plotly trace
  const { le, ...trace } = template;
  if (le.overlay) return { ...trace, x: [], y: [] };
  const keep = [];
  for (let i = 0; i < data.n; i++) if (le.points === "all" || data.labels[i] === le.points) keep.push(i);
  const x = new Float32Array(keep.length), y = new Float32Array(keep.length);
  keep.forEach((i, j) => { x[j] = data.xy[2 * i]; y[j] = data.xy[2 * i + 1]; });
  trace.x = x; trace.y = y; trace.customdata = keep;
  if (le.points === "all") {
    const colour = map.palette ? (i) => map.palette[data.labels[i]] : (i) => data.labels[i];
    trace.marker = { ...trace.marker, color: keep.map(colour) };
    trace.text = keep.map((i) => (map.class_names ? map.class_names[data.labels[i]] : String(data.labels[i])));
  }
  return trace;
};

const shown = (name, layer) => (state.layers ? state.layers.has(name) : Boolean(layer && layer.visible));
const images = (map) => (map.images || []).map((image) => ({ ...image, visible: shown(image.le, image) }));

const drawLines = (slot) => {  // the prior's rings and the sampling grid's crosses, above the points
  const canvas = slot.overlay, lines = (slot.map && slot.map.lines) || {}, plotly = window.lePlotly;
  if (!plotly.drawn(slot.div)) return;
  const area = plotly.plotArea(slot.div), ratio = window.devicePixelRatio || 1;
  Object.assign(canvas.style, { left: `${area.left}px`, top: `${area.top}px`, width: `${area.width}px`,
                                height: `${area.height}px` });
  canvas.width = Math.round(area.width * ratio); canvas.height = Math.round(area.height * ratio);
  const g = canvas.getContext("2d");
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, area.width, area.height);
  const X = (v) => plotly.toPixels(slot.div, v, 0)[0], Y = (v) => plotly.toPixels(slot.div, 0, v)[1];
  if (lines.samples && shown("samples", lines.samples)) {  // the sampling grid's codes: small dark crosses
    g.strokeStyle = "#333"; g.lineWidth = 1.5; g.setLineDash([]); g.beginPath();
    lines.samples.x.forEach((x, i) => {
      const px = X(x), py = Y(lines.samples.y[i]);
      g.moveTo(px - 4, py - 4); g.lineTo(px + 4, py + 4); g.moveTo(px - 4, py + 4); g.lineTo(px + 4, py - 4);
    });
    g.stroke();
  }
  if (lines.prior && shown("prior", lines.prior)) {  // the rings above everything: white halo, black dashes
    const path = () => {
      g.beginPath();
      let moving = true;
      lines.prior.x.forEach((x, i) => {
        const y = lines.prior.y[i];
        if (x === null || y === null) { moving = true; return; }
        if (moving) g.moveTo(X(x), Y(y)); else g.lineTo(X(x), Y(y));
        moving = false;
      });
    };
    g.setLineDash([]); g.strokeStyle = "rgba(255,255,255,0.95)"; g.lineWidth = 7; path(); g.stroke();
    g.setLineDash([10, 6]); g.strokeStyle = "#000"; g.lineWidth = 3.5; path(); g.stroke();
  }
};

const showLayers = (slot) => {  // each layer shown or hidden as state.layers says
  if (!slot.map || !window.lePlotly.drawn(slot.div)) return;
  const update = {};
  (slot.div.layout.images || []).forEach((image, i) => {
    if (Boolean(image.visible) !== shown(image.le, image)) update[`images[${i}].visible`] = shown(image.le, image);
  });
  if (Object.keys(update).length) window.Plotly.relayout(slot.div, update);
  drawLines(slot);
};

const position = (slot, index) => {
  if (index === null || index === undefined || !slot.data || index < 0 || index >= slot.data.n) return [[], []];
  return [[slot.data.xy[2 * index]], [slot.data.xy[2 * index + 1]]];
};

const placeMarks = (slot) => {  // the ring, the star and the clicked spot, drawn above the points
  const spec = state.spec, map = slot.map;
  if (!slot.div.data || !spec) return;
  const overlays = map.traces.map((t, i) => [t.le.overlay, i]).filter(([o]) => o);
  const xs = [], ys = [], indices = [];
  for (const [name, i] of overlays) {
    let x = [], y = [];
    if (name === "selected") [x, y] = position(slot, state.selected);
    if (name === "yours" && spec.yours && spec.yours[map.name]) [x, y] = spec.yours[map.name].map((v) => [v]);
    if (name === "spot" && spec.spot && spec.spot.model === map.name) [x, y] = [[spec.spot.x], [spec.spot.y]];
    if (name === "posterior" && spec.posterior && spec.posterior[map.name] && state.selected === spec.selected) {
      [x, y] = spec.posterior[map.name];  // the selected image's q(z|x); hidden until a new selection's arrives
    }
    xs.push(x); ys.push(y); indices.push(i);
  }
  window.Plotly.restyle(slot.div, { x: xs, y: ys }, indices);
};

let preview = null;
const showPreview = (event) => {
  const sprite = state.spec && state.spec.sprite, point = event.points && event.points[0];
  if (!sprite || !point || typeof point.customdata !== "number") return;
  preview ||= document.body.appendChild(Object.assign(document.createElement("div"), { id: "le-preview" }));
  const zoom = sprite.zoom, i = point.customdata, col = i % sprite.columns, row = Math.floor(i / sprite.columns);
  Object.assign(preview.style, {
    width: `${sprite.w * zoom}px`, height: `${sprite.h * zoom}px`, backgroundImage: `url("${sprite.url}")`,
    backgroundSize: `${sprite.columns * sprite.w * zoom}px auto`,
    backgroundPosition: `-${col * sprite.w * zoom}px -${row * sprite.h * zoom}px`,
    left: `${event.event.clientX + 18}px`, top: `${event.event.clientY + 18}px`, display: "block",
  });
};

// A plot drawn while its tab was hidden is laid out at plotly's default width; whenever the box is
// shown or changes size, and after every draw, lay it out again if its width is not the box's.
const fitBox = (div) => {
  if (!div.offsetWidth || !div.data || !window.lePlotly.drawn(div)) return;
  const size = window.lePlotly.size(div);
  if (Math.abs(size.width - div.clientWidth) > 1 || Math.abs(size.height - div.clientHeight) > 1) {
    window.Plotly.Plots.resize(div).catch(() => {});
  }
};

const newSlot = () => {
  const cell = grid.appendChild(Object.assign(document.createElement("div"), { className: "le-map" }));
  const div = cell.appendChild(Object.assign(document.createElement("div"), { className: "le-plot-area" }));
  const overlay = cell.appendChild(Object.assign(document.createElement("canvas"), { className: "le-overlay" }));
  const slot = { cell, div, overlay, map: null, data: null, drawn: null };
  let pointClick = 0;
  div.addEventListener("click", (event) => {  // empty space: no plotly_click just before this
    const box = div.querySelector(".nsewdrag");
    if (!box || !slot.map) return;
    const rect = box.getBoundingClientRect(), px = event.clientX - rect.left, py = event.clientY - rect.top;
    if (px < 0 || py < 0 || px > rect.width || py > rect.height) return;
    setTimeout(() => {
      if (Date.now() - pointClick < 400) return;
      const name = slot.map.name;
      if (!slot.map.clickable) { trigger("click", { model: name, x: null, y: null }); return; }
      const [x, y] = window.lePlotly.toData(div, px, py);
      state.spec.spot = { model: name, x, y };
      state.slots.forEach(placeMarks);
      trigger("click", { model: name, x, y });
    }, 60);
  });
  slot.attach = () => {
    if (slot.attached) return;
    slot.attached = true;
    div.on("plotly_click", (event) => {
      const point = event.points && event.points[0];
      if (!point || typeof point.customdata !== "number") return;
      pointClick = Date.now();
      state.selected = point.customdata;
      state.slots.forEach(placeMarks);  // ringed everywhere at once, before the server answers
      trigger("select", { index: point.customdata });
    });
    div.on("plotly_hover", showPreview);
    div.on("plotly_afterplot", () => drawLines(slot));  // after a zoom, a resize, any redraw
    div.on("plotly_unhover", () => preview && (preview.style.display = "none"));
  };
  new ResizeObserver(() => fitBox(div)).observe(div);
  return slot;
};

// Renders run one at a time, each on the newest spec (two Plotly.react on one div at once can throw).
let queue = Promise.resolve();
const render = () => {
  queue = queue.then(renderNewest).catch((error) => console.error("latent maps:", error));
  return queue;
};
const clear = () => {  // an emptied value: no maps (they showed another lineup)
  while (state.slots.length) { const slot = state.slots.pop(); window.Plotly.purge(slot.div); slot.cell.remove(); }
  legend.replaceChildren();
  state.spec = null; state.rendered = null;
  delete grid.dataset.drawn;
};
const renderNewest = async () => {
  const spec = props.value;
  if (!spec && window.Plotly && state.rendered) { clear(); return; }
  if (!spec || !spec.maps || !window.Plotly || spec === state.rendered) return;
  state.rendered = spec;
  const data = await Promise.all(spec.maps.map((m) => load(m.data, m.n)));
  if (props.value !== spec) return;  // a newer spec came meanwhile: the next queued render draws it
  const sameMaps = state.spec && state.spec.key === spec.key;
  state.spec = { ...spec, spot: spec.spot || (sameMaps ? state.spec.spot : null) };  // a clicked spot stays marked
  state.selected = spec.selected;
  while (state.slots.length > spec.maps.length) {
    const slot = state.slots.pop();
    window.Plotly.purge(slot.div);
    slot.cell.remove();
  }
  placeholder.remove();
  summary.textContent = spec.summary || "";
  while (state.slots.length < spec.maps.length) state.slots.push(newSlot());
  grid.style.gridTemplateColumns = `repeat(${spec.maps.length}, minmax(0, 1fr))`;
  drawLegend(spec.maps[0]);
  await Promise.all(spec.maps.map(async (map, i) => {
    const slot = state.slots[i];
    slot.map = map; slot.data = data[i];
    const key = JSON.stringify([map.data, map.layout, map.traces, (map.images || []).map(({ visible, ...im }) => im)]);
    if (slot.drawn !== key) {
      await window.Plotly.react(slot.div, map.traces.map((t) => fill(t, data[i], map)),
                                { ...map.layout, autosize: true, images: images(map) },
                                { displaylogo: false, displayModeBar: false, responsive: false });
      slot.drawn = key;
      slot.attach();
    }
    showLayers(slot);
    placeMarks(slot);
    requestAnimationFrame(() => fitBox(slot.div));
  }));
  if (props.value !== spec) return;
  requestAnimationFrame(() => {  // tests and the benchmarks wait on these
    grid.dataset.drawn = spec.key;
    grid.dataset.renders = Number(grid.dataset.renders || 0) + 1;
  });
};

// For tests and the page's own tools: where a test image is on screen, and which marks are drawn.
grid.leMaps = {
  pointOnScreen(model, index) {
    const slot = state.slots.find((s) => s.map && s.map.name === model);
    if (!slot) return null;
    const [[x], [y]] = position(slot, index), box = slot.div.querySelector(".nsewdrag").getBoundingClientRect();
    const [px, py] = window.lePlotly.toPixels(slot.div, x, y);
    return [box.left + px, box.top + py];
  },
  marks() {
    return state.slots.map((s) => Object.fromEntries(s.div.data.filter((t) => ["selected", "your image", "clicked spot",
      "posterior"].includes(t.name)).map((t) => [t.name, Array.from(t.x || [])])));
  },
  layers() {  // the layers shown on each map, by the names of explorer/core/state.py: images (as plotly has
    return state.slots.map((s) => [  // them), then lines
      ...(s.div.layout.images || []).filter((im) => im.visible).map((im) => im.le),
      ...Object.entries((s.map && s.map.lines) || {}).filter(([name, line]) => shown(name, line)).map(([name]) => name),
    ]);
  },
  showLayers(names) {
    state.layers = new Set(names || []);
    state.slots.forEach(showLayers);
  },
  samplesOf(model) { const s = state.slots.find((t) => t.map && t.map.name === model);
    return s && s.map.lines && s.map.lines.samples ? Array.from(s.map.lines.samples.x) : []; },
  models() { return state.slots.map((s) => s.map && s.map.name); },
  pointsOf(model) { const s = state.slots.find((t) => t.map && t.map.name === model); return s ? Array.from(s.data.xy) : []; },
  spot() { return state.spec && state.spec.spot; },
  pointCounts() { return state.slots.map((s) => (s.data ? s.data.n : 0)); },
};
watch("value", render);
render();
