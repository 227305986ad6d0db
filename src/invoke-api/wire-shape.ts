/**
 * Checking the field TYPES of a control-plane request body (spec §6.5): a shape says, for each
 * member the request type declares, which JSON type it must have. Values (ranges, patterns,
 * states) are the service's to check. Unknown members are dropped, JSON `null` counts as absent,
 * and blobs arrive as base64 strings and leave as `Buffer`s. The shape is tied to the request type
 * at compile time, so a member added to a request in `protocol/control-plane.ts` cannot be forgotten.
 */
import {
  invalidRequestContent,
  ServiceException,
  validationException,
} from "../errors/service-exceptions.js";
import { decodeBase64 } from "../util/base64.js";

/** The wire type of one member. */
export type FieldType =
  | "string"
  | "integer"
  | "boolean"
  | "blob"
  | "string-list"
  | "string-map"
  | { readonly [member: string]: FieldType };

type FieldTypeOf<V> = [V] extends [Buffer]
  ? "blob"
  : [V] extends [string]
    ? "string"
    : [V] extends [number]
      ? "integer"
      : [V] extends [boolean]
        ? "boolean"
        : [V] extends [readonly string[]]
          ? "string-list"
          : string extends keyof V
            ? "string-map"
            : ShapeOf<V>;

/** The shape of request type `T`: one {@link FieldType} per member. */
export type ShapeOf<T> = {
  readonly [K in keyof T]-?: FieldTypeOf<NonNullable<T[K]>>;
};

/** A request type's shape and its required members (reported as AWS does, in lower camel case). */
export interface RequestShape<T> {
  readonly members: ShapeOf<T>;
  readonly required: readonly (keyof T & string)[];
}

/**
 * Reads a JSON request body as `T`: parses it (an empty body is `{}`), checks each known member's
 * type and drops unknown members.
 * @throws {ServiceException} `InvalidRequestContentException` when the body is not a JSON object,
 *   `InvalidParameterValueException` for a member of the wrong type (the message names it),
 *   `ValidationException` for a missing required member.
 */
export function readRequest<T>(bytes: Buffer, shape: RequestShape<T>): T {
  const body = parseJson(bytes);
  if (!isObject(body))
    throw invalidRequestContent("the request body must be a JSON object");
  for (const member of shape.required) {
    const value = body[member];
    if (value === undefined || value === null)
      throw validationException(
        lowerCamel(member),
        null,
        "Member must not be null",
      );
  }
  // A parse boundary: the shape, checked member by member, is what makes the result a `T`.
  return readStructure(body, shape.members, "") as T;
}

/**
 * Reads an integer query parameter (`MaxItems`).
 * @throws {ServiceException} `InvalidParameterValueException` when it is not a whole number.
 */
export function readIntegerParameter(
  params: URLSearchParams,
  name: string,
): number | undefined {
  const text = params.get(name);
  if (text === null || text === "") return undefined;
  const value = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(value))
    throw new ServiceException(
      "InvalidParameterValueException",
      `Invalid type for parameter ${name}: expected an integer, got '${text}'.`,
    );
  return value;
}

/** `TextDecoder` with `fatal`: a body that is not UTF-8 is not JSON (Lambda says so too). */
const UTF8 = new TextDecoder("utf-8", { fatal: true });

function parseJson(bytes: Buffer): unknown {
  if (bytes.length === 0) return {};
  try {
    return JSON.parse(UTF8.decode(bytes));
  } catch (error) {
    throw invalidRequestContent(
      error instanceof Error ? error.message : String(error),
      error,
    );
  }
}

type StructureShape = Readonly<Record<string, FieldType>>;

function readStructure(
  value: Record<string, unknown>,
  shape: StructureShape,
  prefix: string,
): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [member, type] of Object.entries(shape)) {
    const field = value[member];
    if (field === undefined || field === null) continue;
    result[member] = readField(field, type, `${prefix}${member}`);
  }
  return result;
}

function readField(value: unknown, type: FieldType, path: string): unknown {
  switch (type) {
    case "string":
      if (typeof value !== "string")
        throw typeMismatch(path, "a string", value);
      return value;
    case "integer":
      if (typeof value !== "number" || !Number.isInteger(value))
        throw typeMismatch(path, "an integer", value);
      return value;
    case "boolean":
      if (typeof value !== "boolean")
        throw typeMismatch(path, "a boolean", value);
      return value;
    case "blob": {
      const bytes = typeof value === "string" ? decodeBase64(value) : undefined;
      if (bytes === undefined)
        throw typeMismatch(path, "a base64-encoded string", value);
      return bytes;
    }
    case "string-list":
      if (!Array.isArray(value)) throw typeMismatch(path, "a list", value);
      value.forEach((item: unknown, index) => {
        if (typeof item !== "string")
          throw typeMismatch(`${path}[${index}]`, "a string", item);
      });
      return value;
    case "string-map":
      if (!isObject(value)) throw typeMismatch(path, "a map", value);
      for (const [key, item] of Object.entries(value)) {
        if (typeof item !== "string")
          throw typeMismatch(`${path}.${key}`, "a string", item);
      }
      return value;
    default:
      if (!isObject(value)) throw typeMismatch(path, "a structure", value);
      return readStructure(value, type, `${path}.`);
  }
}

/** 400 for a member of the wrong JSON type; the message names the member by its path. */
function typeMismatch(
  path: string,
  expected: string,
  value: unknown,
): ServiceException {
  const got = Array.isArray(value)
    ? "a list"
    : value === null
      ? "null"
      : typeof value === "object"
        ? "a structure"
        : typeof value === "number" && !Number.isInteger(value)
          ? `the number ${String(value)}`
          : `a ${typeof value}`;
  return new ServiceException(
    "InvalidParameterValueException",
    `Invalid type for parameter ${path}: expected ${expected}, got ${got}.`,
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function lowerCamel(member: string): string {
  return member.charAt(0).toLowerCase() + member.slice(1);
}
