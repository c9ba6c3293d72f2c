/**
 * Requests that wait for the resourceVersion to reach a value, as the real
 * server's watch cache makes a read of a future resourceVersion wait before
 * it answers "too large". Private to the fake API server.
 *
 * @module
 */

/** The waits of one server. */
export interface RvWaiters {
  /**
   * Waits until the resourceVersion reaches `rv`.
   *
   * @returns true once it is reached, false after the wait time or on close.
   */
  wait(rv: number): Promise<boolean>;
  /** Settles the waits whose resourceVersion has been reached; call after every change. */
  wake(): void;
  /** Settles every wait with false and refuses new ones: the server closes. */
  close(): void;
}

interface Waiter {
  readonly rv: number;
  readonly settle: (reached: boolean) => void;
}

/**
 * Creates the waits of one server.
 *
 * @param currentRv Reads the current resourceVersion.
 * @param waitMs How long a wait lasts before it gives up.
 * @returns The waits.
 */
export function createRvWaiters(currentRv: () => number, waitMs: number): RvWaiters {
  const waiters = new Set<Waiter>();
  let closed = false;
  return {
    wait(rv) {
      if (currentRv() >= rv) return Promise.resolve(true);
      if (closed) return Promise.resolve(false);
      return new Promise((resolve) => {
        const timer = setTimeout(() => waiter.settle(false), waitMs);
        const waiter: Waiter = {
          rv,
          settle: (reached) => {
            clearTimeout(timer);
            waiters.delete(waiter);
            resolve(reached);
          },
        };
        waiters.add(waiter);
      });
    },
    wake() {
      for (const waiter of waiters) {
        if (currentRv() >= waiter.rv) waiter.settle(true);
      }
    },
    close() {
      closed = true;
      for (const waiter of waiters) waiter.settle(false);
    },
  };
}
