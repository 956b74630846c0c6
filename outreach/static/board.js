// The board: drag a card to another column to move the candidate.
// The server decides whether a move is allowed; a refused move leaves the card where it was
// and shows the reason. Every move names the stage the card showed: when someone else moved
// the candidate meanwhile, the server refuses (409) and says who moved it where; the card then
// goes to the column it is really in. Without JavaScript, the form on each card does the same.
(function () {
  "use strict";
  const board = document.getElementById("board");
  if (!board || board.dataset.canMove !== "1") return;
  const banner = document.getElementById("board-message");
  const labels = JSON.parse(board.dataset.labels || "{}");
  let dragged = null;

  function show(text, kind) {
    banner.textContent = text;
    banner.className = "flash " + (kind || "error");
    banner.hidden = false;
  }

  function columnOf(node) {
    return node && node.closest ? node.closest(".column") : null;
  }

  function clearTargets() {
    board.querySelectorAll(".column.drop-target").forEach((c) => c.classList.remove("drop-target"));
  }

  function bump(column, delta) {
    const count = column.querySelector(".count");
    count.textContent = String(Math.max(0, parseInt(count.textContent, 10) + delta));
  }

  function refreshCardForm(card, allowed) {
    const select = card.querySelector('select[name="to_stage"]');
    const details = card.querySelector("details.move");
    const shown = card.querySelector('input[name="from_stage"]');
    if (shown) shown.value = card.dataset.stage;
    if (!select || !details) return;
    if (!allowed.length) { details.remove(); return; }
    select.replaceChildren(...allowed.map((stage) => new Option(labels[stage] || stage, stage)));
    details.open = false;
  }

  async function move(card, column) {
    const source = columnOf(card);
    const target = column.dataset.stage;
    if (source === column) return;
    const data = {to_stage: target, from_stage: card.dataset.stage};
    if (target === "declined") {
      const reason = window.prompt(board.dataset.reasonPrompt, "");
      if (reason === null || !reason.trim()) {
        show(board.dataset.reasonRequired, "warning");
        return;
      }
      data.reason = reason.trim();
    }
    card.classList.add("busy");
    let result;
    try {
      result = await window.outreach.post(card.dataset.moveUrl, data);
    } catch (err) {
      result = {ok: false, data: {error: board.dataset.failed}};
    }
    card.classList.remove("busy");
    const now = result.data && result.data.stage;
    if (!result.ok) {
      // Moved by someone else meanwhile: show the card where it really is.
      const actual = result.status === 409 && now && now !== card.dataset.stage
        ? board.querySelector(`.column[data-stage="${now}"]`) : null;
      if (actual) place(card, source, actual, now, result.data.allowed || []);
      show((result.data && result.data.error) || board.dataset.failed, "error");
      return;
    }
    place(card, source, column, now, result.data.allowed || []);
    show(result.data.message, "success");
  }

  function place(card, source, column, stage, allowed) {
    column.querySelector(".cards").prepend(card);
    card.dataset.stage = stage;
    const days = card.querySelector(".days");
    if (days) days.textContent = days.dataset.zero || "0";
    bump(source, -1);
    bump(column, 1);
    refreshCardForm(card, allowed);
  }

  board.addEventListener("dragstart", (event) => {
    const card = event.target.closest ? event.target.closest('.card[draggable="true"]') : null;
    if (!card) return;
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.candidateId);
    card.classList.add("dragging");
  });

  board.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    clearTargets();
  });

  board.addEventListener("dragover", (event) => {
    const column = columnOf(event.target);
    if (!column || !dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!column.classList.contains("drop-target")) {
      clearTargets();
      if (column !== columnOf(dragged)) column.classList.add("drop-target");
    }
  });

  board.addEventListener("drop", (event) => {
    const column = columnOf(event.target);
    if (!column || !dragged) return;
    event.preventDefault();
    const card = dragged;
    clearTargets();
    move(card, column);
  });
})();
