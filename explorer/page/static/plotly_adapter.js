// window.lePlotly: the one place the page reads plotly's private layout (gd._fullLayout). plotly.js publishes no
// way to turn data coordinates into pixels, nor the size a plot was drawn at; tests/test_gradio_adapter.py checks
// these against a live plot, so a plotly release that moves them fails there, not in a classroom.
window.lePlotly = {
  drawn: (gd) => Boolean(gd && gd._fullLayout && gd._fullLayout.xaxis && gd._fullLayout._size),
  size: (gd) => ({ width: gd._fullLayout.width, height: gd._fullLayout.height }),  // as laid out
  plotArea: (gd) => {  // the axes' box, in pixels from the plot's top left
    const s = gd._fullLayout._size;
    return { left: s.l, top: s.t, width: s.w, height: s.h };
  },
  toPixels: (gd, x, y) => [gd._fullLayout.xaxis.d2p(x), gd._fullLayout.yaxis.d2p(y)],  // within the plot area
  toData: (gd, px, py) => [gd._fullLayout.xaxis.p2d(px), gd._fullLayout.yaxis.p2d(py)],
};
