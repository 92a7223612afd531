// window.leLink: the page's state in its address bar (fields: explorer/core/state.py). Controls call leLink.set as
// their values change (explorer/page/changes.py, Changes.wire): no request to the server. The server reads the
// address when the page loads and sets the page from it, so a copied link reopens the same state.
//
// History: a deliberate change (dataset, k, models, tab, selected image, lesson step) that follows something the
// person did (a click, a touch, a key other than Tab) adds an entry; whatever else that action changes, and every
// drag or typed value, replaces the current one. Back and Forward write the address the page now holds into a
// hidden box (#le-went), and the server sets the page to it without a reload (Changes.go_to).
const text = (value) => {
  if (Array.isArray(value)) return value.map(text).join(",");
  if (typeof value === "boolean") return value ? "1" : "";
  if (typeof value === "number") return String(Math.round(value * 1000) / 1000);
  return value === null || value === undefined ? "" : String(value);
};
const KEEP_EMPTY = new Set(["layers"]);  // "no layers" differs from "the default layers"
const DELIBERATE = new Set(["dataset", "k", "models", "image", "tab", "lesson", "step", "revealed"]);
let acted = false;  // the person did something since the last history entry was added
const mark = () => { acted = true; };
document.addEventListener("pointerdown", mark, true);
document.addEventListener("keydown", (event) => { if (!["Tab", "Shift", "Escape"].includes(event.key)) mark(); }, true);
const write = (params, push) => {
  const query = params.toString().replace(/%2C/g, ",");
  if (query === location.search.replace(/^\?/, "")) return;
  const address = `${location.pathname}${query ? `?${query}` : ""}${location.hash}`;
  if (push) history.pushState(null, "", address); else history.replaceState(history.state, "", address);
};
let moves = 0;
window.addEventListener("popstate", () => {
  acted = false;  // the page follows the address now: none of what follows is a new entry
  if (document.body.classList.contains("le-presenter")) {  // presenter mode is the room's, not the entry's
    const params = new URLSearchParams(location.search);
    params.set("presenter", "1");
    write(params, false);
  }
  const box = document.querySelector("#le-went textarea, #le-went input");  // its .change sets the page
  if (!box) return;
  box.value = `${++moves} ${location.search}`;
  box.dispatchEvent(new Event("input", { bubbles: true }));
});
window.leLink = {
  set(key, value) {
    if (key === "axes" && Array.isArray(value)) {  // trailing sliders at 0 say nothing
      value = value.map(Number);
      while (value.length && value[value.length - 1] === 0) value.pop();
    }
    if (key === "presenter") document.body.classList.toggle("le-presenter", Boolean(value));
    const params = new URLSearchParams(location.search), written = text(value);
    if (written === "" && !KEEP_EMPTY.has(key)) params.delete(key); else params.set(key, written);
    const push = acted && DELIBERATE.has(key) && params.toString() !== new URLSearchParams(location.search).toString();
    if (push) acted = false;
    write(params, push);
  },

  async copy() {
    const link = location.href, button = document.querySelector("#le-copy");
    let copied = false;
    try {
      await navigator.clipboard.writeText(link);  // only in a secure context (localhost, https)
      copied = true;
    } catch {
      const box = Object.assign(document.createElement("textarea"), { value: link });
      document.body.appendChild(box);
      box.select();
      copied = document.execCommand("copy");
      box.remove();
    }
    if (!copied) window.prompt("Copy this link:", link);
    if (button) {
      button.dataset.label ||= button.textContent;
      if (copied) button.textContent = "✓ Link copied";
      setTimeout(() => { button.textContent = button.dataset.label; }, 1500);
    }
    window.leLink.copied = link;  // for tests
  },
};
