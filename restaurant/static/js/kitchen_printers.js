// The kitchen printers as staff see them, on a station's board, the expo and the floor: each
// printer's state (online, paper, tickets waiting, last error), a banner nobody can miss while
// one is offline or out of paper, and the tickets that "may have printed" (the bytes went out,
// no answer came back), each with Reprint and It printed: a person at the printer decides, the
// system never prints a ticket twice on a guess.
//
// Not tied to a page: it gets the page's strings, socket and elements. The state comes from the
// snapshot (`printers`, `print_jobs_uncertain`) and the `printer.status` / `print.job` events.

import { h, hiddenText } from "./ui.js";

// Cannot print now: offline (`online` false; null is "not heard from yet") or out of paper.
const bad = (p) => p.online === false || p.paper === "out";

export class Printers {
  // t: the page's strings; send(type, fields) -> Promise; toast(text, kind); errorText(err);
  // name(station_id) -> its name; tableName(table); icon(name); only: one station's id, or null
  // for all; strip, banner, doubts: the elements to fill; alert(): when a printer goes bad;
  // compact: the header's pills say the station and the queue, the state by colour and for
  // screen readers (the banner says a problem in words).
  constructor(options) {
    Object.assign(this, options);
    this.printers = new Map(); // station_id -> state
    this.jobs = new Map(); // job_id -> a ticket that may have printed
    this.busy = new Set();
    this.doubts?.addEventListener("click", (e) => {
      const button = e.target.closest("button[data-job]");
      if (button && !button.disabled) this.resolve(Number(button.dataset.job), button.dataset.reprint === "1");
    });
  }

  mine(stationId) {
    return this.only == null || stationId === this.only;
  }

  snapshot(snap) {
    const before = this.badOnes();
    this.printers = new Map((snap.printers || []).map((p) => [p.station_id, p]));
    this.jobs = new Map((snap.print_jobs_uncertain || []).map((j) => [j.job_id, j]));
    this.render(before);
  }

  // An event of the printers; false for any other.
  event(ev) {
    if (ev.type === "printer.status") {
      const before = this.badOnes();
      this.printers.set(ev.station_id, ev);
      this.render(before);
      return true;
    }
    if (ev.type === "print.job") {
      if (ev.state === "uncertain") {
        const fresh = !this.jobs.has(ev.job_id);
        this.jobs.set(ev.job_id, ev);
        if (fresh && this.mine(ev.station_id)) this.alert?.();
      } else this.jobs.delete(ev.job_id);
      this.render();
      return true;
    }
    return false;
  }

  badOnes() {
    return new Set([...this.printers.values()].filter((p) => this.mine(p.station_id) && bad(p)).map((p) => p.station_id));
  }

  // Why a printer cannot print, in the page's language (the worker's own words stay in the
  // tooltip, for whoever fixes it); nothing where the banner already says it.
  why(p) {
    const error = p.last_error || "";
    if (!error || p.paper === "out" || /^(out of paper|offline)$/.test(error)) return "";
    if (error.startsWith("connect")) return this.t("printerUnreachable");
    if (/^(status|send)/.test(error)) return this.t("printerNoAnswer");
    return error;
  }

  paperText(p) {
    return this.t(`paper_${["ok", "low", "out"].includes(p.paper) ? p.paper : "unknown"}`);
  }

  render(before = null) {
    const t = this.t;
    const shown = [...this.printers.values()].filter((p) => this.mine(p.station_id));
    const now = this.badOnes();
    if (before && [...now].some((id) => !before.has(id))) this.alert?.();
    document.body.classList.toggle("has-printer-alert", now.size > 0);
    if (this.strip) {
      this.strip.hidden = shown.length === 0;
      this.strip.replaceChildren(...shown.map((p) => {
        const level = bad(p) ? "is-bad" : p.paper !== "ok" || !p.online || p.queue > 0 ? "is-warn" : "is-ok";
        // Out of paper first: a printer that runs out also says it is offline.
        const state = p.paper === "out" ? this.paperText(p) : p.online === false ? t("printerOffline")
          : p.paper === "ok" && p.online ? t("printerOnline") : this.paperText(p);
        const words = [this.only == null ? this.name(p.station_id) : null, this.compact ? null : state,
          p.queue ? t("printerQueue", { n: p.queue }) : null].filter(Boolean).join(" · ");
        return h("span", {
          class: `printer-pill ${level}`, "data-station": p.station_id,
          title: [t("printerTitle", { station: this.name(p.station_id) }), p.online ? t("printerOnline") : p.online === false ? t("printerOffline") : null,
            this.paperText(p), p.last_error].filter(Boolean).join(" · "),
        }, this.icon("print"), h("span", {}, words), this.compact ? hiddenText(state) : null);
      }));
    }
    if (this.banner) {
      const lines = shown.filter(bad).map((p) => h("p", { class: "printer-banner-line", "data-station": p.station_id },
        this.icon("print"),
        h("strong", {}, p.paper === "out"
          ? t("printerOutBanner", { station: this.name(p.station_id), n: p.queue || 0 })
          : t("printerOffBanner", { station: this.name(p.station_id), n: p.queue || 0 })),
        this.why(p) ? h("span", { class: "printer-error", title: p.last_error }, this.why(p)) : null));
      this.banner.hidden = lines.length === 0;
      this.banner.replaceChildren(...lines);
    }
    this.renderJobs();
  }

  renderJobs() {
    if (!this.doubts) return;
    const t = this.t;
    const jobs = [...this.jobs.values()].filter((j) => this.mine(j.station_id)).sort((a, b) => a.job_id - b.job_id);
    this.doubts.hidden = jobs.length === 0;
    this.doubts.replaceChildren(
      h("h2", { class: "doubt-title" }, this.icon("note"), t("doubtTitle", { n: jobs.length })),
      h("p", { class: "doubt-help" }, t("doubtHelp")),
      h("ul", { class: "doubt-list" }, jobs.map((job) => {
        const busy = this.busy.has(job.job_id);
        const where = job.table ? `${this.tableName(job.table)} · ${t("round", { n: job.round })}` : `#${job.job_id}`;
        const kind = t(`jobKind_${job.kind}`) || job.kind; // the ticket, or a void or back-on slip
        return h("li", { class: "doubt", "data-job-row": job.job_id },
          h("span", { class: "doubt-what" },
            h("strong", {}, where),
            h("span", {}, [kind, this.only == null ? this.name(job.station_id) : null, job.reprint ? t("reprintMark") : null,
              `#${job.job_id}`].filter(Boolean).join(" · "))),
          h("button", { type: "button", class: "btn btn-secondary", "data-job": job.job_id, "data-reprint": "1", disabled: busy },
            this.icon("print"), t("reprint")),
          h("button", { type: "button", class: "btn btn-done", "data-job": job.job_id, "data-reprint": "0", disabled: busy },
            this.icon("check"), t("itPrinted")));
      })));
  }

  resolve(jobId, reprint) {
    this.busy.add(jobId);
    this.renderJobs();
    this.send("print_job.resolve", { job_id: jobId, reprint })
      .then(() => {
        this.jobs.delete(jobId);
        this.toast(this.t(reprint ? "reprintSent" : "markedPrinted"), "is-ok");
      })
      .catch((err) => {
        // Settled on another screen meanwhile: it leaves this list too.
        if (err?.code === "conflict") {
          this.jobs.delete(jobId);
          this.toast(this.t("doubtSettled"), "is-notice");
        } else this.toast(this.errorText(err), "is-error");
      })
      .finally(() => {
        this.busy.delete(jobId);
        this.renderJobs();
      });
  }

  // A station's ticket of a round, printed again (marked REPRINT / 重印 on paper).
  reprint(orderId, stationId) {
    return this.send("ticket.reprint", { order_id: orderId, station_id: stationId })
      .then(() => this.toast(this.t("reprintSent"), "is-ok"))
      .catch((err) => this.toast(this.errorText(err), "is-error"));
  }
}
