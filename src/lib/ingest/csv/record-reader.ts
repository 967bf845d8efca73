/** Resumable RFC 4180 record reader: feed it lines, it returns fields once a record closes. */
export class CsvRecordReader {
  private fields: string[] = [];
  private field = '';
  private inQuotes = false;
  private quoted = false;
  /** Bytes (UTF-16 units, an upper bound proxy) held for a record that spans lines. */
  pendingLength = 0;

  constructor(private readonly delimiter: string) {}

  get pending(): boolean {
    return this.inQuotes;
  }

  /**
   * Takes one physical line without its '\n' but with any '\r': a CR before the newline ends
   * the record outside quotes and is kept as data inside a quoted field (RFC 4180 CRLF).
   */
  feed(line: string): string[] | undefined {
    if (!this.inQuotes && line.indexOf('"') < 0)
      return (line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line).split(
        this.delimiter
      );
    const d = this.delimiter.charCodeAt(0);
    if (this.inQuotes) this.field += '\n';
    const last = line.length - 1;
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      if (c === 13 && i === last && !this.inQuotes) break;
      if (this.inQuotes) {
        if (c === 34) {
          if (line.charCodeAt(i + 1) === 34) {
            this.field += '"';
            i++;
          } else this.inQuotes = false;
        } else this.field += line[i];
      } else if (c === d) {
        this.fields.push(this.field);
        this.field = '';
        this.quoted = false;
      } else if (c === 34 && this.field === '' && !this.quoted) {
        this.inQuotes = true;
        this.quoted = true;
      } else this.field += line[i];
    }
    if (this.inQuotes) {
      this.pendingLength += line.length + 1;
      return undefined;
    }
    this.fields.push(this.field);
    const out = this.fields;
    this.fields = [];
    this.field = '';
    this.quoted = false;
    this.pendingLength = 0;
    return out;
  }

  reset(): void {
    this.fields = [];
    this.field = '';
    this.inQuotes = false;
    this.quoted = false;
    this.pendingLength = 0;
  }
}
