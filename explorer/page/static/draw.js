// A drawing pad that is ready at once: dark strokes on white paper, no tool to pick first.
// "Encode my drawing" sends the picture to Python as trigger("submit", {png: data URL}).
const size = 280;
const paper = element.appendChild(Object.assign(document.createElement("canvas"),
  { width: size, height: size, className: "le-paper" }));
const context = paper.getContext("2d");
const clear = () => { context.fillStyle = "#fff"; context.fillRect(0, 0, size, size); paper.dataset.strokes = "0"; };
clear();
context.lineCap = context.lineJoin = "round";
context.lineWidth = 18;
context.strokeStyle = "#000";
let last = null;
const at = (event) => {
  const box = paper.getBoundingClientRect();
  return [(event.clientX - box.left) * size / box.width, (event.clientY - box.top) * size / box.height];
};
paper.addEventListener("pointerdown", (event) => {
  paper.setPointerCapture(event.pointerId);
  last = at(event);
  context.beginPath(); context.arc(last[0], last[1], 9, 0, 2 * Math.PI); context.fillStyle = "#000"; context.fill();
  paper.dataset.strokes = String(Number(paper.dataset.strokes) + 1);
});
paper.addEventListener("pointermove", (event) => {
  if (!last) return;
  const point = at(event);
  context.beginPath(); context.moveTo(...last); context.lineTo(...point); context.stroke();
  last = point;
});
paper.addEventListener("pointerup", () => { last = null; });
const buttons = element.appendChild(Object.assign(document.createElement("div"), { className: "le-paper-buttons" }));
const button = (text, primary, action) => buttons.appendChild(Object.assign(document.createElement("button"),
  { textContent: text, className: primary ? "le-button primary" : "le-button", onclick: action }));
button("Encode my drawing", true, () => trigger("submit", { png: paper.toDataURL("image/png") }));
button("Clear", false, clear);
