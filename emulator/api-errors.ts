// The failures the emulator answers with, in Cloudflare's envelope. Codes, texts and statuses marked
// "observed" are what api.cloudflare.com answers (seen in public bug reports and SDK fixtures);
// Cloudflare documents no code for the others, and those marked "emulator" are this emulator's own
// choice, kept in the ranges Cloudflare uses for the same kind of failure.

/** One entry of an envelope's `errors`, as Cloudflare writes it. */
export interface ApiMessage {
    code: number;
    message: string;
    source?: { pointer: string };
    /** Cloudflare nests the individual header problems of code 6003 here. */
    error_chain?: ApiMessage[];
}

/** A failed answer: its HTTP status, Cloudflare's error entries and any extra headers. */
export class ApiFailure {
    constructor(
        readonly status: number,
        readonly errors: ReadonlyArray<ApiMessage>,
        readonly headers: Readonly<Record<string, string>> = {},
    ) {}
}

/** The numeric codes the emulator answers with. */
export const ErrorCode = {
    /** observed: no credentials at all (400). */
    MISSING_AUTH: 9106,
    /** observed: a credential header is malformed (400); the details sit in `error_chain`. */
    INVALID_HEADERS: 6003,
    /** observed: inside 6003, the X-Auth-Email header is malformed. */
    INVALID_EMAIL_HEADER: 6102,
    /** observed: inside 6003, the X-Auth-Key header is malformed. */
    INVALID_KEY_HEADER: 6103,
    /** observed: inside 6003, the Authorization header is malformed. */
    INVALID_AUTHORIZATION_HEADER: 6111,
    /** observed: a well-formed API key and email that match no account (403). */
    UNKNOWN_API_KEY: 9103,
    /** observed: a well-formed token that is not valid (403). */
    INVALID_TOKEN: 9109,
    /** observed: valid credentials without access to the zone (403). */
    AUTHENTICATION_ERROR: 10000,
    /** observed: a token that may read but not write (405). */
    METHOD_NOT_ALLOWED_FOR_TOKEN: 10405,
    /** observed: the path names an object that cannot be routed to. */
    COULD_NOT_ROUTE: 7003,
    /** observed: no API lives at that path (400). */
    NO_ROUTE: 7000,
    /** observed: the path exists but not for that method (405). */
    METHOD_NOT_AVAILABLE: 7001,
    /** observed: too many requests (429, with retry-after). */
    RATE_LIMITED: 971,
    /** documented for Cloudflare's SSL for SaaS API: the body is not JSON (400). */
    INVALID_JSON: 1400,
    /** emulator: the zone holds no certificate with that id (404). */
    CERTIFICATE_NOT_FOUND: 1002,
    /** emulator: a query parameter or body field has a wrong value (400). */
    INVALID_INPUT: 1004,
    /** emulator: an injected server failure. */
    INTERNAL_ERROR: 1000,
} as const;

/** No credentials were sent. */
export function missingAuth(): ApiFailure {
    const message = "Missing X-Auth-Key, X-Auth-Email or Authorization headers";
    return new ApiFailure(400, [{ code: ErrorCode.MISSING_AUTH, message }]);
}

/** One or more credential headers are malformed; each problem becomes one entry of the chain. */
export function invalidHeaders(chain: ApiMessage[]): ApiFailure {
    const message = "Invalid request headers";
    return new ApiFailure(400, [{ code: ErrorCode.INVALID_HEADERS, message, error_chain: chain }]);
}

/** The bearer token is well-formed but not one the emulator knows. */
export function invalidToken(): ApiFailure {
    return new ApiFailure(403, [{ code: ErrorCode.INVALID_TOKEN, message: "Invalid access token" }]);
}

/** The API key and email are well-formed but match no account. */
export function unknownApiKey(): ApiFailure {
    return new ApiFailure(403, [{ code: ErrorCode.UNKNOWN_API_KEY, message: "Unknown X-Auth-Key or X-Auth-Email" }]);
}

/** The credentials are valid but do not reach this zone. */
export function authenticationError(): ApiFailure {
    return new ApiFailure(403, [{ code: ErrorCode.AUTHENTICATION_ERROR, message: "Authentication error" }]);
}

/** The token may read this zone but not change it. */
export function readOnlyToken(): ApiFailure {
    const message = "Method not allowed for this authentication scheme";
    return new ApiFailure(405, [{ code: ErrorCode.METHOD_NOT_ALLOWED_FOR_TOKEN, message }]);
}

/** A malformed object id in the path: Cloudflare's router cannot place it. */
export function malformedIdentifier(path: string): ApiFailure {
    return new ApiFailure(400, [couldNotRoute(path), noRouteMessage()]);
}

/** A well-formed zone id that names no zone. */
export function unknownZone(path: string): ApiFailure {
    return new ApiFailure(404, [couldNotRoute(path)]);
}

/** Nothing is served at this path. */
export function noRoute(): ApiFailure {
    return new ApiFailure(400, [noRouteMessage()]);
}

/** The path is served, but not for this method. */
export function methodNotAvailable(method: string, allowed: ReadonlyArray<string>): ApiFailure {
    const message = `Method ${method} not available for that URI.`;
    return new ApiFailure(405, [{ code: ErrorCode.METHOD_NOT_AVAILABLE, message }], { allow: allowed.join(", ") });
}

/** The request body could not be parsed as JSON. */
export function invalidJson(): ApiFailure {
    const message = "Unable to decode the JSON request body. Check your input and try again.";
    return new ApiFailure(400, [{ code: ErrorCode.INVALID_JSON, message }]);
}

/** Query parameters or body fields with wrong values; one entry per problem. */
export function invalidInput(problems: ReadonlyArray<{ message: string; pointer?: string }>): ApiFailure {
    return new ApiFailure(
        400,
        problems.map(({ message, pointer }) => ({
            code: ErrorCode.INVALID_INPUT,
            message,
            ...(pointer === undefined ? {} : { source: { pointer } }),
        })),
    );
}

/** Certificates that the zone does not hold; `pointer` locates each in the request body. */
export function certificatesNotFound(missing: ReadonlyArray<{ id: string; pointer?: string }>): ApiFailure {
    return new ApiFailure(
        404,
        missing.map(({ id, pointer }) => ({
            code: ErrorCode.CERTIFICATE_NOT_FOUND,
            message: `Certificate ${id} was not found in this zone`,
            ...(pointer === undefined ? {} : { source: { pointer } }),
        })),
    );
}

/** The request body is over the size the emulator reads. */
export function bodyTooLarge(limitBytes: number): ApiFailure {
    // The rest of the body was drained unread; a fresh connection is the safer next step.
    const message = `The request body is larger than ${limitBytes} bytes`;
    return new ApiFailure(413, [{ code: ErrorCode.INVALID_INPUT, message }], { connection: "close" });
}

/** Too many requests; the client should wait `retryAfterSeconds`. `headers` adds the rate-limit headers. */
export function rateLimited(retryAfterSeconds: number, headers: Readonly<Record<string, string>> = {}): ApiFailure {
    return new ApiFailure(
        429,
        [{ code: ErrorCode.RATE_LIMITED, message: "Please wait and consider throttling your request speed" }],
        { ...headers, "retry-after": String(retryAfterSeconds) },
    );
}

/** A 200 that says success: false, as Cloudflare sometimes answers; injected by a test. */
export function unsuccessful(code: number): ApiFailure {
    const message = "The request could not be completed (injected by the emulator)";
    return new ApiFailure(200, [{ code, message }]);
}

/** A server failure injected by a test. */
export function serverError(status: number): ApiFailure {
    const message = "Internal server error (injected by the emulator)";
    return new ApiFailure(status, [{ code: ErrorCode.INTERNAL_ERROR, message }]);
}

/** The body of a failed answer: Cloudflare's envelope with a null result. */
export function failureEnvelope(failure: ApiFailure): Record<string, unknown> {
    return { success: false, errors: failure.errors, messages: [], result: null };
}

// Newer Cloudflare answers quote the path with its /client/v4 prefix, as the emulator does.
function couldNotRoute(path: string): ApiMessage {
    const message = `Could not route to ${path}, perhaps your object identifier is invalid?`;
    return { code: ErrorCode.COULD_NOT_ROUTE, message };
}

function noRouteMessage(): ApiMessage {
    return { code: ErrorCode.NO_ROUTE, message: "No route for that URI" };
}
