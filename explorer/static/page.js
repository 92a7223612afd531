// Page-wide helpers (inlined into <head>).
// - The sketchpad opens with no tool chosen, so strokes do nothing until "Brush" is picked: pick it
//   whenever the sketchpad is shown.
(() => {
  const pickBrush = () => {
    const pad = document.querySelector("#le-sketch");
    if (!pad || !pad.offsetParent) return;
    const brush = pad.querySelector("button[aria-label='Brush'], button[title='Brush']");
    if (brush && brush.getAttribute("aria-pressed") !== "true" && !brush.classList.contains("selected")
        && !pad.__leBrushPicked) {
      pad.__leBrushPicked = true;
      brush.click();
    }
  };
  new MutationObserver(pickBrush).observe(document.documentElement, { childList: true, subtree: true,
                                                                       attributes: true, attributeFilter: ["style", "class"] });
})();
