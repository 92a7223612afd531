// Watch them learn (value: a spec of explorer/views/race_views.py). One canvas per model draws the codes of the
// same test images frame by frame, moving smoothly between the frames it holds (positions and the view's extent
// are interpolated), with N(0, I)'s 68% and 95% rings; beside it, what the model decodes from the same N(0, I)
// draws at that frame. Play, pause, speed and a scrubber run in the page alone.
// - A recorded race: every frame at once (a points file and a sprite of each model's draws).
// - A race training now (spec.live, the job's id): frames come in batches (value.first: the index of the first
//   one sent); the view follows them as they come, and plays on past the live edge once training ends. A batch
//   past a gap (the page missed one) asks for what is missing: trigger("select", {resend: first, live}). A
//   recorded race chosen meanwhile detaches the view from the live one.
// - Pause and poke: paused, a click on a map (or Enter, then the arrow keys, on a focused map) sends
//   trigger("select", {poke: n, name, live, model, frame, x, y}); the answers come back through leRace.reply().
// state.timings (ms, for the benchmark): a frame kept by the trainer -> it arrived here ("arrive"), -> first drawn
// ("shown"); state.shownAt: when each frame was first drawn.
const state = { spec: null, frames: [], labels: null, t: 0, playing: false, speed: 1, last: null, slots: [],
                done: true, expected: 0, poke: null, pokes: 0, timings: { arrive: [], shown: [] }, shownAt: [],
                wanted: null, detached: null, resending: 0, doneAt: Infinity, asked: null, askedAt: 0 };
const FPS = 8;  // frames of the recording per second at speed 1 (a race training now: up to 4x that, to catch up)
const root = element.appendChild(Object.assign(document.createElement("div"), { className: "le-race" }));
const bar = root.appendChild(Object.assign(document.createElement("div"), { className: "le-race-controls" }));
const play = bar.appendChild(Object.assign(document.createElement("button"), { className: "le-race-play", type: "button" }));
const speedLabel = bar.appendChild(Object.assign(document.createElement("label"), { textContent: "speed " }));
const speed = speedLabel.appendChild(document.createElement("select"));
for (const s of [0.5, 1, 2, 4]) speed.appendChild(Object.assign(document.createElement("option"), { value: s, textContent: `${s}×`, selected: s === 1 }));
const scrub = bar.appendChild(Object.assign(document.createElement("input"), { type: "range", min: 0, max: 0, step: 0.01, value: 0, className: "le-race-scrub" }));
scrub.setAttribute("aria-label", "training step");
const sameLabel = bar.appendChild(Object.assign(document.createElement("label"), { className: "le-race-same" }));
const same = sameLabel.appendChild(Object.assign(document.createElement("input"), { type: "checkbox" }));
sameLabel.append(" one scale for all");  // the AE's spread against the VAE's, at a glance
const where = bar.appendChild(Object.assign(document.createElement("span"), { className: "le-race-where" }));
where.setAttribute("aria-live", "off");
const grid = root.appendChild(Object.assign(document.createElement("div"), { className: "le-race-grid" }));
const legend = root.appendChild(Object.assign(document.createElement("div"), { className: "le-legend" }));

const showPlay = () => {
  play.textContent = state.playing ? "❚❚ Pause" : "▶ Play";
  play.setAttribute("aria-pressed", String(state.playing));
  root.classList.toggle("le-race-paused", !state.playing && state.frames.length > 0);
};
const count = () => state.frames.length;
const bytes = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0)).buffer;

const slot = (model, m) => {
  const cell = grid.appendChild(Object.assign(document.createElement("figure"), { className: "le-race-model" }));
  const caption = cell.appendChild(document.createElement("figcaption"));
  const body = cell.appendChild(Object.assign(document.createElement("div"), { className: "le-race-body" }));
  const canvas = body.appendChild(Object.assign(document.createElement("canvas"), { className: "le-race-map", tabIndex: 0 }));
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", `${model.label}: the codes of ${state.spec.n} test images as it trains; `
    + "paused, click (or press Enter, then the arrow keys) to see what it decodes there");
  const side = body.appendChild(Object.assign(document.createElement("div"), { className: "le-race-side" }));
  const samples = side.appendChild(Object.assign(document.createElement("div"), { className: "le-race-samples" }));
  samples.setAttribute("role", "img");
  samples.setAttribute("aria-label", `${model.label}: pictures decoded from the same N(0, I) draws`);
  if (model.sprite) samples.style.backgroundImage = `url("${model.sprite}")`;
  const box = side.appendChild(Object.assign(document.createElement("div"), { className: "le-race-poke", hidden: true }));
  box.setAttribute("role", "status");
  const s = { model, m, cell, body, caption, canvas, side, samples, box, size: 0, unit: 1, shownSample: null };
  canvas.addEventListener("click", (event) => {
    const rect = canvas.getBoundingClientRect(), half = s.size / 2;
    poke(s, (event.clientX - rect.left - half) / s.unit, (half - (event.clientY - rect.top)) / s.unit);
  });
  canvas.addEventListener("keydown", (event) => {
    const step = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] }[event.key];
    if (event.key !== "Enter" && !step) return;
    event.preventDefault();
    const at = state.poke && state.poke.model === m ? state.poke : { x: 0, y: 0 };
    poke(s, at.x + (step ? step[0] * 0.25 : 0), at.y + (step ? step[1] * 0.25 : 0));
  });
  return s;
};

// ---- pause and poke ----------------------------------------------------------------------------------------------
const poke = (s, x, y) => {
  if (!state.spec || !count()) return;
  stop();
  const frame = Math.max(0, Math.min(count() - 1, Math.round(state.t))), n = ++state.pokes;
  state.poke = { n, model: s.m, frame, x, y, answer: null };
  ask();
  draw();
};
// One poke asked at a time: one made while another is on its way is asked when that one is answered (or after
// 15 s without an answer), so the last spot is always the one decoded; an unanswered poke is asked again.
const ask = () => {
  const p = state.poke;
  if (!p || p.answer || (p.tries || 0) >= 3) return;
  if (state.asked !== null && performance.now() - state.askedAt < 15000) return;  // one is on its way
  state.asked = p.n; state.askedAt = performance.now(); p.tries = (p.tries || 0) + 1;
  trigger("select", { poke: p.n, name: state.spec.name, live: state.spec.live ?? null, model: p.model, frame: p.frame, x: p.x, y: p.y });
  setTimeout(ask, 15100);  // not answered (refused, or lost): asked again, twice at most
};
const clearPoke = () => {
  if (!state.poke) return;
  state.poke = null;
  state.slots.forEach((s) => { s.box.hidden = true; });
};
const showPoke = (s, half) => {  // the spot ringed on the map; under the samples, what it decodes
  const p = state.poke;
  if (!p || p.model !== s.m) { s.box.hidden = true; return; }
  const px = half + p.x * s.unit, py = half - p.y * s.unit, g = s.canvas.getContext("2d");
  g.beginPath(); g.arc(px, py, 7, 0, 2 * Math.PI); g.lineWidth = 5; g.strokeStyle = "#fff"; g.stroke();
  g.lineWidth = 2.5; g.strokeStyle = "#d62728"; g.stroke();
  s.box.hidden = false;
  const answer = p.answer;
  if (!answer) {
    const wait = `decoding… (a first poke at a step trains this model again to it: a few seconds)`;
    if (s.box.dataset.shown !== "") s.box.replaceChildren(Object.assign(document.createElement("span"), { textContent: wait }));
    s.box.dataset.shown = "";
  } else if (s.box.dataset.shown !== answer.picture) {
    const img = Object.assign(document.createElement("img"), { src: answer.picture, alt: answer.text, className: answer.classes ? "le-wide" : "" });
    s.box.replaceChildren(img, Object.assign(document.createElement("span"), { textContent: answer.short }));
    s.box.dataset.shown = answer.picture;
  }
};

// ---- drawing -----------------------------------------------------------------------------------------------------
const drawSamples = (s, nearest) => {
  const [w, h] = s.model.tile, shown = s.samples.clientWidth || w, zoom = shown / w, frame = state.frames[nearest];
  if (s.model.sprite) {
    Object.assign(s.samples.style, { height: `${h * zoom}px`, backgroundSize: `${shown}px auto`, backgroundPosition: `0 -${nearest * h * zoom}px` });
  } else if (s.shownSample !== frame.samples[s.m]) {
    s.shownSample = frame.samples[s.m];
    Object.assign(s.samples.style, { height: `${h * zoom}px`, backgroundSize: `${shown}px auto`, backgroundImage: `url("${frame.samples[s.m]}")` });
  }
};

const drawMap = (s, f0, f1, a, extent) => {  // the frames f0 and f1 mixed a : 1 - a, the view ±extent
  const spec = state.spec, canvas = s.canvas, ratio = window.devicePixelRatio || 1, narrow = window.innerWidth < 820;
  // Square, no taller than the window below it: as wide as the cell leaves beside the samples, or as the cell with
  // the samples (110 px) under it, whichever is larger (three models beside a lesson card: under).
  const room = window.innerHeight - canvas.getBoundingClientRect().top - 16, width = s.body.clientWidth;
  const side = Math.min(180, Math.max(110, 0.3 * width));
  const beside = Math.min(width - side - 10, room), under = Math.min(width, room - side - 10);
  const stacked = !narrow && under > beside + 20;
  s.body.classList.toggle("le-stacked", stacked);
  s.side.style.setProperty("--le-samples", `${side}px`);
  const size = Math.max(140, Math.floor(narrow ? width : stacked ? under : beside));
  if (canvas.width !== size * ratio) {
    canvas.width = canvas.height = size * ratio;
    canvas.style.width = canvas.style.height = `${size}px`;
  }
  const g = canvas.getContext("2d");
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, size, size);
  const A = state.frames[f0], B = state.frames[f1], m = s.m, N = spec.n;
  const half = size / 2, unit = (half - 6) / extent;
  s.size = size; s.unit = unit;
  g.strokeStyle = "#e6e6e6"; g.lineWidth = 1;
  g.beginPath(); g.moveTo(0, half); g.lineTo(size, half); g.moveTo(half, 0); g.lineTo(half, size); g.stroke();
  const base = m * N * 2, xa = A.xy, xb = B.xy;
  for (let c = 0; c < spec.palette.length; c++) {  // one colour at a time: ten fill styles, not 2,000
    g.fillStyle = spec.palette[c];
    for (let i = 0; i < N; i++) {
      if (state.labels[i] % spec.palette.length !== c) continue;
      const j = base + 2 * i, x = xa[j] * (1 - a) + xb[j] * a, y = xa[j + 1] * (1 - a) + xb[j + 1] * a;
      g.fillRect(half + x * unit - 1.5, half - y * unit - 1.5, 3, 3);
    }
  }
  for (const r of spec.rings) {  // white halo, black dashes: visible over any colour
    g.beginPath(); g.arc(half, half, r * unit, 0, 2 * Math.PI);
    g.setLineDash([]); g.strokeStyle = "rgba(255,255,255,0.9)"; g.lineWidth = 5; g.stroke();
    g.setLineDash([8, 5]); g.strokeStyle = "#000"; g.lineWidth = 2.5; g.stroke();
  }
  g.setLineDash([]);
  showPoke(s, half);
};

const draw = () => {
  const spec = state.spec, F = count();
  if (!spec || !F) return;
  const t = Math.max(0, Math.min(F - 1, state.t)), f0 = Math.floor(t), f1 = Math.min(F - 1, f0 + 1), a = t - f0;
  const nearest = Math.round(t), A = state.frames[f0], B = state.frames[f1];
  const own = state.slots.map((s) => A.extent[s.m] * (1 - a) + B.extent[s.m] * a), widest = Math.max(...own);
  state.slots.forEach((s) => {
    const extent = same.checked ? widest : own[s.m], loss = state.frames[nearest].losses[s.m];
    drawMap(s, f0, f1, a, extent);
    s.caption.textContent = `${s.model.label}${loss === null ? "" : ` · loss ${loss.toFixed(1)}`} · view ±${extent.toFixed(1)}`;
    drawSamples(s, nearest);
  });
  const step = state.frames[nearest].step, last = state.done ? state.frames[F - 1].step : spec.total_steps;
  const training = state.done ? "" : ` · trained to step ${state.frames[F - 1].step}`;
  where.textContent = `step ${step} of ${last} · epoch ${(step / spec.steps_per_epoch).toFixed(2)}${training}`;
  if (document.activeElement !== scrub) scrub.value = t;
  if (state.shownAt[nearest] === undefined && !state.done) {  // a race training now: when each frame came into view
    state.shownAt[nearest] = performance.now();
    state.timings.shown.push(Date.now() - state.frames[nearest].kept * 1000);
  }
  root.dataset.frame = String(nearest);
  root.dataset.frames = String(F);
  root.dataset.draws = String(Number(root.dataset.draws || 0) + 1);
};

const tick = (now) => {
  if (!state.playing) return;
  const end = Math.max(0, count() - 1), lag = end - state.t;  // a live race's first message holds no frame
  const rate = FPS * state.speed * (state.done ? 1 : Math.max(1, Math.min(4, lag / 4)));  // live: catch up
  if (state.last !== null) state.t = Math.min(end, state.t + ((now - state.last) / 1000) * rate);
  state.last = now;
  if (state.t >= end && state.done) { state.playing = false; showPlay(); }  // a race training now: wait here
  draw();
  if (state.playing) requestAnimationFrame(tick);
};
const start = () => {
  if (!state.spec || !count()) return;
  clearPoke();
  if (state.done && state.t >= count() - 1) state.t = 0;  // from the start again
  state.playing = true; state.last = null; showPlay(); requestAnimationFrame(tick);
};
const stop = () => { state.playing = false; showPlay(); };
play.addEventListener("click", () => (state.playing ? stop() : start()));
speed.addEventListener("change", () => { state.speed = Number(speed.value); });
same.addEventListener("change", () => draw());
scrub.addEventListener("input", () => { stop(); clearPoke(); state.t = Number(scrub.value); draw(); });
scrub.addEventListener("keydown", (event) => {  // an arrow moves a whole frame (the range's step is a hundredth)
  const by = { ArrowLeft: -1, ArrowDown: -1, ArrowRight: 1, ArrowUp: 1 }[event.key];
  if (!by || !count()) return;
  event.preventDefault(); stop(); clearPoke();
  state.t = Math.max(0, Math.min(count() - 1, Math.round(state.t) + by)); draw();
});
root.addEventListener("keydown", (event) => { if (event.key === "Escape" && state.poke) { clearPoke(); draw(); } });
new ResizeObserver(() => draw()).observe(grid);

// ---- a spec: a recording, or a race training now ----------------------------------------------------------------
const install = (spec) => {
  state.spec = spec; state.t = 0; state.poke = null; state.shownAt = []; stop();
  grid.replaceChildren();
  grid.style.gridTemplateColumns = `repeat(${spec.models.length}, minmax(0, 1fr))`;
  state.slots = spec.models.map(slot);
  legend.replaceChildren(...spec.legend.map(([name, colour]) => {
    const item = document.createElement("span");
    item.append(Object.assign(document.createElement("i"), { style: `background:${colour}` }), name);
    return item;
  }));
};

const recorded = async (spec) => {
  // The race this page trained, recorded: the view holds it (or its missed frames are on their way); a poke stays.
  if (state.spec && state.spec.live !== undefined && state.spec.name === spec.name) return;
  if (state.spec && state.spec.live !== undefined && !state.done) state.detached = state.spec.live;
  state.wanted = spec;
  const buffer = await (await fetch(spec.points)).arrayBuffer();
  if (state.wanted !== spec) return;  // another race was chosen meanwhile
  const M = spec.models.length, size = M * spec.n * 2, all = new Float32Array(buffer, 0, spec.frames * size);
  state.frames = spec.steps.map((step, f) => ({ step, losses: spec.losses[f], extent: spec.extents[f], xy: all.subarray(f * size, (f + 1) * size) }));
  state.labels = new Int32Array(buffer, spec.frames * size * 4, spec.n);
  state.done = true; state.expected = spec.frames;
  install(spec);
  scrub.max = spec.frames - 1;
  draw();
};

const live = (value) => {
  const now = Date.now();
  if (value.live === state.detached) return;  // the user chose a recorded race meanwhile
  if (!state.spec || state.spec.live !== value.live) {
    if (value.first !== 0) return;  // a batch of a race this page never saw start
    state.frames = []; state.labels = new Int32Array(bytes(value.labels)); state.wanted = null; state.doneAt = Infinity;
    install(value);
    state.playing = true; state.last = null; showPlay(); requestAnimationFrame(tick);  // follow it as it trains
  }
  if (value.first > count()) {  // a batch was missed: ask for every frame from the first missing (again after 2 s)
    if (value.done) state.doneAt = value.first + value.frames.length;
    if (performance.now() - state.resending > 2000) {
      state.resending = performance.now(); trigger("select", { resend: count(), live: value.live });
    }
    return;
  }
  value.frames.slice(count() - value.first).forEach((f) => {
    state.frames.push({ ...f, xy: new Float32Array(bytes(f.xy)) });
    if (value.kind !== "frames") state.timings.arrive.push(now - f.kept * 1000);
  });
  if (value.kind === "frames") state.resending = 0;
  state.done = (value.done && count() === value.first + value.frames.length) || count() >= state.doneAt;
  state.expected = value.expected || state.expected;
  scrub.max = Math.max(0, count() - 1);
  if (!state.playing) draw();
};

const load = () => {
  const spec = props.value;
  if (!spec || spec === state.seen) return;
  state.seen = spec;
  if (spec.live !== undefined) live(spec);
  else if (spec.points && spec !== state.wanted) recorded(spec);
};
showPlay();
watch("value", load);
load();
root.leRace = {  // for the page (poked) and for tests
  frame: () => Number(root.dataset.frame || 0), time: () => state.t, playing: () => state.playing, frames: count,
  done: () => state.done, timings: () => state.timings, shownAt: () => state.shownAt.slice(),
  play: start, pause: stop, seek: (t) => { stop(); clearPoke(); state.t = t; draw(); },
  pointsAt: (frame, model) => { const s = state.spec, base = model * s.n * 2;
    return Array.from(state.frames[frame].xy.subarray(base, base + 2 * s.n)); },
  reply: (answer) => {  // from the server: a poke's picture, or frames this page missed
    if (!answer) return;
    if (answer.kind === "frames") { if (state.spec && state.spec.live === answer.live) live(answer); return; }
    const p = state.poke;
    if (answer.n === state.asked) state.asked = null;
    if (p && answer.n === p.n) { p.answer = answer; draw(); } else ask();
  },
  poke: (model, x, y) => poke(state.slots[model], x, y),
  lose: (n) => {  // for tests: as if the batches after the n-th frame had been missed
    state.frames.length = n; state.done = false; state.resending = 0;
    live({ ...state.spec, first: n + 1, frames: [], done: true });
  },
  pokeSpot: () => (state.poke ? { model: state.poke.model, frame: state.poke.frame, x: state.poke.x, y: state.poke.y } : null),
};
