// The letter editor's live preview: a moment after the text or the candidate changes, the
// unsaved text is rendered on the server and shown (plain text and HTML), or its mistakes.
(() => {
  const box = document.getElementById("letter-trial");
  if (!box) return;
  const form = box.closest("form");
  const errors = box.querySelector(".flash.error");
  const panel = box.querySelector(".letter-trial");
  let timer = null;
  let asked = 0;

  async function refresh() {
    const ticket = ++asked;
    const data = new FormData(form);
    data.set("preview", "1");
    let answer;
    try {
      const response = await fetch(box.dataset.url, { method: "POST", body: data });
      answer = await response.json();
    } catch (_error) {
      return;
    }
    if (ticket !== asked) return; // a newer edit is on its way
    const list = errors.querySelector("ul");
    list.replaceChildren(...answer.errors.map((message) => {
      const item = document.createElement("li");
      item.textContent = message;
      return item;
    }));
    errors.hidden = answer.errors.length === 0;
    panel.hidden = answer.errors.length > 0;
    if (answer.errors.length === 0) {
      panel.querySelector(".trial-subject").textContent = answer.subject;
      panel.querySelector("pre").textContent = answer.text;
      panel.querySelector("iframe").srcdoc = answer.html;
    }
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 600);
  }

  form.querySelector("textarea").addEventListener("input", later);
  form.querySelector("select[name=candidate]").addEventListener("change", refresh);
  refresh();
})();
