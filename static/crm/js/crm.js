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
