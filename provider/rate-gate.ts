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

    constructor(private readonly now: () => number = Date.now) {}

    /**
     * Takes one request's place in the window, and says how long to wait first: until a pause ends,
     * or, when Cloudflare reported no requests left, until its window resets. Zero when free to go.
     */
    admit(alreadyWaited: number | undefined): GateWait {
        const now = this.now();
        if (now < this.#pausedUntil && alreadyWaited !== this.#pause) {
            return { ms: this.#pausedUntil - now, pause: this.#pause };
        }
        if (now >= this.#resetAt) {
            this.#remaining = undefined;
        }
        if (this.#remaining !== undefined && this.#remaining <= 0) {
            return { ms: this.#resetAt - now, pause: this.#pause };
        }

        if (this.#remaining !== undefined) {
            this.#remaining -= 1;
        }
        return { ms: 0, pause: this.#pause };
    }

    /**
     * Learns from an answer: Cloudflare's `ratelimit` header (`r` left, `t` seconds to the reset),
     * and a 429's wait, which then holds back every request of the process, not only the refused one.
     */
    observe(status: number, ratelimit: string | undefined, retryAfterMs: number | undefined): number {
        const now = this.now();
        const reported = parseRateLimit(ratelimit);
        if (reported !== undefined) {
            this.#remaining = Math.min(reported.remaining, this.#remaining ?? reported.remaining);
            this.#resetAt = now + reported.resetSeconds * 1000;
        }
        if (status === 429 && retryAfterMs !== undefined && now + retryAfterMs > this.#pausedUntil) {
            this.#pausedUntil = now + retryAfterMs;
            this.#pause += 1;
        }
        return this.#pause;
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
