/**
 * The reflector's stall deadline: a request that makes no progress for too
 * long is aborted. Private to `watch/`.
 *
 * @module
 */

import type { Clock } from "../runtime/clock.ts";
import { silentConnection } from "../runtime/silent_connection.ts";
import { SilentAnswerError, StallError } from "./_retry.ts";

/** A signal for one request that aborts when the caller's does, when the request stalls, or when it is failed. */
export interface StallDeadline {
  /** Aborts with the caller's signal, or with a {@linkcode StallError} when `touch()` was not called in time. */
  readonly signal: AbortSignal;
  /** Records progress: the deadline moves to `stallTimeoutMs` from now (or the limit of `expectEvery()`). */
  touch(): void;
  /**
   * From now on, progress is due every `limitMs` when that is shorter than `stallTimeoutMs` (a watch that gets the
   * API server's bookmarks every minute); says whether it is. A stall at that limit is {@linkcode StallDeadline.early}.
   */
  expectEvery(limitMs: number): boolean;
  /** Whether the stall came at the limit of `expectEvery()`, before `stallTimeoutMs`. */
  early(): boolean;
  /**
   * Records that bytes came; `midAnswer` when they leave an answer that the server sends in one go unfinished (an
   * event begun, a streaming list's initial events begun). While one is, a pause of {@linkcode BROKEN_AFTER_MS}
   * without a byte aborts the request as a broken connection, when that is shorter than `stallTimeoutMs`: Deno's
   * TLS sockets may never report a connection that broke while a large answer was in flight.
   */
  heard(midAnswer: boolean): void;
  /**
   * Stops timing until the returned function is called, which counts as progress: the wait for credentials, which
   * an exec plugin may take up to its own 60 s limit to give, is not the API server's.
   */
  pause(): () => void;
  /** Records that the server began to answer (a watch's headers), for the message of a stall; the deadline stays. */
  answered(): void;
  /** The stall that aborted the signal, if that is what happened. */
  stalled(): StallError | undefined;
  /** The pause in the middle of an answer that aborted the signal (see `heard()`), if that is what happened. */
  broken(): Error | undefined;
  /** Aborts the request with `error`: a failure found outside of it, such as in an event read later. */
  fail(error: Error): void;
  /** The error given to `fail()` first, if any. */
  failure(): Error | undefined;
  /** Stops the timer and the forwarding of the caller's signal, and aborts `signal`. */
  dispose(): void;
}

/**
 * How long an answer that the API server sends in one go may pause before its end, in ms: kube-apiserver writes an
 * event whole, and a streaming list's initial events back to back from its watch cache.
 */
const BROKEN_AFTER_MS = 10_000;

/**
 * How long a watch that had a bookmark may go without another, in ms: kube-apiserver's watch cache sends one every
 * minute (60 s, its ticks up to 1.25 s late) once its resourceVersion passed the watch's start, and a bookmark says it
 * did (v1.36.3: 59.1 to 60.8 s apart, measured). Only a hung server (a stopped process) or a dead connection misses it.
 */
export const BOOKMARKS_DUE_MS = 75_000;

/**
 * How late the timer may fire before the silence it measured is doubted, and how long it then waits for what came
 * meanwhile, in ms: a process that was paused (a stopped VM, a long GC, a starved machine) runs its timers before
 * it reads the bytes that arrived while it was.
 */
const LATE_MS = 1_000;

/** Options of {@linkcode stallDeadline}. */
export interface StallDeadlineOptions {
  /** Reads the time and runs the timer. */
  clock: Clock;
  /** How long a request may go without progress, in ms. */
  stallTimeoutMs: number;
  /** The API server's URL, for the message. */
  server?: string;
  /** The proxy on the way, for the message: `through the proxy ... from HTTPS_PROXY`. */
  via?: string | undefined;
}

/**
 * Starts a stall deadline. One timer serves every `touch()`: when it fires
 * early (there was progress since) it is set again for the time left.
 *
 * @param outer The caller's signal.
 * @param options The clock and the timeout.
 * @returns The deadline; call `dispose()` when the request is over.
 *
 * @example A request that must make progress every second
 * ```ts
 * import { systemClock } from "../runtime/clock.ts";
 * import { stallDeadline } from "./_stall_deadline.ts";
 * const deadline = stallDeadline(new AbortController().signal, { clock: systemClock, stallTimeoutMs: 1000 });
 * deadline.touch();
 * deadline.dispose();
 * ```
 */
export function stallDeadline(
  outer: AbortSignal,
  { clock, stallTimeoutMs, server, via }: StallDeadlineOptions,
): StallDeadline {
  const controller = new AbortController();
  const forward = () => controller.abort();
  outer.addEventListener("abort", forward, { once: true });
  if (outer.aborted) controller.abort();
  const brokenAfterMs = BROKEN_AFTER_MS < stallTimeoutMs ? BROKEN_AFTER_MS : Infinity;
  let lastProgressAt = clock.now();
  // How long progress may take: `stallTimeoutMs`, or the shorter limit of `expectEvery()`.
  let limitMs = stallTimeoutMs;
  // When the last bytes came, while they left an answer sent in one go unfinished; `undefined` otherwise.
  let midAnswerSince: number | undefined;
  let dueAt = 0;
  // Whether the last firing was late and only waited: the next one judges, unless progress came meanwhile, so that a
  // starved process still does.
  let waitedForLateBytes = false;
  let answered = false;
  let pauses = 0;
  let stall: StallError | undefined;
  let broken: Error | undefined;
  let failure: Error | undefined;
  let cancel: () => void;
  const arm = (delay: number) => {
    dueAt = clock.now() + delay;
    cancel = clock.setTimeout(() => {
      if (pauses > 0) return arm(stallTimeoutMs);
      const now = clock.now();
      // Late by a tenth of a short limit is late too: the caller's work on a snapshot may hold the process that long.
      waitedForLateBytes = !waitedForLateBytes && now - dueAt > Math.min(LATE_MS, limitMs / 10);
      if (waitedForLateBytes) return arm(Math.min(LATE_MS, limitMs));
      const silent = midAnswerSince === undefined ? 0 : now - midAnswerSince;
      if (silent >= brokenAfterMs) {
        // Not a stall, nor one of our errors: the reflector handles it as the runtime's report of a broken connection.
        // Marked as the connection's fault: over HTTP/2, the retry must not go on the same, frozen, connection.
        broken = silentConnection(
          new SilentAnswerError(
            `the connection went silent for ${brokenAfterMs} ms in the middle of an answer that the API server sends ` +
              "in one go: taken as broken",
          ),
        );
        controller.abort(broken);
        return;
      }
      const idle = now - lastProgressAt;
      if (idle < limitMs) {
        return arm(Math.min(limitMs - idle, midAnswerSince === undefined ? Infinity : brokenAfterMs - silent));
      }
      // A server that never answers at all (a stopped or overloaded process, packets dropped on the way) is the
      // user's to look into; a watch that went quiet after answering is retried, and reported only when the
      // reflector cannot tell it from a quiet cluster's (see `quietAgain` there).
      const what = answered ? "no complete answer or event" : "no answer";
      const advice = answered
        ? ": it restarts; if this repeats, check the API server's health and load (kubectl get " +
          "--raw='/readyz?verbose') and that the proxies on the way pass an answer as it comes"
        : via === undefined
        ? ": check that it is up and answers (a stopped or overloaded API server, or a network that drops " +
          "packets, leaves a request hanging)"
        : `: check that it is up and answers, and that the proxy on the way (${via}) does (a stopped or overloaded ` +
          "API server or proxy, or a network that drops packets, leaves a request hanging)";
      stall = silentConnection(
        new StallError(
          `Request to the API server${server ? ` at ${server}` : ""} stalled: ${what} for ${stallTimeoutMs} ms ` +
            "(stallTimeoutMs)",
          advice,
        ),
      );
      controller.abort(stall);
    }, delay);
  };
  arm(stallTimeoutMs);
  return {
    signal: controller.signal,
    touch() {
      lastProgressAt = clock.now();
      // The wait for late bytes brought some: a process late again is busy, not starved of them.
      waitedForLateBytes = false;
    },
    expectEvery(limit) {
      if (limit >= stallTimeoutMs) return false;
      limitMs = limit;
      if (pauses === 0 && dueAt > lastProgressAt + limit) {
        cancel();
        arm(Math.max(0, lastProgressAt + limit - clock.now()));
      }
      return true;
    },
    early: () => stall !== undefined && limitMs < stallTimeoutMs,
    heard(midAnswer) {
      const now = clock.now();
      midAnswerSince = midAnswer ? now : undefined;
      if (midAnswer && pauses === 0 && dueAt > now + brokenAfterMs) {
        cancel();
        arm(brokenAfterMs);
      }
    },
    pause() {
      pauses++;
      let resumed = false;
      return () => {
        if (resumed) return;
        resumed = true;
        pauses--;
        lastProgressAt = clock.now();
      };
    },
    answered: () => void (answered = true),
    stalled: () => stall,
    broken: () => broken,
    fail(error) {
      failure ??= error;
      controller.abort(error);
    },
    failure: () => failure,
    dispose() {
      cancel();
      outer.removeEventListener("abort", forward);
      controller.abort();
    },
  };
}
