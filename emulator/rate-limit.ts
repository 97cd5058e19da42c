// An optional request budget per credential, like Cloudflare's 1200 requests per 5 minutes per
// user, so benchmarks can measure throughput under a limit and clients can be tested against one.

/** At most `requests` API requests per credential in each window of `windowSeconds`. */
export interface RateLimit {
    requests: number;
    windowSeconds: number;
}

/** Cloudflare's documented limit for its v4 API. */
export const CLOUDFLARE_RATE_LIMIT: Readonly<RateLimit> = { requests: 1200, windowSeconds: 300 };

/** Whether a request may go ahead, and if not, how long until the window ends. */
export type Admission = { ok: true } | { ok: false; retryAfterSeconds: number };

/** Counts requests per credential in fixed windows, each starting with its first request. */
export class RateLimiter {
    readonly #limit: RateLimit;
    readonly #now: () => number;
    readonly #windows = new Map<string, { startedAt: number; count: number }>();

    constructor(limit: RateLimit, now: () => number = Date.now) {
        if (!Number.isInteger(limit.requests) || limit.requests < 1) {
            throw new Error(`rateLimit.requests must be a whole number of at least 1, not ${limit.requests}`);
        }
        if (!Number.isFinite(limit.windowSeconds) || limit.windowSeconds <= 0) {
            throw new Error(`rateLimit.windowSeconds must be a positive number, not ${limit.windowSeconds}`);
        }
        this.#limit = { ...limit };
        this.#now = now;
    }

    /** Counts one request of the credential, or refuses it with the wait until its window ends. */
    admit(credential: string): Admission {
        const now = this.#now();
        const windowMs = this.#limit.windowSeconds * 1000;
        const current = this.#windows.get(credential);

        if (current === undefined || now - current.startedAt >= windowMs) {
            this.#windows.set(credential, { startedAt: now, count: 1 });
            return { ok: true };
        }
        if (current.count < this.#limit.requests) {
            current.count += 1;
            return { ok: true };
        }
        return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((current.startedAt + windowMs - now) / 1000)) };
    }

    /** Starts every credential afresh. */
    reset(): void {
        this.#windows.clear();
    }
}
