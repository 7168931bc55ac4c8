// The query builder (templates/querybuilder/builder.html) and the charts of grouped results
// (the builder's preview, a saved query's run page and its print view). No framework, no
// inline script: the catalog, the query and the words come from json_script tags.
//
// The query ("spec") is kept here as one object, drawn into the builder after each structural
// change, and written as JSON into the form's hidden "spec" input after every change; the
// preview element (hx-trigger "qb-changed from:body") then posts the form to the preview view.
(() => {
  "use strict";

  const readJSON = (id) => {
    const node = document.getElementById(id);
    if (!node) return null;
    try {
      return JSON.parse(node.textContent);
    } catch (error) {
      return null;
    }
  };

  // --- Charts --------------------------------------------------------------------------------

  const PALETTE = [
    "#0d6efd", "#fd7e14", "#198754", "#dc3545", "#6f42c1",
    "#20c997", "#ffc107", "#6610f2", "#d63384", "#0dcaf0",
  ];

  const drawChart = (canvas) => {
    if (!window.Chart) return;
    let data;
    try {
      data = JSON.parse(canvas.dataset.qbChart || "null");
    } catch (error) {
      return;
    }
    if (!data || !Array.isArray(data.labels)) return;
    const kind = canvas.dataset.qbChartKind || "bar";
    const still = "qbStatic" in canvas.dataset;
    if (canvas.qbChart) canvas.qbChart.destroy();
    const datasets = (data.datasets || []).map((set, index) => {
      const colour = PALETTE[index % PALETTE.length];
      return {
        label: set.label,
        data: set.data,
        backgroundColor:
          kind === "pie"
            ? set.data.map((_, i) => PALETTE[i % PALETTE.length])
            : kind === "line"
              ? colour
              : `${colour}cc`,
        borderColor: kind === "pie" ? "#fff" : colour,
        borderWidth: kind === "line" ? 2 : 1,
        tension: 0,
      };
    });
    canvas.qbChart = new window.Chart(canvas, {
      type: kind,
      data: { labels: data.labels, datasets },
      options: {
        responsive: !still,
        maintainAspectRatio: false,
        animation: still ? false : { duration: 300 },
        plugins: {
          legend: { display: kind === "pie" || datasets.length > 1, position: "bottom" },
        },
        scales:
          kind === "pie" ? {} : { y: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
    if (still) {
      // The print view prints a picture: a canvas may be cleared or resized by the print.
      const picture = document.createElement("img");
      picture.src = canvas.qbChart.toBase64Image();
      picture.alt = canvas.getAttribute("aria-label") || "";
      picture.className = "qb-chart-picture";
      picture.dataset.testid = "qb-chart-picture";
      canvas.qbChart.destroy();
      canvas.replaceWith(picture);
    }
  };

  const drawCharts = (scope) => {
    (scope || document).querySelectorAll("canvas[data-qb-chart]").forEach(drawChart);
  };

  document.addEventListener("click", (event) => {
    const button = event.target.closest && event.target.closest("[data-qb-chart-type]");
    if (button) {
      const box = button.closest(".qb-result") || document;
      const canvas = box.querySelector("canvas[data-qb-chart]");
      if (!canvas) return;
      canvas.dataset.qbChartKind = button.dataset.qbChartType;
      button.parentElement.querySelectorAll("[data-qb-chart-type]").forEach((other) => {
        other.classList.toggle("active", other === button);
        other.setAttribute("aria-pressed", other === button ? "true" : "false");
      });
      drawChart(canvas);
      return;
    }
    if (event.target.closest && event.target.closest("[data-qb-print]")) window.print();
  });
  document.addEventListener("htmx:load", (event) => drawCharts(event.detail.elt));
  drawCharts(document);

  // --- The builder ---------------------------------------------------------------------------

  const root = document.getElementById("qb-builder");
  const catalog = readJSON("qb-catalog");
  if (!root || !catalog) return;
  const T = readJSON("qb-strings") || {};
  const input = document.getElementById("qb-spec-input");
  let spec = readJSON("qb-spec") || {};

  // Operators by what their value is (the rest take one value typed or chosen).
  const NO_VALUE = new Set([
    "is_empty", "is_not_empty", "not_empty", "empty", "is_set", "is_not_set",
    "is_true", "is_false", "me", "my_team",
  ]);
  const PAIR = new Set(["between"]);
  const LIST = new Set(["in", "not_in"]);
  const DATE_TYPES = new Set(["date", "datetime"]);
  const NUMBER_TYPES = new Set(["number", "money"]);
  const MAX_DEPTH = 4;

  const entity = (key) => (catalog.entities || {})[key] || { fields: [], relations: [] };
  const opLabel = (op) => (catalog.ops || {})[op] || op;

  // The fields of an entity and, one level deep, of its to-one relations ("partner.city").
  const fieldsOf = (entityKey, keep) => {
    const own = entity(entityKey);
    const groups = [{ label: own.label || "", fields: [] }];
    (own.fields || []).forEach((f) => {
      if (!keep || keep(f)) groups[0].fields.push({ path: f.key, label: f.label, info: f });
    });
    (own.relations || []).forEach((rel) => {
      if (rel.many) return;
      const group = { label: rel.label, fields: [] };
      (entity(rel.target).fields || []).forEach((f) => {
        if (!keep || keep(f)) {
          group.fields.push({ path: `${rel.key}.${f.key}`, label: `${rel.label} › ${f.label}`, info: f });
        }
      });
      if (group.fields.length) groups.push(group);
    });
    return groups;
  };

  const fieldInfo = (entityKey, path) => {
    const parts = String(path || "").split(".");
    let key = entityKey;
    let label = "";
    if (parts.length > 2) return null;
    if (parts.length === 2) {
      const rel = (entity(key).relations || []).find((r) => r.key === parts[0] && !r.many);
      if (!rel) return null;
      key = rel.target;
      label = `${rel.label} › `;
    }
    const info = (entity(key).fields || []).find((f) => f.key === parts[parts.length - 1]);
    return info ? { ...info, fullLabel: label + info.label } : null;
  };

  // --- Small DOM helpers ---
  const el = (tag, attrs, ...children) => {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([name, value]) => {
      if (value === undefined || value === null || value === false) return;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else if (name === "dataset") Object.assign(node.dataset, value);
      else if (name === "value") node.value = value;
      else node.setAttribute(name, value === true ? "" : value);
    });
    children.flat().forEach((child) => {
      if (child === null || child === undefined || child === false) return;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    });
    return node;
  };

  const option = (value, label, selected) => {
    const node = el("option", { value }, label);
    if (selected) node.selected = true;
    return node;
  };

  // A select of fields in option groups; "placeholder" adds an empty first option.
  const fieldSelect = (groups, selected, attrs, placeholder) => {
    const select = el("select", { class: "form-select form-select-sm", ...attrs });
    if (placeholder) select.append(option("", placeholder, !selected));
    groups.forEach((group, index) => {
      if (!group.fields.length) return;
      const parent = index === 0 && groups.length === 1 ? select : el("optgroup", { label: group.label });
      group.fields.forEach((f) => parent.append(option(f.path, f.label, f.path === selected)));
      if (parent !== select) select.append(parent);
    });
    return select;
  };

  const section = (title, testid, ...children) =>
    el(
      "section",
      { class: "qb-section", "data-testid": testid },
      el("h2", { class: "qb-section-title" }, title),
      ...children,
    );

  const removeButton = (onclick, label) =>
    el(
      "button",
      { type: "button", class: "btn btn-sm btn-link text-danger qb-remove", "aria-label": label || T.remove, title: label || T.remove, onclick },
      el("i", { class: "bi bi-x-lg" }),
    );

  // --- The query's state ---
  const newGroup = (any) => ({ any: !!any, items: [] });

  const defaultValue = (info, op) => {
    if (!info) return "";
    if (NO_VALUE.has(op)) return null;
    if (op === "relative") return ((catalog.relative || [])[0] || [""])[0];
    if (PAIR.has(op)) return ["", ""];
    if (LIST.has(op)) return [];
    if (info.type === "boolean") return true;
    const choices = info.type === "user" ? catalog.users || [] : info.choices || [];
    if (choices.length) return String(choices[0][0]);
    return "";
  };

  const newCondition = (entityKey) => {
    const first = fieldsOf(entityKey, (f) => (f.ops || []).length)[0].fields[0];
    if (!first) return null;
    const op = (first.info.ops || [])[0] || "equals";
    return { field: first.path, op, value: defaultValue(first.info, op) };
  };

  const startBase = (base) => {
    const own = entity(base);
    const fields = (own.default_columns || []).length
      ? [...own.default_columns]
      : (own.fields || []).slice(0, 4).map((f) => f.key);
    spec = { base, columns: fields, filter: newGroup(false), sort: [] };
  };

  const normalise = () => {
    const bases = (catalog.bases || []).map((b) => b.key);
    if (!spec || typeof spec !== "object" || Array.isArray(spec) || !spec.base) {
      if (bases.length) startBase(bases[0]);
      return;
    }
    // A saved query on a base this user may not ask about stays as it is: the preview says
    // why, and nothing here rewrites it into another query that could be saved over it.
    if (!Array.isArray(spec.columns)) spec.columns = [];
    if (!spec.filter || !Array.isArray(spec.filter.items)) spec.filter = newGroup(false);
    if (!Array.isArray(spec.sort)) spec.sort = [];
    if (spec.group && !Array.isArray(spec.group.by)) delete spec.group;
    if (spec.group && !Array.isArray(spec.group.measures)) spec.group.measures = [];
  };

  const grouped = () => !!(spec.group && spec.group.by && spec.group.by.length);

  // The spec as sent: no empty grouping, sorts only on what the result has.
  const cleaned = () => {
    const out = JSON.parse(JSON.stringify(spec));
    if (!grouped()) delete out.group;
    const allowed = new Set(sortOptions()[0].fields.map((f) => f.path));
    sortOptions().slice(1).forEach((g) => g.fields.forEach((f) => allowed.add(f.path)));
    out.sort = (out.sort || []).filter((s) => allowed.has(s.field));
    return out;
  };

  const changed = () => {
    if (input) input.value = JSON.stringify(cleaned());
    document.body.dispatchEvent(new CustomEvent("qb-changed", { bubbles: true }));
  };

  const redraw = () => {
    render();
    changed();
  };

  // --- Sections ---
  const baseSection = () => {
    const select = el("select", {
      class: "form-select form-select-sm",
      id: "qb-base",
      "data-testid": "qb-base",
      onchange: (event) => {
        startBase(event.target.value);
        redraw();
      },
    });
    (catalog.bases || []).forEach((b) => select.append(option(b.key, b.label, b.key === spec.base)));
    if (!(catalog.bases || []).some((b) => b.key === spec.base)) {
      select.prepend(option(spec.base, String(spec.base), true));
    }
    return section(T.base, "qb-base-section", el("label", { class: "visually-hidden", for: "qb-base" }, T.base), select);
  };

  const columnsSection = () => {
    const chips = el("ul", { class: "qb-chips list-unstyled", "data-testid": "qb-columns" });
    spec.columns.forEach((path, index) => {
      const info = fieldInfo(spec.base, path);
      chips.append(
        el(
          "li",
          {
            class: "qb-chip",
            dataset: { path },
            "data-testid": "qb-column",
            title: T.drag,
            tabindex: "0",
            // the keyboard's way to reorder: arrow keys move the focused chip
            onkeydown: (event) => {
              const step = { ArrowLeft: -1, ArrowUp: -1, ArrowRight: 1, ArrowDown: 1 }[event.key];
              if (!step || event.target !== event.currentTarget) return;
              const to = index + step;
              if (to < 0 || to >= spec.columns.length) return;
              event.preventDefault();
              spec.columns.splice(to, 0, spec.columns.splice(index, 1)[0]);
              redraw();
              const again = root.querySelector(`.qb-chip[data-path="${CSS.escape(path)}"]`);
              if (again) again.focus();
            },
          },
          el("i", { class: "bi bi-grip-vertical qb-grip", "aria-hidden": "true" }),
          el("span", { class: "qb-chip-label" }, info ? info.fullLabel : path),
          removeButton(() => {
            spec.columns.splice(index, 1);
            redraw();
          }, `${T.remove}: ${info ? info.fullLabel : path}`),
        ),
      );
    });
    if (window.Sortable) {
      window.Sortable.create(chips, {
        animation: 150,
        filter: ".qb-remove",
        preventOnFilter: false,
        onEnd: () => {
          spec.columns = [...chips.querySelectorAll(".qb-chip")].map((chip) => chip.dataset.path);
          redraw();
        },
      });
    }
    const taken = new Set(spec.columns);
    const add = fieldSelect(
      fieldsOf(spec.base, () => true).map((g) => ({ ...g, fields: g.fields.filter((f) => !taken.has(f.path)) })),
      "",
      {
        "aria-label": T.add_column,
        "data-testid": "qb-add-column",
        onchange: (event) => {
          if (!event.target.value) return;
          spec.columns.push(event.target.value);
          redraw();
        },
      },
      T.add_column,
    );
    return section(
      T.columns,
      "qb-columns-section",
      grouped() ? el("p", { class: "small text-body-secondary mb-1" }, T.grouped_note) : null,
      chips,
      add,
    );
  };

  // The value input(s) of a condition, by the field's type and the operator.
  const valueInput = (item, info, id) => {
    const op = item.op;
    if (NO_VALUE.has(op)) return null;
    const set = (value) => {
      item.value = value;
      changed();
    };
    const attrs = { class: "form-control form-control-sm qb-value", "aria-label": T.value, "data-testid": "qb-value" };
    if (op === "relative") {
      const select = el("select", { ...attrs, class: "form-select form-select-sm qb-value", onchange: (e) => set(e.target.value) });
      (catalog.relative || []).forEach(([value, label]) => select.append(option(value, label, value === item.value)));
      return select;
    }
    // a user field's "is" / "is one of" choose among the colleagues ("is me" takes no value)
    const choices = info.type === "user" ? catalog.users || [] : info.choices && info.choices.length ? info.choices : null;
    if (choices || info.type === "boolean") {
      const list = choices || [["true", T.yes], ["false", T.no]];
      const many = LIST.has(op);
      const select = el("select", {
        ...attrs,
        class: "form-select form-select-sm qb-value",
        multiple: many,
        size: many ? Math.min(6, list.length) : null,
        onchange: (e) => {
          if (many) set([...e.target.selectedOptions].map((o) => o.value));
          else if (info.type === "boolean") set(e.target.value === "true");
          else set(e.target.value);
        },
      });
      const chosen = new Set((Array.isArray(item.value) ? item.value : [item.value]).map(String));
      list.forEach(([value, label]) => select.append(option(String(value), label, chosen.has(String(value)))));
      return select;
    }
    const hint = DATE_TYPES.has(info.type) ? T.date_hint : NUMBER_TYPES.has(info.type) ? T.number_hint : "";
    const check = (node) => {
      const text = node.value.trim();
      let ok = true;
      if (text && DATE_TYPES.has(info.type)) {
        // "2026. 11. 22." (Hungarian) or "2026-11-22"; the server checks the calendar
        ok =
          /^\d{4}\.\s?(0?[1-9]|1[0-2])\.\s?(0?[1-9]|[12]\d|3[01])\.?(\s+\d{1,2}:\d{2})?$/.test(text) ||
          /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])([T ]\d{2}:\d{2}(:\d{2})?)?$/.test(text);
      } else if (text && NUMBER_TYPES.has(info.type)) {
        ok = /^[-+−]?\d[\d\s\u00a0\u202f.]*(,\d+)?$/.test(text) || /^[-+]?\d+(\.\d+)?$/.test(text);
      }
      node.classList.toggle("is-invalid", !ok);
      node.title = ok ? "" : DATE_TYPES.has(info.type) ? T.bad_date : T.bad_number;
    };
    const textInput = (value, onvalue, extra) => {
      const node = el("input", {
        ...attrs,
        ...extra,
        type: "text",
        value: value === null || value === undefined ? "" : String(value),
        placeholder: hint,
        inputmode: NUMBER_TYPES.has(info.type) ? "decimal" : DATE_TYPES.has(info.type) ? "numeric" : null,
        autocomplete: "off",
        oninput: (e) => {
          check(e.target);
          onvalue(e.target.value);
        },
      });
      check(node);
      return node;
    };
    if (PAIR.has(op)) {
      const pair = Array.isArray(item.value) ? item.value : ["", ""];
      item.value = pair;
      return el(
        "div",
        { class: "input-group input-group-sm qb-pair" },
        textInput(pair[0], (v) => { pair[0] = v; changed(); }, { "aria-label": T.from, "data-testid": "qb-value-from", id }),
        el("span", { class: "input-group-text" }, "–"),
        textInput(pair[1], (v) => { pair[1] = v; changed(); }, { "aria-label": T.to, "data-testid": "qb-value-to" }),
      );
    }
    if (LIST.has(op)) {
      // Typed values, one a line or separated by ";".
      const area = el("textarea", {
        ...attrs,
        rows: 2,
        placeholder: hint,
        oninput: (e) => set(e.target.value.split(/[\n;]/).map((v) => v.trim()).filter(Boolean)),
      });
      area.value = (Array.isArray(item.value) ? item.value : []).join("\n");
      return area;
    }
    return textInput(item.value, (v) => set(v), { id });
  };

  let uid = 0;
  const conditionRow = (item, group, index, entityKey) => {
    const info = fieldInfo(entityKey, item.field);
    const id = `qb-c${(uid += 1)}`;
    const fields = fieldSelect(fieldsOf(entityKey, (f) => (f.ops || []).length), item.field, {
      "aria-label": T.field,
      "data-testid": "qb-field",
      class: "form-select form-select-sm qb-field",
      onchange: (e) => {
        const next = fieldInfo(entityKey, e.target.value);
        item.field = e.target.value;
        item.op = next && (next.ops || []).includes(item.op) ? item.op : ((next && next.ops) || [])[0] || "";
        item.value = defaultValue(next, item.op);
        if (item.ask) item.param = item.param || paramName(item.field);
        redraw();
      },
    });
    const ops = el("select", {
      class: "form-select form-select-sm qb-op",
      "aria-label": T.operator,
      "data-testid": "qb-op",
      onchange: (e) => {
        const before = item.op;
        item.op = e.target.value;
        const same = (PAIR.has(before) && PAIR.has(item.op)) || (LIST.has(before) && LIST.has(item.op));
        const kept = !NO_VALUE.has(before) && !PAIR.has(before) && !LIST.has(before) && before !== "relative";
        const plain = !NO_VALUE.has(item.op) && !PAIR.has(item.op) && !LIST.has(item.op) && item.op !== "relative";
        if (!same && !(kept && plain)) item.value = defaultValue(info, item.op);
        redraw();
      },
    });
    ((info && info.ops) || []).forEach((op) => ops.append(option(op, opLabel(op), op === item.op)));
    const ask = el("input", {
      type: "checkbox",
      class: "form-check-input",
      id: `${id}-ask`,
      "data-testid": "qb-ask",
      onchange: (e) => {
        item.ask = e.target.checked;
        if (item.ask) item.param = item.param || paramName(item.field);
        else {
          delete item.ask;
          delete item.param;
        }
        redraw();
      },
    });
    ask.checked = !!item.ask;
    const askBox = NO_VALUE.has(item.op)
      ? null
      : el(
          "div",
          { class: "qb-ask d-flex align-items-center gap-2" },
          el("div", { class: "form-check form-check-inline mb-0" }, ask, el("label", { class: "form-check-label small", for: `${id}-ask` }, T.ask)),
          item.ask
            ? el("input", {
                type: "text",
                class: "form-control form-control-sm qb-param",
                value: item.param || "",
                "aria-label": T.param,
                placeholder: T.param,
                "data-testid": "qb-param",
                oninput: (e) => {
                  item.param = e.target.value.trim();
                  changed();
                },
              })
            : null,
        );
    return el(
      "div",
      { class: "qb-condition", "data-testid": "qb-condition" },
      el(
        "div",
        { class: "qb-condition-main" },
        fields,
        ops,
        info ? valueInput(item, info, id) : null,
        removeButton(() => {
          group.items.splice(index, 1);
          redraw();
        }),
      ),
      askBox,
    );
  };

  const paramName = (path) => String(path || "value").replace(/[^A-Za-z0-9_]/g, "_");

  const relationBlock = (item, group, index, entityKey, depth) => {
    const rel = (entity(entityKey).relations || []).find((r) => r.key === item.relation);
    if (!item.filter || !Array.isArray(item.filter.items)) item.filter = newGroup(false);
    const has = el("select", {
      class: "form-select form-select-sm qb-has",
      "aria-label": `${T.has} / ${T.has_no}`,
      "data-testid": "qb-has",
      onchange: (e) => {
        item.has = e.target.value === "true";
        redraw();
      },
    });
    has.append(option("true", T.has, item.has !== false), option("false", T.has_no, item.has === false));
    return el(
      "div",
      { class: "qb-relation", "data-testid": "qb-relation" },
      el(
        "div",
        { class: "qb-relation-head" },
        has,
        el("span", { class: "fw-semibold" }, rel ? rel.label : item.relation),
        el("span", { class: "text-body-secondary" }, T.where),
        removeButton(() => {
          group.items.splice(index, 1);
          redraw();
        }),
      ),
      rel ? groupBlock(item.filter, rel.target, depth + 1, null) : null,
    );
  };

  const groupBlock = (group, entityKey, depth, onremove) => {
    const any = el("select", {
      class: "form-select form-select-sm qb-any",
      "aria-label": `${T.all} / ${T.any}`,
      "data-testid": "qb-any",
      onchange: (e) => {
        group.any = e.target.value === "true";
        redraw();
      },
    });
    any.append(option("false", T.all, !group.any), option("true", T.any, !!group.any));
    const items = el("div", { class: "qb-items" });
    group.items.forEach((item, index) => {
      if (item && Array.isArray(item.items)) {
        items.append(
          groupBlock(item, entityKey, depth + 1, () => {
            group.items.splice(index, 1);
            redraw();
          }),
        );
      } else if (item && item.relation) {
        items.append(relationBlock(item, group, index, entityKey, depth));
      } else if (item) {
        items.append(conditionRow(item, group, index, entityKey));
      }
    });
    if (!group.items.length && depth === 0) items.append(el("p", { class: "small text-body-secondary mb-1" }, T.empty_filter));
    const manyRelations = (entity(entityKey).relations || []).filter((r) => r.many);
    const related = manyRelations.length && depth < MAX_DEPTH
      ? el(
          "select",
          {
            class: "form-select form-select-sm qb-add-related",
            "aria-label": T.add_related,
            "data-testid": "qb-add-related",
            onchange: (e) => {
              if (!e.target.value) return;
              group.items.push({ relation: e.target.value, has: true, filter: newGroup(false) });
              redraw();
            },
          },
          option("", T.add_related, true),
          manyRelations.map((r) => option(r.key, r.label, false)),
        )
      : null;
    return el(
      "div",
      { class: `qb-group qb-depth-${depth}`, "data-testid": "qb-group" },
      el("div", { class: "qb-group-head" }, any, onremove ? removeButton(onremove) : null),
      items,
      el(
        "div",
        { class: "qb-group-actions" },
        el(
          "button",
          {
            type: "button",
            class: "btn btn-sm btn-outline-primary",
            "data-testid": "qb-add-condition",
            onclick: () => {
              const condition = newCondition(entityKey);
              if (condition) group.items.push(condition);
              redraw();
            },
          },
          el("i", { class: "bi bi-plus-lg" }),
          ` ${T.add_condition}`,
        ),
        depth < MAX_DEPTH
          ? el(
              "button",
              {
                type: "button",
                class: "btn btn-sm btn-outline-secondary",
                "data-testid": "qb-add-group",
                onclick: () => {
                  const inner = newGroup(!group.any);
                  const condition = newCondition(entityKey);
                  if (condition) inner.items.push(condition);
                  group.items.push(inner);
                  redraw();
                },
              },
              el("i", { class: "bi bi-diagram-2" }),
              ` ${T.add_group}`,
            )
          : null,
        related,
      ),
    );
  };

  const filterSection = () => section(T.filters, "qb-filters-section", groupBlock(spec.filter, spec.base, 0, null));

  // What a sort may name: the columns' fields, or in grouped mode the groups and the measures.
  const sortOptions = () => {
    if (!grouped()) return fieldsOf(spec.base, (f) => f.sortable !== false);
    const groups = [{ label: T.group, fields: [] }, { label: T.measures, fields: [] }];
    spec.group.by.forEach((by) => {
      const info = fieldInfo(spec.base, by.field);
      if (info) groups[0].fields.push({ path: by.field, label: info.fullLabel });
    });
    spec.group.measures.forEach((m, index) => {
      groups[1].fields.push({ path: `m${index}`, label: measureLabel(m) });
    });
    return groups;
  };

  const fnLabel = (fn) => ((catalog.fns || []).find(([key]) => key === fn) || [fn, fn])[1];
  const measureLabel = (m) => {
    if (m.fn === "count" || !m.field) return fnLabel(m.fn);
    const info = fieldInfo(spec.base, m.field);
    return `${fnLabel(m.fn)} ${T.of} ${info ? info.fullLabel : m.field}`;
  };

  const sortSection = () => {
    const list = el("div", { class: "qb-rows", "data-testid": "qb-sorts" });
    const options = sortOptions();
    spec.sort.forEach((sort, index) => {
      const dir = el("select", {
        class: "form-select form-select-sm qb-dir",
        "aria-label": `${T.ascending} / ${T.descending}`,
        onchange: (e) => {
          sort.desc = e.target.value === "desc";
          changed();
        },
      });
      dir.append(option("asc", T.ascending, !sort.desc), option("desc", T.descending, !!sort.desc));
      list.append(
        el(
          "div",
          { class: "qb-row", "data-testid": "qb-sort" },
          fieldSelect(options, sort.field, {
            "aria-label": T.sort,
            onchange: (e) => {
              sort.field = e.target.value;
              changed();
            },
          }),
          dir,
          removeButton(() => {
            spec.sort.splice(index, 1);
            redraw();
          }),
        ),
      );
    });
    const used = new Set(spec.sort.map((s) => s.field));
    const add = fieldSelect(
      options.map((g) => ({ ...g, fields: g.fields.filter((f) => !used.has(f.path)) })),
      "",
      {
        "aria-label": T.add_sort,
        "data-testid": "qb-add-sort",
        onchange: (e) => {
          if (!e.target.value) return;
          spec.sort.push({ field: e.target.value, desc: false });
          redraw();
        },
      },
      T.add_sort,
    );
    return section(T.sort, "qb-sort-section", list, add);
  };

  const groupSection = () => {
    const group = spec.group || { by: [], measures: [] };
    const by = el("div", { class: "qb-rows", "data-testid": "qb-group-by" });
    const groupable = fieldsOf(spec.base, (f) => f.groupable !== false);
    group.by.forEach((item, index) => {
      const info = fieldInfo(spec.base, item.field);
      let trunc = null;
      if (info && DATE_TYPES.has(info.type)) {
        trunc = el("select", {
          class: "form-select form-select-sm qb-trunc",
          "aria-label": T.group,
          "data-testid": "qb-trunc",
          onchange: (e) => {
            if (e.target.value) item.trunc = e.target.value;
            else delete item.trunc;
            changed();
          },
        });
        trunc.append(option("", T.no_trunc, !item.trunc));
        (catalog.truncs || []).forEach(([value, label]) => trunc.append(option(value, label, value === item.trunc)));
      }
      by.append(
        el(
          "div",
          { class: "qb-row", "data-testid": "qb-by" },
          fieldSelect(groupable, item.field, {
            "aria-label": T.group,
            onchange: (e) => {
              item.field = e.target.value;
              delete item.trunc;
              redraw();
            },
          }),
          trunc,
          removeButton(() => {
            group.by.splice(index, 1);
            redraw();
          }),
        ),
      );
    });
    const used = new Set(group.by.map((b) => b.field));
    const addBy = fieldSelect(
      groupable.map((g) => ({ ...g, fields: g.fields.filter((f) => !used.has(f.path)) })),
      "",
      {
        "aria-label": T.add_group_by,
        "data-testid": "qb-add-group-by",
        onchange: (e) => {
          if (!e.target.value) return;
          if (!spec.group) spec.group = { by: [], measures: [] };
          spec.group.by.push({ field: e.target.value });
          if (!spec.group.measures.length) spec.group.measures.push({ fn: "count" });
          redraw();
        },
      },
      T.add_group_by,
    );
    const children = [by, addBy];
    if (grouped()) {
      const measures = el("div", { class: "qb-rows", "data-testid": "qb-measures" });
      const numbers = fieldsOf(spec.base, (f) => !!f.aggregatable);
      group.measures.forEach((m, index) => {
        const fn = el("select", {
          class: "form-select form-select-sm qb-fn",
          "aria-label": T.measures,
          "data-testid": "qb-fn",
          onchange: (e) => {
            m.fn = e.target.value;
            if (m.fn === "count") delete m.field;
            else if (!m.field) m.field = (numbers[0].fields[0] || (numbers[1] || { fields: [] }).fields[0] || {}).path;
            redraw();
          },
        });
        (catalog.fns || []).forEach(([value, label]) => {
          if (value === "count" || numbers.some((g) => g.fields.length)) fn.append(option(value, label, value === m.fn));
        });
        measures.append(
          el(
            "div",
            { class: "qb-row", "data-testid": "qb-measure" },
            fn,
            m.fn !== "count"
              ? fieldSelect(numbers, m.field, {
                  "aria-label": T.of,
                  onchange: (e) => {
                    m.field = e.target.value;
                    changed();
                  },
                })
              : null,
            group.measures.length > 1
              ? removeButton(() => {
                  group.measures.splice(index, 1);
                  spec.sort = spec.sort.filter((s) => !/^m\d+$/.test(s.field));
                  redraw();
                })
              : null,
          ),
        );
      });
      const addMeasure = el(
        "button",
        {
          type: "button",
          class: "btn btn-sm btn-outline-secondary",
          "data-testid": "qb-add-measure",
          onclick: () => {
            group.measures.push({ fn: "count" });
            redraw();
          },
        },
        el("i", { class: "bi bi-plus-lg" }),
        ` ${T.add_measure}`,
      );
      children.push(el("h3", { class: "qb-subtitle" }, T.measures), measures, addMeasure);
    }
    return section(T.group, "qb-group-section", ...children);
  };

  const render = () => {
    const focused = document.activeElement && root.contains(document.activeElement) ? document.activeElement.dataset.testid : null;
    root.replaceChildren(baseSection(), columnsSection(), filterSection(), sortSection(), groupSection());
    if (focused) {
      const again = root.querySelector(`[data-testid="${focused}"]`);
      if (again && again.focus) again.focus();
    }
  };

  // Enter in the save panel's name must not submit the form (its default button would be
  // an export or print button); the panel's buttons post it through HTMX.
  const form = document.getElementById("qb-form");
  if (form) {
    form.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && event.target.tagName === "INPUT") event.preventDefault();
    });
  }

  normalise();
  render();
  // Written before HTMX starts (on DOMContentLoaded): its "load" trigger posts the first preview.
  if (input) input.value = JSON.stringify(cleaned());
})();
