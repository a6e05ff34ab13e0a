// The dish admin: the photo chosen in the file field shows in the preview before it is saved.
// (A blob: URL stays on this device; the server makes the phones' copies when the form is saved.)
document.addEventListener("change", (e) => {
  const input = e.target;
  if (!(input instanceof HTMLInputElement) || input.type !== "file" || input.name !== "photo") return;
  const preview = document.querySelector("img.photo-preview");
  const file = input.files?.[0];
  if (!preview || !file || !file.type.startsWith("image/")) return;
  if (preview.src.startsWith("blob:")) URL.revokeObjectURL(preview.src);
  preview.src = URL.createObjectURL(file);
  preview.width = 240;
  preview.hidden = false;
});
