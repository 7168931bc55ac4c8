// The pipeline board: cards dragged between columns (SortableJS) are posted through HTMX with
// the version they were drawn with; the server answers with the board as it is now (a stale
// move refused with a message), which replaces #board and is made draggable again.
(function () {
  "use strict";

  function bind(board) {
    if (!window.Sortable || !window.htmx) return;
    const url = board.dataset.moveUrl;
    board.querySelectorAll(".crm-board-cards").forEach(function (list) {
      window.Sortable.create(list, {
        group: "board",
        draggable: ".crm-draggable",
        animation: 120,
        delay: 150,
        delayOnTouchOnly: true,
        onEnd: function (event) {
          if (event.from === event.to) return;
          const card = event.item;
          window.htmx.ajax("POST", url, {
            source: board, // inherits the page's CSRF header (hx-headers on <body>)
            target: "#board",
            swap: "outerHTML",
            values: {
              opportunity: card.dataset.opportunity,
              version: card.dataset.version,
              stage: event.to.dataset.stage,
              mine: board.dataset.mine || "",
            },
          });
        },
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    const board = document.getElementById("board");
    if (board) bind(board);
  });
  document.addEventListener("htmx:afterSwap", function () {
    const board = document.getElementById("board");
    if (board && !board.dataset.bound) {
      board.dataset.bound = "1";
      bind(board);
    }
  });
})();
