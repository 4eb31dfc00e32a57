// Copy, download and print for the backup codes page, copy for the invitation
// link; nothing else runs here. A button's data-done is what it says once done,
// in the page's language.
document.addEventListener("click", (e) => {
  const b = e.target.closest("button");
  if (!b) return;
  const list = (id) => [...document.querySelectorAll("#" + id + " code")].map((c) => c.textContent).join("\n");
  if (b.dataset.copy) {
    navigator.clipboard.writeText(list(b.dataset.copy)).then(() => { if (b.dataset.done) b.textContent = b.dataset.done; });
  } else if (b.dataset.download) {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([list(b.dataset.download) + "\n"], { type: "text/plain" }));
    a.download = "backup-codes.txt";
    a.click();
    URL.revokeObjectURL(a.href);
  } else if ("print" in b.dataset) {
    window.print();
  }
});
