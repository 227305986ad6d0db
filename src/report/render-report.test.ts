import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { buildCharts } from "./charts.js";
import { renderReport } from "./render-report.js";
import { renderSummary } from "./render-summary.js";
import { syntheticWarResults } from "../../tests/support/synthetic-war-results.js";

const library = {
  name: "Chart.js",
  version: "0",
  source: "/* library */",
} as const;

describe("renderReport", () => {
  test("a skipped scenario's chart says why instead of drawing", () => {
    const results = syntheticWarResults({ runs: 3, skip: ["snapstart"] });
    const snap = buildCharts(results).find((c) => c.id === "snapstart");
    assert.equal(snap?.spec, undefined);
    assert.match(snap?.missing ?? "", /did not run: left out/);
    const html = renderReport(results, { chartLibrary: library });
    assert.match(html, /data-missing="snapstart"/);
    assert.doesNotMatch(html, /id="chart-snapstart"/);
    assert.match(html, /<tr data-claim="4">[\s\S]*?inconclusive/);
  });

  test("forbids every request and escapes what the results say", () => {
    const results = syntheticWarResults({ runs: 3 });
    const html = renderReport(
      {
        ...results,
        machine: { ...results.machine, cpuModel: "</script><b>x</b>" },
      },
      { chartLibrary: library },
    );
    assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
    assert.doesNotMatch(html, /<b>x<\/b>/);
    assert.doesNotMatch(html, /\b(src|href)="(https?:)?\/\//);
    assert.equal(html.match(/<tr data-claim=/g)?.length, 6);
  });

  test("the Markdown summary has the six verdicts and the headline", () => {
    const summary = renderSummary(syntheticWarResults({ runs: 3 }));
    assert.equal(summary.match(/^\| [1-6] \|/gm)?.length, 6);
    assert.match(summary, /^\| rust \| rust-hello \|/m);
  });
});
