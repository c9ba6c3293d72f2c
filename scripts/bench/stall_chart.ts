/**
 * `scripts/bench/stall.svg`: the grpc-js event-loop stall against the
 * number of endpoints, one panel for the first resolution and one for the
 * burst; a colour per load-balancing policy, a dash per runtime, the issue's
 * goals for Node as black ticks.
 *
 * @module
 */

import { RUNTIMES } from "./clients.ts";
import { policyLabel, STALL_POLICIES, type StallResults } from "./stall.ts";

const POLICY_COLORS = ["#d62728", "#1f77b4", "#2ca02c"];
const RUNTIME_DASHES: Record<string, string> = { Deno: "2 3", Bun: "7 4", Node: "" };
/** Goals for Node, by panel: [endpoints, ms, label]. */
const GOALS: Record<"first" | "burst", [number, number, string][]> = {
  first: [[5000, 250, "goal 250 ms"]],
  burst: [[1000, 50, "goal 50 ms"], [5000, 250, "goal 250 ms"], [5000, 30, "goal with subsetting 30 ms"]],
};

/** How many points, sampled every 2 px along the lines, fall in a box: how much of the data a label there would hide. */
function crossingsOf(lines: number[][][], x: number, y: number, width: number, height: number): number {
  let count = 0;
  for (const points of lines) {
    for (let i = 1; i < points.length; i++) {
      const [ax, ay] = points[i - 1], [bx, by] = points[i];
      const steps = Math.max(1, Math.ceil(Math.hypot(bx - ax, by - ay) / 2));
      for (let k = 0; k <= steps; k++) {
        const px = ax + (bx - ax) * k / steps, py = ay + (by - ay) * k / steps;
        if (px >= x && px <= x + width && py >= y && py <= y + height) count++;
      }
    }
  }
  return count;
}

/**
 * Renders the chart.
 *
 * @param stall The stall results.
 * @returns The SVG document.
 */
export function renderStallSvg(stall: StallResults): string {
  const panelWidth = 330, panelHeight = 300, left = 60, gap = 50, top = 56, bottom = 50, legendWidth = 320;
  const width = left + 2 * panelWidth + gap + legendWidth;
  const height = top + panelHeight + bottom;
  const ok = stall.runs.filter((run) => run.first && run.burst);
  const counts = [...new Set(ok.map((run) => run.endpoints))].sort((a, b) => a - b);
  const maxEndpoints = Math.max(1000, ...counts) * 1.08;
  const floorMs = 5;
  const values = ok.flatMap((run) => [run.first!.maxStallMs, run.burst!.maxStallMs]);
  // The first 1-2-5 step above the highest stall (at least 1 s).
  const steps = [1, 2, 5, 10, 20, 50, 100].map((step) => step * 1000);
  const topMs = steps.find((step) => step >= Math.max(1000, ...values) * 1.15) ?? steps.at(-1)!;
  const y = (value: number) =>
    top + panelHeight * (1 - (Math.log10(Math.max(floorMs, value)) - Math.log10(floorMs)) /
          (Math.log10(topMs) - Math.log10(floorMs)));
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${left}" y="20" font-size="15" font-weight="bold">grpc-js event-loop stall against the number of ` +
    `endpoints (longest heartbeat gap, log scale)</text>`,
  ];
  (["first", "burst"] as const).forEach((phase, index) => {
    const x0 = left + index * (panelWidth + gap);
    const x = (endpoints: number) => x0 + (endpoints / maxEndpoints) * panelWidth;
    const title = phase === "first"
      ? `first resolution (${stall.firstWindowMs / 1000} s window)`
      : `${stall.burstUpdates}-update burst (${stall.burstWindowMs / 1000} s window)`;
    parts.push(`<text x="${x0}" y="${top - 10}" font-size="13" font-weight="bold">${title}</text>`);
    parts.push(`<rect x="${x0}" y="${top}" width="${panelWidth}" height="${panelHeight}" fill="none" stroke="#999"/>`);
    for (let decade = Math.floor(Math.log10(floorMs)); 10 ** decade <= topMs; decade++) {
      for (const m of [1, 2, 5]) {
        const value = Math.round(m * 10 ** decade);
        if (value < floorMs || value > topMs) continue;
        const py = y(value).toFixed(1);
        parts.push(`<line x1="${x0}" x2="${x0 + panelWidth}" y1="${py}" y2="${py}" stroke="#eee"/>`);
        const label = value >= 1000 ? `${value / 1000} s` : `${value} ms`;
        parts.push(`<text x="${x0 - 5}" y="${Number(py) + 4}" text-anchor="end">${label}</text>`);
      }
    }
    for (const endpoints of counts) {
      const px = x(endpoints).toFixed(1);
      parts.push(`<line x1="${px}" x2="${px}" y1="${top}" y2="${top + panelHeight}" stroke="#eee"/>`);
      parts.push(
        `<text x="${px}" y="${top + panelHeight + 16}" text-anchor="middle">${
          endpoints.toLocaleString("en-US")
        }</text>`,
      );
    }
    parts.push(
      `<text x="${x0 + panelWidth / 2}" y="${top + panelHeight + 34}" text-anchor="middle">endpoints</text>`,
    );
    const drawn: number[][][] = [];
    STALL_POLICIES.forEach((policy, p) => {
      for (const runtime of RUNTIMES) {
        const points = ok
          .filter((run) => run.runtime === runtime && policyLabel(run) === policyLabel(policy))
          .sort((a, b) => a.endpoints - b.endpoints)
          .map((run) => [x(run.endpoints), y(run[phase]!.maxStallMs)]);
        if (points.length === 0) continue;
        drawn.push(points);
        const dash = RUNTIME_DASHES[runtime] ? ` stroke-dasharray="${RUNTIME_DASHES[runtime]}"` : "";
        parts.push(
          `<polyline fill="none" stroke="${POLICY_COLORS[p]}" stroke-width="2"${dash} points="${
            points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(" ")
          }"/>`,
        );
        for (const [px, py] of points) {
          parts.push(`<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="3" fill="${POLICY_COLORS[p]}"/>`);
        }
      }
    });
    const placedLabels: { left: number; top: number; width: number }[] = [];
    for (const [endpoints, goal, label] of GOALS[phase]) {
      if (!counts.includes(endpoints)) continue;
      const px = x(endpoints), py = y(goal);
      parts.push(
        `<line x1="${(px - 14).toFixed(1)}" x2="${(px + 14).toFixed(1)}" y1="${py.toFixed(1)}" y2="${py.toFixed(1)}" ` +
          `stroke="black" stroke-width="2.5"/>`,
      );
      // Drawn after the data, pointing into the panel, on a white halo, beside the tick or above or below it,
      // wherever the fewest data lines cross the label, and never over another goal's label.
      const right = px < x0 + panelWidth / 2;
      const textWidth = label.length * 6;
      const boxLeft = right ? px + 18 : px - 18 - textWidth;
      const covers = (base: number) =>
        placedLabels.some((other) =>
          boxLeft < other.left + other.width && other.left < boxLeft + textWidth &&
          Math.abs(other.top - (base - 10)) < 12
        );
      const baseline = [py + 4, py - 8, py + 16]
        .map((base) => ({
          base,
          crossings: crossingsOf(drawn, boxLeft, base - 10, textWidth, 12) + (covers(base) ? 1000 : 0),
        }))
        .reduce((best, next) => next.crossings < best.crossings ? next : best).base;
      placedLabels.push({ left: boxLeft, top: baseline - 10, width: textWidth });
      parts.push(
        `<text x="${(right ? px + 18 : px - 18).toFixed(1)}" y="${baseline.toFixed(1)}" ` +
          `text-anchor="${right ? "start" : "end"}" font-size="11" stroke="white" stroke-width="3" ` +
          `paint-order="stroke">${label}</text>`,
      );
    }
  });
  const lx = left + 2 * panelWidth + gap + 20;
  let ly = top + 10;
  parts.push(`<text x="${lx}" y="${ly}" font-weight="bold">load balancing</text>`);
  STALL_POLICIES.forEach((policy, p) => {
    ly += 18;
    parts.push(
      `<line x1="${lx}" x2="${lx + 24}" y1="${ly - 4}" y2="${ly - 4}" stroke="${
        POLICY_COLORS[p]
      }" stroke-width="2.5"/>`,
    );
    parts.push(`<text x="${lx + 30}" y="${ly}">${policyLabel(policy)}</text>`);
  });
  ly += 30;
  parts.push(`<text x="${lx}" y="${ly}" font-weight="bold">runtime</text>`);
  for (const runtime of RUNTIMES) {
    ly += 18;
    const dash = RUNTIME_DASHES[runtime] ? ` stroke-dasharray="${RUNTIME_DASHES[runtime]}"` : "";
    parts.push(
      `<line x1="${lx}" x2="${lx + 24}" y1="${ly - 4}" y2="${ly - 4}" stroke="#333" stroke-width="2"${dash}/>`,
    );
    parts.push(`<text x="${lx + 30}" y="${ly}">${runtime}</text>`);
  }
  ly += 30;
  parts.push(`<line x1="${lx}" x2="${lx + 24}" y1="${ly - 4}" y2="${ly - 4}" stroke="black" stroke-width="2.5"/>`);
  parts.push(`<text x="${lx + 30}" y="${ly}">the issue's goal, on Node</text>`);
  parts.push(
    `<text x="${lx}" y="${ly + 24}" font-size="11" fill="#555">below ${floorMs} ms: drawn at ${floorMs} ms</text>`,
  );
  parts.push("</svg>");
  return parts.join("\n") + "\n";
}
