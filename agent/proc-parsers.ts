/**
 * Parsers for the Linux /proc and /sys text the sampler reads, and for `nvidia-smi` CSV.
 * Pure: text in, numbers out, so they are tested against captured fixtures.
 */

export interface CpuTimes {
  /** Jiffies spent busy (everything but idle and iowait). */
  busy: number;
  total: number;
}

export interface ProcStat {
  /** Keyed 'total' for the aggregate line and '0', '1', … per core. */
  cpus: Map<string, CpuTimes>;
  procsRunning?: number;
}

/**
 * Parses /proc/stat cpu lines. Steal counts as busy (the host took it), guest is already
 * inside user; a field an old kernel does not print counts as 0. Empty text → no cpus. O(n).
 * @example parseProcStat('cpu  10 0 5 85 0 0 0 0 0 0\n').cpus.get('total') // { busy: 15, total: 100 }
 */
export function parseProcStat(text: string): ProcStat {
  const cpus = new Map<string, CpuTimes>();
  let procsRunning: number | undefined;
  // Line by line without splitting the whole text: on a many-core machine the `intr` line
  // alone is kilobytes, and at 10 Hz this runs every 100 ms.
  const fields: number[] = [];
  for (let pos = 0; pos < text.length;) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    const start = pos;
    if (text.startsWith('cpu', start)) {
      let idEnd = start + 3;
      while (idEnd < end && !isBlank(text.charCodeAt(idEnd))) idEnd++;
      const id = idEnd === start + 3 ? 'total' : text.slice(start + 3, idEnd);
      readFields(text, idEnd, end, fields, 8);
      const [user, nice, system, idle, iowait, irq, softirq, steal] = fields;
      const idleAll = idle + iowait;
      const busy = user + nice + system + irq + softirq + steal;
      cpus.set(id, { busy, total: busy + idleAll });
    } else if (text.startsWith('procs_running', start)) {
      procsRunning = Number(text.slice(start, end).split(/\s+/)[1]);
    }
    pos = end + 1;
  }
  return { cpus, procsRunning };
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 13;
}

/**
 * The first `count` blank-separated fields of `text` between `from` and `to` as numbers into
 * `out` (0 for a missing or non-numeric field, as `Number(x) || 0`). O(line).
 */
function readFields(text: string, from: number, to: number, out: number[], count: number): void {
  let i = from;
  for (let k = 0; k < count; k++) {
    while (i < to && isBlank(text.charCodeAt(i))) i++;
    const start = i;
    while (i < to && !isBlank(text.charCodeAt(i))) i++;
    out[k] = start < i ? Number(text.slice(start, i)) || 0 : 0;
  }
}

/**
 * Busy percentage between two cpu readings; NaN when no time passed. O(1).
 * @example computeCpuPercent({ busy: 10, total: 100 }, { busy: 40, total: 200 }) // 30
 */
export function computeCpuPercent(prev: CpuTimes, next: CpuTimes): number {
  const dt = next.total - prev.total;
  if (!(dt > 0)) return NaN;
  const pct = (100 * (next.busy - prev.busy)) / dt;
  return Math.min(100, Math.max(0, pct));
}

/**
 * Parses /proc/loadavg into [1 min, 5 min, 15 min]. Empty text → NaNs. O(1).
 * @example parseLoadavg('0.50 0.25 0.10 1/89 7392') // [0.5, 0.25, 0.1]
 */
export function parseLoadavg(text: string): [number, number, number] {
  const [a, b, c] = text
    .trim()
    .split(/\s+/)
    .filter((x) => x !== '')
    .map(Number);
  return [a ?? NaN, b ?? NaN, c ?? NaN];
}

/**
 * Parses /proc/meminfo into bytes keyed by field name (kB lines are scaled). O(n).
 * @example parseMeminfo('MemTotal: 1024 kB\n').get('MemTotal') // 1048576
 */
export function parseMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  // What /^([A-Za-z0-9_()]+):\s+(\d+)(\s+kB)?/ matched per line, without a regex and a
  // split per tick (this runs every 100 ms at 10 Hz).
  for (let pos = 0; pos < text.length;) {
    let end = text.indexOf('\n', pos);
    if (end === -1) end = text.length;
    const colon = text.indexOf(':', pos);
    if (colon > pos && colon < end && isMeminfoKey(text, pos, colon)) {
      let i = colon + 1;
      while (i < end && isSpace(text.charCodeAt(i))) i++;
      const digits = i;
      while (i < end && isDigit(text.charCodeAt(i))) i++;
      if (i > digits && i > colon + 1 && digits > colon + 1) {
        const value = Number(text.slice(digits, i));
        let j = i;
        while (j < end && isSpace(text.charCodeAt(j))) j++;
        const kB = j > i && text.startsWith('kB', j);
        out.set(text.slice(pos, colon), value * (kB ? 1024 : 1));
      }
    }
    pos = end + 1;
  }
  return out;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** `\s` within a line (the line break itself ends the line). */
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 11 || c === 12;
}

/** Whether text[from, to) is all of [A-Za-z0-9_()]. */
function isMeminfoKey(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    const ok =
      isDigit(c) ||
      (c >= 65 && c <= 90) ||
      (c >= 97 && c <= 122) ||
      c === 95 ||
      c === 40 ||
      c === 41;
    if (!ok) return false;
  }
  return true;
}

export interface DiskCounters {
  readOps: number;
  readBytes: number;
  writeOps: number;
  writeBytes: number;
}

/** Linux counts disk I/O in 512-byte sectors whatever the device's real sector size. */
const SectorBytes = 512;

/**
 * Parses /proc/diskstats, keeping only devices `keep` accepts. O(n).
 * @example parseDiskstats(' 252 0 vda 10 0 80 5 4 0 16 3 0 8 8', () => true).get('vda')?.readBytes // 40960
 */
export function parseDiskstats(
  text: string,
  keep: (device: string) => boolean
): Map<string, DiskCounters> {
  const out = new Map<string, DiskCounters>();
  for (const line of text.split('\n')) {
    // The device is the third field: skip lines for devices not kept before splitting them.
    const device = /^\s*\S+\s+\S+\s+(\S+)/.exec(line)?.[1];
    if (device === undefined || !keep(device)) continue;
    const p = line.trim().split(/\s+/);
    if (p.length < 10 || !keep(p[2])) continue;
    out.set(p[2], {
      readOps: Number(p[3]),
      readBytes: Number(p[5]) * SectorBytes,
      writeOps: Number(p[7]),
      writeBytes: Number(p[9]) * SectorBytes
    });
  }
  return out;
}

export interface NetCounters {
  rxBytes: number;
  txBytes: number;
}

/**
 * Parses /proc/net/dev, keeping interfaces `keep` accepts. O(n).
 * @example parseNetDev('  eth0: 100 1 0 0 0 0 0 0 200 2 0 0 0 0 0 0', () => true).get('eth0') // { rxBytes: 100, txBytes: 200 }
 */
export function parseNetDev(
  text: string,
  keep: (iface: string) => boolean
): Map<string, NetCounters> {
  const out = new Map<string, NetCounters>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const iface = line.slice(0, colon).trim();
    if (!iface || iface.includes('|') || !keep(iface)) continue;
    const p = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/);
    if (p.length < 9) continue;
    out.set(iface, { rxBytes: Number(p[0]), txBytes: Number(p[8]) });
  }
  return out;
}

/** Filesystem types worth showing space for; pseudo filesystems have no meaningful space. */
export const RealFsTypes = new Set([
  'ext2',
  'ext3',
  'ext4',
  'xfs',
  'btrfs',
  'zfs',
  'f2fs',
  'vfat',
  'exfat',
  'ntfs',
  'ntfs3',
  'fuseblk',
  'apfs',
  'hfs',
  'jfs',
  'reiserfs',
  'bcachefs'
]);

export interface Mount {
  device: string;
  mount: string;
  fstype: string;
}

/**
 * Parses /proc/mounts, keeping real filesystems once per device (first mount wins, so bind
 * mounts do not double-count). Octal escapes in paths (`\040`) are decoded. O(n).
 * @example parseMounts('/dev/vda1 / ext4 rw 0 0') // [{ device: '/dev/vda1', mount: '/', fstype: 'ext4' }]
 */
export function parseMounts(text: string): Mount[] {
  const seen = new Set<string>();
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
    const p = line.split(' ');
    if (p.length < 3 || !RealFsTypes.has(p[2]) || seen.has(p[0])) continue;
    seen.add(p[0]);
    const decode = (s: string): string =>
      s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    out.push({ device: decode(p[0]), mount: decode(p[1]), fstype: p[2] });
  }
  return out;
}

/** Fields asked of nvidia-smi, in this order. */
export const NvidiaQueryFields = [
  'index',
  'name',
  'utilization.gpu',
  'memory.used',
  'memory.total',
  'power.draw',
  'temperature.gpu'
] as const;

export interface GpuReading {
  index: string;
  name: string;
  utilizationPercent?: number;
  memoryUsedBytes?: number;
  memoryTotalBytes?: number;
  powerWatts?: number;
  temperatureCelsius?: number;
}

const MiB = 1024 * 1024;

/**
 * Parses one `nvidia-smi --query-gpu=<NvidiaQueryFields> --format=csv,noheader,nounits`
 * line. Fields reported as `[N/A]` or `[Not Supported]` are left out; a line with too few
 * fields → undefined. O(1).
 * @example parseNvidiaSmiLine('0, NVIDIA A10, 37, 1024, 23028, 61.5, 48')?.powerWatts // 61.5
 */
export function parseNvidiaSmiLine(line: string): GpuReading | undefined {
  const p = line.split(',').map((s) => s.trim());
  if (p.length < NvidiaQueryFields.length || p[0] === '') return undefined;
  const num = (s: string): number | undefined => {
    const n = Number(s);
    return s !== '' && Number.isFinite(n) ? n : undefined;
  };
  const reading: GpuReading = { index: p[0], name: p[1] };
  const util = num(p[2]);
  const used = num(p[3]);
  const total = num(p[4]);
  const power = num(p[5]);
  const temp = num(p[6]);
  if (util !== undefined) reading.utilizationPercent = util;
  if (used !== undefined) reading.memoryUsedBytes = used * MiB;
  if (total !== undefined) reading.memoryTotalBytes = total * MiB;
  if (power !== undefined) reading.powerWatts = power;
  if (temp !== undefined) reading.temperatureCelsius = temp;
  return reading;
}
