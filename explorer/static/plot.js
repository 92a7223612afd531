// A plotly figure ({data, layout}) drawn into one long-lived div: Plotly.react reuses the plot (and
// any WebGL context), and a ResizeObserver lays it out again whenever its box changes size, so a
// figure that arrived while its tab was hidden is not left at a default width.
const box = element.querySelector(".le-plot") || element.appendChild(Object.assign(document.createElement("div"),
  { className: "le-plot" }));
const draw = () => {
  const figure = props.value;
  if (!figure || !window.Plotly) return;
  window.Plotly.react(box, figure.data, { ...figure.layout, autosize: true },
                      { displaylogo: false, responsive: false });
};
new ResizeObserver(() => { if (box.offsetWidth && box.data) window.Plotly.Plots.resize(box); }).observe(box);
watch("value", draw);
draw();
