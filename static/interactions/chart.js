/*
 * A small stacked bar chart in SVG: one bar per period, one coloured segment per series, with a
 * legend. Series names come from tenants, so the DOM is built with createElementNS/createElement
 * and textContent only (never innerHTML), and colours come from the page's CSS (--series-N),
 * never from the data.
 *
 * EngageChart.render(container, legend, data), where data is
 *   {periods: [...], labels: [...], shortLabels: [...],
 *    series: [{name: "…", color: 0, counts: [...]}, ...]}
 */
(function () {
  "use strict";

  var SVG_NS = "http://www.w3.org/2000/svg";
  var PALETTE_SIZE = 12;

  function svg(name, attributes) {
    var node = document.createElementNS(SVG_NS, name);
    Object.keys(attributes || {}).forEach(function (key) {
      node.setAttribute(key, String(attributes[key]));
    });
    return node;
  }

  function seriesColor(index) {
    var style = getComputedStyle(document.documentElement);
    var value = style.getPropertyValue("--series-" + (Number(index) % PALETTE_SIZE)).trim();
    return value || "#2f5bea";
  }

  // The smallest 1, 2 or 5 x 10^n step giving four ticks that reach ``value``.
  function tickStep(value) {
    var rough = Math.max(value, 1) / 4;
    var magnitude = Math.pow(10, Math.floor(Math.log10(rough)));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i += 1) {
      var step = steps[i] * magnitude;
      if (step >= rough) {
        return Math.max(1, step);
      }
    }
    return 10 * magnitude;
  }

  function formatCount(value) {
    return Number(value).toLocaleString("en");
  }

  function clear(node) {
    while (node.firstChild) {
      node.removeChild(node.firstChild);
    }
  }

  function render(container, legend, data) {
    clear(container);
    var periods = data.periods.length;
    var series = data.series || [];
    var totals = data.periods.map(function (_, index) {
      return series.reduce(function (sum, one) { return sum + (one.counts[index] || 0); }, 0);
    });
    // Drawn in the container's pixels, then scaled with it (width 100%, the viewBox keeps the
    // proportions), so the chart never sticks out of a narrow card.
    var width = Math.max(container.clientWidth || 0, 240);
    var height = 240;
    var margin = {top: 12, right: 8, bottom: 28, left: 44};
    var plotWidth = width - margin.left - margin.right;
    var plotHeight = height - margin.top - margin.bottom;
    var step = tickStep(Math.max.apply(null, totals.concat([0])));
    var top = step * 4;
    var bottom = margin.top + plotHeight;

    var root = svg("svg", {
      width: "100%", viewBox: "0 0 " + width + " " + height,
      role: "img", "class": "chart-svg", "aria-labelledby": "interaction-chart-title"
    });
    var title = svg("title", {id: "interaction-chart-title"});
    title.textContent = container.getAttribute("aria-label") || "Interactions over time";
    root.appendChild(title);

    var grid = svg("g", {"class": "grid"});
    for (var tick = 0; tick <= 4; tick += 1) {
      var y = bottom - (plotHeight * tick) / 4;
      grid.appendChild(svg("line", {x1: margin.left, x2: width - margin.right, y1: y, y2: y}));
      var label = svg("text", {x: margin.left - 8, y: y + 4, "text-anchor": "end", "class": "tick"});
      label.textContent = formatCount(step * tick);
      grid.appendChild(label);
    }
    root.appendChild(grid);

    var band = plotWidth / Math.max(periods, 1);
    var barWidth = Math.max(1, Math.min(band * 0.72, 44));
    var bars = svg("g", {"class": "bars"});
    for (var index = 0; index < periods; index += 1) {
      var x = margin.left + index * band + (band - barWidth) / 2;
      var base = bottom;
      series.forEach(function (one) {
        var count = one.counts[index] || 0;
        if (!count) {
          return;
        }
        var barHeight = Math.max(1, (count / top) * plotHeight);
        var bar = svg("rect", {
          x: x, y: base - barHeight, width: barWidth, height: barHeight,
          fill: seriesColor(one.color), "class": "bar"
        });
        var tip = svg("title");
        tip.textContent = data.labels[index] + " · " + one.name + ": " + formatCount(count);
        bar.appendChild(tip);
        bars.appendChild(bar);
        base -= barHeight;
      });
    }
    root.appendChild(bars);

    var axis = svg("g", {"class": "axis"});
    axis.appendChild(svg("line", {x1: margin.left, x2: width - margin.right, y1: bottom, y2: bottom}));
    var every = Math.max(1, Math.ceil((periods * 72) / plotWidth));
    for (var at = 0; at < periods; at += every) {
      var text = svg("text", {
        x: margin.left + at * band + band / 2, y: bottom + 18, "text-anchor": "middle", "class": "tick"
      });
      text.textContent = data.shortLabels[at];
      axis.appendChild(text);
    }
    root.appendChild(axis);
    container.appendChild(root);

    if (legend) {
      clear(legend);
      series.forEach(function (one) {
        var total = one.counts.reduce(function (sum, count) { return sum + count; }, 0);
        if (!total) {
          return;
        }
        var item = document.createElement("li");
        var swatch = document.createElement("span");
        swatch.className = "swatch";
        swatch.style.backgroundColor = seriesColor(one.color);
        item.appendChild(swatch);
        var name = document.createElement("span");
        name.className = "legend-name";
        name.textContent = one.name;
        item.appendChild(name);
        var count = document.createElement("span");
        count.className = "muted legend-count";
        count.textContent = formatCount(total);
        item.appendChild(count);
        legend.appendChild(item);
      });
    }
  }

  window.EngageChart = {render: render};
})();
