/**
 * Saves a Blob through a download link (the browser's Downloads folder). The object URL is
 * revoked a minute later: the download holds its own reference once it started.
 */
export function saveBlob(blob: Blob, name: string): void {
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
