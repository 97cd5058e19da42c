// Everything one emulator holds: the zones, the accepted credentials, the request log, the queued
// faults and the optional rate limit. The HTTP server and the in-process handle share one of these.

import { CredentialTable } from "./auth";
import { FaultQueue } from "./faults";
import { RateLimiter, type RateLimit } from "./rate-limit";
import { RequestLog } from "./request-log";
import type { LoadedSeed } from "./seed-schema";
import { CertificateStore } from "./store";

/** The state of one emulator. */
export class EmulatorState {
    readonly store: CertificateStore;
    readonly credentials: CredentialTable;
    readonly log = new RequestLog();
    readonly faults = new FaultQueue();
    #limiter: RateLimiter | undefined;
    readonly #closing = new AbortController();

    constructor(seed: LoadedSeed, rateLimit?: RateLimit) {
        this.store = new CertificateStore(seed);
        this.credentials = new CredentialTable(seed);
        this.#limiter = rateLimit === undefined ? undefined : new RateLimiter(rateLimit);
    }

    /** The rate limiter, when a limit is set. */
    get limiter(): RateLimiter | undefined {
        return this.#limiter;
    }

    /** Sets a new limit with fresh windows, or lifts it with undefined. */
    setRateLimit(rateLimit: RateLimit | undefined): void {
        this.#limiter = rateLimit === undefined ? undefined : new RateLimiter(rateLimit);
    }

    /** Aborted when the emulator closes, so answers that are waiting stop waiting. */
    get closing(): AbortSignal {
        return this.#closing.signal;
    }

    /** Marks the emulator as closing. */
    shutDown(): void {
        this.#closing.abort();
    }

    /** Back to the seed: zones and certificates as seeded, no queued faults, fresh rate-limit windows. */
    reset(): void {
        this.store.reset();
        this.faults.clear();
        this.#limiter?.reset();
    }
}
