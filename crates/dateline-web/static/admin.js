// The admin's enhancements. Every page works without this file; with it the editor previews
// as you type, saves drafts by itself, and warns before unsaved changes are lost, and the
// media library takes files dropped on it. Served by Dateline itself (no other host), under a
// Content-Security-Policy that allows no inline script.
"use strict";

(function () {
  const editor = document.getElementById("editor");
  if (editor) {
    enhanceEditor(editor);
  }
  document.querySelectorAll("[data-dropzone]").forEach(enhanceDropzone);
  const desk = document.querySelector("[data-desk]");
  if (desk) {
    enhanceDesk(desk);
  }

  // The moderation desk's keyboard shortcuts: j and k move between comments, and a letter
  // presses the comment's own button, so that a shortcut does exactly what a click would.
  function enhanceDesk(list) {
    const items = Array.from(list.querySelectorAll(".moderation-item"));
    const help = document.getElementById("desk-shortcuts");
    if (help) {
      help.hidden = false;
    }
    let current = -1;
    function select(index) {
      if (items.length === 0) {
        return;
      }
      current = Math.max(0, Math.min(items.length - 1, index));
      items.forEach(function (item, i) {
        item.classList.toggle("current", i === current);
      });
      items[current].focus();
    }
    const decisions = { a: "approve", s: "spam", t: "trash", r: "restore" };
    document.addEventListener("keydown", function (event) {
      const target = event.target;
      if (event.ctrlKey || event.metaKey || event.altKey ||
          (target && target.closest && target.closest("input, textarea, select, [contenteditable]"))) {
        return;
      }
      const key = event.key;
      if (key === "j" || key === "k") {
        event.preventDefault();
        select(current < 0 ? 0 : current + (key === "j" ? 1 : -1));
        return;
      }
      if (current < 0) {
        return;
      }
      const item = items[current];
      if (decisions[key]) {
        const button = item.querySelector(
          ".row-actions button[name=decision][value=" + decisions[key] + "]");
        if (button) {
          event.preventDefault();
          button.click();
        }
      } else if (key === "x") {
        const tick = item.querySelector("input[type=checkbox][name=ids]");
        if (tick) {
          event.preventDefault();
          tick.checked = !tick.checked;
        }
      } else if (key === "e" || key === "p") {
        const details = item.querySelector(key === "e" ? ".edit-comment" : ".reply-comment");
        if (details) {
          event.preventDefault();
          details.open = true;
          const field = details.querySelector("textarea");
          if (field) {
            field.focus();
          }
        }
      }
    });
  }

  function enhanceEditor(form) {
    const body = form.querySelector("#body_markdown");
    const previewBody = document.getElementById("preview-body");
    const status = document.getElementById("autosave-status");
    const version = form.querySelector("input[name=version]");
    let dirty = false;
    let saving = false;
    let submitting = false;
    let previewTimer = null;

    // The fields that a save sends, without the file input (an autosave never uploads).
    function formData(intent) {
      const data = new FormData(form);
      data.delete("lead_file");
      data.set("intent", intent);
      return data;
    }

    function say(text) {
      if (status) {
        status.textContent = text;
      }
    }

    // Live preview: the server renders with the public page's renderer.
    async function refreshPreview() {
      if (!previewBody) {
        return;
      }
      try {
        const response = await fetch(form.dataset.preview, {
          method: "POST",
          body: formData("preview"),
          credentials: "same-origin",
        });
        if (response.ok) {
          // The server sanitises the rendering exactly as on the public page.
          previewBody.innerHTML = await response.text();
          document.getElementById("preview").removeAttribute("data-empty");
        }
      } catch (e) {
        // Offline: the Preview button still works.
      }
    }

    form.addEventListener("input", function (event) {
      if (event.target.type === "file") {
        return;
      }
      dirty = true;
      say("Unsaved changes.");
      if (event.target === body) {
        clearTimeout(previewTimer);
        previewTimer = setTimeout(refreshPreview, 400);
      }
    });
    form.addEventListener("change", function () {
      dirty = true;
    });
    if (body && body.value.trim() !== "") {
      refreshPreview();
    }

    // Autosave: drafts only, every five seconds when something changed.
    async function autosave() {
      if (!dirty || saving || submitting || !form.dataset.autosave) {
        return;
      }
      const title = form.querySelector("#title");
      if (!title || title.value.trim() === "" || !body || body.value.trim() === "") {
        return;
      }
      saving = true;
      dirty = false;
      try {
        const response = await fetch(form.action, {
          method: "POST",
          body: formData("autosave"),
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
        if (response.ok) {
          const saved = await response.json();
          version.value = saved.version;
          if (!/\/admin\/articles\/\d+$/.test(form.action)) {
            // A new article now exists: later saves update it.
            form.action = saved.edit_url;
            history.replaceState(null, "", saved.edit_url);
          }
          say("Draft saved at " + saved.saved_at + ".");
        } else if (response.status === 409 || response.status === 412) {
          dirty = true;
          say("Someone else saved this article meanwhile. Press Save to compare the two versions.");
          form.dataset.autosave = "";
        } else {
          dirty = true;
          say("Not saved automatically: press Save to see why.");
        }
      } catch (e) {
        dirty = true;
        say("Not saved: the connection was lost. Your text is still here.");
      } finally {
        saving = false;
      }
    }
    setInterval(autosave, 5000);

    form.addEventListener("submit", function () {
      submitting = true;
    });
    window.addEventListener("beforeunload", function (event) {
      if (dirty && !submitting) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
  }

  // The media library's upload form: files dropped on it are sent as if chosen.
  function enhanceDropzone(zone) {
    const input = zone.querySelector("input[type=file]");
    const form = zone.closest("form");
    if (!input || !form) {
      return;
    }
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("dragging");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () {
        zone.classList.remove("dragging");
      });
    });
    const hint = zone.querySelector(".drop-hint");
    if (hint) {
      hint.hidden = false;
    }
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length > 0) {
        input.files = event.dataTransfer.files;
        input.dispatchEvent(new Event("change", { bubbles: true }));
        // The library uploads what is dropped; the editor keeps it for the next save.
        if (zone.dataset.dropzone === "submit") {
          form.requestSubmit();
        }
      }
    });
  }
})();
