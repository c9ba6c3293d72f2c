/**
 * Runs `watchEndpoints()` in the background and records every snapshot and
 * error with its time, so that scenarios can wait for a state and later
 * check the whole history (for example: no snapshot ever lost endpoints).
 *
 * @module
 */

import { type EndpointSnapshot, type ResolverError, watchEndpoints, type WatchEndpointsOptions } from "@kgr/resolver";

/** A snapshot and when it arrived. */
export interface RecordedSnapshot {
  /** `Date.now()` on arrival. */
  at: number;
  /** The snapshot. */
  snapshot: EndpointSnapshot;
}

/** A running recorder. */
export interface EndpointRecorder {
  /** Every snapshot so far, oldest first. */
  snapshots: RecordedSnapshot[];
  /** Every error passed to `onError`, with its time. */
  errors: { at: number; error: ResolverError }[];
  /** When `onRecovered` was called, oldest first. */
  recoveries: number[];
  /** The latest snapshot's endpoints as `pod=host,host` strings, sorted. */
  current(): string[];
  /** Waits until the latest snapshot satisfies `check`; returns it. */
  waitFor(what: string, check: (snapshot: EndpointSnapshot) => boolean, timeoutMs?: number): Promise<RecordedSnapshot>;
  /** Waits until an error satisfies `check`; returns it. */
  waitForError(what: string, check: (error: ResolverError) => boolean, timeoutMs?: number): Promise<ResolverError>;
  /** Stops the watch; resolves when `watchEndpoints()` has returned. */
  stop(): Promise<void>;
}

/**
 * Starts recording the snapshots of one target.
 *
 * @param target The target, e.g. `kubernetes:///echo.ns:grpc`.
 * @param options Options of `watchEndpoints()` (not `signal`, `onError` or `onRecovered`, which the recorder sets).
 * @returns The recorder.
 */
export function recordEndpoints(
  target: string,
  options: Omit<WatchEndpointsOptions, "signal" | "onError" | "onRecovered"> = {},
): EndpointRecorder {
  const controller = new AbortController();
  const snapshots: RecordedSnapshot[] = [];
  const errors: { at: number; error: ResolverError }[] = [];
  const recoveries: number[] = [];
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  const done = (async () => {
    try {
      const iterable = watchEndpoints(target, {
        ...options,
        signal: controller.signal,
        onError: (error) => {
          errors.push({ at: Date.now(), error });
          notify();
        },
        onRecovered: () => recoveries.push(Date.now()),
      });
      for await (const snapshot of iterable) {
        snapshots.push({ at: Date.now(), snapshot });
        notify();
      }
    } catch (error) {
      failure = error;
      notify();
    }
  })();

  async function until<T>(what: string, find: () => T | undefined, timeoutMs: number): Promise<T> {
    const end = Date.now() + timeoutMs;
    while (true) {
      if (failure) throw new Error(`watchEndpoints() failed while waiting for ${what}`, { cause: failure });
      const found = find();
      if (found !== undefined) return found;
      const left = end - Date.now();
      if (left <= 0) {
        const last = errors.at(-1)?.error.message ?? "none";
        throw new Error(
          `Timed out after ${timeoutMs} ms waiting for ${what}: current endpoints [${current().join(" ")}], ` +
            `${snapshots.length} snapshots, last error: ${last}`,
        );
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, Math.min(left, 250));
      });
      clearTimeout(timer);
    }
  }

  function current(): string[] {
    const latest = snapshots.at(-1)?.snapshot;
    return (latest?.endpoints ?? [])
      .map((endpoint) => `${endpoint.podName ?? "?"}=${endpoint.addresses.map((a) => a.host).join(",")}`)
      .sort();
  }

  return {
    snapshots,
    errors,
    recoveries,
    current,
    waitFor(what, check, timeoutMs = 15_000) {
      return until(what, () => {
        const latest = snapshots.at(-1);
        return latest && check(latest.snapshot) ? latest : undefined;
      }, timeoutMs);
    },
    waitForError(what, check, timeoutMs = 15_000) {
      return until(what, () => errors.find((entry) => check(entry.error))?.error, timeoutMs);
    },
    async stop() {
      controller.abort();
      await done;
    },
  };
}
