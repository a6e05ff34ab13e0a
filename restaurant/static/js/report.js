// The night's report (billing/report.html): a Print button (the page has a print stylesheet),
// and the close-the-day form saying it is working while the server keeps the report. The page
// works without this script: the form posts and the browser's own print menu prints.

const config = JSON.parse(document.getElementById("report-config").textContent);

const print = document.querySelector("[data-print]");
if (print && typeof window.print === "function") {
  print.hidden = false;
  print.addEventListener("click", () => window.print());
}

const form = document.querySelector("[data-close-form]");
if (form) {
  form.addEventListener("submit", () => {
    const button = form.querySelector("[data-close-button]");
    // Disabled after the submit has been taken: a second press cannot send it twice.
    setTimeout(() => {
      button.disabled = true;
      button.textContent = config.strings.closing;
      button.setAttribute("aria-busy", "true");
    });
  });
}
