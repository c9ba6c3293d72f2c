// Lines are fitted and columns measured in terminal cells: a wide character takes two, a combining mark none.
import assert from "node:assert/strict";
import { renderTable } from "../../src/cli/table.ts";
import { cellWidth, cutToCells, fitLine, painter, wordWrap } from "../../src/cli/terminal.ts";
import type { EndpointSlice } from "../../src/base/endpoint_slice.ts";
import { serviceViewOf } from "./_service_view.ts";

const TOKYO = "本番環境クラスタ東京リージョン";

Deno.test("cellWidth() counts wide characters and emoji as two cells, combining and format characters as none", () => {
  assert.equal(cellWidth("echo-0"), 6);
  assert.equal(cellWidth(TOKYO), 30);
  assert.equal(cellWidth("ｆｕｌｌ"), 8);
  assert.equal(cellWidth("한국"), 4);
  assert.equal(cellWidth("🚀"), 2);
  assert.equal(cellWidth("e\u0301\u200b\u200d"), 1);
  assert.equal(cutToCells(TOKYO, 5), "本番");
  assert.equal(cutToCells(TOKYO, 6, true), "ジョン");
});

Deno.test("fitLine() fits a line with CJK to at most N cells, at every N", () => {
  for (let width = 1; width <= 50; width++) {
    const line = fitLine(
      [{ text: "cluster https://10.0.0.1 from " }, { text: `kubeconfig /k (context "${TOKYO}")` }],
      width,
      painter(false),
    );
    assert.ok(cellWidth(line) <= width, `${width}: ${line} is ${cellWidth(line)} cells`);
    assert.ok(cellWidth(line) >= width - 1, `${width}: ${line} is ${cellWidth(line)} cells`);
  }
  assert.equal(fitLine([{ text: TOKYO }], 9, painter(false)), "本番環境…");
});

Deno.test("wordWrap() wraps wide words by cells", () => {
  assert.deepEqual(wordWrap("本番 環境 クラスタ", 10), ["本番 環境", "クラスタ"]);
});

Deno.test("renderTable() keeps every line within the terminal's width with a wide context name and pod names", () => {
  const slice: EndpointSlice = {
    metadata: { name: "echo-a", namespace: "prod" },
    addressType: "IPv4",
    ports: [{ name: "grpc", port: 8080 }],
    endpoints: [
      { addresses: ["10.0.0.1"], targetRef: { name: `${TOKYO}-0` }, zone: "東京a" },
      { addresses: ["10.0.0.2"], targetRef: { name: "echo-1" }, zone: "b" },
    ],
  };
  for (const columns of [40, 60, 80, 100]) {
    const lines = renderTable(serviceViewOf([slice], { zone: "東京a" }), {
      input: "kubernetes:///echo.prod:grpc",
      server: "https://10.0.0.1:6443",
      source: `kubeconfig /k (context "${TOKYO}")`,
      origin: { kind: "kubeconfig", files: ["/k"], context: TOKYO },
      now: 0,
      columns,
      rows: 40,
      paint: painter(false),
      live: true,
    });
    for (const line of lines) assert.ok(cellWidth(line) <= columns, `${columns}: ${line} is ${cellWidth(line)} cells`);
    // The columns line up on screen: ADDRESS starts at the same cell in every row.
    const starts = lines.slice(lines.findIndex((line) => line.startsWith("POD"))).filter((line) =>
      /10\.0\.0\.\d|ADDRESS/.test(line)
    ).map((line) => {
      const at = line.search(/10\.0\.0\.\d|ADDRESS/);
      return cellWidth(line.slice(0, at));
    });
    assert.equal(new Set(starts).size, 1, `${columns}: ${lines.join("\n")}`);
  }
});
