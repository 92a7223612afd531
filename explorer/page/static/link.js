// window.leLink: the page's state in its address bar (fields: explorer/core/state.py). Controls call leLink.set as
// their values change (explorer/page/changes.py, Changes.wire): no request to the server. The server reads the
// address when the page loads and sets the page from it, so a copied link reopens the same state.
const text = (value) => {
  if (Array.isArray(value)) return value.map(text).join(",");
  if (typeof value === "boolean") return value ? "1" : "";
  if (typeof value === "number") return String(Math.round(value * 1000) / 1000);
  return value === null || value === undefined ? "" : String(value);
};
const KEEP_EMPTY = new Set(["layers"]);  // "no layers" differs from "the default layers"
const write = (params) => {
  const query = params.toString().replace(/%2C/g, ",");
  history.replaceState(history.state, "", `${location.pathname}${query ? `?${query}` : ""}${location.hash}`);
};
window.leLink = {
  set(key, value) {
    if (key === "axes" && Array.isArray(value)) {  // trailing sliders at 0 say nothing
      value = value.map(Number);
      while (value.length && value[value.length - 1] === 0) value.pop();
    }
    if (key === "presenter") document.body.classList.toggle("le-presenter", Boolean(value));
    const params = new URLSearchParams(location.search), written = text(value);
    if (written === "" && !KEEP_EMPTY.has(key)) params.delete(key); else params.set(key, written);
    write(params);
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
