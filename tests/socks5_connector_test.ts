import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createServer as createHttpServer } from "node:http";
import { connect, createServer, type Server, type Socket } from "node:net";
import { Agent, buildConnector, request } from "undici";
import { type Connector, socks5Connector } from "../src/runtime/socks5_connector.ts";

/** A scripted SOCKS5 server on 127.0.0.1: `answer` gets each client's bytes so far and the socket. */
async function socksServer(answer: (bytes: Buffer, client: Socket) => void): Promise<{ url: string; server: Server }> {
  const server = createServer((client) => {
    let bytes = Buffer.alloc(0);
    client.on("error", () => client.destroy());
    client.on("data", (chunk) => {
      bytes = Buffer.concat([bytes, chunk]);
      answer(bytes, client);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `socks5://127.0.0.1:${(server.address() as { port: number }).port}`, server };
}

async function failureThrough(
  proxyUrl: string,
  source?: string,
  target = "http://target.example:8080/",
): Promise<string> {
  const agent = new Agent({ connect: socks5Connector(proxyUrl, buildConnector({}) as Connector, source) });
  try {
    await request(target, { dispatcher: agent });
    return "no failure";
  } catch (error) {
    return (error as Error).message;
  } finally {
    await agent.close();
  }
}

Deno.test("socks5Connector() reports a tunnel the proxy refuses, with the reason", async () => {
  const { url, server } = await socksServer((bytes, client) => {
    if (bytes.length === 3) client.write(Uint8Array.of(5, 0));
    else if (bytes.length > 3) client.end(Uint8Array.of(5, 5, 0, 1, 0, 0, 0, 0, 0, 0));
  });
  try {
    assert.equal(
      await failureThrough(url),
      `the SOCKS5 proxy ${new URL(url).host} could not open a tunnel to target.example:8080 (connection refused)`,
    );
    // An IPv6 server in brackets before its port, as kubectl writes it (`->[fd00::1]:8080`); the proxy dials nothing.
    assert.equal(
      await failureThrough(url, undefined, "http://[fd00::1]:8080/"),
      `the SOCKS5 proxy ${new URL(url).host} could not open a tunnel to [fd00::1]:8080 (connection refused)`,
    );
  } finally {
    server.close();
  }
});

Deno.test("socks5Connector() asks for a login where the proxy came from when it wants one, and reports a refused one", async () => {
  const { url, server } = await socksServer((bytes, client) => {
    if (bytes[2] === 0 && bytes.length === 3) client.write(Uint8Array.of(5, 255));
    else if (bytes.length === 4) client.write(Uint8Array.of(5, 2));
    else if (bytes.length > 4) client.write(Uint8Array.of(1, 1));
  });
  try {
    const withLogin = url.replace("//", "//u:p@");
    for (const source of ["HTTPS_PROXY", 'proxy-url of kubeconfig /k (context "c")']) {
      assert.match(await failureThrough(url, source), /asks for a login: put the user name and password in (.*)$/);
      assert.ok((await failureThrough(url, source)).endsWith(`put the user name and password in ${source}`));
      assert.ok((await failureThrough(withLogin, source)).endsWith(`refused the user name and password in ${source}`));
    }
    // Without a source, no variable or field is named that may not be the one.
    assert.match(await failureThrough(url), /asks for a login: put the user name and password in the proxy's URL$/);
    assert.doesNotMatch(await failureThrough(withLogin), /proxy-url/);
  } finally {
    server.close();
  }
});

Deno.test("socks5Connector() carries plain HTTP to the target the proxy connects", async () => {
  const target = createHttpServer((_request, response) => response.end("through"));
  await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
  const port = (target.address() as { port: number }).port;
  const requested: string[] = [];
  const { url, server } = await socksServer((bytes, client) => {
    if (bytes.length === 3) client.write(Uint8Array.of(5, 0));
    if (bytes.length !== 3 + 5 + bytes[7] + 2 || bytes[6] !== 3) return;
    requested.push(`${bytes.subarray(8, 8 + bytes[7])}:${bytes.readUInt16BE(8 + bytes[7])}`);
    client.removeAllListeners("data");
    const upstream = connect(port, "127.0.0.1", () => {
      client.write(Uint8Array.of(5, 0, 0, 1, 127, 0, 0, 1, 0, 0));
      upstream.pipe(client).pipe(upstream);
    });
    client.on("close", () => upstream.destroy());
  });
  const agent = new Agent({ connect: socks5Connector(url, buildConnector({}) as Connector) });
  try {
    const response = await request(`http://api.example:${port}/`, { dispatcher: agent });
    assert.equal(await response.body.text(), "through");
    assert.deepEqual(requested, [`api.example:${port}`]);
  } finally {
    await agent.close();
    server.close();
    target.close();
  }
});

Deno.test("socks5Connector() refuses a password longer than SOCKS5 can send, without quoting it", async () => {
  const received: Buffer[] = [];
  const { url, server } = await socksServer((bytes, client) => {
    received.push(bytes);
    if (bytes.length === 4) client.write(Uint8Array.of(5, 2));
    else if (bytes.length > 4) client.write(Uint8Array.of(1, 1));
  });
  const password = "p".repeat(300);
  try {
    const message = await failureThrough(url.replace("//", `//u:${password}@`), "HTTPS_PROXY");
    assert.match(message, /the password in HTTPS_PROXY must be at most 255 bytes.*current length is 300 bytes/);
    assert.ok(!message.includes(password.slice(0, 8)));
    assert.deepEqual(received, [], "nothing was sent to the proxy");
  } finally {
    server.close();
  }
});
