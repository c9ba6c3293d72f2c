/**
 * The fake cluster's service range and node port range, those of the test
 * control plane (`--service-cluster-ip-range=10.96.0.0/16`, the default node
 * ports 30000-32767), and how kube-apiserver v1.36.3 allocates from them: a
 * given value when it is in range and free, else a random free one from the
 * upper band (past the first 256 addresses, 86 ports, which it keeps for given
 * ones), the lower band once the upper is full. Private to the fake API server.
 *
 * @module
 */

/** Values held, asked one at a time (the fake checks each against the Service that last took it). */
export interface Held<T> {
  /** Whether `value` is held. */
  has(value: T): boolean;
}

/** The service range, as `kubectl get servicecidrs` lists it. */
export const SERVICE_CIDR = "10.96.0.0/16";
/** The first node port. */
export const FIRST_NODE_PORT = 30000;
/** The last node port. */
export const LAST_NODE_PORT = 32767;

/** 10.96.0.0 as a number. */
const NETWORK = 0x0a600000;
/** The addresses of the range, its network and broadcast addresses included. */
const SIZE = 1 << 16;
/** Kept for given addresses: min(max(16, size / 16), 256), as kube-apiserver's allocator computes it. */
const IP_LOWER_BAND = 256;
/** Kept for given ports: min(max(16, size / 32), 128). */
const PORT_LOWER_BAND = Math.min(Math.max(16, Math.floor((LAST_NODE_PORT - FIRST_NODE_PORT + 1) / 32)), 128);

/**
 * Why kube-apiserver v1.36.3 cannot allocate `ip` (a valid IPv4 address), in its words; `undefined` when it can.
 *
 * @param ip The address given.
 * @param used The addresses other Services hold.
 * @returns The reason, after "failed to allocate IP <ip>: ".
 */
export function clusterIpProblem(ip: string, used: Held<string>): string | undefined {
  const offset = ipv4Number(ip) - NETWORK;
  // The network and broadcast addresses are outside the range too (measured).
  if (offset <= 0 || offset >= SIZE - 1) return "the provided network does not match the current range";
  if (used.has(ip)) return "provided IP is already allocated";
  return undefined;
}

/**
 * A free address of the range, at random from the upper band, else from the lower one.
 *
 * @param used The addresses other Services hold.
 * @returns The address, or `undefined` when the range is full.
 */
export function allocateClusterIp(used: Held<string>): string | undefined {
  const offset = pickFree(1 + IP_LOWER_BAND, SIZE - 2, 1, (n) => used.has(ipv4Text(NETWORK + n)));
  return offset === undefined ? undefined : ipv4Text(NETWORK + offset);
}

/**
 * Why kube-apiserver v1.36.3 cannot allocate node port `port`, in its words; `undefined` when it can.
 *
 * @param port The port given.
 * @param used The node ports other Services (and this one's ports before) hold.
 * @returns The reason, after "Invalid value: <port>: ".
 */
export function nodePortProblem(port: number, used: Held<number>): string | undefined {
  if (port < FIRST_NODE_PORT || port > LAST_NODE_PORT) {
    return `provided port is not in the valid range. The range of valid ports is ${FIRST_NODE_PORT}-${LAST_NODE_PORT}`;
  }
  if (used.has(port)) return "provided port is already allocated";
  return undefined;
}

/**
 * A free node port, at random from the upper band, else from the lower one.
 *
 * @param used The node ports held.
 * @returns The port, or `undefined` when every one is held.
 */
export function allocateNodePort(used: Held<number>): number | undefined {
  return pickFree(FIRST_NODE_PORT + PORT_LOWER_BAND, LAST_NODE_PORT, FIRST_NODE_PORT, (port) => used.has(port));
}

/** A random value of [from, to] that is not taken, else the first free one of [low, from). */
function pickFree(from: number, to: number, low: number, taken: (n: number) => boolean): number | undefined {
  const count = to - from + 1;
  const start = Math.floor(Math.random() * count);
  for (let i = 0; i < count; i++) {
    const n = from + (start + i) % count;
    if (!taken(n)) return n;
  }
  for (let n = low; n < from; n++) if (!taken(n)) return n;
  return undefined;
}

function ipv4Number(ip: string): number {
  return ip.split(".").reduce((sum, part) => sum * 256 + Number(part), 0);
}

function ipv4Text(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}
