/**
 * Host sampler. On Linux it reads /proc and /sys directly (a handful of in-memory files per
 * tick, no child processes) and computes rates from counter deltas; elsewhere it falls back
 * to what `node:os` offers. Filesystem space is refreshed on a slower timer, and GPUs are read
 * from one long-running `nvidia-smi -lms` child rather than a spawn per tick.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  statfsSync
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AgentPoint, SeriesCategory, SeriesKind } from '../src/lib/types';
import {
  computeCpuPercent,
  NvidiaQueryFields,
  parseDiskstats,
  parseLoadavg,
  parseMeminfo,
  parseMounts,
  parseNetDev,
  parseNvidiaSmiLine,
  parseProcStat,
  type CpuTimes,
  type DiskCounters,
  type GpuReading,
  type NetCounters
} from './proc-parsers';

export const SamplerDefaults = {
  /** Filesystem space changes slowly; statfs per mount every tick would be waste. */
  filesystemEveryMs: 15_000,
  /** Re-scan block devices, interfaces and sensors so hot-plugged ones appear. */
  rediscoverEveryMs: 30_000,
  /** A GPU reading older than this is dropped (nvidia-smi stalled or exited). */
  gpuStaleMs: 5_000,
  /**
   * Series that change slowly or cost most to read — load averages (the kernel updates them
   * every 5 s), the process count (a readdir of /proc), temperatures, and the disk and
   * network rates (two more /proc files, parsed, and a dozen points per sample) — are read
   * at most this often; at 10 Hz CPU and memory (and GPUs) are still read every tick
   * (issue 25: 10 Hz within 2 % of a core). Disk and network rates are per second over the
   * time since their previous read, so they mean the same at any interval.
   */
  slowEveryMs: 1_000
} as const;

/** Block devices that are not real disks: loop, ram and device-mapper duplicates. */
const IgnoredDiskPattern = /^(loop|ram|zram|dm-|sr|fd)/;

export interface SamplerOptions {
  intervalMs: number;
  /** Root of procfs/sysfs, so tests can point the sampler at fixtures. */
  procRoot?: string;
  sysRoot?: string;
  /** Whether to look for nvidia-smi (false in tests that must not spawn it). */
  gpu?: boolean;
  onWarning?: (message: string) => void;
}

interface Counters {
  t: number;
  cpus?: Map<string, CpuTimes>;
  disks?: Map<string, DiskCounters>;
  /** When `disks` was read (they are read on the slow cadence). */
  disksT?: number;
  nets?: Map<string, NetCounters>;
  netsT?: number;
}

interface Sensor {
  file: string;
  label: string;
}

export class HostSampler {
  private readonly proc: string;
  private readonly sys: string;
  private readonly linux: boolean;
  private readonly warn: (message: string) => void;
  private prev: Counters | undefined;
  private disks = new Set<string>();
  private sensors: Sensor[] = [];
  private lastDiscovery = -Infinity;
  private lastFilesystem = -Infinity;
  private lastSlow = -Infinity;
  private gpuChild: ChildProcess | undefined;
  private gpuReadings = new Map<string, { t: number; reading: GpuReading }>();
  private gpuBuffer = '';
  private readonly kinds = new Set<string>();
  /** Files read every tick stay open and are re-read from offset 0 (see readHot). */
  private readonly hotFds = new Map<string, number>();
  private hotBuffer = Buffer.allocUnsafe(16 * 1024);
  /** The /proc files read each tick or second, joined once. */
  private readonly files: Record<'stat' | 'meminfo' | 'diskstats' | 'netdev' | 'loadavg', string>;

  constructor(private readonly options: SamplerOptions) {
    this.proc = options.procRoot ?? '/proc';
    this.sys = options.sysRoot ?? '/sys';
    this.files = {
      stat: path.join(this.proc, 'stat'),
      meminfo: path.join(this.proc, 'meminfo'),
      diskstats: path.join(this.proc, 'diskstats'),
      netdev: path.join(this.proc, 'net', 'dev'),
      loadavg: path.join(this.proc, 'loadavg')
    };
    // An explicit procRoot (tests) means Linux layout even before its files exist.
    this.linux = options.procRoot !== undefined || existsSync(path.join(this.proc, 'stat'));
    this.warn = options.onWarning ?? (() => {});
    if (options.gpu !== false) this.startGpu();
  }

  /** GPUs whose latest reading reports a power draw, by nvidia-smi index (for `/v1/status`). */
  get gpusReportingPower(): string[] {
    const now = Date.now();
    const out: string[] = [];
    for (const [index, { t, reading }] of this.gpuReadings) {
      if (reading.powerWatts !== undefined && now - t <= SamplerDefaults.gpuStaleMs)
        out.push(index);
    }
    return out.sort();
  }

  /** What this machine yields, for `/v1/status` (grows as series appear). */
  get sampled(): string[] {
    return [...this.kinds].sort();
  }

  /**
   * Takes one sample at time `t`. Rates need two samples, so the first call returns gauges
   * only. O(cores + devices + interfaces + sensors).
   */
  sample(t: number): AgentPoint[] {
    const points: AgentPoint[] = [];
    if (t - this.lastDiscovery >= SamplerDefaults.rediscoverEveryMs) {
      this.lastDiscovery = t;
      this.discover();
    }
    const next: Counters = { t };
    // Half an interval of slack: drift-free ticks at 1 Hz land a millisecond early at times.
    const slow = t - this.lastSlow >= SamplerDefaults.slowEveryMs - this.options.intervalMs / 2;
    if (slow) this.lastSlow = t;
    if (this.linux) this.sampleLinux(t, next, points, slow);
    else this.sampleOs(t, next, points);
    if (t - this.lastFilesystem >= SamplerDefaults.filesystemEveryMs) {
      this.lastFilesystem = t;
      this.sampleFilesystems(t, points);
    }
    this.sampleGpus(t, points);
    this.prev = next;
    return points;
  }

  stop(): void {
    for (const fd of this.hotFds.values()) closeSync(fd);
    this.hotFds.clear();
    if (this.gpuChild && this.gpuChild.exitCode === null) this.gpuChild.kill('SIGTERM');
    this.gpuChild = undefined;
  }

  private push(
    points: AgentPoint[],
    p: {
      name: string;
      labels?: Record<string, string>;
      unit: string;
      t: number;
      v: number;
      kind?: SeriesKind;
      category?: SeriesCategory;
    }
  ): void {
    if (!Number.isFinite(p.v)) return;
    this.kinds.add(p.name);
    points.push({
      name: p.name,
      labels: p.labels ?? {},
      unit: p.unit,
      kind: p.kind ?? 'gauge',
      category: p.category ?? 'system',
      t: p.t,
      v: p.v
    });
  }

  private read(file: string): string | undefined {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  }

  /**
   * Reads a file that is read every tick through a descriptor kept open: procfs regenerates
   * a file's text on each read from offset 0, so a pread saves the open, fstat and close
   * that readFileSync costs every time (a third of the per-tick syscalls at 10 Hz). procfs
   * text is ASCII, so latin1 decoding is exact and cheaper than UTF-8.
   */
  private readHot(file: string): string | undefined {
    let fd = this.hotFds.get(file);
    try {
      if (fd === undefined) {
        fd = openSync(file, 'r');
        this.hotFds.set(file, fd);
      }
      let n = 0;
      for (;;) {
        const want = this.hotBuffer.length - n;
        const got = readSync(fd, this.hotBuffer, n, want, n);
        n += got;
        // A short read is the end: procfs hands a small file over in one read, so this is
        // one syscall per file per tick rather than two.
        if (got < want) break;
        if (n === this.hotBuffer.length) {
          const bigger = Buffer.allocUnsafe(this.hotBuffer.length * 2);
          this.hotBuffer.copy(bigger, 0, 0, n);
          this.hotBuffer = bigger;
        }
      }
      return this.hotBuffer.toString('latin1', 0, n);
    } catch {
      if (fd !== undefined) {
        try {
          closeSync(fd);
        } catch {
          // Already gone.
        }
        this.hotFds.delete(file);
      }
      return undefined;
    }
  }

  private discover(): void {
    if (!this.linux) return;
    try {
      this.disks = new Set(
        readdirSync(path.join(this.sys, 'block')).filter((d) => !IgnoredDiskPattern.test(d))
      );
    } catch {
      this.disks = new Set();
    }
    this.sensors = this.findSensors();
  }

  private findSensors(): Sensor[] {
    const sensors: Sensor[] = [];
    const hwmonDir = path.join(this.sys, 'class', 'hwmon');
    for (const hw of safeReaddir(hwmonDir)) {
      const dir = path.join(hwmonDir, hw);
      const chip = this.read(path.join(dir, 'name'))?.trim() ?? hw;
      for (const f of safeReaddir(dir)) {
        const m = /^temp(\d+)_input$/.exec(f);
        if (!m) continue;
        const label = this.read(path.join(dir, `temp${m[1]}_label`))?.trim() ?? `temp${m[1]}`;
        sensors.push({ file: path.join(dir, f), label: `${chip}/${label}` });
      }
    }
    if (sensors.length > 0) return sensors;
    // Thermal zones duplicate hwmon on most machines, so they are only the fallback.
    const thermalDir = path.join(this.sys, 'class', 'thermal');
    for (const zone of safeReaddir(thermalDir)) {
      if (!zone.startsWith('thermal_zone')) continue;
      const type = this.read(path.join(thermalDir, zone, 'type'))?.trim() ?? zone;
      sensors.push({ file: path.join(thermalDir, zone, 'temp'), label: `${zone}/${type}` });
    }
    return sensors;
  }

  private sampleLinux(t: number, next: Counters, points: AgentPoint[], slow: boolean): void {
    const prev = this.prev;

    const stat = this.readHot(this.files.stat);
    if (stat !== undefined) {
      const parsed = parseProcStat(stat);
      next.cpus = parsed.cpus;
      if (prev?.cpus) {
        for (const [cpu, times] of parsed.cpus) {
          const before = prev.cpus.get(cpu);
          if (before) {
            const v = computeCpuPercent(before, times);
            this.push(points, { name: 'cpu_usage_percent', labels: { cpu }, unit: '%', t, v });
          }
        }
      }
      if (parsed.procsRunning !== undefined) {
        this.push(points, { name: 'processes_running', unit: 'count', t, v: parsed.procsRunning });
      }
    }

    const load = slow ? this.read(this.files.loadavg) : undefined;
    if (load !== undefined) this.pushLoad(points, t, parseLoadavg(load));

    const meminfo = this.readHot(this.files.meminfo);
    if (meminfo !== undefined) {
      const m = parseMeminfo(meminfo);
      const total = m.get('MemTotal');
      const available = m.get('MemAvailable') ?? m.get('MemFree');
      if (total !== undefined && available !== undefined) {
        this.pushMemory(points, t, { total, available });
      }
      const swapTotal = m.get('SwapTotal');
      const swapFree = m.get('SwapFree');
      if (swapTotal !== undefined && swapFree !== undefined) {
        this.push(points, { name: 'swap_total_bytes', unit: 'bytes', t, v: swapTotal });
        this.push(points, { name: 'swap_used_bytes', unit: 'bytes', t, v: swapTotal - swapFree });
      }
    }

    // Between slow ticks the last counters carry over, so the next rate spans both reads.
    next.disks = prev?.disks;
    next.disksT = prev?.disksT;
    next.nets = prev?.nets;
    next.netsT = prev?.netsT;
    if (!slow) return;
    this.sampleIo(t, next, points);
    let processes = 0;
    for (const name of safeReaddir(this.proc)) {
      const c = name.charCodeAt(0);
      if (c >= 48 && c <= 57) processes++;
    }
    this.push(points, { name: 'processes', unit: 'count', t, v: processes });

    for (const sensor of this.sensors) {
      const raw = this.read(sensor.file);
      // Sysfs reports millidegrees Celsius.
      if (raw !== undefined) {
        this.push(points, {
          name: 'temperature_celsius',
          labels: { sensor: sensor.label },
          unit: '°C',
          t,
          v: Number(raw.trim()) / 1000
        });
      }
    }
  }

  /**
   * Disk and network rates, per second over the time since the previous read of each file
   * (`next` carries the counters last read). On the slow cadence (SamplerDefaults).
   */
  private sampleIo(t: number, next: Counters, points: AgentPoint[]): void {
    const diskstats = this.readHot(this.files.diskstats);
    if (diskstats !== undefined) {
      const before = next.disks;
      const dtS = next.disksT !== undefined ? (t - next.disksT) / 1000 : 0;
      next.disks = parseDiskstats(diskstats, (d) => this.disks.has(d));
      next.disksT = t;
      if (before && dtS > 0) {
        for (const [device, c] of next.disks) {
          const b = before.get(device);
          if (!b) continue;
          const labels = { device };
          const rate = (x: number, y: number): number => Math.max(0, x - y) / dtS;
          this.push(points, {
            name: 'disk_read_bytes_per_second',
            labels,
            unit: 'bytes/s',
            t,
            v: rate(c.readBytes, b.readBytes)
          });
          this.push(points, {
            name: 'disk_write_bytes_per_second',
            labels,
            unit: 'bytes/s',
            t,
            v: rate(c.writeBytes, b.writeBytes)
          });
          this.push(points, {
            name: 'disk_read_ops_per_second',
            labels,
            unit: 'ops/s',
            t,
            v: rate(c.readOps, b.readOps)
          });
          this.push(points, {
            name: 'disk_write_ops_per_second',
            labels,
            unit: 'ops/s',
            t,
            v: rate(c.writeOps, b.writeOps)
          });
        }
      }
    }

    const netdev = this.readHot(this.files.netdev);
    if (netdev !== undefined) {
      const before = next.nets;
      const dtS = next.netsT !== undefined ? (t - next.netsT) / 1000 : 0;
      next.nets = parseNetDev(netdev, () => true);
      next.netsT = t;
      if (before && dtS > 0) {
        for (const [iface, c] of next.nets) {
          const b = before.get(iface);
          if (!b) continue;
          const labels = { interface: iface };
          this.push(points, {
            name: 'network_receive_bytes_per_second',
            labels,
            unit: 'bytes/s',
            category: 'network',
            t,
            v: Math.max(0, c.rxBytes - b.rxBytes) / dtS
          });
          this.push(points, {
            name: 'network_transmit_bytes_per_second',
            labels,
            unit: 'bytes/s',
            category: 'network',
            t,
            v: Math.max(0, c.txBytes - b.txBytes) / dtS
          });
        }
      }
    }
  }

  private sampleOs(t: number, next: Counters, points: AgentPoint[]): void {
    const cpus = new Map<string, CpuTimes>();
    let busyAll = 0;
    let totalAll = 0;
    os.cpus().forEach((c, i) => {
      const busy = c.times.user + c.times.nice + c.times.sys + c.times.irq;
      const total = busy + c.times.idle;
      busyAll += busy;
      totalAll += total;
      cpus.set(String(i), { busy, total });
    });
    cpus.set('total', { busy: busyAll, total: totalAll });
    next.cpus = cpus;
    if (this.prev?.cpus) {
      for (const [cpu, times] of cpus) {
        const before = this.prev.cpus.get(cpu);
        if (before) {
          const v = computeCpuPercent(before, times);
          this.push(points, { name: 'cpu_usage_percent', labels: { cpu }, unit: '%', t, v });
        }
      }
    }
    const [l1, l5, l15] = os.loadavg();
    if (os.platform() !== 'win32') this.pushLoad(points, t, [l1, l5, l15]);
    this.pushMemory(points, t, { total: os.totalmem(), available: os.freemem() });
  }

  private pushLoad(points: AgentPoint[], t: number, load: [number, number, number]): void {
    this.push(points, { name: 'load_average_1m', unit: '', t, v: load[0] });
    this.push(points, { name: 'load_average_5m', unit: '', t, v: load[1] });
    this.push(points, { name: 'load_average_15m', unit: '', t, v: load[2] });
  }

  private pushMemory(
    points: AgentPoint[],
    t: number,
    mem: { total: number; available: number }
  ): void {
    this.push(points, { name: 'memory_total_bytes', unit: 'bytes', t, v: mem.total });
    this.push(points, { name: 'memory_available_bytes', unit: 'bytes', t, v: mem.available });
    this.push(points, {
      name: 'memory_used_bytes',
      unit: 'bytes',
      t,
      v: mem.total - mem.available
    });
  }

  private sampleFilesystems(t: number, points: AgentPoint[]): void {
    const mountsText = this.linux ? this.read(path.join(this.proc, 'mounts')) : undefined;
    const mounts = mountsText
      ? parseMounts(mountsText)
      : [{ device: 'root', mount: path.parse(process.cwd()).root, fstype: '' }];
    for (const m of mounts) {
      try {
        const s = statfsSync(m.mount);
        const size = s.blocks * s.bsize;
        // `bavail` is what an unprivileged user can still write, which is what people mean.
        const free = s.bavail * s.bsize;
        const used = (s.blocks - s.bfree) * s.bsize;
        const labels = { mount: m.mount, device: m.device };
        this.push(points, { name: 'filesystem_size_bytes', labels, unit: 'bytes', t, v: size });
        this.push(points, { name: 'filesystem_free_bytes', labels, unit: 'bytes', t, v: free });
        this.push(points, { name: 'filesystem_used_bytes', labels, unit: 'bytes', t, v: used });
      } catch {
        // Unreadable mounts (permissions, stale network mounts) are skipped silently.
      }
    }
  }

  private startGpu(): void {
    const binary = findOnPath(process.platform === 'win32' ? 'nvidia-smi.exe' : 'nvidia-smi');
    if (!binary) return;
    const interval = Math.max(100, Math.round(this.options.intervalMs));
    const child = spawn(
      binary,
      [
        `--query-gpu=${NvidiaQueryFields.join(',')}`,
        '--format=csv,noheader,nounits',
        `--loop-ms=${interval}`
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] }
    );
    this.gpuChild = child;
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      this.gpuBuffer += chunk;
      let nl: number;
      while ((nl = this.gpuBuffer.indexOf('\n')) !== -1) {
        const line = this.gpuBuffer.slice(0, nl);
        this.gpuBuffer = this.gpuBuffer.slice(nl + 1);
        const reading = parseNvidiaSmiLine(line);
        if (reading) this.gpuReadings.set(reading.index, { t: Date.now(), reading });
      }
    });
    child.on('error', () => {
      this.gpuChild = undefined;
    });
    child.on('exit', (code) => {
      if (this.gpuChild === child && code !== 0 && code !== null) {
        // One line, once: a machine without a working driver should not spam the log.
        this.warn(`nvidia-smi exited with code ${code}; GPU series disabled`);
      }
      if (this.gpuChild === child) this.gpuChild = undefined;
    });
  }

  private sampleGpus(t: number, points: AgentPoint[]): void {
    for (const [index, { t: seen, reading: r }] of this.gpuReadings) {
      if (t - seen > SamplerDefaults.gpuStaleMs) {
        this.gpuReadings.delete(index);
        continue;
      }
      const labels = { gpu: r.index, model: r.name };
      const push = (name: string, unit: string, v: number | undefined): void => {
        if (v !== undefined) this.push(points, { name, labels, unit, category: 'system', t, v });
      };
      push('gpu_utilization_percent', '%', r.utilizationPercent);
      push('gpu_memory_used_bytes', 'bytes', r.memoryUsedBytes);
      push('gpu_memory_total_bytes', 'bytes', r.memoryTotalBytes);
      push('gpu_power_watts', 'W', r.powerWatts);
      push('gpu_temperature_celsius', '°C', r.temperatureCelsius);
    }
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function findOnPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, binary);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}
