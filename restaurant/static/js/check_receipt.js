// The receipt page's one control: print it (the page's print styles leave the slip alone).
document.getElementById("print")?.addEventListener("click", () => window.print());
