// Attaching, step 2: files dropped or chosen are sent one by one (one POST each) with
// XMLHttpRequest, each with its own progress bar. The first file goes to the document of
// step 1; the others become documents of their own with the same details (?sibling=1).
(function () {
  "use strict";

  function csrfToken(root) {
    var input = root.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function row(list, name) {
    var item = document.createElement("li");
    item.className = "mb-2";
    item.setAttribute("data-testid", "upload-item");
    var label = document.createElement("div");
    label.className = "d-flex justify-content-between small";
    var title = document.createElement("span");
    title.className = "text-break me-2";
    title.textContent = name;
    var state = document.createElement("span");
    state.className = "text-body-secondary text-nowrap";
    state.setAttribute("data-testid", "upload-state");
    state.textContent = "0%";
    label.appendChild(title);
    label.appendChild(state);
    var outer = document.createElement("div");
    outer.className = "progress";
    outer.setAttribute("role", "progressbar");
    outer.setAttribute("aria-valuemin", "0");
    outer.setAttribute("aria-valuemax", "100");
    outer.setAttribute("aria-valuenow", "0");
    outer.setAttribute("aria-label", name);
    var bar = document.createElement("div");
    bar.className = "progress-bar";
    bar.setAttribute("data-testid", "upload-bar");
    bar.style.width = "0%";
    outer.appendChild(bar);
    var note = document.createElement("div");
    note.className = "small";
    item.appendChild(label);
    item.appendChild(outer);
    item.appendChild(note);
    list.appendChild(item);
    return {
      item: item,
      progress: function (percent) {
        bar.style.width = percent + "%";
        outer.setAttribute("aria-valuenow", String(percent));
        state.textContent = percent + "%";
      },
      finish: function (ok, message, url, warning) {
        bar.classList.add(ok ? "bg-success" : "bg-danger");
        bar.style.width = "100%";
        outer.setAttribute("aria-valuenow", "100");
        item.setAttribute("data-state", ok ? "done" : "failed");
        state.textContent = ok ? message : "";
        note.textContent = "";
        if (!ok) {
          note.className = "small text-danger";
          note.textContent = message;
        } else if (warning) {
          note.className = "small text-warning-emphasis";
          note.textContent = warning;
        }
        if (ok && url) {
          var link = document.createElement("a");
          link.href = url;
          link.textContent = title.textContent;
          title.textContent = "";
          title.appendChild(link);
        }
      },
    };
  }

  function start(root) {
    var url = root.getAttribute("data-url");
    var maxBytes = parseInt(root.getAttribute("data-max-bytes"), 10);
    var hasFile = root.getAttribute("data-has-file") === "1";
    var list = root.querySelector("#upload-list");
    var zone = root.querySelector("[data-testid=dropzone]");
    var input = root.querySelector("input[type=file]");
    var token = csrfToken(root);
    var queue = [];
    var busy = false;

    function next() {
      if (busy || !queue.length) return;
      busy = true;
      var job = queue.shift();
      var target = url + (hasFile ? "?sibling=1" : "");
      var xhr = new XMLHttpRequest();
      xhr.open("POST", target);
      xhr.setRequestHeader("X-CSRFToken", token);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (event) {
        if (event.lengthComputable) {
          job.view.progress(Math.min(99, Math.floor((event.loaded / event.total) * 100)));
        }
      });
      xhr.addEventListener("load", function () {
        var answer = null;
        try {
          answer = JSON.parse(xhr.responseText);
        } catch (e) {
          answer = null;
        }
        if (answer && answer.ok) {
          hasFile = true; // the first file fills the document of step 1; the rest are siblings
          job.view.finish(true, root.getAttribute("data-done"), answer.url, answer.warning);
        } else {
          job.view.finish(false, (answer && answer.error) || root.getAttribute("data-failed"));
        }
        busy = false;
        next();
      });
      xhr.addEventListener("error", function () {
        job.view.finish(false, root.getAttribute("data-failed"));
        busy = false;
        next();
      });
      var data = new FormData();
      data.append("file", job.file, job.file.name);
      xhr.send(data);
    }

    function add(files) {
      Array.prototype.forEach.call(files, function (file) {
        var view = row(list, file.name);
        if (file.size > maxBytes) {
          view.finish(false, root.getAttribute("data-too-big"));
          return;
        }
        queue.push({ file: file, view: view });
      });
      next();
    }

    input.addEventListener("change", function () {
      add(input.files);
      input.value = "";
    });
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("border-primary", "bg-primary-subtle");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.remove("border-primary", "bg-primary-subtle");
      });
    });
    zone.addEventListener("drop", function (event) {
      if (event.dataTransfer && event.dataTransfer.files) add(event.dataTransfer.files);
    });
  }

  function init() {
    var root = document.getElementById("uploader");
    if (root) start(root);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
