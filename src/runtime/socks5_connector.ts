/**
 * SOCKS5 proxies for undici on Node and Deno: a connector that opens each
 * connection through the proxy (RFC 1928, with the URL's user name and
 * password as RFC 1929 asks), then lets undici's own connector run TLS over
 * it. undici's `Socks5ProxyAgent` would print an `ExperimentalWarning`; we
 * print nothing. The target's host name goes to the proxy unresolved, as Go's
 * SOCKS5 dialer sends it.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { connect, isIP, type Socket } from "node:net";
import { ipAddressBytes, unbracketedHost } from "../base/ip_address.ts";
import { urlPort } from "../base/_url_port.ts";
import { keepAlive } from "./tcp_keepalive.ts";
import { unrefTimer } from "./unref_timer.ts";

/** The part of undici's connector options used here. */
export interface ConnectOptions {
  /** The target host, IPv6 in brackets. */
  hostname: string;
  /** `https:` or `http:`. */
  protocol: string;
  /** The target port; empty for the protocol's default. */
  port: string;
  /** Set by the SOCKS5 connector for the TLS connector: the connection to run TLS over. */
  httpSocket?: Socket;
}

/**
 * An undici connector: opens a connection and calls back with it or with an error. What it returns differs
 * (undici's own returns the socket it is connecting, a proxy agent's a promise): only a socket is used.
 */
export type Connector = (
  options: ConnectOptions,
  callback: (...result: [null, Socket] | [Error, null]) => void,
) => unknown;

/** The longest wait for the proxy's answers. */
const TIMEOUT_MS = 10_000;

/** The longest user name, and the longest password, that SOCKS5 can send (RFC 1929: one byte holds each length). */
const MAX_LOGIN_BYTES = 255;

/** SOCKS5 reply codes (RFC 1928, section 6). */
const REPLIES = [
  "succeeded",
  "general SOCKS server failure",
  "connection not allowed by ruleset",
  "network unreachable",
  "host unreachable",
  "connection refused",
  "TTL expired",
  "command not supported",
  "address type not supported",
];

/**
 * Creates a connector that reaches each target through a SOCKS5 proxy.
 *
 * @param proxyUrl The proxy, `socks5://[user:password@]host:port` (port 1080 when absent).
 * @param secure Runs TLS over a connection given as `httpSocket`: undici's `buildConnector(tls)`.
 * @param source Where the proxy's URL came from, for the messages that ask to fix its login: the variable
 * (`HTTPS_PROXY`) or the kubeconfig's `proxy-url`.
 * @returns The connector, for `new Agent({ connect })`; it returns the socket it opens to the proxy, as undici's
 * own connector returns the one it connects, so that a pool can keep it from holding the process while a proxy
 * that never answers is waited for.
 *
 * @example An undici agent through a local SOCKS5 proxy
 * ```ts ignore
 * import { Agent, buildConnector } from "undici";
 * import { socks5Connector } from "./socks5_connector.ts";
 * const agent = new Agent({ connect: socks5Connector("socks5://127.0.0.1:1080", buildConnector({ ca })) });
 * ```
 */
export function socks5Connector(proxyUrl: string, secure: Connector, source = "the proxy's URL"): Connector {
  const proxy = new URL(proxyUrl);
  const proxyHost = unbracketedHost(proxy.hostname);
  // A socks5: or socks5h: URL: its port, else 1080.
  const proxyPort = urlPort(proxy)!;
  return (options, callback) => {
    const socket = keepAlive(connect(proxyPort, proxyHost));
    const host = unbracketedHost(options.hostname);
    const port = urlPort(options)!;
    openTunnel(socket, proxy, source, host, port).then(
      () => {
        socket.setNoDelay(true);
        if (options.protocol === "https:") secure({ ...options, httpSocket: socket }, callback);
        else callback(null, socket);
      },
      (error: Error) => {
        socket.destroy();
        callback(error, null);
      },
    );
    return socket;
  };
}

/** Greets the proxy, authenticates when the URL has a user, and asks for a tunnel to host:port. */
async function openTunnel(socket: Socket, proxy: URL, source: string, host: string, port: number): Promise<void> {
  const input = answers(socket, proxy);
  const where = `the SOCKS5 proxy ${proxy.host}`;
  try {
    const user = Buffer.from(decodeURIComponent(proxy.username));
    const password = Buffer.from(decodeURIComponent(proxy.password));
    const withPassword = user.length > 0 || password.length > 0;
    // One byte holds each length (RFC 1929): a longer one would go out cut, and the proxy refuse what it read.
    for (const [what, bytes] of [["user name", user], ["password", password]] as const) {
      if (bytes.length > MAX_LOGIN_BYTES) {
        throw new Error(
          `Cannot log in to ${where}: the ${what} in ${source} must be at most ${MAX_LOGIN_BYTES} bytes, as SOCKS5 ` +
            `sends it: current length is ${bytes.length} bytes; use a shorter one, or an HTTP proxy`,
        );
      }
    }
    socket.write(withPassword ? Uint8Array.of(5, 2, 0, 2) : Uint8Array.of(5, 1, 0));
    const [version, method] = await input.read(2);
    if (version !== 5) throw new Error(`${where} does not speak SOCKS5`);
    if (method === 2 && withPassword) {
      socket.write(Buffer.concat([Uint8Array.of(1, user.length), user, Uint8Array.of(password.length), password]));
      const [, status] = await input.read(2);
      if (status !== 0) throw new Error(`${where} refused the user name and password in ${source}`);
    } else if (method !== 0) {
      throw new Error(`${where} asks for a login: put the user name and password in ${source}`);
    }
    socket.write(Buffer.concat([Uint8Array.of(5, 1, 0), addressOf(host), Uint8Array.of(port >> 8, port & 255)]));
    const [, reply, , type] = await input.read(4);
    if (reply !== 0) {
      const target = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
      throw new Error(`${where} could not open a tunnel to ${target} (${REPLIES[reply] ?? `reply ${reply}`})`);
    }
    const length = type === 1 ? 4 : type === 4 ? 16 : (await input.read(1))[0];
    await input.read(length + 2);
  } finally {
    input.release();
  }
}

/** The SOCKS5 address of a host: an IPv4 or IPv6 address, else the name. */
function addressOf(host: string): Uint8Array {
  const family = isIP(host);
  const ip = family === 0 ? undefined : ipAddressBytes(host);
  if (ip && family === 4) return Uint8Array.of(1, ...ip.subarray(12));
  if (ip) return Uint8Array.of(4, ...ip);
  const name = Buffer.from(host);
  return Buffer.concat([Uint8Array.of(3, name.length), name]);
}

/** Reads exact byte counts of the proxy's answers, bounded in time; `release()` hands the socket back. */
function answers(socket: Socket, proxy: URL) {
  let buffered = Buffer.alloc(0);
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const fail = (error: Error) => {
    failure ??= error;
    wake?.();
  };
  const onData = (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    wake?.();
  };
  const onEnd = () => fail(new Error(`the SOCKS5 proxy ${proxy.host} closed the connection`));
  // Unref'd: a watch stopped while the proxy never answers must not hold the process for it.
  const timer = unrefTimer(setTimeout(
    () => fail(new Error(`the SOCKS5 proxy ${proxy.host} did not answer within ${TIMEOUT_MS / 1000} s`)),
    TIMEOUT_MS,
  ));
  socket.on("data", onData).on("end", onEnd).on("close", onEnd).on("error", fail);
  return {
    async read(count: number): Promise<Buffer> {
      while (buffered.length < count) {
        if (failure) throw failure;
        await new Promise<void>((resolve) => wake = resolve);
      }
      const bytes = buffered.subarray(0, count);
      buffered = buffered.subarray(count);
      return bytes;
    },
    release() {
      clearTimeout(timer);
      socket.off("data", onData).off("end", onEnd).off("close", onEnd).off("error", fail);
      socket.pause();
    },
  };
}
