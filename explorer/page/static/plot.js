// A plotly figure ({data, layout}) drawn into one long-lived div: Plotly.react reuses the plot (and
// any WebGL context), and a ResizeObserver lays it out again whenever its box changes size, so a
// figure that arrived while its tab was hidden is not left at a default width. A click on a point whose
// customdata is a string (a model's name) is sent to Python as trigger("select", {value}).
const box = element.querySelector(".le-plot") || element.appendChild(Object.assign(document.createElement("div"),
  { className: "le-plot" }));
let listening = false;
const draw = () => {
  const figure = props.value;
  if (!window.Plotly) return;
  if (!figure) { if (box.data) window.Plotly.purge(box); listening = false; return; }  // emptied
  window.Plotly.react(box, figure.data, { ...figure.layout, autosize: true },
                      { displaylogo: false, displayModeBar: false, responsive: false }).then(() => {
    if (!listening) {  // plotly's event hooks exist once the div is a plot
      listening = true;
      box.on("plotly_click", (event) => {
        const point = event.points && event.points[0];
        if (point && typeof point.customdata === "string") trigger("select", { value: point.customdata });
      });
    }
    requestAnimationFrame(fit);
  });
};
const fit = () => {  // laid out again whenever its box is shown or resized, if its width is not the box's
  if (!box.offsetWidth || !box.data || !window.lePlotly.drawn(box)) return;
  if (Math.abs(window.lePlotly.size(box).width - box.clientWidth) > 1) window.Plotly.Plots.resize(box).catch(() => {});
};
new ResizeObserver(fit).observe(box);
watch("value", draw);
draw();
