// An optional request budget per credential, like Cloudflare's 1200 requests per 5 minutes per
// user, so benchmarks can measure throughput under a limit and clients can be tested against one.

/** At most `requests` API requests per credential in each window of `windowSeconds`. */
export interface RateLimit {
    requests: number;
    windowSeconds: number;
}

/** Cloudflare's documented limit for its v4 API. */
export const CLOUDFLARE_RATE_LIMIT: Readonly<RateLimit> = { requests: 1200, windowSeconds: 300 };

/** Whether a request may go ahead, what is left of the window, and if refused, how long to wait. */
export type Admission =
    | { ok: true; remaining: number; resetSeconds: number }
    | { ok: false; remaining: 0; resetSeconds: number; retryAfterSeconds: number };

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

    /** The budget this limiter enforces. */
    get limit(): RateLimit {
        return { ...this.#limit };
    }

    /** Counts one request of the credential, or refuses it with the wait until its window ends. */
    admit(credential: string): Admission {
        const now = this.#now();
        const windowMs = this.#limit.windowSeconds * 1000;
        let current = this.#windows.get(credential);
        if (current === undefined || now - current.startedAt >= windowMs) {
            current = { startedAt: now, count: 0 };
            this.#windows.set(credential, current);
        }

        const resetSeconds = Math.max(1, Math.ceil((current.startedAt + windowMs - now) / 1000));
        if (current.count < this.#limit.requests) {
            current.count += 1;
            return { ok: true, remaining: this.#limit.requests - current.count, resetSeconds };
        }
        return { ok: false, remaining: 0, resetSeconds, retryAfterSeconds: resetSeconds };
    }

    /** Starts every credential afresh. */
    reset(): void {
        this.#windows.clear();
    }
}

/**
 * Cloudflare's rate-limit headers, sent on every API answer: `ratelimit` with the remaining
 * quota (r) and the seconds until the window resets (t), and `ratelimit-policy` with the quota (q)
 * and the window (w) in seconds.
 */
export function rateLimitHeaders(limit: RateLimit, remaining: number, resetSeconds: number): Record<string, string> {
    return {
        ratelimit: `"default";r=${remaining};t=${resetSeconds}`,
        "ratelimit-policy": `"default";q=${limit.requests};w=${limit.windowSeconds}`,
    };
}
