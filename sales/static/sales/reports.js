// The sales reports' charts (templates/sales/reports.html): the weighted forecast by month
// beside what was won, and the open pipeline by stage. The numbers come from the page's
// json_script tag; amounts are shown in the page's language (1 234 567 Ft in Hungarian).
(() => {
  "use strict";

  const COLOURS = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1"];

  const data = (() => {
    const node = document.getElementById("sales-report-chart");
    if (!node) return null;
    try {
      return JSON.parse(node.textContent);
    } catch (error) {
      return null;
    }
  })();

  const language = document.documentElement.lang || "hu";
  const money = (currency) => {
    const format = new Intl.NumberFormat(language, {
      maximumFractionDigits: currency === "HUF" ? 0 : 2,
    });
    const symbol = currency === "HUF" ? "Ft" : currency === "EUR" ? "€" : currency;
    return (value) => `${format.format(value)}\u00a0${symbol}`;
  };
  const short = (currency) => {
    const format = new Intl.NumberFormat(language, { notation: "compact", maximumFractionDigits: 1 });
    const symbol = currency === "HUF" ? "Ft" : currency === "EUR" ? "€" : currency;
    return (value) => `${format.format(value)}\u00a0${symbol}`;
  };

  const draw = (canvas) => {
    if (!window.Chart || !data) return;
    const chart = data[canvas.dataset.salesChart];
    if (!chart || !Array.isArray(chart.labels)) return;
    const full = money(data.currency);
    const axis = short(data.currency);
    canvas.salesChart = new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: chart.labels,
        datasets: chart.datasets.map((set, index) => ({
          label: set.label,
          data: set.data,
          backgroundColor: `${COLOURS[index % COLOURS.length]}cc`,
          borderColor: COLOURS[index % COLOURS.length],
          borderWidth: 1,
        })),
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        // "drawn" once the bars have grown (a browser test and its screenshot wait for it)
        animation: {
          duration: 300,
          onComplete: () => {
            canvas.dataset.drawn = "1";
          },
        },
        plugins: {
          legend: { position: "bottom" },
          tooltip: {
            callbacks: { label: (item) => `${item.dataset.label}: ${full(item.parsed.y)}` },
          },
        },
        scales: { y: { beginAtZero: true, ticks: { callback: (value) => axis(value) } } },
      },
    });
  };

  const start = () => document.querySelectorAll("canvas[data-sales-chart]").forEach(draw);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
