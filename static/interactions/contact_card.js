/*
 * The contact card's chart: reads the data the server embedded with json_script and draws it,
 * again when the window is resized.
 */
(function () {
  "use strict";

  var container = document.getElementById("interaction-chart");
  var source = document.getElementById("interaction-chart-data");
  if (!container || !source || !window.EngageChart) {
    return;
  }
  var data = JSON.parse(source.textContent);
  var legend = document.getElementById("interaction-chart-legend");
  var drawnWidth = 0;

  function draw() {
    drawnWidth = container.clientWidth;
    window.EngageChart.render(container, legend, data);
  }

  var pending = null;
  window.addEventListener("resize", function () {
    if (pending !== null) {
      window.clearTimeout(pending);
    }
    pending = window.setTimeout(function () {
      pending = null;
      if (container.clientWidth !== drawnWidth) {
        draw();
      }
    }, 150);
  });
  draw();
})();
