/*
 * The targets dashboards' charts (jineng.targets.views).
 *
 * Each <div data-chart="ID"> is drawn with the ECharts options the server rendered into
 * <script type="application/json" id="ID">, so pages carry data, not code (no inline script).
 * ECharts 5.6.0 (Apache-2.0, `npm pack echarts@5`, dist/echarts.min.js with its licence header)
 * is served from /static/jineng/echarts.min.js: nothing is loaded from the network.
 *
 * Options are plain JSON; what JSON cannot say is flagged and filled in here:
 *   "jinengPercent": true  → the tooltip shows values as percentages.
 */
(function () {
  "use strict";

  var charts = [];

  function tooltip(option) {
    option.tooltip = option.tooltip || {};
    // ECharts' HTML tooltip writes style="…" attributes through innerHTML, which the Content
    // Security Policy refuses (style-src-attr); the rich-text tooltip is drawn inside the chart.
    option.tooltip.renderMode = "richText";
    if (!option.jinengPercent) return option;
    delete option.jinengPercent;
    option.tooltip.valueFormatter = function (value) {
      return value === null || value === undefined || value === "-" ? "—" : value + "%";
    };
    return option;
  }

  function drawOne(el) {
    var source = document.getElementById(el.getAttribute("data-chart"));
    if (!source || el.getAttribute("data-drawn")) return;
    var option;
    try {
      option = JSON.parse(source.textContent);
    } catch (e) {
      return;
    }
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption(tooltip(option));
    el.setAttribute("data-drawn", "1");
    charts.push(chart);
  }

  function drawAll() {
    if (typeof window.echarts === "undefined") return;
    Array.prototype.forEach.call(document.querySelectorAll("[data-chart]"), drawOne);
  }

  var pending = null;
  window.addEventListener("resize", function () {
    if (pending) window.clearTimeout(pending);
    pending = window.setTimeout(function () {
      charts.forEach(function (chart) {
        chart.resize();
      });
    }, 150);
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
  // Content swapped in by htmx may bring charts of its own.
  document.addEventListener("htmx:afterSettle", drawAll);
})();
