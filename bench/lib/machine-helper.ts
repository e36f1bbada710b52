import { readdirSync, readFileSync } from "node:fs";

// This machine is shared: other sessions' test runs and the hypervisor's other guests take CPU.
// These readings say, per measurement, how much of that happened, so a run can be judged.

type ProcStat = { ppid: number; comm: string; ticks: number };

function processes(): Map<number, ProcStat> {
  const out = new Map<number, ProcStat>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const fields = stat.slice(close + 2).split(" ");
      // After the command: state ppid … utime (11th) stime (12th), in clock ticks.
      out.set(Number(entry), {
        ppid: Number(fields[1]),
        comm,
        ticks: Number(fields[11]) + Number(fields[12]),
      });
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/** Node processes that are neither this one, its ancestors nor its descendants (other sessions' work). */
function foreignNodeTicks(): Map<number, number> {
  const all = processes();
  const ours = new Set<number>();
  for (let pid = process.pid; pid > 1 && !ours.has(pid); pid = all.get(pid)?.ppid ?? 1) ours.add(pid);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, p] of all) {
      if (!ours.has(pid) && ours.has(p.ppid) && p.ppid !== 1) {
        ours.add(pid);
        grew = true;
      }
    }
  }
  const foreign = new Map<number, number>();
  for (const [pid, p] of all)
    if (!ours.has(pid) && /node|npm|vitest|tsx/.test(p.comm)) foreign.set(pid, p.ticks);
  return foreign;
}

function cpuTimes() {
  const fields = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "")
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return {
    total: fields.reduce((a, b) => a + b, 0),
    steal: fields[7] ?? 0,
    idle: (fields[3] ?? 0) + (fields[4] ?? 0),
  };
}

/**
 * From now until the returned function is called: share of CPU busy, steal (time the hypervisor
 * gave to other guests) and CPU seconds used by other people's Node processes.
 */
export function machineLoad(): () => string {
  const start = cpuTimes();
  const foreignStart = foreignNodeTicks();
  return () => {
    const end = cpuTimes();
    const total = end.total - start.total;
    if (total <= 0) return "n/a";
    let foreignTicks = 0;
    for (const [pid, ticks] of foreignNodeTicks()) foreignTicks += ticks - (foreignStart.get(pid) ?? 0);
    const busy = 100 - ((end.idle - start.idle) / total) * 100;
    const steal = ((end.steal - start.steal) / total) * 100;
    return `CPU busy ${busy.toFixed(0)}%, steal ${steal.toFixed(1)}%, other sessions' Node processes ${(foreignTicks / 100).toFixed(1)} CPU-s`;
  };
}
