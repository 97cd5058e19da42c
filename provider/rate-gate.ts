// Keeps every request of one process to one Cloudflare account inside the rate limit together.
// Pulumi runs many resource operations at once in one provider process; without a shared view,
// each would discover the limit on its own by drawing a 429, and all would retry at once.

import { createHash } from "node:crypto";

/** What a request waits for before it is sent, and why. */
export interface GateWait {
    ms: number;
    /** The pause this wait covers; a request that already sat one out does not wait for it again. */
    pause: number;
}

/**
 * The shared state of one account at one API origin: how many requests Cloudflare said are left in
 * the current window, when the window resets, and any pause a 429 imposed on everyone.
 */
export class RateGate {
    #remaining: number | undefined;
    #resetAt = 0;
    #pausedUntil = 0;
    #pause = 0;
    #inFlight = 0;
    #quota: number | undefined;
    #windowMs: number | undefined;
    #windowStart: number | undefined;
    #learned = false;
    #learning: Promise<void> | undefined;
    #endLearning: (() => void) | undefined;

    constructor(private readonly now: () => number = Date.now) {}

    /**
     * Until the process has its first answer it knows nothing of the limit, so the first request
     * goes alone: the others wait for its answer (this promise) instead of bursting past the quota.
     * Undefined when there is nothing to wait for.
     */
    untilLearned(): Promise<void> | undefined {
        if (this.#learned || this.#inFlight === 0) {
            return undefined;
        }
        this.#learning ??= new Promise((resolve) => (this.#endLearning = resolve));
        return this.#learning;
    }

    /**
     * Takes one request's place in the window, and says how long to wait first: until a pause ends,
     * or, when Cloudflare reported no requests left, until its window resets. Zero when free to go.
     */
    admit(alreadyWaited: number | undefined): GateWait {
        const now = this.now();
        if (now < this.#pausedUntil && alreadyWaited !== this.#pause) {
            return { ms: this.#pausedUntil - now, pause: this.#pause };
        }
        if (now >= this.#resetAt && this.#remaining !== undefined) {
            // A new window: the whole quota again, less what is still in flight. Without a policy
            // header the quota is unknown, so this request goes alone and learns the window anew.
            this.#remaining = this.#quota === undefined ? undefined : Math.max(0, this.#quota - this.#inFlight);
            this.#resetAt = now + (this.#windowMs ?? 0);
            this.#learned = this.#quota !== undefined;
        }
        if (this.#remaining !== undefined && this.#remaining <= 0) {
            return { ms: this.#resetAt - now, pause: this.#pause };
        }

        if (this.#remaining !== undefined) {
            this.#remaining -= 1;
        }
        this.#inFlight += 1;
        return { ms: 0, pause: this.#pause };
    }

    /**
     * Learns from the end of an attempt admitted earlier: Cloudflare's `ratelimit` header (`r` left,
     * `t` seconds to the reset), and a 429's wait, which then holds back every request of the
     * process, not only the refused one. An attempt that got no answer passes status 0.
     */
    observe(
        status: number,
        ratelimit: string | undefined,
        retryAfterMs: number | undefined,
        policy?: string | undefined,
    ): number {
        const now = this.now();
        this.#inFlight = Math.max(0, this.#inFlight - 1);
        if (!this.#learned) {
            this.#learned = true;
            this.#endLearning?.();
            this.#learning = undefined;
            this.#endLearning = undefined;
        }
        const quota = parseRateLimitPolicy(policy);
        if (quota !== undefined) {
            this.#quota = quota.requests;
            this.#windowMs = quota.windowSeconds * 1000;
        }
        const reported = parseRateLimit(ratelimit);
        if (reported !== undefined) {
            // The latest report wins; requests still in flight may yet spend what it says is left.
            this.#remaining = Math.max(0, reported.remaining - this.#inFlight);
            this.#resetAt = this.windowEnd(now, reported);
        }
        if (status === 429 && retryAfterMs !== undefined && now + retryAfterMs > this.#pausedUntil) {
            this.#pausedUntil = now + retryAfterMs;
            this.#pause += 1;
        }
        return this.#pause;
    }

    // `t` comes in whole seconds, rounded up: with the quota known, the first answer of a window
    // dates its start closer, so the gate does not sit out most of a second it could use.
    private windowEnd(now: number, reported: { remaining: number; resetSeconds: number }): number {
        if (this.#quota !== undefined && reported.remaining >= this.#quota - 1) {
            this.#windowStart = now;
        }
        const byHeader = now + reported.resetSeconds * 1000;
        if (this.#windowStart === undefined || this.#windowMs === undefined) {
            return byHeader;
        }
        const byWindow = this.#windowStart + this.#windowMs;
        return byWindow > now && byWindow < byHeader ? byWindow : byHeader;
    }
}

const gates = new Map<string, RateGate>();

/** The gate shared by every client of this process that calls `origin` with these credentials. */
export function gateFor(origin: string, credential: string): RateGate {
    // Keyed by a digest: the map must never hold a credential itself.
    const key = `${origin} ${createHash("sha256").update(credential).digest("hex")}`;
    let gate = gates.get(key);
    if (gate === undefined) {
        gate = new RateGate();
        gates.set(key, gate);
    }
    return gate;
}

/** Forgets every gate; tests start from a clean slate with it. */
export function resetRateGates(): void {
    gates.clear();
}

/** Reads `"default";q=<requests>;w=<seconds>` (Cloudflare's RateLimit-Policy header). */
export function parseRateLimitPolicy(
    value: string | undefined,
): { requests: number; windowSeconds: number } | undefined {
    const requests = value === undefined ? undefined : /(?:^|;)\s*q=(\d+)/.exec(value)?.[1];
    const window = value === undefined ? undefined : /(?:^|;)\s*w=(\d+)/.exec(value)?.[1];
    if (requests === undefined || window === undefined || Number(requests) < 1 || Number(window) < 1) {
        return undefined;
    }
    return { requests: Number(requests), windowSeconds: Number(window) };
}

/** Reads `"default";r=<left>;t=<seconds>` (Cloudflare's form of the IETF RateLimit header). */
export function parseRateLimit(value: string | undefined): { remaining: number; resetSeconds: number } | undefined {
    if (value === undefined) {
        return undefined;
    }
    const remaining = /(?:^|;)\s*r=(\d+)/.exec(value)?.[1];
    const reset = /(?:^|;)\s*t=(\d+)/.exec(value)?.[1];
    if (remaining === undefined || reset === undefined) {
        return undefined;
    }
    return { remaining: Number(remaining), resetSeconds: Number(reset) };
}
