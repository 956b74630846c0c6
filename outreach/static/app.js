// Shared helpers: every state-changing fetch carries the CSRF token.
window.outreach = {
  csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  },
  async post(url, data) {
    const body = new URLSearchParams(data);
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"X-CSRFToken": this.csrfToken(), "Accept": "application/json"},
      body,
    });
    let payload = {};
    try { payload = await response.json(); } catch (e) { payload = {error: response.statusText}; }
    return {ok: response.ok, status: response.status, data: payload};
  },
};
