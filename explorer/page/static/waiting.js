// window.leWait: never a blank wait. While the page waits on the server for a new lineup (a header change, a link,
// a lesson step, Back) or a new sampling grid, the maps and the main pictures shimmer (page.css, .le-waitable):
// the class sees at once that they are coming. Changes.wire calls start() as such an event begins and done() when
// its last step ends, failed or not. The end of any change ends the shimmer: events the page coalesces (Back pressed
// three times quickly: Gradio runs the first and the last, trigger_mode "always_last") start a wait each but end
// only the ones that ran, so counting them left the page shimmering for 30 s. Before the first maps arrive, the
// maps show their own placeholder (static/maps.js).
let waiting = false, safety = null;
const show = () => document.body.classList.toggle("le-waiting", waiting);
window.leWait = {
  start() {
    waiting = true;
    show();
    clearTimeout(safety);  // a step whose end never reached the page must not leave the shimmer on
    safety = setTimeout(() => { waiting = false; show(); }, 30000);
  },
  done() {
    waiting = false;
    show();
  },
};
