// A batch page's progress: polls the status endpoint every 2 s until nothing is waiting.
(() => {
  const panel = document.getElementById("progress");
  if (!panel) return;
  const url = panel.dataset.url;

  function show(status) {
    for (const bar of panel.querySelectorAll("[data-state]")) {
      const count = status.counts[bar.dataset.state] || 0;
      bar.style.width = status.total ? (100 * count / status.total) + "%" : "0";
    }
    for (const item of panel.querySelectorAll("[data-count]")) {
      const strong = item.querySelector("strong");
      if (strong) strong.textContent = status.counts[item.dataset.count] || 0;
    }
    const done = panel.querySelector("[data-done]");
    if (done) done.hidden = !status.done;
  }

  async function poll() {
    try {
      const response = await fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}});
      if (response.ok) {
        const status = await response.json();
        show(status);
        if (status.done) {
          const needsReload = (status.counts.failed || 0) + (status.counts.unknown || 0) > 0
            && !document.querySelector("table.list tbody tr");
          if (needsReload) window.location.reload();
          return;
        }
      }
    } catch (e) { /* the next poll tries again */ }
    setTimeout(poll, 2000);
  }
  setTimeout(poll, 2000);
})();
