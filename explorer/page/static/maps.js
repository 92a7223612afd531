// The lineup's latent maps (gr.HTML js_on_load, after map_canvas.js; spec from explorer/page/tabs/latent_map.py and
// the templates of explorer/views/plots.py). One MapCanvas per model slot, kept from one spec to the next: a spec
// that only moves the marks or switches a layer redraws the marks alone, never the points.
// Points come as binary files (float32 x, y; int32 labels) fetched once per URL.
// Events to Python: trigger("select", {index}) for a point, trigger("click", {model, x, y}) for empty
// space (x, y null where the map is not a 2-D latent space).
// Layers (explorer/views/map_layers.py) come with every spec, each visible or not. The layer switches call
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
    const swatch = item.appendChild(document.createElement("i"));
    swatch.style.background = colour;
    item.append(name);
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

const shown = (name, layer) => (state.layers ? state.layers.has(name) : Boolean(layer && layer.visible));

const content = (map, data) => {  // what a MapCanvas draws: the points in their order, coloured by label
  const style = map.points, labels = data.labels, order = Array.from({ length: data.n }, (_, i) => i);
  let colour;
  if (style.colours) {
    colour = (i) => style.colours[labels[i]] || "#777";
    if (map.legend && map.legend.length) order.sort((i, j) => labels[i] - labels[j] || i - j);  // class by class
  } else {
    const s = style.scale, n = s.colours.length, span = s.max - s.min || 1;
    colour = (i) => s.colours[Math.max(0, Math.min(n - 1, Math.round(((labels[i] - s.min) / span) * (n - 1))))];
  }
  return { data, style, colour, order, images: map.images, lines: map.lines, axes: map.axes, scale: style.scale };
};

const position = (slot, index) => {
  if (index === null || index === undefined || !slot.data || index < 0 || index >= slot.data.n) return null;
  return [slot.data.xy[2 * index], slot.data.xy[2 * index + 1]];
};

const marksOf = (slot) => {  // the ring, the star, the posterior and the clicked spot of this map, in its units
  const spec = state.spec, name = slot.map.name;
  return {
    selected: position(slot, state.selected),
    yours: (spec.yours && spec.yours[name]) || null,
    spot: spec.spot && spec.spot.model === name ? [spec.spot.x, spec.spot.y] : null,
    spotPicture: spec.spot && spec.spot.model === name ? spec.spot.picture || null : null,
    // the selected image's q(z|x); hidden until a new selection's arrives
    posterior: spec.posterior && spec.posterior[name] && state.selected === spec.selected ? spec.posterior[name] : null,
  };
};
const placeMarks = (slot) => { if (slot.map && state.spec) { slot.marks = marksOf(slot); slot.view.marks(slot.marks); } };

let preview = null;
const showPreview = (slot, index, event) => {  // the test image under the pointer, with its label and number
  const sprite = state.spec && state.spec.sprite;
  if (index === null || !sprite || !slot.data) { if (preview) preview.style.display = "none"; return; }
  if (!preview) {
    preview = document.body.appendChild(Object.assign(document.createElement("div"), { id: "le-preview" }));
    preview.append(document.createElement("div"), document.createElement("span"));
  }
  const [picture, caption] = preview.children, map = slot.map, zoom = sprite.zoom;
  const col = index % sprite.columns, row = Math.floor(index / sprite.columns), label = slot.data.labels[index];
  Object.assign(picture.style, {
    width: `${sprite.w * zoom}px`, height: `${sprite.h * zoom}px`, backgroundImage: `url("${sprite.url}")`,
    backgroundSize: `${sprite.columns * sprite.w * zoom}px auto`,
    backgroundPosition: `-${col * sprite.w * zoom}px -${row * sprite.h * zoom}px`,
  });
  const name = String(map.class_names ? map.class_names[label] : label);  // "digit 7", "person 3" (not "person person 3")
  caption.textContent = `${name.startsWith(map.label_name) ? name : `${map.label_name} ${name}`} · #${index}`;
  preview.style.display = "block";  // beside the pointer, on the side with room for it (never cut by the window)
  const w = preview.offsetWidth, h = preview.offsetHeight;
  const left = event.clientX + 18 + w <= window.innerWidth ? event.clientX + 18 : Math.max(0, event.clientX - 18 - w);
  const top = event.clientY + 18 + h <= window.innerHeight ? event.clientY + 18 : Math.max(0, event.clientY - 18 - h);
  Object.assign(preview.style, { left: `${left}px`, top: `${top}px` });
};

// What a clicked spot decodes to, drawn beside its cross too: "What lives here?" may be below the screen (at
// 1280x720 it is). The picture is the one the server made for this spot: its text for a screen reader names the
// spot's code ("What AE decodes at the code (0.53, -1.20)"); a newer click, or 20 s without it, stops the wait.
const showDecoded = (spot) => {
  const started = performance.now();
  const look = () => {
    if (state.spec.spot !== spot || performance.now() - started > 20_000) return;
    const img = document.querySelector("#le-here img"), at = img && /at the code \((-?[\d.]+), (-?[\d.]+)\)/.exec(img.alt);
    if (!at || Math.abs(at[1] - spot.x) > 0.006 || Math.abs(at[2] - spot.y) > 0.006) { requestAnimationFrame(look); return; }
    spot.picture = Object.assign(new Image(), { src: img.src, onload: () => state.slots.forEach(placeMarks) });
  };
  requestAnimationFrame(look);
};

const newSlot = () => {
  const cell = grid.appendChild(Object.assign(document.createElement("div"), { className: "le-map" }));
  const heading = cell.appendChild(Object.assign(document.createElement("div"), { className: "le-map-title" }));
  const name = heading.appendChild(document.createElement("b")), detail = heading.appendChild(document.createElement("span"));
  const subtitle = cell.appendChild(Object.assign(document.createElement("div"), { className: "le-map-subtitle" }));
  const box = cell.appendChild(Object.assign(document.createElement("div"), { className: "le-plot-area" }));
  const slot = { cell, box, name, detail, subtitle, map: null, data: null, drawn: null, marks: {} };
  slot.view = MapCanvas(box, {
    hover: (index, event) => showPreview(slot, index, event),
    point: (index) => {
      state.selected = index;
      state.slots.forEach(placeMarks);  // ringed everywhere at once, before the server answers
      trigger("select", { index });
    },
    space: (x, y) => {
      const model = slot.map.name;
      if (!slot.map.clickable) { trigger("click", { model, x: null, y: null }); return; }
      state.spec.spot = { model, x, y };
      state.slots.forEach(placeMarks);
      trigger("click", { model, x, y });
      showDecoded(state.spec.spot);
    },
  });
  slot.view.layers(shown);
  return slot;
};

const showTitle = (slot, title) => {  // plain text: a name from a checkpoint is shown as the characters it is
  slot.name.textContent = title.text;
  slot.detail.textContent = `  ${title.detail}`;
  slot.subtitle.textContent = title.subtitle || "";
  slot.subtitle.hidden = !title.subtitle;
  slot.view.canvas.setAttribute("role", "application");  // it takes the arrow keys itself
  slot.view.canvas.setAttribute("aria-roledescription", "latent map");
  slot.view.canvas.setAttribute("aria-label", `${title.text} ${title.detail}${title.subtitle ? `, ${title.subtitle}` : ""}`
    + ". Arrow keys move a cursor, Enter selects the image there (or decodes the spot), + and − zoom, 0 shows all.");
};

// Renders run one at a time, each on the newest spec (its points are fetched first).
let queue = Promise.resolve();
const render = () => {
  queue = queue.then(renderNewest).catch((error) => console.error("latent maps:", error));
  return queue;
};
const dropSlot = () => { const slot = state.slots.pop(); slot.view.destroy(); slot.cell.remove(); };
const clear = () => {  // an emptied value: no maps (they showed another lineup)
  while (state.slots.length) dropSlot();
  legend.replaceChildren();
  state.spec = null; state.rendered = null;
  delete grid.dataset.drawn;
};
const renderNewest = async () => {
  const spec = props.value;
  if (!spec && state.rendered) { clear(); return; }
  if (!spec || !spec.maps || spec === state.rendered) return;
  state.rendered = spec;
  const data = await Promise.all(spec.maps.map((m) => load(m.data, m.n)));
  if (props.value !== spec) return;  // a newer spec came meanwhile: the next queued render draws it
  const sameMaps = state.spec && state.spec.key === spec.key;
  state.spec = { ...spec, spot: spec.spot || (sameMaps ? state.spec.spot : null) };  // a clicked spot stays marked
  state.selected = spec.selected;
  while (state.slots.length > spec.maps.length) dropSlot();
  placeholder.remove();
  summary.textContent = spec.summary || "";
  while (state.slots.length < spec.maps.length) state.slots.push(newSlot());
  grid.style.gridTemplateColumns = `repeat(${spec.maps.length}, minmax(0, 1fr))`;
  drawLegend(spec.maps[0]);
  spec.maps.forEach((map, i) => {
    const slot = state.slots[i];
    slot.map = map; slot.data = data[i];
    showTitle(slot, map.title);
    // The points are drawn again only when they or their style change; new lines (the sampling grid's codes) go to
    // the marks' canvas alone.
    const key = JSON.stringify([map.data, map.points, map.axes, (map.images || []).map(({ visible, ...im }) => im)]);
    if (slot.drawn !== key) { slot.view.show(content(map, data[i])); slot.drawn = key; }
    else slot.view.lines(map.lines);
    slot.view.layers(shown);
    placeMarks(slot);
  });
  requestAnimationFrame(() => {  // tests and the benchmarks wait on these
    if (props.value !== spec) return;
    grid.dataset.drawn = spec.key;
    grid.dataset.renders = Number(grid.dataset.renders || 0) + 1;
  });
};

// For tests and the page's own tools: where a test image is on screen, and which marks are drawn.
const slotOf = (model) => state.slots.find((s) => s.map && s.map.name === model);
grid.leMaps = {
  pointOnScreen(model, index) {
    const slot = slotOf(model), at = slot && position(slot, index);
    if (!at || !slot.view.drawn()) return null;
    const box = slot.view.canvas.getBoundingClientRect(), area = slot.view.area(), [px, py] = slot.view.toPixels(...at);
    return [box.left + area.left + px, box.top + area.top + py];
  },
  areaOnScreen(model) {  // the axes' box of a map, in the window's pixels
    const slot = slotOf(model);
    if (!slot || !slot.view.drawn()) return null;
    const box = slot.view.canvas.getBoundingClientRect(), area = slot.view.area();
    return { left: box.left + area.left, top: box.top + area.top, width: area.width, height: area.height };
  },
  toData(model, clientX, clientY) {  // a point of the window -> the map's units
    const slot = slotOf(model), box = slot.view.canvas.getBoundingClientRect(), area = slot.view.area();
    return slot.view.toData(clientX - box.left - area.left, clientY - box.top - area.top);
  },
  view(model) { const slot = slotOf(model); return slot ? slot.view.view() : null; },
  zoomed() { return state.slots.map((s) => s.view.zoomed()); },
  clicksWaiting() { return state.slots.some((s) => s.view.clickWaiting()); },
  marks() {  // per map: the x of each mark drawn ([] when not drawn)
    return state.slots.map((s) => {
      const m = s.marks || {}, one = (at) => (at ? [at[0]] : []);
      return { selected: one(m.selected), "your image": one(m.yours), "clicked spot": one(m.spot),
               posterior: m.posterior ? Array.from(m.posterior[0]) : [],
               "spot picture": m.spotPicture && m.spotPicture.complete ? m.spotPicture.src : null };
    });
  },
  layers() {  // the layers drawn on each map, by the names of explorer/core/state.py: pictures, then lines
    return state.slots.map((s) => s.view.drawnLayers());
  },
  showLayers(names) {
    state.layers = new Set(names || []);
    state.slots.forEach((s) => s.view.layers(shown));
  },
  samplesOf(model) { const s = slotOf(model);
    return s && s.map.lines && s.map.lines.samples ? Array.from(s.map.lines.samples.x) : []; },
  models() { return state.slots.map((s) => s.map && s.map.name); },
  pointsOf(model) { const s = slotOf(model); return s ? Array.from(s.data.xy) : []; },
  spot() { return state.spec && state.spec.spot; },
  pointCounts() { return state.slots.map((s) => (s.data ? s.data.n : 0)); },
};
let presenting = document.body.classList.contains("le-presenter");
new MutationObserver(() => {  // presenter mode: larger text on the maps too
  if (document.body.classList.contains("le-presenter") === presenting) return;
  presenting = !presenting;
  state.slots.forEach((s) => s.view.redraw());
}).observe(document.body, { attributes: true, attributeFilter: ["class"] });
watch("value", render);
render();
