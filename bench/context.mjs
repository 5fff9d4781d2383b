// Where and on what the figures were taken: machine, load, versions, commit.
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const GIB = 2 ** 30;

export function loadavg() {
  return os.loadavg().map((x) => Math.round(x * 100) / 100);
}

function git(root, args) {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

function packageVersion(root, dir) {
  const path = join(root, dir, 'package.json');
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')).version : null;
}

export function machine() {
  const cpus = os.cpus();
  return {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpu_model: cpus[0]?.model ?? 'unknown',
    cpu_count: cpus.length,
    memory_gib: Math.round((os.totalmem() / GIB) * 10) / 10,
    free_memory_gib: Math.round((os.freemem() / GIB) * 10) / 10,
  };
}

export function versions(root) {
  return {
    node: process.version,
    autoencoders_pkg: packageVersion(root, 'pkg'),
    tfjs: packageVersion(root, 'node_modules/@tensorflow/tfjs-core'),
    playwright_core: packageVersion(root, 'node_modules/playwright-core'),
  };
}

/** The commit measured, and whether the working tree differed from it (then the figures are of that tree). */
export function commit(root) {
  const status = git(root, ['status', '--porcelain', '--untracked-files=no']);
  return { commit: git(root, ['rev-parse', 'HEAD']), dirty: status === null ? null : status.length > 0 };
}

// ---------------------------------------------------------------- CPU taken by other processes
// On a small machine, another process (a build) can take a core in the middle of a row and skew it.
// The load average cannot tell that apart from the bench's own browser, so this counts clock ticks:
// the whole machine's (/proc/stat) minus those of this process and its descendants (/proc/<pid>/stat,
// children that ended included through their parent's cutime/cstime). Linux only; null elsewhere.

function machineTicks() {
  // cpu user nice system idle iowait irq softirq steal (guest time is already inside user)
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  return { total, busy: total - ticks[3] - ticks[4] };
}

function ownTicks() {
  const children = new Map();
  const ticks = new Map();
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    let stat;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    // After "pid (comm) ": state ppid ... utime(14) stime(15) cutime(16) cstime(17), 1-based fields.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pid = Number(name);
    const ppid = Number(f[1]);
    ticks.set(pid, Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]));
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  let sum = 0;
  for (const stack = [process.pid]; stack.length;) {
    const pid = stack.pop();
    sum += ticks.get(pid) ?? 0;
    stack.push(...(children.get(pid) ?? []));
  }
  return sum;
}

/** Starts a meter; calling the function it returns gives the share of all CPUs that other processes used since. */
export function otherCpuMeter() {
  if (!existsSync('/proc/stat')) return () => null;
  const [machine, own] = [machineTicks(), ownTicks()];
  return () => {
    const [machineNow, ownNow] = [machineTicks(), ownTicks()];
    const total = machineNow.total - machine.total;
    const other = machineNow.busy - machine.busy - (ownNow - own);
    return total > 0 ? Math.round(Math.max(0, other / total) * 1000) / 1000 : null;
  };
}
