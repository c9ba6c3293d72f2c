import assert from "node:assert/strict";
import { pageText } from "../src/api/_page_text.ts";
import { cpuMilliseconds } from "./_cpu_time.ts";

Deno.test("pageText() gives a proxy's error page as one line of its words", () => {
  assert.equal(
    pageText(
      "<html><head><title>502 Bad Gateway</title><style>h1 { x: 1 }</style></head>\n<body><!-- a < comment -->" +
        "<script>if (a < b) {}</script><h1>Bad&nbsp;Gateway &amp; &#x41;&#66; &bogus;</h1></body></html>",
    ),
    "502 Bad Gateway Bad Gateway & AB &bogus;",
  );
});

Deno.test("pageText() keeps text after a < or <!-- that nothing closes", () => {
  assert.equal(pageText("<p>a < b</p> c < d"), "a c < d");
  assert.equal(pageText("<b>x</b> <!-- y"), "x <!-- y");
  assert.equal(pageText("<!-->a -->b"), "b");
  assert.equal(pageText("<script>x</script><script>y"), "y");
  assert.equal(pageText("<STYLE>x</style ><Script>y</SCRIPT>z"), "z");
});

Deno.test("pageText() reads the largest error body it is given in linear time, whatever its < and <!-- and <script", () => {
  // An error body is read up to 64 KiB (_status_body.ts). Each unclosed "<" used to rescan the rest of the page: 64 KiB
  // of "<" blocked the event loop for 1.4 s (every gRPC call with it), 64 KiB of "<script" 0.26 s.
  for (const unit of ["<", "<!--", "<script", "<style ", "</script", "<a<!--<script>"]) {
    const page = unit.repeat(Math.floor(64 * 1024 / unit.length));
    // CPU time, not wall time: a loaded machine (load 69 here) made 8 of 10 runs take 228 ms of wall time.
    const elapsed = cpuMilliseconds(() => pageText(page));
    assert.ok(elapsed < 150, `${JSON.stringify(unit)} x ${page.length / unit.length}: ${Math.round(elapsed)} ms`);
  }
});
