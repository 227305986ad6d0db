/**
 * The error catalog pinned by a test, as fastify's `test/internals/errors.test.js` pins
 * `docs/Reference/Errors.md`: each table of docs/errors.md must list exactly the names the code
 * has, family by family, so that neither can change without the other.
 *
 * Names are taken from the code at run time where it exposes them (`PLATFORM_ERROR_TYPES`,
 * `RUNTIME_API_ERROR_STATUS`, the `ThawError` subclasses exported by src/errors/) and from the
 * sources where it does not (`InvalidPackageError` reasons, error-type literals, the managed
 * runtimes' error types). Only files are read: no server, process or timer is started.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { THAW_ROOT } from "../../src/config/paths.js";
import { PLATFORM_ERROR_TYPES } from "../../src/errors/function-errors.js";
import { RUNTIME_API_ERROR_STATUS } from "../../src/errors/runtime-api-errors.js";
import { ServiceException } from "../../src/errors/service-exceptions.js";
import { SERVICE_EXCEPTION_STATUS } from "../../src/errors/status-table.js";
import { ThawError } from "../../src/errors/thaw-error.js";
import { assertNoLeaks } from "../support/leaks.js";

/** One row of a catalog table: the name in its first column and the other cells, trimmed. */
interface CatalogRow {
  readonly name: string;
  readonly cells: readonly string[];
}

/** The headings of docs/errors.md whose tables the test knows, one table each. */
const HEADINGS = {
  service: "Service exceptions",
  platform: "Platform function errors",
  logOnly: "Error types in log lines only",
  managedRuntimes: "Error types of thaw's managed runtimes",
  runtimeApi: "Runtime API errors",
  classes: "Error classes",
  packageReasons: "InvalidPackageError reasons",
} as const;

after(async () => {
  await assertNoLeaks();
});

const DOC_PATH = join(THAW_ROOT, "docs", "errors.md");
const tables = parseTables(readFileSync(DOC_PATH, "utf8"));

/** The markdown tables of `text`, by the heading they sit under. */
function parseTables(text: string): Map<string, CatalogRow[]> {
  const found = new Map<string, CatalogRow[]>();
  const lines = text.split("\n");
  let heading = "";
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const title = /^#+\s+(.*)$/.exec(line);
    if (title !== null) {
      heading = (title[1] ?? "").trim();
      continue;
    }
    if (!line.startsWith("|")) continue;
    assert.ok(
      !found.has(heading),
      `docs/errors.md: a second table under "${heading}"`,
    );
    const rows: CatalogRow[] = [];
    // The header line and the separator line come first; rows follow until the table ends.
    let j = i + 2;
    for (; j < lines.length && (lines[j] ?? "").startsWith("|"); j++) {
      const cells = splitRow(lines[j] ?? "");
      const name = /^`([^`]+)`$/.exec(cells[0] ?? "")?.[1];
      assert.ok(
        name !== undefined,
        `docs/errors.md line ${j + 1}: the first column must hold one name in backticks, got "${cells[0] ?? ""}"`,
      );
      rows.push({ name, cells });
    }
    found.set(heading, rows);
    i = j - 1;
  }
  return found;
}

function splitRow(line: string): string[] {
  return line
    .replace(/^\|/, "")
    .replace(/\|\s*$/, "")
    .split("|")
    .map((cell) => cell.trim());
}

/** The rows of the table under `heading`; fails when there is none. */
function rowsUnder(heading: string): CatalogRow[] {
  const rows = tables.get(heading);
  assert.ok(
    rows !== undefined,
    `docs/errors.md has no table under "${heading}"`,
  );
  return rows;
}

/** Asserts that the table under `heading` names exactly `expected`, each once. */
function assertNames(heading: string, expected: Iterable<string>): void {
  const names = rowsUnder(heading).map((row) => row.name);
  const duplicates = names.filter((name, i) => names.indexOf(name) !== i);
  assert.deepEqual(
    duplicates,
    [],
    `docs/errors.md, "${heading}": listed twice`,
  );
  const want = [...new Set(expected)].sort();
  const missing = want.filter((name) => !names.includes(name));
  const unknown = names.filter((name) => !want.includes(name));
  assert.deepEqual(
    { missing, unknown },
    { missing: [], unknown: [] },
    `docs/errors.md, "${heading}": "missing" are in the code but not in the document, "unknown" are in the document but not in the code`,
  );
}

/** Source files under `dir` (recursively) ending in `extension`, without tests and declarations. */
function sources(dir: string, extension: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter(
      (file) =>
        file.endsWith(extension) &&
        !file.endsWith(`.test${extension}`) &&
        !file.endsWith(".d.ts"),
    )
    .map((file) => join(dir, file));
}

/** Every first capture of `pattern` (a global regular expression) in `files`. */
function captures(files: readonly string[], pattern: RegExp): string[] {
  const found: string[] = [];
  for (const file of files) {
    for (const match of readFileSync(file, "utf8").matchAll(pattern)) {
      if (match[1] !== undefined) found.push(match[1]);
    }
  }
  return found;
}

const SRC = join(THAW_ROOT, "src");

/**
 * `ServiceException` is the one class whose `name` is chosen per instance (any name of the status
 * table): the "Service exceptions" table documents those names, not the "Error classes" table.
 */
const PER_INSTANCE_NAMES: readonly string[] = [ServiceException.name];

/** A `ThawError` subclass exported by src/errors/, instantiated. */
interface ErrorClass {
  readonly className: string;
  readonly instance: ThawError;
}

/** Imports every module of src/errors/ and instantiates each exported `ThawError` subclass. */
async function thawErrorClasses(): Promise<ErrorClass[]> {
  const classes: ErrorClass[] = [];
  const errorsDir = join(SRC, "errors");
  for (const file of sources(errorsDir, ".ts")) {
    // The compiled module beside this test's own: dist/src/errors/….js.
    const compiled = relative(errorsDir, file).replace(/\.ts$/, ".js");
    const url = new URL(`../../src/errors/${compiled}`, import.meta.url);
    // A parse boundary: a module's exports are whatever it declares; each is checked below.
    const exports: unknown = await import(url.href);
    for (const value of Object.values(exports as Record<string, unknown>)) {
      if (typeof value !== "function") continue;
      if (!(value.prototype instanceof ThawError)) continue;
      if (PER_INSTANCE_NAMES.includes(value.name)) continue;
      // Every constructor takes a message in its first or second place; both get a probe string.
      const make = value as new (first: string, second: string) => ThawError;
      classes.push({
        className: value.name,
        instance: new make("probe", "probe"),
      });
    }
  }
  return classes;
}

test("every service exception is documented with its HTTP status and Type", () => {
  assertNames(HEADINGS.service, Object.keys(SERVICE_EXCEPTION_STATUS));
  const statuses: Readonly<Record<string, number>> = SERVICE_EXCEPTION_STATUS;
  for (const row of rowsUnder(HEADINGS.service)) {
    const status = statuses[row.name];
    assert.equal(row.cells[1], String(status), `${row.name}: HTTP status`);
    // The body's `Type` and the blame follow from the status (service-exceptions.ts).
    const exception = new ServiceException(
      row.name as keyof typeof SERVICE_EXCEPTION_STATUS,
      "probe",
    );
    assert.equal(exception.statusCode, status);
    assert.equal(
      row.cells[2],
      exception.fault === "client" ? "User" : "Service",
      `${row.name}: Type`,
    );
    assert.equal(
      exception.blame,
      exception.fault === "client" ? "client" : "platform",
    );
  }
});

test("every platform function error type is documented, and no other", () => {
  assertNames(HEADINGS.platform, PLATFORM_ERROR_TYPES);
});

test("the error types written only in log lines are the other literals of src/", () => {
  // Any `"Runtime.X"`, `"Sandbox.X"` or `"Function.X"` string in the sources is an error type the
  // platform can name; those that are not platform documents belong in the log-only table.
  const literals = captures(
    sources(SRC, ".ts"),
    /"((?:Runtime|Sandbox|Function)\.[A-Za-z]+)"/g,
  );
  const platform: readonly string[] = PLATFORM_ERROR_TYPES;
  assertNames(
    HEADINGS.logOnly,
    literals.filter((name) => !platform.includes(name)),
  );
});

test("every error type of the Node.js and Python runtimes is documented, and no other", () => {
  // Node.js: the classes whose prototype gets the `Runtime.` name in errors.mjs.
  const errorsMjs = readFileSync(
    join(THAW_ROOT, "runtimes", "nodejs", "errors.mjs"),
    "utf8",
  );
  const loop = /for \(const errorClass of \[([^\]]*)\]\)/.exec(errorsMjs);
  assert.ok(
    loop?.[1] !== undefined,
    "runtimes/nodejs/errors.mjs: no naming loop",
  );
  assert.match(
    errorsMjs,
    /prototype\.name = `Runtime\.\$\{errorClass\.name\}`/,
  );
  const nodeClasses = loop[1]
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  const declared = [...errorsMjs.matchAll(/export class (\w+) extends Error/g)]
    .map((match) => match[1] ?? "")
    .sort();
  assert.deepEqual(
    [...nodeClasses].sort(),
    declared,
    "runtimes/nodejs/errors.mjs: every error class is named in the loop",
  );
  // …and the `'Runtime.X'` constants of its modules (the SnapStart hooks' error types).
  const node = [
    ...new Set([
      ...nodeClasses.map((name) => `Runtime.${name}`),
      ...captures(
        sources(join(THAW_ROOT, "runtimes", "nodejs"), ".mjs"),
        /'(Runtime\.[A-Za-z]+)'/g,
      ),
    ]),
  ];
  // Python: the `"Runtime.X"` constants of the runtime's modules.
  const python = captures(
    sources(join(THAW_ROOT, "runtimes", "python"), ".py"),
    /"(Runtime\.[A-Za-z]+)"/g,
  );
  assertNames(HEADINGS.managedRuntimes, [...node, ...python]);
  for (const row of rowsUnder(HEADINGS.managedRuntimes)) {
    const runtimes = row.cells[1] ?? "";
    assert.equal(
      runtimes.includes("Node.js"),
      node.includes(row.name),
      `${row.name}: the Runtime column must name Node.js exactly when it reports it`,
    );
    assert.equal(
      runtimes.includes("Python"),
      python.includes(row.name),
      `${row.name}: the Runtime column must name Python exactly when it reports it`,
    );
  }
});

test("every Runtime API error is documented with its HTTP status", () => {
  assertNames(HEADINGS.runtimeApi, Object.keys(RUNTIME_API_ERROR_STATUS));
  const statuses: Readonly<Record<string, number>> = RUNTIME_API_ERROR_STATUS;
  for (const row of rowsUnder(HEADINGS.runtimeApi)) {
    assert.equal(
      row.cells[1],
      String(statuses[row.name]),
      `${row.name}: HTTP status`,
    );
  }
});

test("every ThawError class is documented with its name, blame and exit status", async () => {
  const classes = await thawErrorClasses();
  // Every subclass anywhere in src/ must live in src/errors/, where the test finds it.
  const declared = captures(
    sources(SRC, ".ts"),
    /class (\w+) extends ThawError/g,
  ).filter((name) => !PER_INSTANCE_NAMES.includes(name));
  assert.deepEqual(
    classes.map((c) => c.className).sort(),
    [...declared].sort(),
    "every ThawError subclass is exported from src/errors/",
  );
  assertNames(
    HEADINGS.classes,
    classes.map((c) => c.instance.name),
  );
  for (const { className, instance } of classes) {
    const row = rowsUnder(HEADINGS.classes).find(
      (r) => r.name === instance.name,
    );
    assert.ok(row !== undefined);
    const [, classCell = "", blame = "", exit = ""] = row.cells;
    assert.ok(
      classCell.startsWith(`\`${className}\``),
      `${instance.name}: the Class column must start with \`${className}\``,
    );
    assert.equal(blame, instance.blame, `${instance.name}: blame`);
    // src/cli/main.ts: blame `client` exits with 2, any other ThawError with 3.
    assert.equal(
      exit,
      instance.blame === "client" ? "2" : "3",
      `${instance.name}: CLI exit status`,
    );
  }
});

test("every InvalidPackageError reason is documented, and no other", () => {
  // Reasons are thrown by src/packaging/ and, for `bootstrap`, by src/runtimes/; all of src/ is read.
  const reasons = captures(
    sources(SRC, ".ts"),
    /new InvalidPackageError\(\s*"([^"]+)"/g,
  );
  assert.ok(reasons.length > 0, "no InvalidPackageError reason found in src/");
  assertNames(HEADINGS.packageReasons, reasons);
});

test("docs/errors.md has no table the test does not check", () => {
  const known: readonly string[] = Object.values(HEADINGS);
  assert.deepEqual(
    [...tables.keys()].filter((heading) => !known.includes(heading)),
    [],
  );
});
