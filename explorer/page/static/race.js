// Watch them learn: a recorded race replayed (value: the spec of explorer/page/tabs/race.py). One canvas per model
// draws the codes of the same test images frame by frame, moving smoothly between the frames it holds (positions
// and the view's extent are interpolated), with N(0, I)'s 68% and 95% rings; beside it, what the model decodes from
// the same N(0, I) draws at that frame (a sprite of every frame's grid). Play, pause, speed and a scrubber run in
// the page alone: no request to the server while it plays.
const state = { spec: null, xy: null, labels: null, t: 0, playing: false, speed: 1, last: null, slots: [] };
const FPS = 8;  // frames of the recording per second at speed 1
const root = element.appendChild(Object.assign(document.createElement("div"), { className: "le-race" }));
const bar = root.appendChild(Object.assign(document.createElement("div"), { className: "le-race-controls" }));
const play = bar.appendChild(Object.assign(document.createElement("button"), { className: "le-race-play", type: "button" }));
const speedLabel = bar.appendChild(Object.assign(document.createElement("label"), { textContent: "speed " }));
const speed = speedLabel.appendChild(document.createElement("select"));
for (const s of [0.5, 1, 2, 4]) speed.appendChild(Object.assign(document.createElement("option"), { value: s, textContent: `${s}×`, selected: s === 1 }));
const scrub = bar.appendChild(Object.assign(document.createElement("input"), { type: "range", min: 0, max: 0, step: 0.01, value: 0, className: "le-race-scrub" }));
scrub.setAttribute("aria-label", "training step");
const where = bar.appendChild(Object.assign(document.createElement("span"), { className: "le-race-where" }));
const grid = root.appendChild(Object.assign(document.createElement("div"), { className: "le-race-grid" }));
const legend = root.appendChild(Object.assign(document.createElement("div"), { className: "le-legend" }));

const showPlay = () => { play.textContent = state.playing ? "❚❚ Pause" : "▶ Play"; play.setAttribute("aria-pressed", String(state.playing)); };
const frames = () => (state.spec ? state.spec.frames : 0);

const slot = (model) => {
  const cell = grid.appendChild(Object.assign(document.createElement("figure"), { className: "le-race-model" }));
  const caption = cell.appendChild(document.createElement("figcaption"));
  const body = cell.appendChild(Object.assign(document.createElement("div"), { className: "le-race-body" }));
  const canvas = body.appendChild(Object.assign(document.createElement("canvas"), { className: "le-race-map" }));
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", `${model.label}: the codes of ${state.spec.n} test images as it trains`);
  const samples = body.appendChild(Object.assign(document.createElement("div"), { className: "le-race-samples" }));
  samples.setAttribute("role", "img");
  samples.setAttribute("aria-label", `${model.label}: pictures decoded from the same N(0, I) draws`);
  Object.assign(samples.style, { backgroundImage: `url("${model.sprite}")` });
  return { model, cell, body, caption, canvas, samples };
};

const draw = () => {
  const spec = state.spec;
  if (!spec || !state.xy) return;
  const F = spec.frames, M = spec.models.length, N = spec.n;
  const t = Math.max(0, Math.min(F - 1, state.t)), f0 = Math.floor(t), f1 = Math.min(F - 1, f0 + 1), a = t - f0;
  const nearest = Math.round(t);
  state.slots.forEach((s, m) => {
    const canvas = s.canvas, ratio = window.devicePixelRatio || 1, narrow = window.innerWidth < 820;
    // Square, as wide as the cell leaves beside the samples, and no taller than the window below it.
    const room = window.innerHeight - canvas.getBoundingClientRect().top - 16;
    const beside = narrow ? s.body.clientWidth : s.body.clientWidth - s.samples.offsetWidth - 10;
    const size = Math.max(140, Math.floor(narrow ? beside : Math.min(beside, room)));
    if (canvas.width !== size * ratio) {
      canvas.width = canvas.height = size * ratio;
      canvas.style.width = canvas.style.height = `${size}px`;
    }
    const g = canvas.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, size, size);
    const extent = spec.extents[f0][m] * (1 - a) + spec.extents[f1][m] * a, half = size / 2, unit = (half - 6) / extent;
    g.strokeStyle = "#e6e6e6"; g.lineWidth = 1;
    g.beginPath(); g.moveTo(0, half); g.lineTo(size, half); g.moveTo(half, 0); g.lineTo(half, size); g.stroke();
    const base0 = ((f0 * M + m) * N) * 2, base1 = ((f1 * M + m) * N) * 2, xy = state.xy;
    for (let c = 0; c < spec.palette.length; c++) {  // one colour at a time: ten fill styles, not 2,000
      g.fillStyle = spec.palette[c];
      for (let i = 0; i < N; i++) {
        if (state.labels[i] !== c) continue;
        const x = xy[base0 + 2 * i] * (1 - a) + xy[base1 + 2 * i] * a, y = xy[base0 + 2 * i + 1] * (1 - a) + xy[base1 + 2 * i + 1] * a;
        g.fillRect(half + x * unit - 1.5, half - y * unit - 1.5, 3, 3);
      }
    }
    for (const r of spec.rings) {  // white halo, black dashes: visible over any colour
      g.beginPath(); g.arc(half, half, r * unit, 0, 2 * Math.PI);
      g.setLineDash([]); g.strokeStyle = "rgba(255,255,255,0.9)"; g.lineWidth = 5; g.stroke();
      g.setLineDash([8, 5]); g.strokeStyle = "#000"; g.lineWidth = 2.5; g.stroke();
    }
    g.setLineDash([]);
    const loss = spec.losses[nearest][m];
    s.caption.textContent = `${s.model.label}${loss === null ? "" : ` · loss ${loss.toFixed(1)}`} · view ±${extent.toFixed(1)}`;
    const [w, h] = s.model.tile, shown = s.samples.clientWidth || w, zoom = shown / w;
    Object.assign(s.samples.style, { height: `${h * zoom}px`, backgroundSize: `${shown}px auto`, backgroundPosition: `0 -${nearest * h * zoom}px` });
  });
  const step = spec.steps[nearest];
  where.textContent = `step ${step} of ${spec.steps[F - 1]} · epoch ${(step / spec.steps_per_epoch).toFixed(2)}`;
  if (document.activeElement !== scrub) scrub.value = t;
  root.dataset.frame = String(nearest);
  root.dataset.draws = String(Number(root.dataset.draws || 0) + 1);
};

const tick = (now) => {
  if (!state.playing) return;
  if (state.last !== null) state.t += ((now - state.last) / 1000) * FPS * state.speed;
  state.last = now;
  if (state.t >= frames() - 1) { state.t = frames() - 1; state.playing = false; showPlay(); }
  draw();
  if (state.playing) requestAnimationFrame(tick);
};
const start = () => {
  if (!state.spec) return;
  if (state.t >= frames() - 1) state.t = 0;  // from the start again
  state.playing = true; state.last = null; showPlay(); requestAnimationFrame(tick);
};
const stop = () => { state.playing = false; showPlay(); };
play.addEventListener("click", () => (state.playing ? stop() : start()));
speed.addEventListener("change", () => { state.speed = Number(speed.value); });
scrub.addEventListener("input", () => { stop(); state.t = Number(scrub.value); draw(); });
new ResizeObserver(() => draw()).observe(grid);

const load = async () => {
  const spec = props.value;
  if (!spec || !spec.points || spec === state.spec) return;
  const buffer = await (await fetch(spec.points)).arrayBuffer();
  if (props.value !== spec) return;
  const count = spec.frames * spec.models.length * spec.n * 2;
  state.xy = new Float32Array(buffer, 0, count);
  state.labels = new Int32Array(buffer, count * 4, spec.n);
  state.spec = spec; state.t = 0; stop();
  scrub.max = spec.frames - 1;
  grid.replaceChildren();
  grid.style.gridTemplateColumns = `repeat(${spec.models.length}, minmax(0, 1fr))`;
  state.slots = spec.models.map(slot);
  legend.replaceChildren(...spec.legend.map(([name, colour]) => {
    const item = document.createElement("span");
    item.append(Object.assign(document.createElement("i"), { style: `background:${colour}` }), name);
    return item;
  }));
  draw();
};
showPlay();
watch("value", load);
load();
root.leRace = {  // for tests
  frame: () => Number(root.dataset.frame || 0), time: () => state.t, playing: () => state.playing,
  frames, play: start, pause: stop, seek: (t) => { stop(); state.t = t; draw(); },
  pointsAt: (frame, model) => { const s = state.spec, base = ((frame * s.models.length + model) * s.n) * 2;
    return Array.from(state.xy.subarray(base, base + 2 * s.n)); },
};
