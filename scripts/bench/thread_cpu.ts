/**
 * A client process's CPU time, thread by thread, from Linux's scheduler statistics (`/proc/<pid>/task/<tid>/schedstat`,
 * nanoseconds), for the CPU per update at 5,000 endpoints. The process's own `utime + stime` in `/proc/<pid>/stat`
 * ticks every 10 ms, as coarse as a whole update's cost in a window of 20 updates; the per-thread figures are exact
 * and tell the JavaScript thread apart from the runtime's helpers (V8's concurrent GC and compilers, Bun's JIT
 * workers), whose share moves most from one window to the next.
 *
 * @module
 */

/** CPU time read once from a process: nanoseconds by thread id, and the process's clock-tick total in ms. */
export interface ThreadCpu {
  /** The process (its main thread has the same id). */
  pid: number;
  /** Nanoseconds on CPU so far, by thread id (empty where `/proc` has no `schedstat`). */
  byThread: Map<number, number>;
  /** `utime + stime` in ms (10 ms ticks): the fallback when `byThread` is empty. */
  ticksMs: number;
}

/** CPU time spent between two readings, in ms. */
export interface CpuSpent {
  /** Every thread of the process. */
  totalMs: number;
  /** The main thread only (undefined without `schedstat`). */
  mainMs?: number;
}

/**
 * Reads a process's CPU time by thread.
 *
 * @param pid The process.
 * @returns Its threads' CPU time so far.
 * @throws {Deno.errors.NotFound} When the process is gone.
 */
export async function readThreadCpu(pid: number): Promise<ThreadCpu> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 (1-based), here 11 and 12 (0-based after the name).
  const ticksMs = (Number(fields[11]) + Number(fields[12])) * 10;
  const byThread = new Map<number, number>();
  try {
    for await (const entry of Deno.readDir(`/proc/${pid}/task`)) {
      try {
        const text = await Deno.readTextFile(`/proc/${pid}/task/${entry.name}/schedstat`);
        byThread.set(Number(entry.name), Number(text.split(" ")[0]));
      } catch {
        // The thread ended between the listing and the read: its time is lost, as is any ended thread's.
      }
    }
  } catch {
    byThread.clear();
  }
  return { pid, byThread, ticksMs };
}

/**
 * The CPU time a process spent between two readings, summed thread by thread so that a thread that ended in
 * between takes only its own last moments with it (not its whole past, as a difference of sums would).
 *
 * @param before The earlier reading.
 * @param after The later reading of the same process.
 * @returns The time spent, in ms.
 */
export function cpuSpent(before: ThreadCpu, after: ThreadCpu): CpuSpent {
  if (before.byThread.size === 0 || after.byThread.size === 0) return { totalMs: after.ticksMs - before.ticksMs };
  let totalNs = 0;
  for (const [tid, ns] of after.byThread) totalNs += ns - (before.byThread.get(tid) ?? 0);
  const mainNs = (after.byThread.get(after.pid) ?? 0) - (before.byThread.get(before.pid) ?? 0);
  return { totalMs: totalNs / 1e6, mainMs: mainNs / 1e6 };
}

/** The median and the quartiles of some figures. */
export interface Spread {
  median: number;
  /** The lower quartile. */
  p25: number;
  /** The upper quartile. */
  p75: number;
}

/**
 * The median and quartiles of `values` (nearest rank, the lower middle of an even count).
 *
 * @param values At least one figure.
 * @returns Their median and quartiles.
 */
export function spreadOf(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.floor((sorted.length - 1) * q)];
  return { median: at(0.5), p25: at(0.25), p75: at(0.75) };
}
