// Faults a test can inject into the emulator's API answers: the ways a real API call goes wrong
// (429 with retry-after, 5xx, slow answers, dropped connections, bodies that are not JSON or are
// cut short, a 200 that says success: false, a result off the schema). Each fault hits a number of
// matching requests, or each matching request with a seeded probability.
//
// Faults that replace the answer (rate-limit, server-error, malformed, unsuccessful, off-schema,
// and drop before the answer) change nothing in the zones. Faults that damage the real answer on
// its way back (slow, truncated, drop in the middle of the answer) serve the request first, so a
// PUT they hit is applied, as it would be when a real connection fails after the server acted.

import { z } from "zod";

import { formatPath } from "./seed-schema";

const MatchSchema = z.strictObject({
    /** Only requests with this method, such as "PUT". */
    method: z.string().min(1).exactOptional(),
    /** Only requests whose path contains this text, such as "/prioritize". */
    path: z.string().min(1).exactOptional(),
});

const shared = {
    /** How many matching requests the fault hits before it is used up: a count, or "always". */
    times: z.union([z.number().int().min(1), z.literal("always")]).default(1),
    /** Which requests it hits; every API request when left out. */
    match: MatchSchema.exactOptional(),
    /** The chance that a matching request is hit; every one when left out. Misses do not count. */
    probability: z.number().gt(0).max(1).exactOptional(),
    /** Seeds the draws for `probability`: the same seed hits the same requests. 1 when left out. */
    seed: z.number().int().exactOptional(),
};

/** A fault to inject, as a test, the command line or the admin endpoint gives it. */
export const FaultSpecSchema = z.discriminatedUnion(
    "kind",
    [
        // 429 Too Many Requests with Cloudflare's code 971, retry-after and rate-limit headers.
        z.strictObject({
            kind: z.literal("rate-limit"),
            retryAfterSeconds: z.number().int().min(0).default(1),
            ...shared,
        }),
        // A 5xx answer in Cloudflare's envelope.
        z.strictObject({
            kind: z.literal("server-error"),
            status: z.number().int().min(500).max(599).default(500),
            ...shared,
        }),
        // The normal answer, after a wait.
        z.strictObject({ kind: z.literal("slow"), delayMs: z.number().int().min(1).max(600_000), ...shared }),
        // The connection is closed before any answer, or after the headers and half of the body.
        z.strictObject({
            kind: z.literal("drop"),
            when: z.enum(["before-answer", "mid-answer"]).exactOptional(),
            ...shared,
        }),
        // 200 with a JSON content type and a body that is not JSON (a proxy's HTML page).
        z.strictObject({ kind: z.literal("malformed"), ...shared }),
        // The real answer cut to half its bytes, delivered as a complete HTTP answer.
        z.strictObject({ kind: z.literal("truncated"), ...shared }),
        // 200 in Cloudflare's envelope with success: false and an error code.
        z.strictObject({
            kind: z.literal("unsuccessful"),
            code: z.number().int().min(1000).exactOptional(),
            ...shared,
        }),
        // 200 with success: true and a result that does not match Cloudflare's schema.
        z.strictObject({ kind: z.literal("off-schema"), ...shared }),
    ],
    {
        error:
            'must name a kind: "rate-limit", "server-error", "slow", "drop", "malformed", "truncated", ' +
            '"unsuccessful" or "off-schema"',
    },
);

/** A fault to inject, as written. */
export type FaultSpec = z.input<typeof FaultSpecSchema>;

/** A checked fault with its defaults filled in. */
export type Fault = z.output<typeof FaultSpecSchema>;

/** The kinds of fault. */
export type FaultKind = Fault["kind"];

/** Every kind of fault, in the order the docs list them. */
export const FAULT_KINDS: ReadonlyArray<FaultKind> = [
    "rate-limit",
    "server-error",
    "slow",
    "drop",
    "malformed",
    "truncated",
    "unsuccessful",
    "off-schema",
];

/** Checks a fault from outside; the problems name each bad field by its path. */
export function checkFault(value: unknown): { fault: Fault } | { problems: string[] } {
    const parsed = FaultSpecSchema.safeParse(value);
    if (parsed.success) {
        return { fault: parsed.data };
    }
    return { problems: parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`) };
}

interface QueuedFault {
    fault: Fault;
    /** Draws a number in [0, 1) for faults with a probability. */
    draw: (() => number) | undefined;
}

/** The injected faults waiting for requests, in the order they were added. */
export class FaultQueue {
    #pending: QueuedFault[] = [];

    /** Queues a checked fault. */
    add(fault: Fault): void {
        const draw = fault.probability === undefined ? undefined : seededRandom(fault.seed ?? 1);
        this.#pending.push({ fault: structuredClone(fault), draw });
    }

    /** The faults not yet used up, with how many hits each has left in `times`. */
    pending(): Fault[] {
        return this.#pending.map((queued) => structuredClone(queued.fault));
    }

    /** Drops every queued fault. */
    clear(): void {
        this.#pending = [];
    }

    /** The first fault that matches the request and hits it, counting one hit against it. */
    take(method: string, path: string): Fault | undefined {
        const index = this.#pending.findIndex((queued) => matches(queued.fault, method, path) && hits(queued));
        const queued = this.#pending[index];
        if (queued === undefined) {
            return undefined;
        }

        const { fault } = queued;
        if (fault.times !== "always") {
            fault.times -= 1;
            if (fault.times === 0) {
                this.#pending.splice(index, 1);
            }
        }
        return structuredClone(fault);
    }
}

function matches(fault: Fault, method: string, path: string): boolean {
    const wanted = fault.match;
    if (wanted?.method !== undefined && wanted.method.toUpperCase() !== method.toUpperCase()) {
        return false;
    }
    return wanted?.path === undefined || path.includes(wanted.path);
}

function hits(queued: QueuedFault): boolean {
    const { probability } = queued.fault;
    return probability === undefined || queued.draw === undefined || queued.draw() < probability;
}

// mulberry32: small, fast and good enough to spread faults; the same seed gives the same draws.
function seededRandom(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
    };
}
