// window.leFit: the main pictures fill the window's height below where they start, whatever is above them (a
// header that wraps, a lesson's card, presenter mode), so a class sees them whole without scrolling. Each rule:
// [selector, the CSS property set, the least height in px]. Off on narrow screens (phones: one column, scrolled).
const FIT = [
  ["#le-maps .le-maps", "--le-map-height", 240],
  ["#le-samples img", "max-height", 220], ["#le-manifolds img", "max-height", 220],
  ["#le-interpolation img", "max-height", 220], ["#le-reconstruction img", "max-height", 220],
  ["#le-selection img", "max-height", 200], ["#le-spread .le-plot", "height", 220],
  ["#le-live .le-live", "--le-live-height", 200],
];
const NARROW = 820;
const fitAll = () => {
  const narrow = window.innerWidth < NARROW;
  for (const [selector, property, least] of FIT) {
    for (const element of document.querySelectorAll(selector)) {
      if (!element.offsetParent) continue;  // hidden (another tab): fitted when shown
      const top = element.getBoundingClientRect().top + window.scrollY;
      const room = narrow ? "" : `${Math.max(least, Math.floor(window.innerHeight - top - 12))}px`;
      if (property.startsWith("--")) {
        if (element.style.getPropertyValue(property) !== room) element.style.setProperty(property, room);
      } else if (element.style[property] !== room) {
        element.style[property] = room;
      }
    }
  }
};
let queued = false;
const later = () => { if (!queued) { queued = true; requestAnimationFrame(() => { queued = false; fitAll(); }); } };
new ResizeObserver(later).observe(document.body);
window.addEventListener("resize", later);
document.addEventListener("click", () => setTimeout(later, 0), true);  // a tab shown, a card opened
new MutationObserver(later).observe(document.body, { subtree: true, attributeFilter: ["class", "style", "src"] });
window.leFit = { now: fitAll };

// A lesson step's parts (its text's data-show: their selectors) brought into view once they are drawn.
let shownFor = null;
const bringParts = () => {
  const step = document.querySelector("#le-lesson-text .le-step");
  if (!step || step.dataset.show === shownFor) return;
  shownFor = step.dataset.show;
  const selectors = JSON.parse(step.dataset.show || "[]"), started = performance.now();
  const inView = (e) => { const b = e.getBoundingClientRect(); return b.top >= 0 && b.bottom <= window.innerHeight; };
  const attempt = () => {  // until every part is drawn and in view (pictures above may still be loading), 10 s at most
    if (step.dataset.show !== shownFor) return;  // another step since
    const found = selectors.map((s) => document.querySelector(s)).filter((e) => e && e.offsetParent);
    fitAll();
    found.forEach((element) => { if (!inView(element)) element.scrollIntoView({ block: "nearest", inline: "nearest" }); });
    const done = found.length === selectors.length && found.every(inView);
    if (!done && performance.now() - started < 10000) setTimeout(attempt, 150);
  };
  attempt();
};
new MutationObserver(bringParts).observe(document.body, { subtree: true, childList: true, characterData: true });
