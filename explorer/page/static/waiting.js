// window.leWait: never a blank wait. While the page waits on the server for a new lineup (a header change, a link,
// a lesson step, Back) or a new sampling grid, the maps and the main pictures shimmer (page.css, .le-waitable):
// the class sees at once that they are coming. Changes.wire calls start() as such an event begins and done() when
// its last step ends, failed or not; waits overlap, so they are counted. Before the first maps arrive, the maps
// show their own placeholder (static/maps.js).
let pending = 0, safety = null;
const show = () => document.body.classList.toggle("le-waiting", pending > 0);
window.leWait = {
  start() {
    pending += 1;
    show();
    clearTimeout(safety);  // a step whose end never reached the page must not leave the shimmer on
    safety = setTimeout(() => { pending = 0; show(); }, 30000);
  },
  done() {
    pending = Math.max(0, pending - 1);
    show();
  },
};
