/**
 * Function names as the Lambda API accepts them (spec §5.1): a name, a partial ARN
 * (`123456789012:function:my-fn`) or a full ARN, each with an optional `:qualifier` suffix that must
 * agree with the `Qualifier` parameter. Parsing is pure and allocation-light; messages are AWS's.
 */
import {
  ServiceException,
  validationException,
} from "../errors/service-exceptions.js";
import type { FunctionRef } from "../protocol/control-plane.js";

/** A parsed {@link FunctionRef}. */
export interface ParsedFunctionName {
  /** The bare function name. */
  readonly name: string;
  /** The qualifier in force (suffix or parameter, which agree); undefined when neither is given. */
  readonly qualifier: string | undefined;
}

/** Where ARNs point: the region and account thaw answers for. */
export interface ArnScope {
  readonly region: string;
  readonly accountId: string;
}

/**
 * The pattern AWS checks `FunctionName` against (botocore's model), with groups for the region,
 * the account, the name and the qualifier.
 */
const FUNCTION_NAME_FORMS =
  /^(?:arn:(?:aws[a-zA-Z-]*)?:lambda:)?(?:([a-z]{2}(?:(?:-gov)|(?:-iso[a-z]?))?-[a-z]+-\d):)?(?:(\d{12}):)?(?:function:)?([a-zA-Z0-9_-]+)(?::(\$LATEST|[a-zA-Z0-9_-]+))?$/;
/** The pattern as AWS prints it in its ValidationException. */
const FUNCTION_NAME_PATTERN_TEXT =
  "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?";
const QUALIFIER_FORM = /^[a-zA-Z0-9$_-]+$/;
const MAX_NAME_LENGTH = 64;
const MAX_ARN_LENGTH = 140;
const MAX_QUALIFIER_LENGTH = 128;

/**
 * Parses a {@link FunctionRef}.
 * @throws {ServiceException} `ValidationException` when the name or the qualifier is malformed;
 *   `InvalidParameterValueException` when the name's qualifier suffix and the `Qualifier`
 *   parameter disagree; `ResourceNotFoundException` when an ARN names another region.
 */
export function parseFunctionRef(
  ref: FunctionRef,
  scope: ArnScope,
): ParsedFunctionName {
  const value = ref.functionName;
  const match = FUNCTION_NAME_FORMS.exec(value);
  if (match === null) {
    throw validationException(
      "functionName",
      value,
      `Member must satisfy regular expression pattern: ${FUNCTION_NAME_PATTERN_TEXT}`,
    );
  }
  const [, region, , name = "", suffix] = match;
  if (name === value && name.length > MAX_NAME_LENGTH) {
    throw validationException(
      "functionName",
      value,
      `Member must have length less than or equal to ${MAX_NAME_LENGTH}`,
    );
  }
  if (value.length > MAX_ARN_LENGTH) {
    throw validationException(
      "functionName",
      value,
      `Member must have length less than or equal to ${MAX_ARN_LENGTH}`,
    );
  }
  if (region !== undefined && region !== scope.region) {
    throw new ServiceException(
      "ResourceNotFoundException",
      `Functions from '${region}' are not reachable in this region ('${scope.region}')`,
    );
  }
  // An empty `?Qualifier=` is no qualifier (the model's pattern allows the empty string).
  const parameter = ref.qualifier === "" ? undefined : ref.qualifier;
  if (parameter !== undefined) {
    if (parameter.length > MAX_QUALIFIER_LENGTH) {
      throw validationException(
        "qualifier",
        parameter,
        `Member must have length less than or equal to ${MAX_QUALIFIER_LENGTH}`,
      );
    }
    if (!QUALIFIER_FORM.test(parameter)) {
      throw validationException(
        "qualifier",
        parameter,
        "Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)",
      );
    }
    if (suffix !== undefined && suffix !== parameter) {
      throw new ServiceException(
        "InvalidParameterValueException",
        "The derived qualifier from the function name does not match the specified qualifier.",
      );
    }
  }
  return { name, qualifier: parameter ?? suffix };
}

/** The function's ARN, qualified when `qualifier` is given. */
export function functionArn(
  name: string,
  scope: ArnScope,
  qualifier?: string,
): string {
  const arn = `arn:aws:lambda:${scope.region}:${scope.accountId}:function:${name}`;
  return qualifier === undefined ? arn : `${arn}:${qualifier}`;
}
