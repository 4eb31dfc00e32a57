// Copy, download and print for the backup codes page; nothing else runs here.
document.addEventListener("click", (e) => {
  const b = e.target.closest("button");
  if (!b) return;
  const list = (id) => [...document.querySelectorAll("#" + id + " code")].map((c) => c.textContent).join("\n") + "\n";
  if (b.dataset.copy) {
    navigator.clipboard.writeText(list(b.dataset.copy)).then(() => { b.textContent = "Copied"; });
  } else if (b.dataset.download) {
    const a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([list(b.dataset.download)], { type: "text/plain" }));
    a.download = "backup-codes.txt";
    a.click();
    URL.revokeObjectURL(a.href);
  } else if ("print" in b.dataset) {
    window.print();
  }
});
