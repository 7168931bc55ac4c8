// The CRM's own behaviour. No inline scripts anywhere: the Content-Security-Policy forbids them.
document.addEventListener("htmx:responseError", (event) => {
  const status = event.detail.xhr.status;
  const box = document.querySelector(".crm-messages") || document.getElementById("main");
  if (!box) return;
  const alert = document.createElement("div");
  alert.className = "alert alert-danger";
  alert.setAttribute("role", "alert");
  alert.textContent = document.documentElement.lang === "hu"
    ? `A kérés nem sikerült (${status}). Próbálja újra.`
    : `The request failed (${status}). Please try again.`;
  box.prepend(alert);
});

// The calendar: drag a planned activity onto another day (or hour, in the day view) to move it.
(() => {
  const csrf = () => {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  };
  let dragged = null;
  document.addEventListener("dragstart", (event) => {
    dragged = event.target.closest && event.target.closest("[data-move-url]");
    if (dragged) {
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", dragged.dataset.moveUrl);
    }
  });
  const zoneOf = (event) => event.target.closest && event.target.closest("[data-drop]");
  document.addEventListener("dragover", (event) => {
    const zone = zoneOf(event);
    if (dragged && zone) {
      event.preventDefault();
      zone.classList.add("crm-cal-drop");
    }
  });
  document.addEventListener("dragleave", (event) => {
    const zone = zoneOf(event);
    if (zone) zone.classList.remove("crm-cal-drop");
  });
  document.addEventListener("drop", async (event) => {
    const zone = zoneOf(event);
    if (!dragged || !zone) return;
    event.preventDefault();
    zone.classList.remove("crm-cal-drop");
    const body = new FormData();
    body.append("to", zone.dataset.drop);
    body.append("version", dragged.dataset.version);
    const response = await fetch(dragged.dataset.moveUrl, {
      method: "POST",
      body,
      headers: { "X-CSRFToken": csrf() },
      credentials: "same-origin",
    });
    dragged = null;
    if (response.ok) {
      window.location.reload();
      return;
    }
    const alert = document.createElement("div");
    alert.className = "alert alert-danger";
    alert.setAttribute("role", "alert");
    alert.setAttribute("data-testid", "move-error");
    alert.textContent = await response.text();
    document.getElementById("main").prepend(alert);
  });
})();
