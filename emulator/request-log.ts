// The record of every API request the emulator answered, for tests and benchmarks to read. It
// never holds a credential: the auth headers are reduced to how the request authenticated, and any
// presented secret that turns up elsewhere in the request is replaced before it is stored.

import type { AuthScheme } from "./auth";
import type { FaultKind } from "./faults";

/** One API request and how the emulator answered it. */
export interface RequestLogEntry {
    /** Counts up from 1 for the emulator's whole life; clearing the log does not restart it. */
    seq: number;
    /** When the request arrived, ISO 8601. */
    time: string;
    method: string;
    /** The path as sent, /client/v4 prefix included, without the query. */
    path: string;
    /** The query parameters; the first value of a repeated one. */
    query: Record<string, string>;
    /** The HTTP status answered; 0 when the connection was dropped without an answer. */
    status: number;
    cfRay: string;
    auth: AuthScheme;
    /** The request body: parsed JSON, or the text when it is not JSON. Absent when empty. */
    body?: unknown;
    durationMs: number;
    /** The injected fault that shaped the answer, if any. */
    fault?: FaultKind;
}

/** A new entry before the log numbers it. */
export type NewLogEntry = Omit<RequestLogEntry, "seq">;

const REDACTED = "[REDACTED]";

// Shorter values cannot be real credentials, and replacing them would garble paths in the log.
const MIN_SECRET_LENGTH = 6;

/** The request log, holding the newest `capacity` entries. */
export class RequestLog {
    readonly #capacity: number;
    #entries: RequestLogEntry[] = [];
    #seq = 0;

    constructor(capacity = 100_000) {
        this.#capacity = capacity;
    }

    /** Stores an entry with every presented secret scrubbed out, and returns a copy of it. */
    record(entry: NewLogEntry, secrets: ReadonlyArray<string>): RequestLogEntry {
        this.#seq += 1;
        const stored = scrub({ seq: this.#seq, ...entry }, secrets);
        this.#entries.push(stored);
        if (this.#entries.length > this.#capacity) {
            this.#entries.splice(0, this.#entries.length - this.#capacity);
        }
        return structuredClone(stored);
    }

    /** Copies of the entries, oldest first. */
    entries(): RequestLogEntry[] {
        return structuredClone(this.#entries);
    }

    /** Forgets every entry; sequence numbers carry on. */
    clear(): void {
        this.#entries = [];
    }
}

/** Replaces every occurrence of the secrets, plain or URL-encoded, in all strings and keys of a value. */
export function scrub<T>(value: T, secrets: ReadonlyArray<string>): T {
    const forms = secrets
        .filter((s) => s.length >= MIN_SECRET_LENGTH)
        .flatMap((s) => [s, encodeURIComponent(s)])
        .sort((a, b) => b.length - a.length);
    if (forms.length === 0) {
        return structuredClone(value);
    }

    const clean = (text: string) => forms.reduce((out, secret) => out.split(secret).join(REDACTED), text);
    return walk(value, clean) as T;
}

function walk(value: unknown, clean: (text: string) => string): unknown {
    if (typeof value === "string") {
        return clean(value);
    }
    if (Array.isArray(value)) {
        return value.map((item) => walk(item, clean));
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([key, item]) => [clean(key), walk(item, clean)]));
    }
    return value;
}
