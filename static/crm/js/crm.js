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

// A form with data-confirm="question" is submitted only after the user says yes.
document.addEventListener("submit", (event) => {
  const ask = event.target.dataset && event.target.dataset.confirm;
  if (ask && !window.confirm(ask)) event.preventDefault();
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

// The activity form (templates/activities/activity_form.html): only the fields of the chosen
// type's kind are shown (each wrapper's data-kinds lists the kinds that have it), and the
// result part when the planned end has already passed (a meeting recorded after the fact is
// saved closed). The server applies the same rules; this only spares a reload.
(() => {
  const form = document.querySelector("[data-activity-form]");
  if (!form) return;
  const kinds = JSON.parse(form.dataset.typeKinds || "{}");
  const field = (name) => form.querySelector(`[name="${name}"]`);
  const kindOf = () => kinds[(field("type") || {}).value] || "";
  const endOf = (kind) => {
    const start = field("starts_at") && field("starts_at").value;
    if (!start) return null;
    if (kind === "task") {
      const day = (field("deadline") && field("deadline").value) || start.slice(0, 10);
      return new Date(`${day}T23:59:59`);
    }
    const end = field("ends_at") && field("ends_at").value;
    if (end) return new Date(end);
    const at = new Date(start);
    if (kind === "meeting") at.setHours(at.getHours() + 1);
    return at;
  };
  const follow = () => {
    const kind = kindOf();
    form.querySelectorAll("[data-kinds]").forEach((wrapper) => {
      wrapper.hidden = kind !== "" && !wrapper.dataset.kinds.split(" ").includes(kind);
    });
    const result = form.querySelector("[data-result-part]");
    if (result && !result.querySelector(".invalid-feedback")) {
      const end = endOf(kind);
      result.hidden = !(end && end <= new Date());
    }
  };
  form.addEventListener("change", follow);
  form.addEventListener("input", (event) => {
    if (event.target.type === "datetime-local" || event.target.type === "date") follow();
  });
  follow();
})();

// A filter above a box of checkboxes (data-filter-checks="<box id>"): hides the names that do
// not contain what was typed (accents and case aside); ticked ones stay ticked.
(() => {
  const plain = (text) =>
    text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();
  document.addEventListener("input", (event) => {
    const id = event.target.dataset && event.target.dataset.filterChecks;
    const box = id && document.getElementById(id);
    if (!box) return;
    const wanted = plain(event.target.value);
    box.querySelectorAll(".form-check").forEach((check) => {
      check.hidden = wanted !== "" && !plain(check.textContent).includes(wanted);
    });
  });
})();

// The top bar on a desktop (templates/inc/topbar.html): the menu's entries that fit stay in the
// bar, the last ones fold into "More" (each has its copy there, data-crm-fold-copy). Measured
// again when the window, the fonts or the bar change; below 1200 px (the collapsed phone menu)
// every entry is in the list and "More" is hidden.
(() => {
  const nav = document.querySelector(".crm-topbar");
  const more = nav && nav.querySelector("[data-crm-more]");
  if (!more) return;
  const box = nav.querySelector(".container-fluid");
  const collapse = nav.querySelector(".navbar-collapse");
  const entries = [...nav.querySelectorAll("[data-crm-fold]")];
  const copies = new Map(
    [...more.querySelectorAll("[data-crm-fold-copy]")].map((li) => [li.dataset.crmFoldCopy, li]),
  );
  const toggle = more.querySelector(".dropdown-toggle");
  const wide = window.matchMedia("(min-width: 1200px)");
  // The server's stand-in (the first five in the bar) gives way to the measured folding.
  const show = (element, shown) => {
    element.classList.remove("d-none", "d-xl-none", "d-xl-block");
    element.hidden = !shown;
  };
  const overflows = () =>
    box.scrollWidth > box.clientWidth + 1 || collapse.scrollWidth > collapse.clientWidth + 1;
  const fold = () => {
    entries.forEach((entry) => {
      show(entry, true);
      show(copies.get(entry.dataset.crmFold), false);
    });
    show(more, false);
    if (wide.matches) {
      for (let n = entries.length - 1; n >= 0 && overflows(); n--) {
        show(more, true);
        show(entries[n], false);
        show(copies.get(entries[n].dataset.crmFold), true);
      }
    }
    const folded = [...copies.values()].filter((li) => !li.hidden);
    toggle.classList.toggle("active", folded.some((li) => li.querySelector(".active")));
  };
  fold();
  let pending = false;
  const later = () => {
    if (!pending) {
      pending = true;
      requestAnimationFrame(() => {
        pending = false;
        fold();
      });
    }
  };
  window.addEventListener("resize", later);
  wide.addEventListener("change", later);
  if (document.fonts) document.fonts.ready.then(later);
})();
