import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  computeCpuPercent,
  parseDiskstats,
  parseLoadavg,
  parseMeminfo,
  parseMounts,
  parseNetDev,
  parseNvidiaSmiLine,
  parseProcStat
} from '../../agent/proc-parsers';
import { HostSampler } from '../../agent/sampler';
import { makeTempDir } from './helpers';

const Stat1 = `cpu  100 0 50 800 50 0 0 0 0 0
cpu0 60 0 20 400 20 0 0 0 0 0
cpu1 40 0 30 400 30 0 0 0 0 0
intr 1 2 3
procs_running 3
procs_blocked 0
`;
// +30 busy / +100 total on cpu0, +70 busy / +100 total on cpu1.
const Stat2 = `cpu  180 0 70 890 60 0 0 0 0 0
cpu0 80 0 30 460 30 0 0 0 0 0
cpu1 100 0 40 430 30 0 0 0 0 0
procs_running 1
`;
const Meminfo = `MemTotal:        8000000 kB
MemFree:         1000000 kB
MemAvailable:    3000000 kB
SwapTotal:       2000000 kB
SwapFree:        1500000 kB
HugePages_Total:       0
`;
const Diskstats1 = ` 252       0 vda 100 0 2000 50 40 0 800 30 0 70 80
 252       1 vda1 90 0 1800 45 40 0 800 30 0 65 75
   7       0 loop0 5 0 10 0 0 0 0 0 0 0 0
`;
const Diskstats2 = ` 252       0 vda 110 0 4000 50 60 0 1800 30 0 70 80
 252       1 vda1 100 0 3800 45 60 0 1800 30 0 65 75
   7       0 loop0 9 0 90 0 0 0 0 0 0 0 0
`;
const NetDev1 = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0
  eth0: 5000 50 0 0 0 0 0 0 7000 70 0 0 0 0 0 0
`;
const NetDev2 = NetDev1.replace('5000 50', '9000 90').replace('7000 70', '7500 75');

describe('proc parsers', () => {
  it('parseProcStat: busy excludes idle and iowait', () => {
    const s = parseProcStat(Stat1);
    expect(s.cpus.get('total')).toEqual({ busy: 150, total: 1000 });
    expect(s.cpus.get('0')).toEqual({ busy: 80, total: 500 });
    expect(s.procsRunning).toBe(3);
    expect(parseProcStat('').cpus.size).toBe(0);
  });

  it.each([
    [{ busy: 80, total: 500 }, { busy: 110, total: 600 }, 30],
    [{ busy: 0, total: 100 }, { busy: 100, total: 200 }, 100],
    [{ busy: 5, total: 100 }, { busy: 5, total: 100 }, NaN],
    // Counter reset (hotplug) must not produce negative or >100 values.
    [{ busy: 500, total: 1000 }, { busy: 10, total: 1100 }, 0]
  ])('computeCpuPercent(%j, %j) = %d', (a, b, expected) => {
    expect(computeCpuPercent(a, b)).toBe(expected);
  });

  it('parseLoadavg', () => {
    expect(parseLoadavg('0.50 0.25 0.10 1/89 7392\n')).toEqual([0.5, 0.25, 0.1]);
    expect(parseLoadavg('').every(Number.isNaN)).toBe(true);
  });

  it('parseMeminfo scales kB and keeps unitless counts', () => {
    const m = parseMeminfo(Meminfo);
    expect(m.get('MemTotal')).toBe(8_000_000 * 1024);
    expect(m.get('HugePages_Total')).toBe(0);
  });

  it('parseDiskstats converts 512-byte sectors', () => {
    const d = parseDiskstats(Diskstats1, (x) => x === 'vda');
    expect([...d.keys()]).toEqual(['vda']);
    expect(d.get('vda')).toEqual({
      readOps: 100,
      readBytes: 2000 * 512,
      writeOps: 40,
      writeBytes: 800 * 512
    });
  });

  it('parseNetDev skips headers', () => {
    const n = parseNetDev(NetDev1, () => true);
    expect([...n.keys()]).toEqual(['lo', 'eth0']);
    expect(n.get('eth0')).toEqual({ rxBytes: 5000, txBytes: 7000 });
  });

  it('parseMounts keeps real filesystems once per device and decodes spaces', () => {
    const text = [
      '/dev/vda1 / ext4 rw 0 0',
      'proc /proc proc rw 0 0',
      'tmpfs /run tmpfs rw 0 0',
      '/dev/vda1 /var/lib/docker ext4 rw 0 0',
      '/dev/sdb1 /mnt/my\\040disk vfat rw 0 0'
    ].join('\n');
    expect(parseMounts(text)).toEqual([
      { device: '/dev/vda1', mount: '/', fstype: 'ext4' },
      { device: '/dev/sdb1', mount: '/mnt/my disk', fstype: 'vfat' }
    ]);
  });

  it.each([
    [
      '0, NVIDIA A10, 37, 1024, 23028, 61.50, 48',
      {
        index: '0',
        name: 'NVIDIA A10',
        utilizationPercent: 37,
        memoryUsedBytes: 1024 * 1048576,
        memoryTotalBytes: 23028 * 1048576,
        powerWatts: 61.5,
        temperatureCelsius: 48
      }
    ],
    [
      '1, GeForce GTX 1050, [N/A], 300, 2000, [Not Supported], 40',
      {
        index: '1',
        name: 'GeForce GTX 1050',
        memoryUsedBytes: 300 * 1048576,
        memoryTotalBytes: 2000 * 1048576,
        temperatureCelsius: 40
      }
    ],
    ['', undefined],
    ['garbage', undefined]
  ])('parseNvidiaSmiLine(%j)', (line, expected) => {
    expect(parseNvidiaSmiLine(line)).toEqual(expected);
  });
});

/**
 * The definitions the hand-written scanners replaced (issue 25: a regex and a split per line
 * every 100 ms at 10 Hz): they must read every text the same way.
 */
function meminfoByRegex(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9_()]+):\s+(\d+)(\s+kB)?/.exec(line);
    if (m) out.set(m[1], Number(m[2]) * (m[3] ? 1024 : 1));
  }
  return out;
}

function procStatBySplit(text: string): ReturnType<typeof parseProcStat> {
  const cpus = new Map<string, { busy: number; total: number }>();
  let procsRunning: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('cpu')) {
      const parts = line.trim().split(/\s+/);
      const id = parts[0] === 'cpu' ? 'total' : parts[0].slice(3);
      // A field the kernel does not print (steal before 2.6.11) counts as 0; the split
      // version made the whole line NaN then.
      const [user, nice, system, idle, iowait, irq, softirq, steal] = Array.from(
        { length: 8 },
        (_, k) => Number(parts[k + 1]) || 0
      );
      const busy = user + nice + system + irq + softirq + steal;
      cpus.set(id, { busy, total: busy + idle + iowait });
    } else if (line.startsWith('procs_running')) {
      procsRunning = Number(line.split(/\s+/)[1]);
    }
  }
  return { cpus, procsRunning };
}

describe('the /proc scanners agree with their regex definitions', () => {
  const token = fc.oneof(
    fc.constantFrom('MemTotal', 'Hugepagesize', 'Active(anon)', 'cpu', 'cpu0', 'cpu12', 'kB'),
    fc.constantFrom('procs_running', 'intr', 'x-y', ':', '', '12', '007', '1e3', 'nan'),
    fc.stringMatching(/^[A-Za-z0-9_():. -]{0,12}$/)
  );
  const blank = fc.constantFrom(' ', '  ', '\t', '', ' \t ', '\r');
  const line = fc
    .array(fc.tuple(token, blank), { maxLength: 12 })
    .map((parts) => parts.map(([a, b]) => a + b).join(''));
  const text = fc.array(line, { maxLength: 12 }).map((lines) => lines.join('\n'));

  it('on generated texts', () => {
    fc.assert(
      fc.property(text, (t) => {
        expect(parseMeminfo(t)).toEqual(meminfoByRegex(t));
        expect(parseProcStat(t)).toEqual(procStatBySplit(t));
      }),
      { numRuns: 2000 }
    );
  });

  it.each(['meminfo', 'stat'])("on this machine's /proc/%s", (file) => {
    const full = path.join('/proc', file);
    if (!existsSync(full)) return;
    const t = readFileSync(full, 'utf8');
    expect(parseMeminfo(t)).toEqual(meminfoByRegex(t));
    expect(parseProcStat(t)).toEqual(procStatBySplit(t));
  });
});

describe('HostSampler on a fixture /proc and /sys', () => {
  function makeRoots(): { proc: string; sys: string } {
    const root = makeTempDir();
    const proc = path.join(root, 'proc');
    const sys = path.join(root, 'sys');
    mkdirSync(path.join(proc, 'net'), { recursive: true });
    for (const pid of ['1', '42', '1000']) mkdirSync(path.join(proc, pid));
    mkdirSync(path.join(proc, 'self'));
    for (const dev of ['vda', 'loop0'])
      mkdirSync(path.join(sys, 'block', dev), { recursive: true });
    const hw = path.join(sys, 'class', 'hwmon', 'hwmon0');
    mkdirSync(hw, { recursive: true });
    writeFileSync(path.join(hw, 'name'), 'coretemp\n');
    writeFileSync(path.join(hw, 'temp1_input'), '45500\n');
    writeFileSync(path.join(hw, 'temp1_label'), 'Package id 0\n');
    writeFileSync(path.join(proc, 'loadavg'), '1.00 0.50 0.25 2/100 999\n');
    writeFileSync(path.join(proc, 'meminfo'), Meminfo);
    writeFileSync(path.join(proc, 'mounts'), '');
    return { proc, sys };
  }

  function writeTick(proc: string, tick: 1 | 2): void {
    writeFileSync(path.join(proc, 'stat'), tick === 1 ? Stat1 : Stat2);
    writeFileSync(path.join(proc, 'diskstats'), tick === 1 ? Diskstats1 : Diskstats2);
    writeFileSync(path.join(proc, 'net', 'dev'), tick === 1 ? NetDev1 : NetDev2);
  }

  it('computes gauges on the first tick and exact rates on the second', () => {
    const { proc, sys } = makeRoots();
    const sampler = new HostSampler({ intervalMs: 1000, procRoot: proc, sysRoot: sys, gpu: false });
    writeTick(proc, 1);
    const first = sampler.sample(10_000);
    expect(first.some((p) => p.name === 'cpu_usage_percent')).toBe(false);
    expect(first.find((p) => p.name === 'memory_used_bytes')?.v).toBe(5_000_000 * 1024);
    expect(first.find((p) => p.name === 'swap_used_bytes')?.v).toBe(500_000 * 1024);
    expect(first.find((p) => p.name === 'load_average_5m')?.v).toBe(0.5);
    expect(first.find((p) => p.name === 'processes')?.v).toBe(3);
    expect(first.find((p) => p.name === 'temperature_celsius')).toMatchObject({
      labels: { sensor: 'coretemp/Package id 0' },
      v: 45.5
    });

    writeTick(proc, 2);
    // Two seconds later: rates are per second.
    const second = sampler.sample(12_000);
    const get = (name: string, labels: Record<string, string> = {}): number | undefined =>
      second.find(
        (p) => p.name === name && Object.entries(labels).every(([k, v]) => p.labels[k] === v)
      )?.v;
    expect(get('cpu_usage_percent', { cpu: 'total' })).toBe(50);
    expect(get('cpu_usage_percent', { cpu: '0' })).toBe(30);
    expect(get('cpu_usage_percent', { cpu: '1' })).toBe(70);
    expect(get('disk_read_bytes_per_second', { device: 'vda' })).toBe((2000 * 512) / 2);
    expect(get('disk_write_bytes_per_second', { device: 'vda' })).toBe((1000 * 512) / 2);
    expect(get('disk_read_ops_per_second', { device: 'vda' })).toBe(5);
    expect(get('disk_write_ops_per_second', { device: 'vda' })).toBe(10);
    // Partitions and loop devices are not separate disks.
    expect(second.some((p) => p.labels.device === 'vda1' || p.labels.device === 'loop0')).toBe(
      false
    );
    expect(get('network_receive_bytes_per_second', { interface: 'eth0' })).toBe(2000);
    expect(get('network_transmit_bytes_per_second', { interface: 'eth0' })).toBe(250);
    expect(get('network_receive_bytes_per_second', { interface: 'lo' })).toBe(0);
    expect(sampler.sampled).toContain('disk_read_bytes_per_second');
    for (const p of second) expect(p.t).toBe(12_000);
  });

  it('at 10 Hz reads CPU and memory every tick, disk and network once a second', () => {
    const { proc, sys } = makeRoots();
    const sampler = new HostSampler({ intervalMs: 100, procRoot: proc, sysRoot: sys, gpu: false });
    writeTick(proc, 1);
    sampler.sample(10_000);
    writeTick(proc, 2);
    const names = (points: { name: string }[]) => new Set(points.map((p) => p.name));
    // Ticks in between: CPU (whenever its counters moved: the fixture's only move once) and
    // memory, no disk or network rates.
    for (let t = 10_100; t < 11_000; t += 100) {
      const between = names(sampler.sample(t));
      if (t === 10_100) expect(between.has('cpu_usage_percent')).toBe(true);
      expect(between.has('memory_used_bytes'), `memory at ${t}`).toBe(true);
      expect(between.has('disk_read_bytes_per_second'), `disk at ${t}`).toBe(false);
      expect(between.has('network_receive_bytes_per_second'), `network at ${t}`).toBe(false);
    }
    // A second after the first read: the rates span that whole second.
    const second = sampler.sample(11_000);
    const get = (name: string, labels: Record<string, string>) =>
      second.find(
        (p) => p.name === name && Object.entries(labels).every(([k, v]) => p.labels[k] === v)
      )?.v;
    expect(get('disk_read_bytes_per_second', { device: 'vda' })).toBe(2000 * 512);
    expect(get('disk_write_ops_per_second', { device: 'vda' })).toBe(20);
    expect(get('network_receive_bytes_per_second', { interface: 'eth0' })).toBe(4000);
    expect(get('network_transmit_bytes_per_second', { interface: 'eth0' })).toBe(500);
  });
});
