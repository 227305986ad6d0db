/**
 * The function registry: every function of one `thaw serve`, in memory. It implements the
 * control-plane operations of spec §6 (its methods map one to one onto `LambdaService`'s), keeps
 * each function's `$LATEST`, its immutable published versions and its aliases, and answers the
 * Invoke path's one question, {@link FunctionRegistry.resolve}, with a Map lookup.
 *
 * States (spec §6.4), as the SDK's waiters see them through GetFunction:
 *
 * - CreateFunction answers `State: Pending` (`Creating`); the package is prepared after the answer
 *   (extracted into the content-addressed cache), then the function is `Active`, or `Failed` with a
 *   `StateReason` saying what was wrong with the package. Invoking a `Pending` or `Failed` function
 *   is a 409.
 * - UpdateFunctionCode and UpdateFunctionConfiguration answer `LastUpdateStatus: InProgress`; once
 *   the new code or configuration is ready it becomes `Successful` (or `Failed`, with a reason) and
 *   only then do Invocations get it: until then they run the previous code and configuration, as
 *   on Lambda. Another update meanwhile is a 409; a stale `RevisionId` is a 412.
 * - PublishVersion snapshots `$LATEST` into version "N", `Pending` until its code is ready.
 *
 * Lifecycle of the registry itself: `open → closed`. `close()` aborts package preparations in
 * flight and waits for them; it is idempotent. After it, every operation that changes state throws
 * {@link IllegalStateError}.
 */
import { createHash, randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";
import type { FunctionConfig } from "../config/function-config.js";
import { DEFAULT_ACCOUNT_ID, DEFAULT_REGION } from "../config/defaults.js";
import { THAW_PATHS } from "../config/paths.js";
import { IllegalStateError } from "../errors/sandbox-errors.js";
import {
  resourceNotFound,
  ServiceException,
  validationException,
} from "../errors/service-exceptions.js";
import { InvalidPackageError } from "../errors/usage-errors.js";
import type {
  AccountSettings,
  CreateFunctionRequest,
  FunctionConfiguration,
  FunctionPage,
  FunctionRef,
  GetFunctionResponse,
  ProvisionedConcurrencyConfig,
  PublishVersionRequest,
  UpdateFunctionCodeRequest,
  UpdateFunctionConfigurationRequest,
} from "../protocol/control-plane.js";
import {
  pathIdentity,
  preparePackage as defaultPreparePackage,
  zipBytesIdentity,
  type CodeIdentity,
  type CodeSource,
  type PreparePackage,
} from "./function-code.js";
import {
  functionArn,
  parseFunctionRef,
  type ArnScope,
} from "./function-name.js";
import {
  checkArchitectures,
  functionConfigOf,
  settingsFromCreateRequest,
  settingsWithUpdate,
  type FunctionSettings,
} from "./function-settings.js";
import { formatLambdaDate } from "./lambda-date.js";
import type {
  RegistryChange,
  RegistryListener,
  ResolvedFunction,
} from "./registry-change.js";

/** Options of {@link FunctionRegistry}. */
export interface FunctionRegistryOptions {
  /**
   * Folder of the content-addressed cache of extracted packages.
   * @default THAW_PATHS.packages (`.thaw/packages` in thaw's checkout)
   */
  readonly cacheDir?: string;
  /**
   * Region in ARNs; ARNs naming another region are not found.
   * @default "us-east-1"
   */
  readonly region?: string;
  /**
   * Account id in ARNs.
   * @default "000000000000"
   */
  readonly accountId?: string;
  /**
   * The account's concurrency limit (`AccountLimit.ConcurrentExecutions`).
   * @default 1000
   */
  readonly accountConcurrency?: number;
  /**
   * Unreserved concurrency that reserved and provisioned concurrency must leave to the account.
   * @default 100
   */
  readonly minimumUnreservedConcurrency?: number;
  /**
   * Prepares a package into a task root (tests inject one they control).
   * @default the packaging module's `prepareFunctionPackage` / `prepareFunctionPackageFromZipBytes`
   */
  readonly preparePackage?: PreparePackage;
  /**
   * The clock of `LastModified`.
   * @default () => new Date()
   */
  readonly now?: () => Date;
  /**
   * SnapStart's optimization of a published version whose `SnapStart.ApplyOn` is
   * `PublishedVersions`, as Lambda runs it at PublishVersion: the version stays `Pending` until it
   * resolves, and is `Failed`, with the error's message as its `StateReason`, when it rejects.
   * @default none: such versions become `Active` as soon as their code is ready
   */
  readonly optimizeVersion?: (version: ResolvedFunction) => Promise<void>;
}

/** Options of {@link FunctionRegistry.createFunction}. */
export interface CreateFunctionOptions {
  /**
   * A local folder (used in place) or zip file to use as the code instead of `request.Code`, as a
   * template's `CodeUri` names it. Relative paths are resolved against the working directory.
   */
  readonly codePath?: string;
}

/** Options of {@link FunctionRegistry.listFunctions}. */
export interface ListFunctionsOptions {
  /** `Marker`: the `NextMarker` of the previous page. */
  readonly marker: string | undefined;
  /** `MaxItems`, 1–10,000; default 50. */
  readonly maxItems: number | undefined;
  /** `FunctionVersion=ALL`: every version, not only `$LATEST`. */
  readonly allVersions: boolean;
}

/** Options of {@link FunctionRegistry.listVersionsByFunction}. */
export interface ListVersionsOptions {
  readonly marker: string | undefined;
  readonly maxItems: number | undefined;
}

/** What an environment pool reports about a version's provisioned environments. */
export interface ProvisionedStatusReport {
  /** Environments started for provisioned concurrency (initialising or ready). */
  readonly allocated: number;
  /** Environments initialised and ready to take an Invocation. */
  readonly available: number;
  readonly status: "IN_PROGRESS" | "READY" | "FAILED";
  readonly statusReason?: string;
}

/** One function version, for the status page. */
export interface FunctionSummary {
  readonly functionName: string;
  readonly version: string;
  readonly runtime: string;
  readonly state: VersionState;
  readonly lastUpdateStatus: UpdateStatus;
  /** The key Invocations get now; undefined while the version cannot run. */
  readonly key: string | undefined;
  readonly aliases: readonly string[];
  readonly reservedConcurrency: number | undefined;
  readonly provisionedConcurrency: number | undefined;
}

/** A version's `State`. */
export type VersionState = "Pending" | "Active" | "Failed";
/** A version's `LastUpdateStatus`. */
export type UpdateStatus = "Successful" | "Failed" | "InProgress";
/** The registry's own lifecycle. */
export type RegistryState = "open" | "closed";

/** Lambda's quotas as GetAccountSettings reports them (spec §6.2, §7). */
const TOTAL_CODE_SIZE = 80_530_636_800;
const CODE_SIZE_UNZIPPED = 262_144_000;
const CODE_SIZE_ZIPPED = 52_428_800;
const DEFAULT_ACCOUNT_CONCURRENCY = 1000;
const DEFAULT_MINIMUM_UNRESERVED = 100;
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 10_000;
const LATEST = "$LATEST";
const CREATING_REASON = "The function is being created.";
const ALIAS_FORM = /^(?!\d+$)[a-zA-Z0-9_-]{1,128}$/;

/** A package as it is being prepared; shared by `$LATEST` and the versions published from it. */
interface CodeRecord {
  readonly identity: CodeIdentity;
  /** Dropped once prepared, so zip bytes are not kept in memory. */
  source: CodeSource | undefined;
  status: "preparing" | "ready" | "failed";
  taskRoot: string | undefined;
  failureReason: string | undefined;
  failureCode: string | undefined;
  readonly abort: AbortController;
  /** Resolves (never rejects) once `status` has left `preparing`. */
  settled: Promise<void>;
}

interface ProvisionedConfigRecord {
  readonly requested: number;
  readonly lastModified: string;
}

interface VersionRecord {
  readonly version: string;
  settings: FunctionSettings;
  /** The runtime-side configuration of `settings`, built (and so checked) when they were set. */
  config: FunctionConfig;
  code: CodeRecord;
  revisionId: string;
  lastModified: string;
  state: VersionState;
  stateReason: string | undefined;
  stateReasonCode: string | undefined;
  lastUpdate: UpdateStatus;
  lastUpdateReason: string | undefined;
  lastUpdateReasonCode: string | undefined;
  /** Registry-wide counter value, new on every change of settings or code. */
  generation: number;
  /** For a published version: the `$LATEST` generation it was published from. */
  readonly publishedFrom: number | undefined;
  /** What Invocations get; lags behind `settings`/`code` while an update is in progress. */
  running: ResolvedFunction | undefined;
  provisionedStatus: ProvisionedStatusReport | undefined;
}

interface FunctionRecord {
  readonly name: string;
  readonly latest: VersionRecord;
  readonly versions: Map<string, VersionRecord>;
  nextVersion: number;
  /** The version published last (returned again when nothing changed since). */
  lastPublished: VersionRecord | undefined;
  /** Alias name → version (`$LATEST` or a number). */
  readonly aliases: Map<string, string>;
  /** Qualifier (version number or alias) → provisioned concurrency config. */
  readonly provisioned: Map<string, ProvisionedConfigRecord>;
  reserved: number | undefined;
  readonly tags: Readonly<Record<string, string>> | undefined;
}

/** The in-memory registry of functions, versions and aliases (see the module documentation). */
export class FunctionRegistry {
  readonly #scope: ArnScope;
  readonly #cacheDir: string;
  readonly #accountConcurrency: number;
  readonly #minimumUnreserved: number;
  readonly #preparePackage: PreparePackage;
  readonly #optimizeVersion: FunctionRegistryOptions["optimizeVersion"];
  readonly #now: () => Date;
  readonly #functions = new Map<string, FunctionRecord>();
  /** Names whose CreateFunction is hashing a path; a second create of the name is a conflict. */
  readonly #creating = new Set<string>();
  /** Key → version, for provisioned status reports. */
  readonly #byKey = new Map<string, VersionRecord>();
  /** `FunctionName` as given → qualifier as given (`""` for none) → what it resolves to. */
  readonly #resolved = new Map<string, Map<string, ResolvedFunction>>();
  readonly #listeners: RegistryListener[] = [];
  readonly #tasks = new Map<Promise<void>, string>();
  readonly #runtimeVersionArns = new Map<string, string>();
  #generation = 0;
  #state: RegistryState = "open";

  constructor(options: FunctionRegistryOptions = {}) {
    this.#scope = {
      region: options.region ?? DEFAULT_REGION,
      accountId: options.accountId ?? DEFAULT_ACCOUNT_ID,
    };
    this.#cacheDir = options.cacheDir ?? THAW_PATHS.packages;
    this.#accountConcurrency =
      options.accountConcurrency ?? DEFAULT_ACCOUNT_CONCURRENCY;
    this.#minimumUnreserved =
      options.minimumUnreservedConcurrency ?? DEFAULT_MINIMUM_UNRESERVED;
    this.#preparePackage = options.preparePackage ?? defaultPreparePackage;
    this.#optimizeVersion = options.optimizeVersion;
    this.#now = options.now ?? (() => new Date());
  }

  /** `open` until {@link close}. */
  get state(): RegistryState {
    return this.#state;
  }

  // ---------------------------------------------------------------------------------------------
  // The Invoke path
  // ---------------------------------------------------------------------------------------------

  /**
   * The function version an Invocation of `ref` runs. A Map lookup once `ref` has been resolved
   * before; the cache is dropped on every change.
   * @throws {ServiceException} `ResourceNotFoundException` (unknown function, version or alias),
   *   `InvalidParameterValueException` (the name's qualifier and `Qualifier` disagree),
   *   `ValidationException` (malformed name), `ResourceConflictException` 409 while the version is
   *   `Pending` or `Failed`.
   */
  resolve(ref: FunctionRef): ResolvedFunction {
    const hit = this.#resolved.get(ref.functionName)?.get(ref.qualifier ?? "");
    return hit ?? this.#resolveUncached(ref);
  }

  /** Subscribes to {@link RegistryChange}s; returns the function that unsubscribes. */
  onChange(listener: RegistryListener): () => void {
    this.#listeners.push(listener);
    return () => {
      const at = this.#listeners.indexOf(listener);
      if (at !== -1) this.#listeners.splice(at, 1);
    };
  }

  /**
   * Records what the environment pool of `key` has achieved for provisioned concurrency, as
   * GetProvisionedConcurrencyConfig then shows it (`IN_PROGRESS` → `READY`). Reports for a key that
   * is retired, or whose version has no provisioned concurrency config, are ignored.
   */
  reportProvisionedStatus(key: string, report: ProvisionedStatusReport): void {
    const version = this.#byKey.get(key);
    if (version === undefined) return;
    const fn = this.#functions.get(version.config.functionName);
    if (fn === undefined || this.#provisionedFor(fn, version) === undefined)
      return;
    version.provisionedStatus = { ...report };
  }

  /** Every function version, sorted by name then version, for the status page. */
  summaries(): FunctionSummary[] {
    const out: FunctionSummary[] = [];
    for (const fn of this.#sortedFunctions()) {
      for (const version of [fn.latest, ...fn.versions.values()]) {
        out.push({
          functionName: fn.name,
          version: version.version,
          runtime: version.settings.runtime,
          state: version.state,
          lastUpdateStatus: version.lastUpdate,
          key: version.running?.key,
          aliases: [...fn.aliases]
            .filter(([, target]) => target === version.version)
            .map(([alias]) => alias),
          reservedConcurrency: fn.reserved,
          provisionedConcurrency: this.#provisionedFor(fn, version)?.requested,
        });
      }
    }
    return out;
  }

  /**
   * Resolves once every package preparation and state change started so far (for `functionName`,
   * or for all functions) has finished: then `Pending` and `InProgress` have become final.
   */
  async settled(functionName?: string): Promise<void> {
    for (;;) {
      const pending = [...this.#tasks]
        .filter(
          ([, name]) => functionName === undefined || name === functionName,
        )
        .map(([task]) => task);
      if (pending.length === 0) return;
      await Promise.all(pending);
    }
  }

  /** Aborts package preparations in flight and waits for them; idempotent. */
  async close(): Promise<void> {
    if (this.#state === "open") {
      this.#state = "closed";
      for (const fn of this.#functions.values()) this.#abortCode(fn);
    }
    await this.settled();
  }

  // ---------------------------------------------------------------------------------------------
  // Control-plane operations (spec §6.1), one per LambdaService method
  // ---------------------------------------------------------------------------------------------

  /**
   * CreateFunction: answers `State: Pending`; the package is prepared afterwards.
   * @throws {ServiceException} `ResourceConflictException` ("Function already exist: …"),
   *   `InvalidParameterValueException` / `ValidationException` for bad input (only `Code.ZipFile`
   *   is supported locally), `RequestTooLargeException` for a zip over 50 MiB.
   */
  async createFunction(
    request: CreateFunctionRequest,
    options: CreateFunctionOptions = {},
  ): Promise<FunctionConfiguration> {
    this.#assertOpen();
    const parsed = parseFunctionRef(
      { functionName: request.FunctionName, qualifier: undefined },
      this.#scope,
    );
    if (parsed.qualifier !== undefined) {
      throw validationException(
        "functionName",
        request.FunctionName,
        "Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)",
      );
    }
    const name = parsed.name;
    const settings = settingsFromCreateRequest(request, name);
    const config = functionConfigOf(name, settings, LATEST, this.#scope);
    const source = codeSourceOf(request.Code, options.codePath);
    this.#assertNew(name);
    let identity: CodeIdentity;
    if (source.kind === "zip-bytes") {
      identity = zipBytesIdentity(source.bytes);
    } else {
      this.#creating.add(name);
      try {
        identity = await pathIdentity(source.path);
      } finally {
        this.#creating.delete(name);
      }
      this.#assertOpen();
      this.#assertNew(name);
    }
    const now = this.#timestamp();
    const latest: VersionRecord = {
      version: LATEST,
      settings,
      config,
      code: this.#startCode(name, source, identity),
      revisionId: randomUUID(),
      lastModified: now,
      state: "Pending",
      stateReason: CREATING_REASON,
      stateReasonCode: "Creating",
      lastUpdate: "Successful",
      lastUpdateReason: undefined,
      lastUpdateReasonCode: undefined,
      generation: ++this.#generation,
      publishedFrom: undefined,
      running: undefined,
      provisionedStatus: undefined,
    };
    const fn: FunctionRecord = {
      name,
      latest,
      versions: new Map(),
      nextVersion: 1,
      lastPublished: undefined,
      aliases: new Map(),
      provisioned: new Map(),
      reserved: undefined,
      tags: request.Tags,
    };
    this.#functions.set(name, fn);
    this.#settleWhenPrepared(fn, latest, "create");
    if (request.Publish === true) {
      // A create-and-publish answers with the new version's configuration.
      return this.#configuration(fn, this.#publish(fn, undefined), undefined);
    }
    return this.#configuration(fn, latest, undefined);
  }

  /**
   * GetFunction.
   * @throws {ServiceException} `ResourceNotFoundException`, or the errors of {@link resolve}'s parsing.
   */
  // eslint-disable-next-line @typescript-eslint/require-await -- the port's methods are async
  async getFunction(ref: FunctionRef): Promise<GetFunctionResponse> {
    const { fn, version, arnQualifier } = this.#lookup(ref);
    const taskRoot = version.code.taskRoot;
    return {
      Configuration: this.#configuration(fn, version, arnQualifier),
      Code: {
        RepositoryType: "S3",
        // Nothing is served over HTTP: the location is the prepared folder, once there is one.
        Location: taskRoot === undefined ? "" : pathToFileURL(taskRoot).href,
      },
      ...(fn.tags === undefined || Object.keys(fn.tags).length === 0
        ? {}
        : { Tags: fn.tags }),
      ...(fn.reserved === undefined
        ? {}
        : { Concurrency: { ReservedConcurrentExecutions: fn.reserved } }),
    };
  }

  /** GetFunctionConfiguration. @throws {ServiceException} as {@link getFunction}. */
  // eslint-disable-next-line @typescript-eslint/require-await -- the port's methods are async
  async getFunctionConfiguration(
    ref: FunctionRef,
  ): Promise<FunctionConfiguration> {
    const { fn, version, arnQualifier } = this.#lookup(ref);
    return this.#configuration(fn, version, arnQualifier);
  }

  /**
   * ListFunctions: functions sorted by name, 50 a page unless `maxItems` says otherwise; with
   * `allVersions`, every version (qualified ARNs), else `$LATEST` only (unqualified ARNs).
   * @throws {ServiceException} `ValidationException` for `maxItems` outside 1–10,000,
   *   `InvalidParameterValueException` for a marker this registry did not make.
   */
  // eslint-disable-next-line @typescript-eslint/require-await -- the port's methods are async
  async listFunctions(options: ListFunctionsOptions): Promise<FunctionPage> {
    const entries: PageEntry[] = [];
    for (const fn of this.#sortedFunctions()) {
      entries.push({ fn, version: fn.latest });
      if (options.allVersions) {
        for (const version of fn.versions.values())
          entries.push({ fn, version });
      }
    }
    return this.#page(entries, options, (entry) =>
      this.#configuration(
        entry.fn,
        entry.version,
        options.allVersions ? entry.version.version : undefined,
      ),
    );
  }

  /**
   * ListVersionsByFunction: `$LATEST` then the versions in order, with qualified ARNs.
   * @throws {ServiceException} `ResourceNotFoundException`, and as {@link listFunctions}.
   */
  // eslint-disable-next-line @typescript-eslint/require-await -- the port's methods are async
  async listVersionsByFunction(
    ref: FunctionRef,
    options: ListVersionsOptions,
  ): Promise<FunctionPage> {
    const fn = this.#functionOf(ref);
    const entries: PageEntry[] = [{ fn, version: fn.latest }];
    for (const version of fn.versions.values()) entries.push({ fn, version });
    return this.#page(entries, options, (entry) =>
      this.#configuration(entry.fn, entry.version, entry.version.version),
    );
  }

  /**
   * UpdateFunctionCode of `$LATEST` (a qualifier in the name is ignored, as Lambda does): answers
   * `LastUpdateStatus: InProgress`. With `Publish`, answers the new version's configuration; with
   * `DryRun`, checks and answers without changing anything.
   * @throws {ServiceException} `ResourceNotFoundException`, `PreconditionFailedException` (stale
   *   `RevisionId`), `ResourceConflictException` (an update in progress, or the function is still
   *   `Pending`), `InvalidParameterValueException` / `ValidationException` for bad input.
   */
  // eslint-disable-next-line @typescript-eslint/require-await -- the port's methods are async
  async updateFunctionCode(
    ref: FunctionRef,
    request: UpdateFunctionCodeRequest,
  ): Promise<FunctionConfiguration> {
    this.#assertOpen();
    const fn = this.#functionOf({
      functionName: ref.functionName,
      qualifier: undefined,
    });
    this.#assertUpdatable(fn, request.RevisionId);
    const source = codeSourceOf(request, undefined);
    if (source.kind !== "zip-bytes") throw zipFileOnly();
    const identity = zipBytesIdentity(source.bytes);
    if (request.Architectures !== undefined)
      checkArchitectures(request.Architectures);
    const latest = fn.latest;
    const settings: FunctionSettings =
      request.Architectures === undefined
        ? latest.settings
        : { ...latest.settings, architectures: request.Architectures };
    if (request.DryRun === true) {
      const unchanged = this.#configuration(fn, latest, undefined);
      return {
        ...unchanged,
        CodeSha256: identity.codeSha256,
        CodeSize: identity.codeSize,
        Architectures: settings.architectures,
      };
    }
    latest.settings = settings;
    latest.code = this.#startCode(fn.name, source, identity);
    this.#beginUpdate(fn);
    if (request.Publish === true) {
      return this.#configuration(fn, this.#publish(fn, undefined), undefined);
    }
    return this.#configuration(fn, latest, undefined);
  }

  /**
   * UpdateFunctionConfiguration of `$LATEST`: answers `LastUpdateStatus: InProgress`.
   * @throws {ServiceException} as {@link updateFunctionCode}.
   */
  // eslint-disable-next-line @typescript-eslint/require-await -- the port's methods are async
  async updateFunctionConfiguration(
    ref: FunctionRef,
    request: UpdateFunctionConfigurationRequest,
  ): Promise<FunctionConfiguration> {
    this.#assertOpen();
    const fn = this.#functionOf({
      functionName: ref.functionName,
      qualifier: undefined,
    });
    this.#assertUpdatable(fn, request.RevisionId);
    const settings = settingsWithUpdate(fn.latest.settings, request);
    const config = functionConfigOf(fn.name, settings, LATEST, this.#scope);
    fn.latest.settings = settings;
    fn.latest.config = config;
    this.#beginUpdate(fn);
    return this.#configuration(fn, fn.latest, undefined);
  }

  /**
   * DeleteFunction: the whole function, or one published version with a qualifier. Deleting a
   * version that does not exist does nothing.
   * @throws {ServiceException} `ResourceNotFoundException`, `InvalidParameterValueException` for
   *   `$LATEST`, `ResourceConflictException` for a version an alias points to.
   */
  // eslint-disable-next-line @typescript-eslint/require-await -- the port's methods are async
  async deleteFunction(ref: FunctionRef): Promise<void> {
    this.#assertOpen();
    const parsed = parseFunctionRef(ref, this.#scope);
    if (parsed.qualifier === LATEST) {
      throw new ServiceException(
        "InvalidParameterValueException",
        "$LATEST version cannot be deleted without deleting the function.",
      );
    }
    const fn = this.#functions.get(parsed.name);
    if (fn === undefined) throw this.#notFound(parsed.name, undefined);
    if (parsed.qualifier === undefined) {
      this.#functions.delete(fn.name);
      this.#abortCode(fn);
      this.#invalidate();
      for (const version of [fn.latest, ...fn.versions.values()])
        this.#retire(fn, version);
      if (fn.reserved !== undefined) {
        this.#emit({
          kind: "reserved",
          functionName: fn.name,
          reserved: undefined,
        });
      }
      return;
    }
    const version = fn.versions.get(parsed.qualifier);
    if (version === undefined) return;
    const aliases = [...fn.aliases]
      .filter(([, target]) => target === version.version)
      .map(([alias]) => alias);
    if (aliases.length > 0) {
      throw new ServiceException(
        "ResourceConflictException",
        `Unable to delete version because the following aliases reference it: [${aliases.join(", ")}]`,
      );
    }
    fn.versions.delete(version.version);
    fn.provisioned.delete(version.version);
    this.#invalidate();
    this.#retire(fn, version);
  }

  /**
   * PublishVersion: snapshots `$LATEST`; answers the version published last when nothing changed
   * since (even with another description).
   * @throws {ServiceException} `ResourceNotFoundException`, `PreconditionFailedException` (stale
   *   `RevisionId`), `InvalidParameterValueException` (`CodeSha256` differs from `$LATEST`'s),
   *   `ResourceConflictException` (an update in progress, or `$LATEST` not `Active`).
   */
  // eslint-disable-next-line @typescript-eslint/require-await -- the port's methods are async
  async publishVersion(
    ref: FunctionRef,
    request: PublishVersionRequest,
  ): Promise<FunctionConfiguration> {
    this.#assertOpen();
    const fn = this.#functionOf({
      functionName: ref.functionName,
      qualifier: undefined,
    });
    const latest = fn.latest;
    if (
      request.RevisionId !== undefined &&
      request.RevisionId !== latest.revisionId
    )
      throw revisionMismatch();
    const current = latest.code.identity.codeSha256;
    if (request.CodeSha256 !== undefined && request.CodeSha256 !== current) {
      throw new ServiceException(
        "InvalidParameterValueException",
        `CodeSHA256 (${request.CodeSha256}) is different from current CodeSHA256 in $LATEST (${current}). Please try again with the CodeSHA256 in $LATEST.`,
      );
    }
    if (latest.lastUpdate === "InProgress") throw this.#updateInProgress(fn);
    if (latest.state !== "Active") throw stateConflict(latest.state);
    const version = this.#publish(fn, request.Description);
    return this.#configuration(fn, version, version.version);
  }

  /**
   * PutFunctionConcurrency: the function's reserved concurrency (0 blocks every Invocation).
   * @throws {ServiceException} `ValidationException` below 0, `InvalidParameterValueException`
   *   when the account would keep less than its minimum unreserved concurrency or the function's
   *   provisioned concurrency exceeds it, or for a qualified name; `ResourceNotFoundException`.
   */
  // eslint-disable-next-line @typescript-eslint/require-await -- the port's methods are async
  async putFunctionConcurrency(
    ref: FunctionRef,
    reserved: number,
  ): Promise<number> {
    this.#assertOpen();
    const fn = this.#unqualifiedFunctionOf(ref);
    if (!Number.isInteger(reserved) || reserved < 0) {
      throw validationException(
        "reservedConcurrentExecutions",
        String(reserved),
        "Member must have value greater than or equal to 0",
      );
    }
    if (this.#unreservedWith(fn, reserved) < this.#minimumUnreserved) {
      throw new ServiceException(
        "InvalidParameterValueException",
        `Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [${this.#minimumUnreserved}].`,
      );
    }
    const provisioned = totalProvisioned(fn);
    if (provisioned > reserved) {
      throw new ServiceException(
        "InvalidParameterValueException",
        ` ReservedConcurrentExecutions  ${reserved} should not be lower than function's total provisioned concurrency [${provisioned}].`,
      );
    }
    fn.reserved = reserved;
    this.#refreshRunning(fn);
    this.#emit({ kind: "reserved", functionName: fn.name, reserved });
    return reserved;
  }

  /** GetFunctionConcurrency: undefined when none is set. @throws {ServiceException} as above. */
  // eslint-disable-next-line @typescript-eslint/require-await -- the port's methods are async
  async getFunctionConcurrency(ref: FunctionRef): Promise<number | undefined> {
    return this.#unqualifiedFunctionOf(ref).reserved;
  }

  /** DeleteFunctionConcurrency. @throws {ServiceException} as {@link putFunctionConcurrency}. */
  // eslint-disable-next-line @typescript-eslint/require-await -- the port's methods are async
  async deleteFunctionConcurrency(ref: FunctionRef): Promise<void> {
    this.#assertOpen();
    const fn = this.#unqualifiedFunctionOf(ref);
    if (fn.reserved === undefined) return;
    fn.reserved = undefined;
    this.#refreshRunning(fn);
    this.#emit({
      kind: "reserved",
      functionName: fn.name,
      reserved: undefined,
    });
  }

  /**
   * PutProvisionedConcurrencyConfig on a published version or an alias: answers `IN_PROGRESS`;
   * the environment pool reports progress through {@link reportProvisionedStatus}.
   * @throws {ServiceException} `ValidationException` below 1; `InvalidParameterValueException` for
   *   `$LATEST` (or no qualifier) and for amounts over the reserved or the account's unreserved
   *   concurrency; `ResourceNotFoundException`; `ResourceConflictException` when the version and
   *   an alias to it would both have one.
   */
  // eslint-disable-next-line @typescript-eslint/require-await -- the port's methods are async
  async putProvisionedConcurrencyConfig(
    ref: FunctionRef,
    requested: number,
  ): Promise<ProvisionedConcurrencyConfig> {
    this.#assertOpen();
    if (!Number.isInteger(requested) || requested < 1) {
      throw validationException(
        "provisionedConcurrentExecutions",
        String(requested),
        "Member must have value greater than or equal to 1",
      );
    }
    const parsed = parseFunctionRef(ref, this.#scope);
    if (parsed.qualifier === undefined || parsed.qualifier === LATEST) {
      throw new ServiceException(
        "InvalidParameterValueException",
        "Provisioned Concurrency Configs cannot be applied to unpublished function versions.",
      );
    }
    const qualifier = parsed.qualifier;
    const { fn, version } = this.#provisionedTarget(parsed.name, qualifier);
    if (fn.aliases.has(qualifier)) {
      if (fn.provisioned.has(version.version)) {
        throw new ServiceException(
          "ResourceConflictException",
          "Alias can't be used for Provisioned Concurrency configuration on an already Provisioned version",
        );
      }
    } else {
      const viaAlias = [...fn.aliases].some(
        ([alias, target]) => target === qualifier && fn.provisioned.has(alias),
      );
      if (viaAlias) {
        throw new ServiceException(
          "ResourceConflictException",
          "Version is pointed by a Provisioned Concurrency alias",
        );
      }
    }
    const others =
      totalProvisioned(fn) - (fn.provisioned.get(qualifier)?.requested ?? 0);
    if (fn.reserved !== undefined && fn.reserved < others + requested) {
      throw new ServiceException(
        "InvalidParameterValueException",
        "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function",
      );
    }
    if (requested > this.#accountConcurrency) {
      throw new ServiceException(
        "InvalidParameterValueException",
        `Specified ConcurrentExecutions for function is greater than account's unreserved concurrency [${this.#accountConcurrency}].`,
      );
    }
    if (
      fn.reserved === undefined &&
      this.#unreservedWith(fn, others + requested) < this.#minimumUnreserved
    ) {
      throw new ServiceException(
        "InvalidParameterValueException",
        `Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [${this.#minimumUnreserved}].`,
      );
    }
    const config: ProvisionedConfigRecord = {
      requested,
      lastModified: this.#timestamp(),
    };
    fn.provisioned.set(qualifier, config);
    const previous = version.provisionedStatus;
    version.provisionedStatus = {
      allocated: previous?.allocated ?? 0,
      available: previous?.available ?? 0,
      status: "IN_PROGRESS",
    };
    this.#refreshRunning(fn);
    this.#announceProvisioned(version, requested);
    return provisionedConfiguration(config, version.provisionedStatus);
  }

  /**
   * GetProvisionedConcurrencyConfig.
   * @throws {ServiceException} `ProvisionedConcurrencyConfigNotFoundException` when there is none;
   *   `InvalidParameterValueException` for `$LATEST`; `ResourceNotFoundException`.
   */
  // eslint-disable-next-line @typescript-eslint/require-await -- the port's methods are async
  async getProvisionedConcurrencyConfig(
    ref: FunctionRef,
  ): Promise<ProvisionedConcurrencyConfig> {
    const { fn, version, qualifier } = this.#provisionedRef(ref);
    const config = fn.provisioned.get(qualifier);
    if (config === undefined) {
      throw new ServiceException(
        "ProvisionedConcurrencyConfigNotFoundException",
        "No Provisioned Concurrency Config found for this function",
      );
    }
    return provisionedConfiguration(config, version.provisionedStatus);
  }

  /**
   * DeleteProvisionedConcurrencyConfig; nothing happens when there is none.
   * @throws {ServiceException} as {@link getProvisionedConcurrencyConfig}, but never "not found"
   *   for the config itself.
   */
  // eslint-disable-next-line @typescript-eslint/require-await -- the port's methods are async
  async deleteProvisionedConcurrencyConfig(ref: FunctionRef): Promise<void> {
    this.#assertOpen();
    const { fn, version, qualifier } = this.#provisionedRef(ref);
    if (!fn.provisioned.delete(qualifier)) return;
    version.provisionedStatus = undefined;
    this.#refreshRunning(fn);
    this.#announceProvisioned(version, 0);
  }

  /** GetAccountSettings: Lambda's quotas, this registry's usage and unreserved concurrency. */
  // eslint-disable-next-line @typescript-eslint/require-await -- the port's methods are async
  async getAccountSettings(): Promise<AccountSettings> {
    let totalCodeSize = 0;
    for (const fn of this.#functions.values()) {
      totalCodeSize += fn.latest.code.identity.codeSize;
      for (const version of fn.versions.values())
        totalCodeSize += version.code.identity.codeSize;
    }
    return {
      AccountLimit: {
        TotalCodeSize: TOTAL_CODE_SIZE,
        CodeSizeUnzipped: CODE_SIZE_UNZIPPED,
        CodeSizeZipped: CODE_SIZE_ZIPPED,
        ConcurrentExecutions: this.#accountConcurrency,
        UnreservedConcurrentExecutions: this.#unreservedWith(undefined, 0),
      },
      AccountUsage: {
        TotalCodeSize: totalCodeSize,
        FunctionCount: this.#functions.size,
      },
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Aliases (no HTTP routes: used by templates' AutoPublishAlias and by qualifiers)
  // ---------------------------------------------------------------------------------------------

  /**
   * Creates alias `alias` of `functionName`, or moves it, to `version` (`$LATEST` or a published
   * version). A provisioned concurrency config on the alias moves with it.
   * @throws {ServiceException} `ResourceNotFoundException` (function or version),
   *   `ValidationException` (malformed alias name).
   */
  putAlias(functionName: string, alias: string, version: string): void {
    this.#assertOpen();
    const fn = this.#unqualifiedFunctionOf({
      functionName,
      qualifier: undefined,
    });
    if (!ALIAS_FORM.test(alias)) {
      throw validationException(
        "name",
        alias,
        "Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)",
      );
    }
    const target = version === LATEST ? fn.latest : fn.versions.get(version);
    if (target === undefined) throw this.#notFound(fn.name, version);
    const config = fn.provisioned.get(alias);
    if (config !== undefined && version === LATEST) {
      throw new ServiceException(
        "InvalidParameterValueException",
        "Provisioned Concurrency Configs cannot be applied to unpublished function versions.",
      );
    }
    const before = fn.aliases.get(alias);
    fn.aliases.set(alias, version);
    this.#invalidate();
    if (config !== undefined && before !== version) {
      const old =
        before === undefined ? undefined : this.#versionRecord(fn, before);
      if (old !== undefined) {
        old.provisionedStatus = undefined;
        this.#refreshRunning(fn);
        this.#announceProvisioned(old, 0);
      }
      target.provisionedStatus = {
        allocated: 0,
        available: 0,
        status: "IN_PROGRESS",
      };
      this.#refreshRunning(fn);
      this.#announceProvisioned(target, config.requested);
    }
  }

  /**
   * Deletes alias `alias` of `functionName` and its provisioned concurrency config; nothing
   * happens when there is no such alias.
   * @throws {ServiceException} `ResourceNotFoundException` for an unknown function.
   */
  deleteAlias(functionName: string, alias: string): void {
    this.#assertOpen();
    const fn = this.#unqualifiedFunctionOf({
      functionName,
      qualifier: undefined,
    });
    const target = fn.aliases.get(alias);
    if (target === undefined) return;
    fn.aliases.delete(alias);
    this.#invalidate();
    if (fn.provisioned.delete(alias)) {
      const version = this.#versionRecord(fn, target);
      if (version !== undefined) {
        version.provisionedStatus = undefined;
        this.#refreshRunning(fn);
        this.#announceProvisioned(version, 0);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Internals
  // ---------------------------------------------------------------------------------------------

  #resolveUncached(ref: FunctionRef): ResolvedFunction {
    const { version } = this.#lookup(ref);
    const running = version.running;
    if (running === undefined) throw stateConflict(version.state);
    let byQualifier = this.#resolved.get(ref.functionName);
    if (byQualifier === undefined) {
      byQualifier = new Map();
      this.#resolved.set(ref.functionName, byQualifier);
    }
    byQualifier.set(ref.qualifier ?? "", running);
    return running;
  }

  /** The function and version `ref` names, and the qualifier its ARN shows. */
  #lookup(ref: FunctionRef): {
    fn: FunctionRecord;
    version: VersionRecord;
    arnQualifier: string | undefined;
  } {
    const parsed = parseFunctionRef(ref, this.#scope);
    const fn = this.#functions.get(parsed.name);
    if (fn === undefined) throw this.#notFound(parsed.name, parsed.qualifier);
    const qualifier = parsed.qualifier;
    if (qualifier === undefined)
      return { fn, version: fn.latest, arnQualifier: undefined };
    const target = fn.aliases.get(qualifier) ?? qualifier;
    const version = this.#versionRecord(fn, target);
    if (version === undefined) throw this.#notFound(fn.name, qualifier);
    return { fn, version, arnQualifier: qualifier };
  }

  #versionRecord(
    fn: FunctionRecord,
    version: string,
  ): VersionRecord | undefined {
    return version === LATEST ? fn.latest : fn.versions.get(version);
  }

  /** The function `ref` names; its qualifier, if any, is checked but not used. */
  #functionOf(ref: FunctionRef): FunctionRecord {
    const parsed = parseFunctionRef(ref, this.#scope);
    const fn = this.#functions.get(parsed.name);
    if (fn === undefined) throw this.#notFound(parsed.name, undefined);
    return fn;
  }

  /** The function `ref` names, for operations that refuse versions and aliases. */
  #unqualifiedFunctionOf(ref: FunctionRef): FunctionRecord {
    const parsed = parseFunctionRef(ref, this.#scope);
    if (parsed.qualifier !== undefined) {
      throw new ServiceException(
        "InvalidParameterValueException",
        "This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. Please specify either a function name or an unqualified function ARN.",
      );
    }
    const fn = this.#functions.get(parsed.name);
    if (fn === undefined) throw this.#notFound(parsed.name, undefined);
    return fn;
  }

  /** Function, version and qualifier of a provisioned concurrency request (Get/Delete). */
  #provisionedRef(ref: FunctionRef): {
    fn: FunctionRecord;
    version: VersionRecord;
    qualifier: string;
  } {
    const parsed = parseFunctionRef(ref, this.#scope);
    if (parsed.qualifier === undefined || parsed.qualifier === LATEST) {
      throw new ServiceException(
        "InvalidParameterValueException",
        "The function resource provided must be an alias or a published version.",
      );
    }
    return {
      ...this.#provisionedTarget(parsed.name, parsed.qualifier),
      qualifier: parsed.qualifier,
    };
  }

  /** The version a provisioned concurrency config on `qualifier` applies to. */
  #provisionedTarget(
    name: string,
    qualifier: string,
  ): { fn: FunctionRecord; version: VersionRecord } {
    const fn = this.#functions.get(name);
    if (/^\d+$/.test(qualifier)) {
      const version = fn?.versions.get(qualifier);
      if (fn === undefined || version === undefined)
        throw this.#notFound(name, qualifier);
      return { fn, version };
    }
    const target = fn?.aliases.get(qualifier);
    if (fn === undefined || target === undefined) {
      throw new ServiceException(
        "ResourceNotFoundException",
        `Cannot find alias arn: ${functionArn(name, this.#scope, qualifier)}`,
      );
    }
    if (target === LATEST) {
      throw new ServiceException(
        "InvalidParameterValueException",
        "Provisioned Concurrency Configs cannot be applied to unpublished function versions.",
      );
    }
    const version = fn.versions.get(target);
    if (version === undefined) throw this.#notFound(name, target);
    return { fn, version };
  }

  /** The provisioned concurrency config that applies to `version` (its own or an alias's). */
  #provisionedFor(
    fn: FunctionRecord,
    version: VersionRecord,
  ): ProvisionedConfigRecord | undefined {
    const own = fn.provisioned.get(version.version);
    if (own !== undefined) return own;
    for (const [alias, target] of fn.aliases) {
      if (target !== version.version) continue;
      const config = fn.provisioned.get(alias);
      if (config !== undefined) return config;
    }
    return undefined;
  }

  /** Unreserved concurrency if `fn` used `used` (its reserved, or its provisioned when none). */
  #unreservedWith(fn: FunctionRecord | undefined, used: number): number {
    let total = 0;
    for (const other of this.#functions.values()) {
      total +=
        other === fn ? used : (other.reserved ?? totalProvisioned(other));
    }
    return this.#accountConcurrency - total;
  }

  #assertOpen(): void {
    if (this.#state !== "open") {
      throw new IllegalStateError(
        "The function registry is closed: no function can be created or changed.",
      );
    }
  }

  #assertNew(name: string): void {
    if (this.#functions.has(name) || this.#creating.has(name)) {
      throw new ServiceException(
        "ResourceConflictException",
        `Function already exist: ${name}`,
      );
    }
  }

  /** The checks of UpdateFunctionCode and UpdateFunctionConfiguration, in Lambda's order. */
  #assertUpdatable(fn: FunctionRecord, revisionId: string | undefined): void {
    const latest = fn.latest;
    if (revisionId !== undefined && revisionId !== latest.revisionId)
      throw revisionMismatch();
    if (latest.lastUpdate === "InProgress") throw this.#updateInProgress(fn);
    if (latest.state === "Pending") throw stateConflict("Pending");
  }

  #updateInProgress(fn: FunctionRecord): ServiceException {
    return new ServiceException(
      "ResourceConflictException",
      `The operation cannot be performed at this time. An update is in progress for resource: ${functionArn(fn.name, this.#scope)}`,
    );
  }

  #notFound(name: string, qualifier: string | undefined): ServiceException {
    return resourceNotFound(functionArn(name, this.#scope, qualifier));
  }

  /** Marks `$LATEST` as updating (its settings or code were just replaced) and settles it later. */
  #beginUpdate(fn: FunctionRecord): void {
    const latest = fn.latest;
    latest.generation = ++this.#generation;
    latest.revisionId = randomUUID();
    latest.lastModified = this.#timestamp();
    latest.lastUpdate = "InProgress";
    latest.lastUpdateReason = CREATING_REASON;
    latest.lastUpdateReasonCode = "Creating";
    this.#settleWhenPrepared(fn, latest, "update");
  }

  /** Publishes `$LATEST` as the next version, or answers the last one when nothing changed. */
  #publish(fn: FunctionRecord, description: string | undefined): VersionRecord {
    const latest = fn.latest;
    const last = fn.lastPublished;
    if (
      last !== undefined &&
      last.publishedFrom === latest.generation &&
      fn.versions.get(last.version) === last
    )
      return last;
    const number = String(fn.nextVersion++);
    const settings =
      description === undefined
        ? latest.settings
        : { ...latest.settings, description };
    const version: VersionRecord = {
      version: number,
      settings,
      config: functionConfigOf(fn.name, settings, number, this.#scope),
      code: latest.code,
      revisionId: randomUUID(),
      lastModified: this.#timestamp(),
      state: "Pending",
      stateReason: CREATING_REASON,
      stateReasonCode: "Creating",
      lastUpdate: "Successful",
      lastUpdateReason: undefined,
      lastUpdateReasonCode: undefined,
      generation: ++this.#generation,
      publishedFrom: latest.generation,
      running: undefined,
      provisionedStatus: undefined,
    };
    fn.versions.set(number, version);
    fn.lastPublished = version;
    // Publishing changes $LATEST's RevisionId (not its code or configuration).
    latest.revisionId = randomUUID();
    this.#settleWhenPrepared(fn, version, "create");
    return version;
  }

  /** Starts preparing `source`; the returned record's `settled` never rejects. */
  #startCode(
    functionName: string,
    source: CodeSource,
    identity: CodeIdentity,
  ): CodeRecord {
    const code: CodeRecord = {
      identity,
      source,
      status: "preparing",
      taskRoot: undefined,
      failureReason: undefined,
      failureCode: undefined,
      abort: new AbortController(),
      settled: Promise.resolve(),
    };
    code.settled = this.#prepare(code);
    this.#track(functionName, code.settled);
    return code;
  }

  async #prepare(code: CodeRecord): Promise<void> {
    const source = code.source;
    if (source === undefined) return;
    try {
      const prepared = await this.#preparePackage(source, {
        cacheDir: this.#cacheDir,
        signal: code.abort.signal,
      });
      code.taskRoot = prepared.taskRoot;
      code.status = "ready";
    } catch (err) {
      code.status = "failed";
      code.failureReason =
        err instanceof Error
          ? err.message
          : `The package could not be prepared: ${String(err)}`;
      code.failureCode =
        err instanceof InvalidPackageError
          ? "InvalidZipFileException"
          : "InternalError";
    } finally {
      code.source = undefined;
    }
  }

  /**
   * Once `version`'s code has settled, makes it `Active` (or `Failed`), swaps what Invocations
   * get and announces the retired key — unless the function, the version or the generation has
   * changed meanwhile.
   */
  #settleWhenPrepared(
    fn: FunctionRecord,
    version: VersionRecord,
    kind: "create" | "update",
  ): void {
    const generation = version.generation;
    const code = version.code;
    const current = (): boolean =>
      this.#state === "open" &&
      this.#functions.get(fn.name) === fn &&
      this.#versionRecord(fn, version.version) === version &&
      version.generation === generation;
    const task = code.settled.then(async () => {
      if (!current()) return;
      // SnapStart (a published version that asks for it): the snapshot is taken now, and the
      // version stays Pending until it is.
      const optimize = this.#optimizeVersion;
      if (
        optimize !== undefined &&
        kind === "create" &&
        version.version !== LATEST &&
        version.settings.snapStartApplyOn === "PublishedVersions" &&
        code.status === "ready" &&
        code.taskRoot !== undefined
      ) {
        try {
          await optimize(this.#running(fn, version, code.taskRoot));
        } catch (error) {
          if (!current()) return;
          this.#invalidate();
          version.state = "Failed";
          version.stateReason =
            error instanceof Error ? error.message : String(error);
          version.stateReasonCode = "FunctionError";
          return;
        }
        if (!current()) return;
      }
      this.#invalidate();
      if (code.status !== "ready" || code.taskRoot === undefined) {
        const reason =
          code.failureReason ?? "The package could not be prepared.";
        const reasonCode = code.failureCode ?? "InternalError";
        if (kind === "create") {
          version.state = "Failed";
          version.stateReason = reason;
          version.stateReasonCode = reasonCode;
        } else {
          version.lastUpdate = "Failed";
          version.lastUpdateReason = reason;
          version.lastUpdateReasonCode = reasonCode;
        }
        return;
      }
      const previous = version.running;
      version.running = this.#running(fn, version, code.taskRoot);
      if (previous !== undefined) this.#byKey.delete(previous.key);
      this.#byKey.set(version.running.key, version);
      version.state = "Active";
      version.stateReason = undefined;
      version.stateReasonCode = undefined;
      if (kind === "update") {
        version.lastUpdate = "Successful";
        version.lastUpdateReason = undefined;
        version.lastUpdateReasonCode = undefined;
      }
      if (previous !== undefined && previous.key !== version.running.key) {
        this.#emit({
          kind: "retired",
          key: previous.key,
          functionName: fn.name,
          version: version.version,
        });
      }
      const provisioned = this.#provisionedFor(fn, version);
      if (provisioned !== undefined) {
        this.#announceProvisioned(version, provisioned.requested);
      }
    });
    this.#track(fn.name, task);
  }

  #running(
    fn: FunctionRecord,
    version: VersionRecord,
    taskRoot: string,
  ): ResolvedFunction {
    return Object.freeze({
      key: `${fn.name}:${version.version}:${version.generation}`,
      functionName: fn.name,
      version: version.version,
      config: version.config,
      settings: version.settings,
      taskRoot,
      codeSha256: version.code.identity.codeSha256,
      reservedConcurrency: fn.reserved,
      provisionedConcurrency: this.#provisionedFor(fn, version)?.requested,
    });
  }

  /** Rebuilds what Invocations get after a change of reserved or provisioned concurrency. */
  #refreshRunning(fn: FunctionRecord): void {
    for (const version of [fn.latest, ...fn.versions.values()]) {
      const running = version.running;
      if (running === undefined) continue;
      version.running = Object.freeze({
        ...running,
        reservedConcurrency: fn.reserved,
        provisionedConcurrency: this.#provisionedFor(fn, version)?.requested,
      });
    }
    this.#invalidate();
  }

  #announceProvisioned(version: VersionRecord, requested: number): void {
    const running = version.running;
    if (running === undefined) return;
    this.#emit({
      kind: "provisioned",
      key: running.key,
      requested,
      function: running,
    });
  }

  /** Forgets `version`'s key and announces it retired. */
  #retire(fn: FunctionRecord, version: VersionRecord): void {
    const running = version.running;
    if (running === undefined) return;
    this.#byKey.delete(running.key);
    this.#emit({
      kind: "retired",
      key: running.key,
      functionName: fn.name,
      version: version.version,
    });
  }

  #abortCode(fn: FunctionRecord): void {
    for (const version of [fn.latest, ...fn.versions.values()]) {
      if (version.code.status === "preparing") version.code.abort.abort();
    }
  }

  #track(functionName: string, task: Promise<void>): void {
    this.#tasks.set(task, functionName);
    void task.finally(() => this.#tasks.delete(task));
  }

  #emit(change: RegistryChange): void {
    for (const listener of [...this.#listeners]) listener(change);
  }

  #invalidate(): void {
    this.#resolved.clear();
  }

  #timestamp(): string {
    return formatLambdaDate(this.#now());
  }

  #sortedFunctions(): FunctionRecord[] {
    return [...this.#functions.values()].sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
  }

  #page(
    entries: readonly PageEntry[],
    options: ListVersionsOptions,
    render: (entry: PageEntry) => FunctionConfiguration,
  ): FunctionPage {
    const maxItems = options.maxItems ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(maxItems) || maxItems < 1) {
      throw validationException(
        "maxItems",
        String(maxItems),
        "Member must have value greater than or equal to 1",
      );
    }
    if (maxItems > MAX_PAGE_SIZE) {
      throw validationException(
        "maxItems",
        String(maxItems),
        `Member must have value less than or equal to ${MAX_PAGE_SIZE}`,
      );
    }
    let start = 0;
    if (options.marker !== undefined && options.marker !== "") {
      const after = decodeMarker(options.marker);
      start = entries.findIndex((entry) => pageKey(entry) > after);
      if (start === -1) start = entries.length;
    }
    const slice = entries.slice(start, start + maxItems);
    const last = slice.at(-1);
    const more = start + maxItems < entries.length;
    return {
      items: slice.map(render),
      nextMarker:
        more && last !== undefined ? encodeMarker(pageKey(last)) : undefined,
    };
  }

  #configuration(
    fn: FunctionRecord,
    version: VersionRecord,
    arnQualifier: string | undefined,
  ): FunctionConfiguration {
    const settings = version.settings;
    const published = version.version !== LATEST;
    // A version's ARN always carries a qualifier: its number, or the alias it was named by.
    const qualifier = arnQualifier ?? (published ? version.version : undefined);
    return {
      FunctionName: fn.name,
      FunctionArn: functionArn(fn.name, this.#scope, qualifier),
      Runtime: settings.runtime,
      Role: settings.role,
      Handler: settings.handler,
      CodeSize: version.code.identity.codeSize,
      CodeSha256: version.code.identity.codeSha256,
      Description: settings.description,
      Timeout: settings.timeout,
      MemorySize: settings.memorySize,
      LastModified: version.lastModified,
      Version: version.version,
      ...(Object.keys(settings.environment).length === 0
        ? {}
        : { Environment: { Variables: { ...settings.environment } } }),
      TracingConfig: { Mode: settings.tracingMode },
      RevisionId: version.revisionId,
      State: version.state,
      ...(version.stateReason === undefined
        ? {}
        : { StateReason: version.stateReason }),
      ...(version.stateReasonCode === undefined
        ? {}
        : { StateReasonCode: version.stateReasonCode }),
      LastUpdateStatus: version.lastUpdate,
      ...(version.lastUpdateReason === undefined
        ? {}
        : { LastUpdateStatusReason: version.lastUpdateReason }),
      ...(version.lastUpdateReasonCode === undefined
        ? {}
        : { LastUpdateStatusReasonCode: version.lastUpdateReasonCode }),
      PackageType: "Zip",
      Architectures: [...settings.architectures],
      EphemeralStorage: { Size: settings.ephemeralStorageSize },
      SnapStart: {
        ApplyOn: settings.snapStartApplyOn,
        OptimizationStatus:
          published && settings.snapStartApplyOn === "PublishedVersions"
            ? "On"
            : "Off",
      },
      LoggingConfig: { ...settings.logging },
      RuntimeVersionConfig: {
        RuntimeVersionArn: this.#runtimeVersionArn(settings.runtime),
      },
      ...(settings.layers.length === 0
        ? {}
        : {
            Layers: settings.layers.map((arn) => ({ Arn: arn, CodeSize: 0 })),
          }),
    };
  }

  /** A stable `RuntimeVersionArn` per runtime (thaw has one build of each). */
  #runtimeVersionArn(runtime: string): string {
    let arn = this.#runtimeVersionArns.get(runtime);
    if (arn === undefined) {
      const digest = createHash("sha256")
        .update(`thaw:${runtime}`)
        .digest("hex");
      arn = `arn:aws:lambda:${this.#scope.region}::runtime:${digest}`;
      this.#runtimeVersionArns.set(runtime, arn);
    }
    return arn;
  }
}

interface PageEntry {
  readonly fn: FunctionRecord;
  readonly version: VersionRecord;
}

/** Sort key of a page entry: name, then `$LATEST` before the versions in numeric order. */
function pageKey(entry: PageEntry): string {
  const version = entry.version.version;
  return `${entry.fn.name}\u0000${version === LATEST ? "" : version.padStart(10, "0")}`;
}

function encodeMarker(key: string): string {
  return Buffer.from(key).toString("base64url");
}

function decodeMarker(marker: string): string {
  const key = Buffer.from(marker, "base64url").toString();
  if (!key.includes("\u0000") || encodeMarker(key) !== marker) {
    throw new ServiceException(
      "InvalidParameterValueException",
      `The marker ${marker} is not valid: pass the NextMarker of the previous page unchanged.`,
    );
  }
  return key;
}

function totalProvisioned(fn: FunctionRecord): number {
  let total = 0;
  for (const config of fn.provisioned.values()) total += config.requested;
  return total;
}

function provisionedConfiguration(
  config: ProvisionedConfigRecord,
  status: ProvisionedStatusReport | undefined,
): ProvisionedConcurrencyConfig {
  return {
    RequestedProvisionedConcurrentExecutions: config.requested,
    AllocatedProvisionedConcurrentExecutions: status?.allocated ?? 0,
    AvailableProvisionedConcurrentExecutions: status?.available ?? 0,
    Status: status?.status ?? "IN_PROGRESS",
    ...(status?.statusReason === undefined
      ? {}
      : { StatusReason: status.statusReason }),
    LastModified: config.lastModified,
  };
}

/** The code a request gives: `ZipFile` bytes, or a local path from the options. */
function codeSourceOf(
  code: {
    readonly ZipFile?: Buffer;
    readonly S3Bucket?: string;
    readonly S3Key?: string;
    readonly ImageUri?: string;
  },
  codePath: string | undefined,
): CodeSource {
  if (codePath !== undefined) return { kind: "path", path: codePath };
  if (
    code.S3Bucket !== undefined ||
    code.S3Key !== undefined ||
    code.ImageUri !== undefined ||
    code.ZipFile === undefined
  )
    throw zipFileOnly();
  return { kind: "zip-bytes", bytes: code.ZipFile };
}

function zipFileOnly(): ServiceException {
  return new ServiceException(
    "InvalidParameterValueException",
    "thaw takes function code as the bytes of a .zip (ZipFile) only: S3Bucket/S3Key and ImageUri are not supported locally. Pass the zip itself, e.g. aws lambda create-function --zip-file fileb://function.zip.",
  );
}

function revisionMismatch(): ServiceException {
  return new ServiceException(
    "PreconditionFailedException",
    "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
  );
}

function stateConflict(state: VersionState): ServiceException {
  return new ServiceException(
    "ResourceConflictException",
    `The operation cannot be performed at this time. The function is currently in the following state: ${state}`,
  );
}
