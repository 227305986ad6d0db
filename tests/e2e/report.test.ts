/**
 * `thaw report`, end to end: the built CLI renders a synthetic results file, and headless Chromium
 * (Debian's `chromium`, driven by playwright-core; nothing downloaded) opens the page. It must log
 * no error, draw every chart, show six verdicts, and ask the network for nothing: every request
 * but the page itself is recorded and aborted.
 */
import { describe, test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { syntheticWarResults } from "../support/synthetic-war-results.js";
import { assertNoLeaks } from "../support/leaks.js";
import { runThaw } from "../support/run-thaw.js";

/** Debian's Chromium, which scripts/setup.sh installs. */
const CHROMIUM = "/usr/bin/chromium";
/** The page is served under this address by route interception; nothing else may load. */
const PAGE_URL = "http://thaw.invalid/report.html";

/** What the page says about one chart, read inside the browser. */
interface DrawnChart {
  readonly id: string;
  readonly width: number;
  readonly height: number;
  readonly points: number;
  readonly paintedPixels: number;
}

/**
 * Runs in the page (as source text: the tests compile without the DOM's types). For each chart id:
 * the canvas's size, the points Chart.js laid out, and how many pixels it painted.
 */
const PROBE_CHARTS = `function (ids) {
  return ids.map(function (id) {
    var canvas = document.getElementById("chart-" + id);
    var chart = window.thawCharts[id];
    var points = 0;
    if (chart) chart.data.datasets.forEach(function (_, index) {
      points += chart.getDatasetMeta(index).data.length;
    });
    var painted = 0;
    var context = canvas.getContext("2d");
    if (context && canvas.width > 0 && canvas.height > 0) {
      var pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
      for (var i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
    }
    return { id: id, width: canvas.clientWidth, height: canvas.clientHeight, points: points, paintedPixels: painted };
  });
}`;

describe("thaw report", () => {
  let scratch = "";
  let browser: Browser | undefined;

  before(async () => {
    scratch = await mkdtemp(join(tmpdir(), "report-e2e-"));
  });

  after(async () => {
    await browser?.close();
    await rm(scratch, { recursive: true, force: true });
    await assertNoLeaks();
  });

  test("renders a page that draws every chart offline, with six verdicts", async () => {
    const resultsPath = join(scratch, "results.json");
    const htmlPath = join(scratch, "report.html");
    const markdownPath = join(scratch, "summary.md");
    await writeFile(resultsPath, JSON.stringify(syntheticWarResults()));

    const run = await runThaw([
      "report",
      resultsPath,
      "-o",
      htmlPath,
      "--markdown",
      markdownPath,
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /## Verdicts/);
    assert.equal(await readFile(markdownPath, "utf8"), run.stdout);
    const html = await readFile(htmlPath, "utf8");
    assert.ok(html.length < 400_000, `page is ${html.length} bytes`);

    assert.ok(
      existsSync(CHROMIUM),
      `${CHROMIUM} is missing: run scripts/setup.sh (apt-get install chromium)`,
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu"],
    });
    const page = await browser.newPage({
      viewport: { width: 1280, height: 900 },
    });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    page.on("pageerror", (error) => errors.push(error.message));
    await page.route("**/*", async (route) => {
      const url = route.request().url();
      if (url === PAGE_URL)
        await route.fulfill({ contentType: "text/html", body: html });
      else {
        requests.push(url);
        await route.abort();
      }
    });
    await page.goto(PAGE_URL, { waitUntil: "load" });

    const expected: string[] = [];
    for (const canvas of await page.locator("figure.chart canvas").all())
      expected.push(
        ((await canvas.getAttribute("id")) ?? "").replace(/^chart-/, ""),
      );
    // Every scenario has results in the synthetic file, so every chart has a canvas.
    assert.deepEqual(await page.locator("[data-missing]").count(), 0);
    assert.ok(expected.length >= 10, `only ${expected.length} charts`);

    const drawn = await page.evaluate<DrawnChart[]>(
      `(${PROBE_CHARTS})(${JSON.stringify(expected)})`,
    );
    for (const chart of drawn) {
      assert.ok(chart.width > 0 && chart.height > 0, `${chart.id} has no size`);
      assert.ok(chart.points > 0, `${chart.id} has no data`);
      assert.ok(chart.paintedPixels > 1000, `${chart.id} is blank`);
    }

    const verdicts = await page
      .locator("#verdicts tbody tr .verdict")
      .allTextContents();
    assert.equal(verdicts.length, 6);
    for (const verdict of verdicts)
      assert.match(verdict, /^(supported|refuted|mixed|inconclusive)$/);

    assert.deepEqual(errors, []);
    assert.deepEqual(requests, []);
  });

  test("a bad results file exits 2 naming the first wrong field", async () => {
    const results = syntheticWarResults({ runs: 3 });
    const bad = {
      ...results,
      burst: results.burst.map((b, i) =>
        i === 1 ? { ...b, wallMs: "fast" } : b,
      ),
    };
    const resultsPath = join(scratch, "bad.json");
    await writeFile(resultsPath, JSON.stringify(bad));
    const run = await runThaw([
      "report",
      resultsPath,
      "-o",
      join(scratch, "bad.html"),
    ]);
    assert.equal(run.code, 2);
    assert.match(
      run.stderr,
      /InvalidResultsError: results\.burst\[1\]\.wallMs: /,
    );
    assert.equal(existsSync(join(scratch, "bad.html")), false);
  });

  test("a file that is not JSON exits 2", async () => {
    const resultsPath = join(scratch, "not.json");
    await writeFile(resultsPath, "{ not json");
    const run = await runThaw([
      "report",
      resultsPath,
      "-o",
      join(scratch, "x.html"),
    ]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /InvalidResultsError: .*is not JSON/);
  });
});
