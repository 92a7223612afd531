// The keyboard alone: the skip link takes focus to the tab shown (past the header's dozen controls), and a
// dropdown's list closes when focus leaves its control (Gradio's stays open over the page after Tab).
document.addEventListener("click", (event) => {
  if (!event.target.closest || !event.target.closest(".le-skip")) return;
  event.preventDefault();
  const tab = document.querySelector("#le-tabs [role=tab][aria-selected=true]");
  if (tab) tab.focus();
});
document.addEventListener("focusin", (event) => {
  for (const list of document.querySelectorAll("[role=listbox]")) {
    const block = list.closest(".block");
    if (!block || block.contains(event.target)) continue;
    const input = block.querySelector("input");
    if (input) input.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
  }
});
// The tabs as one stop (the WAI-ARIA tabs pattern): Tab reaches the tab shown, the arrows (and Home, End) choose
// another, and the next Tab goes into its panel rather than through every other tab.
const tabs = () => [...document.querySelectorAll("#le-tabs [role=tab]")].filter((t) => t.offsetParent);
const rove = () => {
  for (const t of tabs()) {
    const index = t.getAttribute("aria-selected") === "true" ? 0 : -1;
    if (t.tabIndex !== index) t.tabIndex = index;
  }
};
document.addEventListener("keydown", (event) => {
  const tab = event.target.closest && event.target.closest("#le-tabs [role=tab]");
  if (!tab || !["ArrowLeft", "ArrowRight", "Home", "End"].includes(event.key)) return;
  const all = tabs(), i = all.indexOf(tab), step = event.key === "ArrowRight" ? 1 : -1;
  const next = all[event.key === "Home" ? 0 : event.key === "End" ? all.length - 1 : (i + step + all.length) % all.length];
  event.preventDefault();
  next.click();
  next.focus();
});
new MutationObserver(rove).observe(document.body, { subtree: true, childList: true, attributeFilter: ["aria-selected"] });
rove();
