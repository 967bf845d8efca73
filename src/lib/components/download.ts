/** Saves `blob` as `name` through a download link (the browser's Downloads folder). */
export function downloadBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  // The download holds its own reference to the Blob once it started.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
