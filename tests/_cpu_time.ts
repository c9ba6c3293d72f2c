import process from "node:process";

/**
 * The CPU time, in milliseconds, that this process spends on `work`: unlike wall time, it does not grow while a busy
 * machine runs other processes instead, so that a bound on it tells a slow algorithm from a loaded machine.
 *
 * @param work What to time; it runs once, synchronously.
 * @returns User and system CPU time of the process during `work`.
 */
export function cpuMilliseconds(work: () => void): number {
  const before = process.cpuUsage();
  work();
  const { user, system } = process.cpuUsage(before);
  return (user + system) / 1000;
}
