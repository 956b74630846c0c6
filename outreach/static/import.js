// A background CSV import's page: polls its status every 2 s, moves the progress bar, and
// reloads the page (which then shows the report) once the import has finished.
(() => {
  const panel = document.getElementById("import-progress");
  if (!panel) return;
  const bar = panel.querySelector("progress");
  const text = document.getElementById("import-progress-text");

  function fill(template, status) {
    return template.replace("%(done)s", status.done).replace("%(total)s", status.total);
  }

  function show(status) {
    bar.max = Math.max(status.total, 1);
    if (status.status === "queued") {
      bar.removeAttribute("value");
      text.textContent = panel.dataset.queued;
    } else if (status.phase === "writing") {
      bar.removeAttribute("value");  // indeterminate: the rows are written in one go
      text.textContent = fill(panel.dataset.writing, status);
    } else {
      bar.value = status.done;
      text.textContent = fill(panel.dataset.checking, status);
    }
  }

  async function poll() {
    try {
      const response = await fetch(panel.dataset.url, {credentials: "same-origin", headers: {"Accept": "application/json"}});
      if (response.ok) {
        const status = await response.json();
        if (status.finished) { window.location.reload(); return; }
        show(status);
      }
    } catch (e) { /* the next poll tries again */ }
    setTimeout(poll, 2000);
  }
  setTimeout(poll, 2000);
})();
