// The Compare tab's results grid (HTML made by explorer/sweep_views.py): a click on a cell sends its model's
// name to Python as trigger("select", {value}); the grid fills the window's height below its top, whatever is
// above it (a progress line, a caption on two lines or three, presenter mode), and at least 300 px.
element.addEventListener("click", (event) => {
  const cell = event.target.closest("[data-model]");
  if (cell) trigger("select", { value: cell.dataset.model });
});
const fit = () => {
  const grid = element.querySelector(".le-sg-grid");
  if (!grid || !grid.offsetParent) return;  // hidden (another tab): fitted when shown
  const top = grid.getBoundingClientRect().top + window.scrollY;
  const height = `${Math.max(300, Math.floor(window.innerHeight - top - 10))}px`;
  if (grid.style.height !== height) grid.style.height = height;
};
new ResizeObserver(fit).observe(document.body);
new ResizeObserver(fit).observe(element);  // shown (its tab selected) or re-laid out: fitted again
window.addEventListener("resize", fit);
watch("value", () => requestAnimationFrame(fit));
requestAnimationFrame(fit);
