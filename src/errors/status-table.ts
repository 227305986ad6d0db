/** The one table from a service exception's name to its HTTP status (spec §5.4, §6). */
export const SERVICE_EXCEPTION_STATUS = {
  InvalidParameterValueException: 400,
  InvalidRequestContentException: 400,
  ValidationException: 400,
  ResourceNotFoundException: 404,
  UnknownOperationException: 404,
  ProvisionedConcurrencyConfigNotFoundException: 404,
  ResourceConflictException: 409,
  MethodNotAllowedException: 405,
  PreconditionFailedException: 412,
  RequestTooLargeException: 413,
  UnsupportedMediaTypeException: 415,
  TooManyRequestsException: 429,
  ServiceException: 500,
  InvalidRuntimeException: 502,
  InvalidZipFileException: 502,
  ResourceNotReadyException: 502,
} as const satisfies Readonly<Record<string, number>>;

/** Every service exception name thaw answers with. */
export type ServiceExceptionName = keyof typeof SERVICE_EXCEPTION_STATUS;
