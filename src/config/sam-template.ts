/**
 * SAM and CloudFormation templates: the functions they declare, read as `sam local` reads them,
 * so that `thaw serve --template template.yaml` can register them.
 *
 * YAML (with CloudFormation's short tags `!Ref`, `!Sub`, `!GetAtt`…) and JSON templates are
 * accepted; every short tag becomes its long form (`{"Fn::Sub": …}`), so both forms are one. The
 * fields thaw needs are evaluated: `Ref` of a parameter (its override or `Default`), of a pseudo
 * parameter (`AWS::Region`, `AWS::AccountId`, `AWS::StackName`, `AWS::StackId`, `AWS::Partition`,
 * `AWS::URLSuffix`, `AWS::NoValue`) or of a function of the template (its name); `Fn::GetAtt` of a
 * function's `Arn`; `Fn::Sub`, `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::If` with the template's
 * `Conditions`, `Fn::FindInMap` with its `Mappings`, `Fn::Base64`, `Fn::GetAZs`, `Fn::Length`,
 * `Fn::ToJsonString`. What only exists once deployed (`Fn::ImportValue`, `Ref` or `Fn::GetAtt` of
 * other resources, `Fn::Cidr`) cannot be evaluated: in a field thaw needs that is an error naming
 * the function, the field and the expression; an environment variable whose value cannot be
 * evaluated is set to the empty string with a warning, as `sam local` does (or is an error with
 * `strictEnvironment`). Fields thaw does not need are never evaluated.
 *
 * Functions are `AWS::Serverless::Function` (with `Globals.Function` merged as SAM merges it: maps
 * key by key, lists concatenated, anything else replaced by the resource's value) and
 * `AWS::Lambda::Function`. Every other resource is listed in `skipped`.
 */
import { readFile, stat } from "node:fs/promises";
import { basename, dirname, isAbsolute, resolve } from "node:path";
import {
  parseDocument,
  type CollectionTag,
  type ScalarTag,
  type YAMLMap,
  type YAMLSeq,
} from "yaml";
import { InvalidParameterValueError } from "../errors/usage-errors.js";
import { DEFAULT_ACCOUNT_ID, DEFAULT_REGION } from "./defaults.js";
import { createFunctionConfig } from "./function-config.js";

/** Everything thaw needs to register one function of a template. */
export interface TemplateFunction {
  /** The resource's logical id. */
  readonly logicalId: string;
  readonly resourceType: FunctionResourceType;
  /** `FunctionName`, else the logical id (as `sam local` names functions). */
  readonly functionName: string;
  /** Absolute path of the code: a folder (used in place) or a zip file. */
  readonly codePath: string;
  readonly runtime: string;
  /** The handler; `bootstrap` for a `provided.*` runtime that gives none. */
  readonly handler: string;
  readonly memorySize: number | undefined;
  readonly timeout: number | undefined;
  readonly description: string | undefined;
  readonly environment: Readonly<Record<string, string>>;
  readonly architectures: readonly string[] | undefined;
  readonly ephemeralStorageSize: number | undefined;
  readonly tracingMode: "Active" | "PassThrough" | undefined;
  readonly reservedConcurrency: number | undefined;
  /** `ProvisionedConcurrencyConfig.ProvisionedConcurrentExecutions` (SAM: on the alias). */
  readonly provisionedConcurrency: number | undefined;
  /** SAM's `AutoPublishAlias`: publish a version and point this alias at it. */
  readonly autoPublishAlias: string | undefined;
  readonly snapStartApplyOn: "PublishedVersions" | "None" | undefined;
}

/** The resource types thaw registers. */
export type FunctionResourceType =
  "AWS::Serverless::Function" | "AWS::Lambda::Function";

/** A resource thaw does not register. */
export interface SkippedResource {
  readonly logicalId: string;
  readonly type: string;
  /** Why, when it is a function (its `Condition` is false); other types are simply not functions. */
  readonly reason?: string;
}

/** What a template declares for thaw. */
export interface SamTemplate {
  readonly functions: readonly TemplateFunction[];
  readonly skipped: readonly SkippedResource[];
  /** Things thaw changed or ignored, one sentence each (e.g. an environment variable left empty). */
  readonly warnings: readonly string[];
}

/** Options of {@link loadSamTemplate}. */
export interface LoadSamTemplateOptions {
  /** Parameter values, overriding the template's `Default`s (`--parameter-overrides`). */
  readonly parameters?: Readonly<Record<string, string>>;
  /** @default "us-east-1" */
  readonly region?: string;
  /** @default "000000000000" */
  readonly accountId?: string;
  /**
   * `AWS::StackName`.
   * @default "thaw"
   */
  readonly stackName?: string;
  /**
   * Make an environment variable whose value cannot be evaluated an error instead of `""`.
   * @default false
   */
  readonly strictEnvironment?: boolean;
}

/** Options of {@link parseSamTemplate}. */
export interface ParseSamTemplateOptions extends LoadSamTemplateOptions {
  /** The folder `CodeUri` and `Code` paths are relative to (the template's folder). */
  readonly baseDir: string;
  /**
   * How messages name the template.
   * @default "the template"
   */
  readonly sourceName?: string;
}

/**
 * Reads and parses the template at `path`, then checks that every function's code exists.
 * @throws {InvalidParameterValueError} when the template cannot be read or parsed, a function
 *   field thaw needs is missing, malformed or cannot be evaluated, or a code path does not exist.
 */
export async function loadSamTemplate(
  path: string,
  options: LoadSamTemplateOptions = {},
): Promise<SamTemplate> {
  const absolute = resolve(path);
  let text: string;
  try {
    text = await readFile(absolute, "utf8");
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    throw new InvalidParameterValueError(
      code === "ENOENT"
        ? `The template ${absolute} does not exist. Pass the path of a SAM or CloudFormation template (template.yaml).`
        : `The template ${absolute} cannot be read (${typeof code === "string" ? code : (err as Error).message}).`,
      { cause: err },
    );
  }
  const template = parseSamTemplate(text, {
    ...options,
    baseDir: dirname(absolute),
    sourceName: basename(absolute),
  });
  for (const fn of template.functions) {
    try {
      await stat(fn.codePath);
    } catch (err) {
      throw new InvalidParameterValueError(
        `${basename(absolute)}: function ${fn.logicalId}: its code ${fn.codePath} does not exist. Fix ${fn.resourceType === "AWS::Serverless::Function" ? "CodeUri" : "Code"} (relative to the template's folder), or build the function first (sam build writes .aws-sam/build/template.yaml).`,
        { cause: err },
      );
    }
  }
  return template;
}

/**
 * Parses a template's text (YAML or JSON). Pure: paths are resolved against `baseDir` but not
 * checked.
 * @throws {InvalidParameterValueError} as {@link loadSamTemplate}, except for missing code.
 */
export function parseSamTemplate(
  text: string,
  options: ParseSamTemplateOptions,
): SamTemplate {
  const source = options.sourceName ?? "the template";
  const warnings: string[] = [];
  const root = parseText(text, source, warnings);
  if (!isRecord(root) || !isRecord(root.Resources)) {
    throw new InvalidParameterValueError(
      `${source} has no Resources section: it is not a SAM or CloudFormation template.`,
    );
  }
  const context = new TemplateContext(root, options);
  const functions: TemplateFunction[] = [];
  const skipped: SkippedResource[] = [];
  const globals = isRecord(root.Globals) ? root.Globals.Function : undefined;
  for (const [logicalId, resource] of Object.entries(root.Resources)) {
    const type = isRecord(resource) ? resource.Type : undefined;
    if (
      type !== "AWS::Serverless::Function" &&
      type !== "AWS::Lambda::Function"
    ) {
      skipped.push({
        logicalId,
        type: typeof type === "string" ? type : "(no Type)",
      });
      continue;
    }
    const declared = resource as Record<string, unknown>;
    const condition = declared.Condition;
    if (
      typeof condition === "string" &&
      !context.condition(condition, logicalId)
    ) {
      skipped.push({
        logicalId,
        type,
        reason: `its Condition ${condition} is false`,
      });
      continue;
    }
    const own = isRecord(declared.Properties) ? declared.Properties : {};
    const properties =
      type === "AWS::Serverless::Function" && isRecord(globals)
        ? mergeGlobals(globals, own)
        : own;
    functions.push(
      new FunctionReader(context, logicalId, type, properties, warnings).read(),
    );
  }
  const seen = new Map<string, string>();
  for (const fn of functions) {
    const other = seen.get(fn.functionName);
    if (other !== undefined) {
      throw new InvalidParameterValueError(
        `${source}: functions ${other} and ${fn.logicalId} are both named ${fn.functionName}. Give one of them another FunctionName.`,
      );
    }
    seen.set(fn.functionName, fn.logicalId);
  }
  return { functions, skipped, warnings };
}

// -------------------------------------------------------------------------------------------------
// Parsing
// -------------------------------------------------------------------------------------------------

/** CloudFormation's short-form tags and the long-form key each stands for. */
const SHORT_TAGS: readonly (readonly [string, string])[] = [
  ["Ref", "Ref"],
  ["Condition", "Condition"],
  ...[
    "Sub",
    "GetAtt",
    "Join",
    "If",
    "Select",
    "Split",
    "FindInMap",
    "ImportValue",
    "Base64",
    "Equals",
    "And",
    "Or",
    "Not",
    "GetAZs",
    "Cidr",
    "Length",
    "ToJsonString",
  ].map((name) => [name, `Fn::${name}`] as const),
];

/** One tag per short form and node kind (scalar, sequence, mapping), each giving the long form. */
const CLOUDFORMATION_TAGS: (ScalarTag | CollectionTag)[] = SHORT_TAGS.flatMap(
  ([short, key]): (ScalarTag | CollectionTag)[] => [
    { tag: `!${short}`, resolve: (value: string) => ({ [key]: value }) },
    {
      tag: `!${short}`,
      collection: "seq",
      resolve: (value: YAMLMap.Parsed | YAMLSeq.Parsed) => ({
        [key]: value.toJSON() as unknown,
      }),
    },
    {
      tag: `!${short}`,
      collection: "map",
      resolve: (value: YAMLMap.Parsed | YAMLSeq.Parsed) => ({
        [key]: value.toJSON() as unknown,
      }),
    },
  ],
);

/** The template as plain data; JSON when it starts with `{`, YAML otherwise. */
function parseText(text: string, source: string, warnings: string[]): unknown {
  if (text.trimStart().startsWith("{")) {
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new InvalidParameterValueError(
        `${source} is not valid JSON: ${(err as Error).message}.`,
        { cause: err },
      );
    }
  }
  const document = parseDocument(text, {
    customTags: CLOUDFORMATION_TAGS,
    prettyErrors: true,
  });
  const [error] = document.errors;
  if (error !== undefined) {
    throw new InvalidParameterValueError(
      `${source} is not valid YAML: ${error.message.trimEnd()}`,
      { cause: error },
    );
  }
  for (const warning of document.warnings) {
    warnings.push(
      `${source}: ${firstLine(warning.message)} (kept as a plain value)`,
    );
  }
  return document.toJS({ maxAliasCount: 1000 }) as unknown;
}

/** Merges `Globals.Function` into a function's properties as SAM does. */
function mergeGlobals(
  globals: Record<string, unknown>,
  own: Record<string, unknown>,
): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...globals };
  for (const [key, value] of Object.entries(own)) {
    merged[key] = mergeGlobal(globals[key], value);
  }
  return merged;
}

function mergeGlobal(global: unknown, own: unknown): unknown {
  if (global === undefined) return own;
  if (
    isRecord(global) &&
    isRecord(own) &&
    !isIntrinsic(global) &&
    !isIntrinsic(own)
  ) {
    return mergeGlobals(global, own);
  }
  if (isList(global) && isList(own)) return [...global, ...own];
  return own;
}

// -------------------------------------------------------------------------------------------------
// Evaluation
// -------------------------------------------------------------------------------------------------

/** `AWS::NoValue`: removes the property or list item it stands in. */
const NO_VALUE: unique symbol = Symbol("AWS::NoValue");

/** The outcome of evaluating an expression. */
type Evaluated =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly expression: string; readonly why: string };

const ok = (value: unknown): Evaluated => ({ ok: true, value });
const unresolvable = (node: unknown, why: string): Evaluated => ({
  ok: false,
  expression: render(node),
  why,
});

/** The template's parameters, mappings, conditions and resources, for evaluation. */
class TemplateContext {
  /** How messages name the template. */
  readonly source: string;
  /** The folder code paths are relative to. */
  readonly baseDir: string;
  readonly strictEnvironment: boolean;
  readonly #parameters = new Map<string, unknown>();
  readonly #declaredParameters: Record<string, unknown>;
  readonly #mappings: Record<string, unknown>;
  readonly #conditions: Record<string, unknown>;
  readonly #resources: Record<string, unknown>;
  readonly #pseudo: ReadonlyMap<string, unknown>;
  readonly #conditionValues = new Map<string, boolean>();
  readonly #conditionsInProgress = new Set<string>();
  readonly #namesInProgress = new Set<string>();

  constructor(root: Record<string, unknown>, options: ParseSamTemplateOptions) {
    this.source = options.sourceName ?? "the template";
    this.baseDir = options.baseDir;
    this.strictEnvironment = options.strictEnvironment ?? false;
    const region = options.region ?? DEFAULT_REGION;
    const accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
    const stackName = options.stackName ?? "thaw";
    this.#pseudo = new Map<string, unknown>([
      ["AWS::Region", region],
      ["AWS::AccountId", accountId],
      ["AWS::StackName", stackName],
      [
        "AWS::StackId",
        `arn:aws:cloudformation:${region}:${accountId}:stack/${stackName}/00000000-0000-0000-0000-000000000000`,
      ],
      ["AWS::Partition", "aws"],
      ["AWS::URLSuffix", "amazonaws.com"],
      ["AWS::NotificationARNs", []],
      ["AWS::NoValue", NO_VALUE],
    ]);
    this.#declaredParameters = isRecord(root.Parameters) ? root.Parameters : {};
    this.#mappings = isRecord(root.Mappings) ? root.Mappings : {};
    this.#conditions = isRecord(root.Conditions) ? root.Conditions : {};
    this.#resources = isRecord(root.Resources) ? root.Resources : {};
    const overrides = options.parameters ?? {};
    for (const [name, declaration] of Object.entries(
      this.#declaredParameters,
    )) {
      const given = Object.hasOwn(overrides, name)
        ? overrides[name]
        : undefined;
      const value =
        given ?? (isRecord(declaration) ? declaration.Default : undefined);
      if (value === undefined) continue;
      const type = isRecord(declaration) ? declaration.Type : undefined;
      const list =
        type === "CommaDelimitedList" ||
        (typeof type === "string" && type.startsWith("List<"));
      this.#parameters.set(
        name,
        list && typeof value === "string"
          ? value.split(",").map((item) => item.trim())
          : value,
      );
    }
  }

  /** The value of condition `name`, for a resource's `Condition`. */
  condition(name: string, logicalId: string): boolean {
    const result = this.#condition(name);
    if (!result.ok) {
      throw new InvalidParameterValueError(
        `${this.source}: function ${logicalId}: Condition: cannot evaluate ${result.expression}: ${result.why}.`,
      );
    }
    return result.value === true;
  }

  /** Evaluates `node`, intrinsic functions included. */
  evaluate(node: unknown): Evaluated {
    if (isList(node)) {
      const items: unknown[] = [];
      for (const item of node) {
        const result = this.evaluate(item);
        if (!result.ok) return result;
        if (result.value !== NO_VALUE) items.push(result.value);
      }
      return ok(items);
    }
    if (!isRecord(node)) return ok(node);
    const intrinsic = intrinsicOf(node);
    if (intrinsic !== undefined) {
      return this.#intrinsic(node, intrinsic.name, intrinsic.argument);
    }
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(node)) {
      const result = this.evaluate(value);
      if (!result.ok) return result;
      if (result.value !== NO_VALUE) out[key] = result.value;
    }
    return ok(out);
  }

  #intrinsic(node: unknown, name: string, argument: unknown): Evaluated {
    switch (name) {
      case "Ref":
        return this.#ref(node, argument);
      case "Condition":
        return typeof argument === "string"
          ? this.#condition(argument)
          : unresolvable(node, "Condition takes a condition name");
      case "Fn::Sub":
        return this.#sub(node, argument);
      case "Fn::GetAtt":
        return this.#getAtt(node, argument);
      case "Fn::Join":
        return this.#join(node, argument);
      case "Fn::Select":
        return this.#select(node, argument);
      case "Fn::Split":
        return this.#split(node, argument);
      case "Fn::If":
        return this.#if(node, argument);
      case "Fn::FindInMap":
        return this.#findInMap(node, argument);
      case "Fn::Base64": {
        const value = this.evaluate(argument);
        if (!value.ok) return value;
        return typeof value.value === "string"
          ? ok(Buffer.from(value.value).toString("base64"))
          : unresolvable(node, "Fn::Base64 takes a string");
      }
      case "Fn::GetAZs": {
        const region = this.evaluate(argument);
        if (!region.ok) return region;
        const name =
          typeof region.value === "string" && region.value !== ""
            ? region.value
            : (this.#pseudo.get("AWS::Region") as string);
        return ok(["a", "b", "c"].map((zone) => `${name}${zone}`));
      }
      case "Fn::Equals":
      case "Fn::And":
      case "Fn::Or":
      case "Fn::Not":
        return this.#logical(node, name, argument);
      case "Fn::Length": {
        const list = this.evaluate(argument);
        if (!list.ok) return list;
        return isList(list.value)
          ? ok(list.value.length)
          : unresolvable(node, "Fn::Length takes a list");
      }
      case "Fn::ToJsonString": {
        const value = this.evaluate(argument);
        return value.ok ? ok(JSON.stringify(value.value)) : value;
      }
      case "Fn::ImportValue":
        return unresolvable(
          node,
          "it reads an output of another stack, which exists only once deployed",
        );
      case "Fn::Cidr":
        return unresolvable(node, "address blocks are not computed locally");
      default:
        return unresolvable(
          node,
          `${name} is not an intrinsic function thaw evaluates`,
        );
    }
  }

  #ref(node: unknown, name: unknown): Evaluated {
    if (typeof name !== "string") return unresolvable(node, "Ref takes a name");
    if (this.#pseudo.has(name)) return ok(this.#pseudo.get(name));
    if (this.#parameters.has(name)) return ok(this.#parameters.get(name));
    if (Object.hasOwn(this.#declaredParameters, name)) {
      return unresolvable(
        node,
        `parameter ${name} has no Default; give it one, or pass a value for it`,
      );
    }
    const resource = this.#resources[name];
    if (isRecord(resource)) {
      if (isFunctionType(resource.Type))
        return this.#functionName(node, name, resource);
      return unresolvable(
        node,
        `resource ${name} (${String(resource.Type)}) has a physical id only once deployed`,
      );
    }
    return unresolvable(
      node,
      `the template has no parameter or resource ${name}`,
    );
  }

  /** A template function's name, as `Ref` returns it. */
  #functionName(
    node: unknown,
    logicalId: string,
    resource: Record<string, unknown>,
  ): Evaluated {
    const properties = isRecord(resource.Properties) ? resource.Properties : {};
    if (properties.FunctionName === undefined) return ok(logicalId);
    if (this.#namesInProgress.has(logicalId)) {
      return unresolvable(
        node,
        `the FunctionName of ${logicalId} refers to itself`,
      );
    }
    this.#namesInProgress.add(logicalId);
    let name: Evaluated;
    try {
      name = this.evaluate(properties.FunctionName);
    } finally {
      this.#namesInProgress.delete(logicalId);
    }
    if (!name.ok) return name;
    return typeof name.value === "string"
      ? ok(name.value)
      : unresolvable(node, `the FunctionName of ${logicalId} is not a string`);
  }

  #getAtt(node: unknown, argument: unknown): Evaluated {
    let logicalId: unknown;
    let attribute: unknown;
    if (typeof argument === "string") {
      const dot = argument.indexOf(".");
      logicalId = dot === -1 ? argument : argument.slice(0, dot);
      attribute = dot === -1 ? "" : argument.slice(dot + 1);
    } else if (isList(argument) && argument.length === 2) {
      logicalId = argument[0];
      const evaluated = this.evaluate(argument[1]);
      if (!evaluated.ok) return evaluated;
      attribute = evaluated.value;
    }
    if (typeof logicalId !== "string" || typeof attribute !== "string") {
      return unresolvable(node, "Fn::GetAtt takes [LogicalId, Attribute]");
    }
    const resource = this.#resources[logicalId];
    if (
      isRecord(resource) &&
      isFunctionType(resource.Type) &&
      attribute === "Arn"
    ) {
      const name = this.#functionName(node, logicalId, resource);
      if (!name.ok) return name;
      const region = this.#pseudo.get("AWS::Region") as string;
      const account = this.#pseudo.get("AWS::AccountId") as string;
      return ok(
        `arn:aws:lambda:${region}:${account}:function:${String(name.value)}`,
      );
    }
    return unresolvable(
      node,
      isRecord(resource)
        ? `attribute ${attribute} of ${logicalId} (${String(resource.Type)}) exists only once deployed`
        : `the template has no resource ${logicalId}`,
    );
  }

  #sub(node: unknown, argument: unknown): Evaluated {
    let template: unknown = argument;
    let variables: Record<string, unknown> = {};
    if (isList(argument)) {
      [template] = argument;
      variables = isRecord(argument[1]) ? argument[1] : {};
    }
    if (typeof template !== "string") {
      return unresolvable(
        node,
        "Fn::Sub takes a string, or [string, variables]",
      );
    }
    let out = "";
    let at = 0;
    for (const match of template.matchAll(/\$\{([^}]*)\}/g)) {
      const inner = match[1] ?? "";
      out += template.slice(at, match.index);
      at = match.index + match[0].length;
      if (inner.startsWith("!")) {
        out += `\${${inner.slice(1)}}`;
        continue;
      }
      const name = inner.trim();
      let value: Evaluated;
      if (Object.hasOwn(variables, name))
        value = this.evaluate(variables[name]);
      else if (name.includes(".") && !name.startsWith("AWS::")) {
        value = this.#getAtt({ "Fn::GetAtt": name }, name);
      } else value = this.#ref({ Ref: name }, name);
      if (!value.ok) return value;
      if (!isScalar(value.value)) {
        return unresolvable(node, `\${${name}} is not a single value`);
      }
      out += String(value.value);
    }
    return ok(out + template.slice(at));
  }

  #join(node: unknown, argument: unknown): Evaluated {
    if (!isList(argument) || argument.length !== 2) {
      return unresolvable(node, "Fn::Join takes [delimiter, list]");
    }
    const [delimiter, list] = argument as [unknown, unknown];
    const items = this.evaluate(list);
    if (!items.ok) return items;
    if (
      typeof delimiter !== "string" ||
      !isList(items.value) ||
      !items.value.every(isScalar)
    ) {
      return unresolvable(
        node,
        "Fn::Join takes a delimiter and a list of values",
      );
    }
    return ok(items.value.map(String).join(delimiter));
  }

  #select(node: unknown, argument: unknown): Evaluated {
    if (!isList(argument) || argument.length !== 2) {
      return unresolvable(node, "Fn::Select takes [index, list]");
    }
    const index = this.evaluate(argument[0]);
    if (!index.ok) return index;
    const list = this.evaluate(argument[1]);
    if (!list.ok) return list;
    const at = Number(index.value);
    if (
      !isList(list.value) ||
      !Number.isInteger(at) ||
      at < 0 ||
      at >= list.value.length
    ) {
      return unresolvable(node, "its index is not within the list");
    }
    return ok(list.value[at]);
  }

  #split(node: unknown, argument: unknown): Evaluated {
    if (!isList(argument) || argument.length !== 2) {
      return unresolvable(node, "Fn::Split takes [delimiter, string]");
    }
    const text = this.evaluate(argument[1]);
    if (!text.ok) return text;
    const delimiter = argument[0];
    if (typeof delimiter !== "string" || typeof text.value !== "string") {
      return unresolvable(node, "Fn::Split takes a delimiter and a string");
    }
    return ok(text.value.split(delimiter));
  }

  #if(node: unknown, argument: unknown): Evaluated {
    if (
      !isList(argument) ||
      argument.length !== 3 ||
      typeof argument[0] !== "string"
    ) {
      return unresolvable(
        node,
        "Fn::If takes [condition, value if true, value if false]",
      );
    }
    const condition = this.#condition(argument[0]);
    if (!condition.ok) return condition;
    return this.evaluate(condition.value === true ? argument[1] : argument[2]);
  }

  #findInMap(node: unknown, argument: unknown): Evaluated {
    if (!isList(argument) || argument.length < 3) {
      return unresolvable(
        node,
        "Fn::FindInMap takes [map, top-level key, second-level key]",
      );
    }
    const keys: string[] = [];
    for (const item of argument.slice(0, 3)) {
      const key = this.evaluate(item);
      if (!key.ok) return key;
      if (!isScalar(key.value))
        return unresolvable(node, "its keys are not single values");
      keys.push(String(key.value));
    }
    const [mapName = "", top = "", second = ""] = keys;
    const map = this.#mappings[mapName];
    const level = isRecord(map) ? map[top] : undefined;
    const value = isRecord(level) ? level[second] : undefined;
    if (value !== undefined) return ok(value);
    const fallback: unknown = argument[3];
    if (isRecord(fallback) && fallback.DefaultValue !== undefined) {
      return this.evaluate(fallback.DefaultValue);
    }
    return unresolvable(
      node,
      `Mappings has no ${mapName} > ${top} > ${second}`,
    );
  }

  #logical(node: unknown, name: string, argument: unknown): Evaluated {
    if (!isList(argument)) return unresolvable(node, `${name} takes a list`);
    const values: unknown[] = [];
    for (const item of argument) {
      const value = this.evaluate(item);
      if (!value.ok) return value;
      values.push(value.value);
    }
    switch (name) {
      case "Fn::Equals":
        return values.length === 2
          ? ok(sameValue(values[0], values[1]))
          : unresolvable(node, "Fn::Equals takes two values");
      case "Fn::Not":
        return values.length === 1 && typeof values[0] === "boolean"
          ? ok(!values[0])
          : unresolvable(node, "Fn::Not takes one condition");
      default: {
        if (!values.every((value) => typeof value === "boolean")) {
          return unresolvable(node, `${name} takes conditions`);
        }
        return ok(
          name === "Fn::And" ? values.every(Boolean) : values.some(Boolean),
        );
      }
    }
  }

  #condition(name: string): Evaluated {
    const known = this.#conditionValues.get(name);
    if (known !== undefined) return ok(known);
    const node = { Condition: name };
    if (!Object.hasOwn(this.#conditions, name)) {
      return unresolvable(node, `the template has no condition ${name}`);
    }
    if (this.#conditionsInProgress.has(name)) {
      return unresolvable(node, `condition ${name} depends on itself`);
    }
    this.#conditionsInProgress.add(name);
    try {
      const result = this.evaluate(this.#conditions[name]);
      if (!result.ok) return result;
      if (typeof result.value !== "boolean") {
        return unresolvable(node, `condition ${name} is not true or false`);
      }
      this.#conditionValues.set(name, result.value);
      return result;
    } finally {
      this.#conditionsInProgress.delete(name);
    }
  }
}

// -------------------------------------------------------------------------------------------------
// Functions
// -------------------------------------------------------------------------------------------------

/** Reads the fields thaw needs from one function resource. */
class FunctionReader {
  readonly #context: TemplateContext;
  readonly #logicalId: string;
  readonly #type: FunctionResourceType;
  readonly #properties: Record<string, unknown>;
  readonly #warnings: string[];
  readonly #sam: boolean;

  constructor(
    context: TemplateContext,
    logicalId: string,
    type: FunctionResourceType,
    properties: Record<string, unknown>,
    warnings: string[],
  ) {
    this.#context = context;
    this.#logicalId = logicalId;
    this.#type = type;
    this.#properties = properties;
    this.#warnings = warnings;
    this.#sam = type === "AWS::Serverless::Function";
  }

  read(): TemplateFunction {
    const runtime = this.#string("Runtime");
    const packageType = this.#string("PackageType");
    if (packageType === "Image") {
      throw this.#error(
        "PackageType",
        "container images are not supported: thaw runs .zip packages. Give the function a Runtime, a Handler and its code as a folder or zip.",
      );
    }
    if (runtime === undefined) {
      throw this.#error(
        "Runtime",
        "is missing. thaw runs .zip packages, which need a Runtime (e.g. nodejs20.x, python3.12, provided.al2023).",
      );
    }
    const handler =
      this.#string("Handler") ??
      (runtime.startsWith("provided") ? "bootstrap" : undefined);
    if (handler === undefined) {
      throw this.#error(
        "Handler",
        `is missing; ${runtime} needs one (e.g. index.handler).`,
      );
    }
    const functionName = this.#string("FunctionName") ?? this.#logicalId;
    const memorySize = this.#integer("MemorySize");
    const timeout = this.#integer("Timeout");
    const environment = this.#environment();
    this.#checkConfig({
      functionName,
      runtime,
      handler,
      memorySize,
      timeout,
      environment,
    });
    const provisioned = this.#sam
      ? this.#integer(
          "ProvisionedConcurrencyConfig",
          "ProvisionedConcurrentExecutions",
        )
      : undefined;
    const autoPublishAlias = this.#sam
      ? this.#string("AutoPublishAlias")
      : undefined;
    if (provisioned !== undefined && autoPublishAlias === undefined) {
      throw this.#error(
        "ProvisionedConcurrencyConfig",
        "needs AutoPublishAlias: SAM applies provisioned concurrency to that alias. Add AutoPublishAlias (e.g. live).",
      );
    }
    const applyOn = this.#string("SnapStart", "ApplyOn");
    if (
      applyOn !== undefined &&
      applyOn !== "PublishedVersions" &&
      applyOn !== "None"
    ) {
      throw this.#error(
        "SnapStart.ApplyOn",
        `is ${applyOn}; it must be PublishedVersions or None.`,
      );
    }
    const tracing = this.#sam
      ? this.#string("Tracing")
      : this.#string("TracingConfig", "Mode");
    if (
      tracing !== undefined &&
      tracing !== "Active" &&
      tracing !== "PassThrough"
    ) {
      throw this.#error(
        this.#sam ? "Tracing" : "TracingConfig.Mode",
        `is ${tracing}; it must be Active or PassThrough.`,
      );
    }
    return {
      logicalId: this.#logicalId,
      resourceType: this.#type,
      functionName,
      codePath: this.#codePath(),
      runtime,
      handler,
      memorySize,
      timeout,
      description: this.#string("Description"),
      environment,
      architectures: this.#stringList("Architectures"),
      ephemeralStorageSize: this.#integer("EphemeralStorage", "Size"),
      tracingMode: tracing,
      reservedConcurrency: this.#integer("ReservedConcurrentExecutions"),
      provisionedConcurrency: provisioned,
      autoPublishAlias,
      snapStartApplyOn: applyOn,
    };
  }

  /** The code's absolute path: SAM's `CodeUri` (default `.`, as sam local) or Lambda's `Code`. */
  #codePath(): string {
    if (this.#sam) {
      if (this.#properties.InlineCode !== undefined) {
        throw this.#error(
          "InlineCode",
          "is not supported: put the code in a folder beside the template and point CodeUri at it.",
        );
      }
      const uri = this.#value("CodeUri");
      if (uri === undefined) return this.#path(".");
      if (typeof uri === "string") return this.#path(uri);
      throw this.#error(
        "CodeUri",
        "is an S3 location; thaw runs local code only. Point CodeUri at the function's folder or zip, relative to the template.",
      );
    }
    const code = this.#value("Code");
    if (typeof code === "string") return this.#path(code);
    if (isRecord(code) && code.ZipFile !== undefined) {
      throw this.#error(
        "Code.ZipFile",
        "inline source is not supported: put the code in a folder and set Code to its path (as aws cloudformation package accepts).",
      );
    }
    throw this.#error(
      "Code",
      code === undefined
        ? "is missing. Set it to the path of the function's folder or zip, relative to the template."
        : "names S3 or an image; thaw runs local code only. Set Code to the path of the function's folder or zip, relative to the template.",
    );
  }

  #path(uri: string): string {
    if (/^s3:\/\//i.test(uri)) {
      throw this.#error(
        this.#sam ? "CodeUri" : "Code",
        `is ${uri}, an S3 location; thaw runs local code only. Point it at the function's folder or zip.`,
      );
    }
    return isAbsolute(uri) ? uri : resolve(this.#context.baseDir, uri);
  }

  #environment(): Record<string, string> {
    const environment = this.#properties.Environment;
    if (environment === undefined) return {};
    const evaluatedEnvironment = isIntrinsic(environment)
      ? this.#evaluate("Environment", environment)
      : environment;
    if (evaluatedEnvironment === NO_VALUE || evaluatedEnvironment === undefined)
      return {};
    if (!isRecord(evaluatedEnvironment)) {
      throw this.#error("Environment", "must be a mapping with Variables.");
    }
    let variables = evaluatedEnvironment.Variables;
    if (variables === undefined) return {};
    if (isIntrinsic(variables))
      variables = this.#evaluate("Environment.Variables", variables);
    if (!isRecord(variables)) {
      throw this.#error(
        "Environment.Variables",
        "must be a mapping of names to values.",
      );
    }
    const out: Record<string, string> = {};
    for (const [name, raw] of Object.entries(variables)) {
      const field = `Environment.Variables.${name}`;
      const value = this.#context.evaluate(raw);
      if (!value.ok) {
        if (this.#context.strictEnvironment)
          throw this.#unresolvable(field, value);
        this.#warnings.push(
          `${this.#context.source}: function ${this.#logicalId}: ${field} is set to "" because ${value.expression} cannot be evaluated locally (${value.why}).`,
        );
        out[name] = "";
        continue;
      }
      if (value.value === NO_VALUE) continue;
      if (!isScalar(value.value)) {
        throw this.#error(field, "must be a string, a number or a boolean.");
      }
      out[name] = String(value.value);
    }
    return out;
  }

  /** Runs createFunctionConfig's checks (name, runtime, handler, ranges, environment keys). */
  #checkConfig(input: {
    readonly functionName: string;
    readonly runtime: string;
    readonly handler: string;
    readonly memorySize: number | undefined;
    readonly timeout: number | undefined;
    readonly environment: Readonly<Record<string, string>>;
  }): void {
    try {
      createFunctionConfig({
        functionName: input.functionName,
        runtime: input.runtime,
        handler: input.handler,
        environment: input.environment,
        ...(input.memorySize === undefined
          ? {}
          : { memorySize: input.memorySize }),
        ...(input.timeout === undefined ? {} : { timeout: input.timeout }),
      });
    } catch (err) {
      if (!(err instanceof InvalidParameterValueError)) throw err;
      throw new InvalidParameterValueError(
        `${this.#context.source}: function ${this.#logicalId}: ${err.message}`,
        { cause: err },
      );
    }
  }

  /** The evaluated value of a property (or of a field inside it); undefined when absent. */
  #value(...path: readonly string[]): unknown {
    let node: unknown = this.#properties;
    const field = path.join(".");
    for (const key of path) {
      if (isIntrinsic(node)) node = this.#evaluate(field, node);
      if (!isRecord(node)) return undefined;
      node = node[key];
    }
    if (node === undefined) return undefined;
    const value = this.#evaluate(field, node);
    return value === NO_VALUE ? undefined : value;
  }

  #evaluate(field: string, node: unknown): unknown {
    const result = this.#context.evaluate(node);
    if (!result.ok) throw this.#unresolvable(field, result);
    return result.value;
  }

  #string(...path: readonly string[]): string | undefined {
    const value = this.#value(...path);
    if (value === undefined || typeof value === "string") return value;
    if (typeof value === "number") return String(value);
    throw this.#error(path.join("."), "must be a string.");
  }

  #stringList(...path: readonly string[]): readonly string[] | undefined {
    const value = this.#value(...path);
    if (value === undefined) return undefined;
    if (
      isList(value) &&
      value.every((item): item is string => typeof item === "string")
    ) {
      return value;
    }
    throw this.#error(path.join("."), "must be a list of strings.");
  }

  #integer(...path: readonly string[]): number | undefined {
    const value = this.#value(...path);
    if (value === undefined) return undefined;
    const number =
      typeof value === "string" && value.trim() !== "" ? Number(value) : value;
    if (typeof number === "number" && Number.isInteger(number)) return number;
    throw this.#error(
      path.join("."),
      `is ${JSON.stringify(value)}; it must be a whole number.`,
    );
  }

  #unresolvable(
    field: string,
    result: Extract<Evaluated, { ok: false }>,
  ): InvalidParameterValueError {
    return this.#error(
      field,
      `cannot evaluate ${result.expression}: ${result.why}. thaw evaluates only what is known before deployment (parameters with an override or a Default, pseudo parameters, the template's functions, Mappings and Conditions); replace the expression with a value, or give the parameter a Default.`,
    );
  }

  #error(field: string, problem: string): InvalidParameterValueError {
    return new InvalidParameterValueError(
      `${this.#context.source}: function ${this.#logicalId}: ${field} ${problem}`,
    );
  }
}

// -------------------------------------------------------------------------------------------------
// Helpers
// -------------------------------------------------------------------------------------------------

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `Array.isArray` without the `any[]` it narrows to. */
function isList(value: unknown): value is readonly unknown[] {
  return Array.isArray(value);
}

function isScalar(value: unknown): value is string | number | boolean {
  return (
    typeof value === "string" ||
    typeof value === "number" ||
    typeof value === "boolean"
  );
}

function isFunctionType(type: unknown): boolean {
  return (
    type === "AWS::Serverless::Function" || type === "AWS::Lambda::Function"
  );
}

/** The intrinsic function a one-key mapping is (`Ref`, `Condition`, `Fn::…`), if it is one. */
function intrinsicOf(
  node: Record<string, unknown>,
): { readonly name: string; readonly argument: unknown } | undefined {
  const keys = Object.keys(node);
  if (keys.length !== 1) return undefined;
  const [name = ""] = keys;
  if (name === "Ref" || name === "Condition" || name.startsWith("Fn::")) {
    return { name, argument: node[name] };
  }
  return undefined;
}

function isIntrinsic(value: unknown): boolean {
  return isRecord(value) && intrinsicOf(value) !== undefined;
}

/** Equality as `Fn::Equals` compares: scalars by their text, anything else by its JSON. */
function sameValue(a: unknown, b: unknown): boolean {
  if (isScalar(a) && isScalar(b)) return String(a) === String(b);
  return JSON.stringify(a) === JSON.stringify(b);
}

/** An expression as a template author would write it: `!Ref Table`, `!GetAtt Queue.Arn`. */
function render(node: unknown): string {
  if (isRecord(node)) {
    const intrinsic = intrinsicOf(node);
    if (intrinsic !== undefined) {
      const short =
        intrinsic.name === "Ref" || intrinsic.name === "Condition"
          ? intrinsic.name
          : intrinsic.name.slice("Fn::".length);
      const argument = intrinsic.argument;
      if (short === "GetAtt" && isList(argument) && argument.every(isScalar)) {
        return `!GetAtt ${argument.map(String).join(".")}`;
      }
      return typeof argument === "string"
        ? `!${short} ${argument}`
        : `!${short} ${JSON.stringify(argument)}`;
    }
  }
  return JSON.stringify(node);
}

function firstLine(text: string): string {
  return text.split("\n", 1)[0] ?? text;
}
