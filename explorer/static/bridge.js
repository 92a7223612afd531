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

  const scan = () => document.querySelectorAll(".js-plotly-plot").forEach(attach);
  new MutationObserver(scan).observe(document.documentElement, { childList: true, subtree: true });
  window.addEventListener("load", scan);
})();
