// Errors thrown by the Cloudflare client. None of them has a property named `id`: the Pulumi engine
// reads `id` on a thrown error as "the resource was partially created".

const BRAND: unique symbol = Symbol.for("pulumi-cloudflare-certificate-priority/CloudflareError") as never;

/** One of Cloudflare's error entries: its numeric code and text. */
export interface CloudflareApiError {
    code: number;
    message: string;
}

/** What every Cloudflare error records about the failed call. */
export interface CloudflareErrorDetails {
    /** The full message, already formatted and redacted. */
    message: string;
    operation: string;
    attempts: number;
    elapsedMs: number;
    status?: number | undefined;
    errors?: ReadonlyArray<CloudflareApiError> | undefined;
    cfRay?: string | undefined;
}

/** A failed call to the Cloudflare API: status, Cloudflare's codes, the cf-ray id and the effort spent. */
export class CloudflareError extends Error {
    /** The HTTP status, when an answer arrived. */
    readonly status: number | undefined;
    /** Cloudflare's own error codes and messages from the answer's envelope. */
    readonly errors: ReadonlyArray<CloudflareApiError>;
    /** Cloudflare's request id; quote it to Cloudflare support. */
    readonly cfRay: string | undefined;
    /** What the client was doing, such as "list custom certificates of zone 023e…". */
    readonly operation: string;
    /** How many requests were sent, retries included. */
    readonly attempts: number;
    /** Time spent on the call, waits between retries included. */
    readonly elapsedMs: number;

    constructor(details: CloudflareErrorDetails) {
        super(details.message);
        Object.setPrototypeOf(this, new.target.prototype);

        // The brand, not the constructor's name, so the name survives bundling and serialization.
        this.name = (new.target.prototype as Partial<Branded>)[BRAND] ?? "CloudflareError";
        this.status = details.status;
        this.errors = details.errors ?? [];
        this.cfRay = details.cfRay;
        this.operation = details.operation;
        this.attempts = details.attempts;
        this.elapsedMs = details.elapsedMs;
    }
}

/** The credentials were rejected or lack permission on the zone (HTTP 401 or 403). */
export class CloudflareAuthError extends CloudflareError {}

/** The zone or certificate does not exist, or the credentials cannot see it (404, codes 7000, 7003). */
export class CloudflareNotFoundError extends CloudflareError {
    /** The zone the call addressed. */
    readonly zoneId: string;
    /** The certificate the call addressed, when it addressed one. */
    readonly certificateId: string | undefined;

    constructor(details: CloudflareErrorDetails & { zoneId: string; certificateId?: string | undefined }) {
        super(details);
        this.zoneId = details.zoneId;
        this.certificateId = details.certificateId;
    }
}

/** Cloudflare kept answering 429 Too Many Requests until the retry budget ran out. */
export class CloudflareRateLimitError extends CloudflareError {
    /** The wait Cloudflare last asked for with `retry-after`, when it sent one. */
    readonly retryAfterMs: number | undefined;

    constructor(details: CloudflareErrorDetails & { retryAfterMs?: number | undefined }) {
        super(details);
        this.retryAfterMs = details.retryAfterMs;
    }
}

/** Cloudflare kept answering with a 5xx status until the retry budget ran out. */
export class CloudflareServerError extends CloudflareError {}

/** No answer arrived: the attempt timed out or the connection failed or dropped. */
export class CloudflareNetworkError extends CloudflareError {
    /** Whether the last attempt timed out or lost its connection. */
    readonly failure: "timeout" | "connection";
    /** The system or undici error code of a connection failure, such as ECONNRESET. */
    readonly causeCode: string | undefined;

    constructor(
        details: CloudflareErrorDetails & { failure: "timeout" | "connection"; causeCode?: string | undefined },
    ) {
        super(details);
        this.failure = details.failure;
        this.causeCode = details.causeCode;
    }
}

/** The answer was not the JSON Cloudflare documents: unparsable, `success: false`, or off-schema. */
export class CloudflareResponseError extends CloudflareError {}

/** Cloudflare rejected the request itself (another 4xx, such as 400 with code 1002). */
export class CloudflareRequestError extends CloudflareError {}

type Branded = { [BRAND]: string };

/** True for any error thrown by this package's Cloudflare client, from whichever copy of it. */
export function isCloudflareError(value: unknown): value is CloudflareError {
    return typeof value === "object" && value !== null && BRAND in value;
}

function brand(errorClass: { prototype: object }, name: string): void {
    Object.defineProperty(errorClass.prototype, BRAND, { value: name, enumerable: false });
}

brand(CloudflareError, "CloudflareError");
brand(CloudflareAuthError, "CloudflareAuthError");
brand(CloudflareNotFoundError, "CloudflareNotFoundError");
brand(CloudflareRateLimitError, "CloudflareRateLimitError");
brand(CloudflareServerError, "CloudflareServerError");
brand(CloudflareNetworkError, "CloudflareNetworkError");
brand(CloudflareResponseError, "CloudflareResponseError");
brand(CloudflareRequestError, "CloudflareRequestError");
