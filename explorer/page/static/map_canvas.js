// MapCanvas(box, on): one latent map drawn on two canvases of its own, without plotly (plotly.js takes ~0.6 s to
// start and a WebGL context per map, the most of a page load on a two-core machine without a GPU; 10,000 dots on a
// 2-D canvas take ~16 ms). The lower canvas holds the axes, the points and the layers' hatching; the upper one the
// prior's rings, the sampling grid's crosses, the marks (selected ring, your star, the posterior, a clicked spot
// and what it decodes to) and the keyboard's cursor, so moving a mark never redraws a point. One unit is as long
// on both axes (circles look round). Drag a box to zoom in; double-click, or the "all points" button shown while
// zoomed, to see every point again. Hover a dot: on.hover(index, event) (null when the pointer leaves dots); click
// a dot: on.point(index); click elsewhere in the axes: on.space(x, y) in data units. Text is drawn as text
// (fillText, textContent): nothing from a file is ever parsed as HTML.
const MapCanvas = (box, on) => {
  // The text's size is the box's CSS font size (16 px; larger in presenter mode): margins grow with it.
  let fs = 16;
  const font = () => `${fs}px "DejaVu Sans", system-ui, sans-serif`;
  const base = box.appendChild(Object.assign(document.createElement("canvas"), { className: "le-map-base" }));
  const top = box.appendChild(Object.assign(document.createElement("canvas"), { className: "le-map-top" }));
  const zoomBox = box.appendChild(Object.assign(document.createElement("div"), { className: "le-map-zoom" }));
  const allButton = box.appendChild(Object.assign(document.createElement("button"),
    { className: "le-map-all", type: "button", textContent: "⤢ all points", hidden: true }));
  const st = { content: null, marks: {}, shown: () => false, view: null, area: null, t: null, hits: null };
  const images = new Map();  // source -> HTMLImageElement (layers' pictures, decoded once)

  const nice = (span, count) => {  // a tick step of 1, 2 or 5 times a power of ten, about `count` per span
    const raw = span / Math.max(1, count), power = 10 ** Math.floor(Math.log10(raw)), m = raw / power;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * power;
  };
  const smaller = (step) => {  // the next nice step down: 10 -> 5 -> 2 -> 1
    const power = 10 ** Math.floor(Math.log10(step) + 1e-9), m = Math.round(step / power);
    return m === 1 ? power / 2 : m === 2 ? power : 2 * power;
  };
  const ticks = (lo, hi, step) => {  // counted as whole numbers, and never more than 200 (a view too narrow: none)
    const first = Math.ceil(lo / step - 1e-9), count = Math.floor(hi / step + 1e-9) - first + 1;
    if (!Number.isFinite(count) || count < 0 || count > 200) return [];
    return Array.from({ length: count }, (_, k) => (first + k) * step);
  };
  const label = (v, step) => {
    const digits = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
    const text = (Math.abs(v) < step * 1e-6 ? 0 : v).toFixed(digits);
    return text.replace("-", "−");  // a real minus, as in print
  };

  // Every point and the prior's rings (shown or not: switching them never moves the view), with a margin of 5%;
  // a map of one point: ±1 around it. Coordinates that are not finite numbers are left out.
  const extent = (content) => {
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    const add = (x, y) => {
      if (!Number.isFinite(x) || !Number.isFinite(y)) return;
      if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
    };
    const data = content.data, prior = content.lines && content.lines.prior;
    for (let i = 0; i < data.n; i++) add(data.xy[2 * i], data.xy[2 * i + 1]);
    if (prior) prior.x.forEach((x, i) => add(x, prior.y[i]));
    if (!(x1 >= x0)) return { x: [-1, 1], y: [-1, 1] };
    const px = (x1 - x0) * 0.05 || 1, py = (y1 - y0) * 0.05 || 1;
    return { x: [x0 - px, x1 + px], y: [y0 - py, y1 + py] };
  };

  // The transform for the box's size: the asked view (data units) widened on one axis so a unit is as long on both.
  // The left margin fits the y axis's tick labels: placed once with a guess, then again if they need more room.
  const layout = (g, width, height) => {
    const view = st.view, right = 8 + (st.content.scale ? Math.round(5.25 * fs) : 0);
    const place = (left) => {
      const area = { left, top: 8, width: Math.max(20, width - left - right), height: Math.max(20, height - 8 - Math.round(2.9 * fs)) };
      const unit = Math.max((view.x[1] - view.x[0]) / area.width, (view.y[1] - view.y[0]) / area.height);
      const cx = (view.x[0] + view.x[1]) / 2, cy = (view.y[0] + view.y[1]) / 2, least = Math.min(area.width, area.height);
      st.area = area;
      st.t = { unit, x0: cx - (unit * area.width) / 2, y1: cy + (unit * area.height) / 2 };
      // One step on both axes, about one tick per 75 px, and at least three ticks on the shorter axis (a scale to read).
      st.step = nice(least * unit, Math.max(2, Math.floor(least / 75)));
      const shortX = area.width <= area.height, lo = shortX ? st.t.x0 : st.t.y1 - unit * area.height;
      for (let k = 0; k < 4 && ticks(lo, lo + least * unit, st.step).length < 3; k++) st.step = smaller(st.step);
      g.font = font();
      const y0 = st.t.y1 - unit * area.height, texts = ticks(y0, st.t.y1, st.step).map((v) => label(v, st.step));
      return Math.ceil(1.5 * fs + Math.max(fs, ...texts.map((t) => g.measureText(t).width)) + 8);
    };
    let left = 58;  // placed again until the labels of the step chosen fit the margin (three passes at most)
    for (let pass = 0; pass < 3; pass++) {
      const needed = place(left);
      if (needed <= left) break;
      left = needed;
    }
  };
  const ready = () => Boolean(st.t) && st.drawnContent === st.content;  // drawn, and not since given new points
  const toPixels = (x, y) => [(x - st.t.x0) / st.t.unit, (st.t.y1 - y) / st.t.unit];  // within the axes' box
  const toData = (px, py) => [st.t.x0 + px * st.t.unit, st.t.y1 - py * st.t.unit];

  const size = () => {  // both canvases as large as the box, at the screen's pixel ratio; false if hidden
    const width = box.clientWidth, height = box.clientHeight, ratio = window.devicePixelRatio || 1;
    if (!width || !height) return false;
    st.ratio = ratio;
    for (const canvas of [base, top]) {
      if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
        canvas.width = Math.round(width * ratio); canvas.height = Math.round(height * ratio);
        Object.assign(canvas.style, { width: `${width}px`, height: `${height}px` });
      }
    }
    return { width, height, ratio };
  };

  const drawAxes = (g, width, height) => {
    const a = st.area, step = st.step;
    const view = { x: toData(0, 0)[0], x1: toData(a.width, 0)[0], y: toData(0, a.height)[1], y1: toData(0, 0)[1] };
    g.font = font(); g.fillStyle = "#444"; g.strokeStyle = "#e6e6e6"; g.lineWidth = 1;
    g.textAlign = "center"; g.textBaseline = "top";
    for (const v of ticks(view.x, view.x1, step)) {
      const px = Math.round(a.left + toPixels(v, 0)[0]) + 0.5, text = label(v, step);
      g.beginPath(); g.moveTo(px, a.top); g.lineTo(px, a.top + a.height); g.stroke();
      if (px + g.measureText(text).width / 2 <= width) g.fillText(text, px, a.top + a.height + 4);  // never cut
    }
    g.textAlign = "right"; g.textBaseline = "middle";
    for (const v of ticks(view.y, view.y1, step)) {
      const py = Math.round(a.top + toPixels(0, v)[1]) + 0.5;
      g.beginPath(); g.moveTo(a.left, py); g.lineTo(a.left + a.width, py); g.stroke();
      g.fillText(label(v, step), a.left - 6, py);
    }
    g.fillStyle = "#222"; g.textAlign = "center"; g.textBaseline = "bottom";
    g.fillText(st.content.axes[0], a.left + a.width / 2, height - 2);
    g.save(); g.translate(2, a.top + a.height / 2); g.rotate(-Math.PI / 2); g.textBaseline = "top";
    g.fillText(st.content.axes[1], 0, 0); g.restore();
    g.strokeStyle = "#bbb"; g.strokeRect(a.left + 0.5, a.top + 0.5, a.width - 1, a.height - 1);
  };

  const drawScale = (g) => {  // ordinal labels (a frame number): the colour bar at the right, with its title
    const s = st.content.scale, a = st.area, x = a.left + a.width + 12, n = s.colours.length;
    const gradient = g.createLinearGradient(0, a.top + a.height, 0, a.top);
    s.colours.forEach((c, i) => gradient.addColorStop(i / (n - 1), c));
    g.fillStyle = gradient; g.fillRect(x, a.top, 14, a.height);
    const step = nice(s.max - s.min || 1, 4);
    g.font = font(); g.fillStyle = "#444"; g.textAlign = "left"; g.textBaseline = "middle";
    for (const v of ticks(s.min, s.max, step)) {
      g.fillText(label(v, step), x + 18, a.top + a.height * (1 - (v - s.min) / (s.max - s.min || 1)));
    }
    g.save(); g.translate(x + Math.round(5 * fs), a.top + a.height / 2); g.rotate(Math.PI / 2); g.textAlign = "center";
    g.textBaseline = "top"; g.fillStyle = "#222"; g.fillText(s.title, 0, 0); g.restore();  // read top to bottom
  };

  // Each dot filled on its own at the style's opacity, so that where dots pile up the colour deepens (one path per
  // colour would fill a pile once); the fill style changes only where the colour does (the order is by class).
  // 10,000 dots: ~16 ms here.
  const drawPoints = (g) => {
    const c = st.content, d = c.data, a = st.area, r = c.style.size / 2, outline = c.style.outline;
    g.save(); g.beginPath(); g.rect(a.left, a.top, a.width, a.height); g.clip();
    g.translate(a.left, a.top);
    g.globalAlpha = c.style.opacity;
    if (outline) { g.strokeStyle = outline; g.lineWidth = 1; }
    let colour = null;
    for (const i of c.order) {
      const [px, py] = toPixels(d.xy[2 * i], d.xy[2 * i + 1]);
      if (!(px >= -r && py >= -r && px <= a.width + r && py <= a.height + r)) continue;  // outside, or not a number
      const wanted = c.colour(i);
      if (wanted !== colour) { colour = wanted; g.fillStyle = colour; }
      g.beginPath(); g.arc(px, py, outline ? r - 0.5 : r, 0, 2 * Math.PI); g.fill();
      if (outline) g.stroke();
    }
    g.restore();
    st.hits = null;  // the dots by cell, for hover and clicks: found again when first asked
  };
  const hitCells = () => {
    const c = st.content, d = c.data, cell = 8, cols = Math.ceil(st.area.width / cell) + 1, map = new Map();
    for (const i of c.order) {  // in the order drawn: the last in a cell is the one on top
      const [px, py] = toPixels(d.xy[2 * i], d.xy[2 * i + 1]);
      if (!(px >= 0 && py >= 0 && px <= st.area.width && py <= st.area.height)) continue;
      const key = Math.floor(py / cell) * cols + Math.floor(px / cell);
      if (!map.has(key)) map.set(key, []);
      map.get(key).push(i);
    }
    return { map, cell, cols };
  };

  const drawBase = () => {
    const s = size();
    if (!s || !st.content) return false;
    fs = parseFloat(getComputedStyle(box).fontSize) || 16;
    const g = base.getContext("2d");
    g.setTransform(s.ratio, 0, 0, s.ratio, 0, 0);
    g.clearRect(0, 0, s.width, s.height);
    layout(g, s.width, s.height);
    st.drawnZoomed = st.zoomed;  // what view() and zoomed() report: the view drawn
    st.drawnContent = st.content;
    allButton.hidden = !st.zoomed;
    Object.assign(allButton.style, { right: `${s.width - st.area.left - st.area.width + 4}px`, top: `${st.area.top + 4}px` });
    drawAxes(g, s.width, s.height);
    if (st.content.scale) drawScale(g);
    drawPoints(g);
    st.drawnPictures = drawPictures(g, s.ratio);
    return true;
  };

  // The layers' pictures, above the points, as hatching: stripes of the layer's colour wherever its picture is
  // opaque. Stripes read as a region over dots of any colour (a flat red was class 3's red), and the dots show
  // between them. Returns the names of the pictures drawn (a picture is drawn once decoded).
  const hatch = (colour, rising, ratio) => {
    const side = Math.round(10 * ratio), tile = Object.assign(document.createElement("canvas"), { width: side, height: side });
    const t = tile.getContext("2d");
    t.strokeStyle = colour; t.lineWidth = 3.2 * ratio; t.beginPath();
    for (const o of [-side, 0, side]) {  // diagonals through the tile and its neighbours: seamless
      if (rising) { t.moveTo(o, side); t.lineTo(o + side, 0); } else { t.moveTo(o, 0); t.lineTo(o + side, side); }
    }
    t.stroke();
    return tile;
  };
  const scratch = document.createElement("canvas");
  const drawPictures = (g, ratio) => {
    const a = st.area, drawn = [];
    for (const layer of st.content.images || []) {
      if (!st.shown(layer.le, layer)) continue;
      if (!images.has(layer.source)) {  // decoded when first shown, then drawn
        images.set(layer.source, Object.assign(new Image(), { onload: () => draw(), src: layer.source }));
      }
      const image = images.get(layer.source);
      if (!image.complete || !image.naturalWidth) continue;
      Object.assign(scratch, { width: Math.round(a.width * ratio), height: Math.round(a.height * ratio) });
      const h = scratch.getContext("2d"), [px, py] = toPixels(layer.x, layer.y);
      h.setTransform(ratio, 0, 0, ratio, 0, 0);
      h.imageSmoothingEnabled = true;
      h.drawImage(image, px, py, layer.sizex / st.t.unit, layer.sizey / st.t.unit);
      h.globalCompositeOperation = "source-in";  // the stripes, kept where the picture is opaque
      h.setTransform(1, 0, 0, 1, 0, 0);
      h.fillStyle = h.createPattern(hatch(layer.colour || "#000", layer.rising !== false, ratio), "repeat");
      h.fillRect(0, 0, scratch.width, scratch.height);
      g.drawImage(scratch, a.left, a.top, a.width, a.height);
      drawn.push(layer.le);
    }
    scratch.width = scratch.height = 0;
    return drawn;
  };

  const path = (g, xs, ys) => {  // a polyline in data units, broken at nulls
    g.beginPath();
    let moving = true;
    xs.forEach((x, i) => {
      const y = ys[i];
      if (x === null || y === null) { moving = true; return; }
      const [px, py] = toPixels(x, y);
      if (moving) g.moveTo(px, py); else g.lineTo(px, py);
      moving = false;
    });
  };
  const star = (g, px, py, outer, inner) => {
    g.beginPath();
    for (let k = 0; k < 10; k++) {
      const r = k % 2 ? inner : outer, angle = -Math.PI / 2 + (k * Math.PI) / 5;
      g.lineTo(px + r * Math.cos(angle), py + r * Math.sin(angle));
    }
    g.closePath();
  };

  const drawTop = () => {  // the lines and the marks, in the axes' box
    if (!st.t || !st.content) return;
    const g = top.getContext("2d"), a = st.area, lines = st.content.lines || {}, m = st.marks;
    st.drawnLines = Object.keys(lines).filter((name) => st.shown(name, lines[name]));
    g.setTransform(st.ratio, 0, 0, st.ratio, 0, 0);
    g.clearRect(0, 0, top.width, top.height);
    g.translate(a.left, a.top);
    g.beginPath(); g.rect(0, 0, a.width, a.height); g.clip();
    if (lines.samples && st.shown("samples", lines.samples)) {  // the sampling grid's codes: small dark crosses
      g.strokeStyle = "#333"; g.lineWidth = 1.5; g.beginPath();
      lines.samples.x.forEach((x, i) => {
        const [px, py] = toPixels(x, lines.samples.y[i]);
        g.moveTo(px - 4, py - 4); g.lineTo(px + 4, py + 4); g.moveTo(px - 4, py + 4); g.lineTo(px + 4, py - 4);
      });
      g.stroke();
    }
    if (lines.prior && st.shown("prior", lines.prior)) {  // white halo, black dashes: visible over any colour
      g.setLineDash([]); g.strokeStyle = "rgba(255,255,255,0.95)"; g.lineWidth = 7; path(g, lines.prior.x, lines.prior.y); g.stroke();
      g.setLineDash([10, 6]); g.strokeStyle = "#000"; g.lineWidth = 3.5; path(g, lines.prior.x, lines.prior.y); g.stroke();
      g.setLineDash([]);
    }
    if (m.posterior) { g.strokeStyle = "#000"; g.lineWidth = 3; path(g, m.posterior[0], m.posterior[1]); g.stroke(); }
    if (m.selected) {  // a ring around the selected image's dot, white-haloed
      const [px, py] = toPixels(...m.selected);
      g.beginPath(); g.arc(px, py, 12.5, 0, 2 * Math.PI);
      g.strokeStyle = "rgba(255,255,255,0.9)"; g.lineWidth = 8; g.stroke();
      g.strokeStyle = "#000"; g.lineWidth = 5; g.stroke();
    }
    if (m.yours) {
      const [px, py] = toPixels(...m.yours);
      star(g, px, py, 15, 6.5); g.fillStyle = "gold"; g.fill(); g.strokeStyle = "#000"; g.lineWidth = 2; g.stroke();
    }
    if (m.spot) {
      const [px, py] = toPixels(...m.spot);
      g.beginPath(); g.moveTo(px - 9, py - 9); g.lineTo(px + 9, py + 9); g.moveTo(px - 9, py + 9); g.lineTo(px + 9, py - 9);
      g.strokeStyle = "rgba(255,255,255,0.9)"; g.lineWidth = 7; g.stroke();
      g.strokeStyle = "#000"; g.lineWidth = 4; g.stroke();
      const picture = m.spotPicture;  // what the model decodes there, framed beside the cross, inside the axes
      if (picture && picture.complete && picture.naturalWidth) {
        const zoom = Math.min(1, 120 / picture.naturalWidth, 120 / picture.naturalHeight);
        const w = picture.naturalWidth * zoom, h = picture.naturalHeight * zoom;
        const left = px + 14 + w <= a.width ? px + 14 : Math.max(0, px - 14 - w);
        const up = py + 14 + h <= a.height ? py + 14 : Math.max(0, py - 14 - h);
        g.fillStyle = "#fff"; g.fillRect(left - 3, up - 3, w + 6, h + 6);
        g.strokeStyle = "#111"; g.lineWidth = 2; g.strokeRect(left - 3, up - 3, w + 6, h + 6);
        g.imageSmoothingEnabled = false; g.drawImage(picture, left, up, w, h); g.imageSmoothingEnabled = true;
      }
    }
    drawCursor(g);
  };

  let pending = false;  // every ask within one frame drawn once, before the frame is painted
  const drawCursor = (g) => {  // the keyboard's cursor, while the map has focus: a square, white and black
    if (document.activeElement !== top || !st.cursor) return;
    const [px, py] = toPixels(...st.cursor);
    g.setLineDash([]); g.lineWidth = 5; g.strokeStyle = "#fff"; g.strokeRect(px - 9, py - 9, 18, 18);
    g.lineWidth = 2.5; g.strokeStyle = "#1d4ed8"; g.strokeRect(px - 9, py - 9, 18, 18);
  };

  const draw = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; if (drawBase()) drawTop(); });
  };

  const nearest = (px, py) => {  // the dot under the pointer (within its radius + 4 px), or null
    if (!ready()) return null;
    st.hits ||= hitCells();
    const { map, cell, cols } = st.hits, d = st.content.data, reach = st.content.style.size / 2 + 4;
    let best = null, bestD = reach * reach;
    const cx = Math.floor(px / cell), cy = Math.floor(py / cell), span = Math.ceil(reach / cell);
    for (let j = cy - span; j <= cy + span; j++) {
      for (let i = cx - span; i <= cx + span; i++) {
        for (const k of map.get(j * cols + i) || []) {
          const [qx, qy] = toPixels(d.xy[2 * k], d.xy[2 * k + 1]), dd = (qx - px) ** 2 + (qy - py) ** 2;
          if (dd <= bestD) { best = k; bestD = dd; }  // the last drawn wins a tie: the dot on top
        }
      }
    }
    return best;
  };
  const local = (event) => {
    const rect = top.getBoundingClientRect();
    return [event.clientX - rect.left - st.area.left, event.clientY - rect.top - st.area.top];
  };
  const inside = ([px, py]) => st.area && px >= 0 && py >= 0 && px <= st.area.width && py <= st.area.height;

  // A press becomes a drag past 8 px (15 px by touch: a finger wobbles); the pointer is captured from the press, so a
  // release outside the map still ends it.
  let press = null;
  top.addEventListener("pointerdown", (event) => {
    if (!ready() || event.button !== 0 || !inside(local(event))) return;
    press = { at: local(event), id: event.pointerId, reach: event.pointerType === "touch" ? 15 : 8 };
    try { top.setPointerCapture(event.pointerId); } catch { /* a pointer already gone */ }
  });
  const endPress = () => { press = null; zoomBox.style.display = "none"; };
  top.addEventListener("lostpointercapture", endPress);
  top.addEventListener("pointermove", (event) => {
    if (!ready()) return;
    const at = local(event);
    if (press && (event.buttons & 1) === 0) endPress();  // released where no event reached the map
    if (press && press.id === event.pointerId) {
      const [x0, y0] = press.at, x1 = Math.max(0, Math.min(st.area.width, at[0])), y1 = Math.max(0, Math.min(st.area.height, at[1]));
      if (press.dragging || Math.abs(x1 - x0) > press.reach || Math.abs(y1 - y0) > press.reach) {
        press.dragging = true;
        Object.assign(zoomBox.style, { display: "block", left: `${st.area.left + Math.min(x0, x1)}px`,
          top: `${st.area.top + Math.min(y0, y1)}px`, width: `${Math.abs(x1 - x0)}px`, height: `${Math.abs(y1 - y0)}px` });
        on.hover(null, event);
        return;
      }
    }
    on.hover(inside(at) ? nearest(...at) : null, event);
  });
  top.addEventListener("pointerleave", (event) => on.hover(null, event));
  top.addEventListener("pointercancel", endPress);
  // The one way in (a box, or + from the keyboard): never narrower than a millionth of the whole view (the ticks of
  // a narrower one could not be told apart). Returns whether it zoomed.
  const zoomTo = (view) => {
    const whole = extent(st.content), least = 1e-6 * Math.max(whole.x[1] - whole.x[0], whole.y[1] - whole.y[0]);
    if (!(view.x[1] - view.x[0] > least && view.y[1] - view.y[0] > least)) return false;
    st.view = view; st.zoomed = true; draw();
    return true;
  };
  let dragged = false;  // the click that ends a drag selects nothing
  top.addEventListener("pointerup", (event) => {
    if (!press || press.id !== event.pointerId) return;
    const start = press.at, at = local(event);
    dragged = Boolean(press.dragging);
    endPress();
    if (!dragged) return;
    // Zoom to the box, then widened on one axis (a unit stays as long on both); a thin box (under 10 px one way)
    // zooms by its long side around its middle. Never narrower than a millionth of the whole view.
    let [px0, py0] = [Math.max(0, Math.min(start[0], at[0])), Math.max(0, Math.min(start[1], at[1]))];
    let [px1, py1] = [Math.min(st.area.width, Math.max(start[0], at[0])), Math.min(st.area.height, Math.max(start[1], at[1]))];
    const side = Math.max(px1 - px0, py1 - py0);
    if (Math.min(px1 - px0, py1 - py0) < 10) {
      const cx = (px0 + px1) / 2, cy = (py0 + py1) / 2;
      [px0, px1, py0, py1] = [cx - side / 2, cx + side / 2, cy - side / 2, cy + side / 2];
    }
    const [xa, ya] = toData(px0, py0), [xb, yb] = toData(px1, py1);
    if (side < 10 || !zoomTo({ x: [xa, xb], y: [yb, ya] })) dragged = false;  // too small to be a zoom: a click
  });
  // A click: a dot, else empty space. Zoomed in, a click waits out a double-click's second click (which zooms out
  // and selects nothing); at the full view a double-click means nothing, so a click acts at once.
  let waiting = null;
  top.addEventListener("click", (event) => {
    if (dragged) { dragged = false; return; }
    clearTimeout(waiting); waiting = null;
    if (!ready() || event.detail > 1) return;
    const at = local(event), index = inside(at) ? nearest(...at) : null, xy = inside(at) ? toData(...at) : null;
    const act = () => { waiting = null; if (index !== null) on.point(index); else if (xy) on.space(...xy); };
    if (st.zoomed) waiting = setTimeout(act, 300); else act();
  });
  const showAll = () => {
    clearTimeout(waiting); waiting = null;
    if (st.content) { st.view = extent(st.content); st.zoomed = false; draw(); }
  };
  top.addEventListener("dblclick", showAll);  // every point again (so does the button shown while zoomed)
  allButton.addEventListener("click", showAll);

  // The keyboard alone: a focused map shows a cursor (a small square) that the arrows move (Shift: farther); Enter
  // clicks there (the dot under it, else the spot), + and − zoom around it, 0 shows every point again. The dot under
  // the cursor is previewed as on hover. The cursor is kept in data units, so it stays put through a zoom.
  top.tabIndex = 0;
  const cursorAt = () => (st.cursor && ready() ? toPixels(...st.cursor) : null);
  const preview = () => {
    const at = cursorAt();
    if (!at) return;
    const rect = top.getBoundingClientRect(), index = nearest(...at);
    on.hover(index, { clientX: rect.left + st.area.left + at[0], clientY: rect.top + st.area.top + at[1] });
  };
  top.addEventListener("focus", () => {
    if (!ready()) return;
    if (!st.cursor || !inside(cursorAt())) st.cursor = toData(st.area.width / 2, st.area.height / 2);
    drawTop(); preview();
  });
  top.addEventListener("blur", () => { drawTop(); on.hover(null, {}); });
  top.addEventListener("keydown", (event) => {
    if (!ready() || !st.cursor) return;
    const step = event.shiftKey ? 40 : 8, moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    const [px, py] = cursorAt();
    if (moves[event.key]) {
      const [dx, dy] = moves[event.key];
      st.cursor = toData(Math.max(0, Math.min(st.area.width, px + dx)), Math.max(0, Math.min(st.area.height, py + dy)));
      drawTop(); preview();
    } else if (event.key === "Enter" || event.key === " ") {
      const index = nearest(px, py);
      if (index !== null) on.point(index); else on.space(...st.cursor);
    } else if (["+", "=", "-", "_"].includes(event.key)) {
      const grow = ["+", "="].includes(event.key) ? 0.5 : 2, [cx, cy] = st.cursor, v = st.view;
      const w = ((v.x[1] - v.x[0]) * grow) / 2, h = ((v.y[1] - v.y[0]) * grow) / 2;
      zoomTo({ x: [cx - w, cx + w], y: [cy - h, cy + h] });
    } else if (event.key === "0") showAll();
    else return;
    event.preventDefault();
  });
  let seen = "";  // the box's size and pixel ratio last observed: the observer's first call (same size) draws nothing
  const resized = new ResizeObserver(() => {
    const now = `${box.clientWidth}x${box.clientHeight}@${window.devicePixelRatio}`;
    if (now !== seen) { seen = now; draw(); }
  });
  resized.observe(box);

  return {
    // content: {data: {n, xy, labels}, style: {size, opacity, outline}, colour(i), order, images, lines, axes, scale}.
    // The view is kept while the points are the same (marks, layers); new points are shown whole.
    show(content) {
      const same = st.content && st.content.data === content.data;
      st.content = content;
      st.hits = null;
      if (!same || !st.view) { st.view = extent(content); st.zoomed = false; }
      for (const source of images.keys()) {  // decoded pictures of other maps: let go
        if (!(content.images || []).some((l) => l.source === source)) images.delete(source);
      }
      draw();
    },
    lines(lines) { st.content.lines = lines; drawTop(); },  // new lines (the sampling grid's): the marks' canvas only
    destroy() { resized.disconnect(); images.clear(); for (const c of [base, top]) c.width = c.height = 0; },
    marks(marks) { st.marks = marks; drawTop(); },
    layers(shown) {  // shown(name, layer): a picture shown or hidden redraws the map, a line only the marks' canvas
      st.shown = shown;
      const wanted = ((st.content && st.content.images) || []).filter((l) => shown(l.le, l)).map((l) => l.le);
      if (wanted.join() !== (st.drawnPictures || []).join()) draw(); else drawTop();
    },
    redraw: draw,
    clickWaiting: () => waiting !== null,  // a click that waits out a double-click's second click
    drawn: () => ready(),
    drawnLayers: () => [...(st.drawnPictures || []), ...(st.drawnLines || [])],  // on screen: pictures, then lines
    zoomed: () => Boolean(st.drawnZoomed),
    view: () => (ready() ? { x: [st.t.x0, st.t.x0 + st.t.unit * st.area.width], y: [st.t.y1 - st.t.unit * st.area.height, st.t.y1] } : null),
    area: () => (ready() ? { ...st.area } : null),  // the axes' box, in pixels from the box's top left
    toPixels, toData,  // within the axes' box
    canvas: top,
  };
};
