// Moving a meal to a free table (转台), joining it into another table's meal (并台) and
// splitting a join back: ops on the floor's socket (docs/protocol.md, `table.move`,
// `table.join`, `table.split`). Each is acknowledged after its commit; the floor then refetches,
// and the phones of both tables follow by themselves.

import { $, h, openDialog, toast, wireDialog } from "./ui.js";

// A refusal in words: by its detail first (`occupied`, `free`, `mixed_round`...), else its code.
function refusal(t, err) {
  const detail = err.reply?.detail;
  if (detail && t.has(`move_${detail}`)) return t(`move_${detail}`);
  if (t.has(`move_${err.code}`)) return t(`move_${err.code}`);
  return t("err_other", { message: err.message || err.code });
}

// ``tables()``: the floor's tables now; ``done()``: refetch the floor.
export function floorMoves({ t, sock, tables, tableName, busy, done }) {
  const dialog = $("#move-dialog");
  const choices = $("#move-choices");
  let from = null;
  let kind = null; // "move" or "join"
  wireDialog(dialog);
  dialog.addEventListener("close", () => (from = null));

  function send(key, type, fields, okText) {
    busy.add(key);
    done(0);
    sock.send(type, fields)
      .then(() => toast(okText, "is-ok"))
      .catch((err) => toast(refusal(t, err), "is-error"))
      .finally(() => {
        busy.delete(key);
        done(0);
      });
  }

  // The dialog lists the tables it may go to: the free ones for a move, the open ones for a join.
  function ask(number, action) {
    const all = tables();
    const table = all.find((x) => x.number === number) || { number };
    const want = action === "move" ? "free" : "open";
    const targets = all.filter((x) => x.number !== number && x.status === want);
    from = number;
    kind = action;
    $("#move-title").textContent = t(action === "move" ? "moveTitle" : "joinTitle", { table: tableName(table) });
    choices.replaceChildren(...(targets.length
      ? targets.map((x) => h("button", { type: "button", class: "btn btn-secondary move-choice", "data-to": x.number },
        tableName(x)))
      : [h("p", { class: "muted" }, t(action === "move" ? "noFreeTable" : "noOpenTable"))]));
    openDialog(dialog);
  }

  choices.addEventListener("click", (e) => {
    const button = e.target.closest("[data-to]");
    if (!button || from == null) return;
    const to = Number(button.dataset.to);
    const names = { table: tableName({ number: from, ...tables().find((x) => x.number === from) }),
      to: tableName(tables().find((x) => x.number === to) || { number: to }) };
    const number = from;
    dialog.close();
    if (kind === "move") send(`${number}:move`, "table.move", { table: number, to }, t("movedToast", names));
    else send(`${number}:join`, "table.join", { table: number, into: to }, t("joinedToast", names));
  });

  function split(number, join) {
    const names = { table: tableName(join), to: tableName(tables().find((x) => x.number === number) || { number }) };
    if (!confirm(t("splitConfirm", names))) return;
    send(`split:${join.transfer_id}`, "table.split", { transfer_id: join.transfer_id }, t("splitToast", names));
  }

  return { ask, split };
}
