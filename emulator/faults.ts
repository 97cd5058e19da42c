// Faults a test can inject into the emulator's API answers: the ways a real API call goes wrong
// (429 with retry-after, 5xx, slow answers, dropped connections, bodies that are not JSON), each
// for a number of matching requests.

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
};

/** A fault to inject, as a test or the admin endpoint gives it. */
export const FaultSpecSchema = z.discriminatedUnion(
    "kind",
    [
        // 429 Too Many Requests with Cloudflare's code 971 and a retry-after header.
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
        // The connection is closed without an answer.
        z.strictObject({ kind: z.literal("drop"), ...shared }),
        // 200 with a JSON content type and a body that is not JSON.
        z.strictObject({ kind: z.literal("malformed"), ...shared }),
    ],
    { error: 'must name a kind: "rate-limit", "server-error", "slow", "drop" or "malformed"' },
);

/** A fault to inject, as written. */
export type FaultSpec = z.input<typeof FaultSpecSchema>;

/** A checked fault with its defaults filled in. */
export type Fault = z.output<typeof FaultSpecSchema>;

/** The kinds of fault. */
export type FaultKind = Fault["kind"];

/** Checks a fault from outside; the problems name each bad field by its path. */
export function checkFault(value: unknown): { fault: Fault } | { problems: string[] } {
    const parsed = FaultSpecSchema.safeParse(value);
    if (parsed.success) {
        return { fault: parsed.data };
    }
    return { problems: parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`) };
}

/** The injected faults waiting for requests, in the order they were added. */
export class FaultQueue {
    #pending: Fault[] = [];

    /** Queues a checked fault. */
    add(fault: Fault): void {
        this.#pending.push(structuredClone(fault));
    }

    /** The faults not yet used up, with how many hits each has left in `times`. */
    pending(): Fault[] {
        return structuredClone(this.#pending);
    }

    /** Drops every queued fault. */
    clear(): void {
        this.#pending = [];
    }

    /** The first fault that matches the request, counting one hit against it. */
    take(method: string, path: string): Fault | undefined {
        const index = this.#pending.findIndex((fault) => matches(fault, method, path));
        const fault = this.#pending[index];
        if (fault === undefined) {
            return undefined;
        }

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
