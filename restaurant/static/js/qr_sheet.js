// The QR sheet's one action: print. A file of its own because the Content-Security-Policy
// allows no inline script.
document.getElementById("print-sheet")?.addEventListener("click", () => window.print());
