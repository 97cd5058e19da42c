import { readFileSync } from "node:fs";
import { STATUS_CODES } from "node:http";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import type { Readable } from "node:stream";

import type { Pool } from "undici";
import type { z } from "zod";

import {
    CloudflareAuthError,
    CloudflareError,
    CloudflareNetworkError,
    CloudflareNotFoundError,
    CloudflareRateLimitError,
    CloudflareRequestError,
    CloudflareResponseError,
    CloudflareServerError,
    type CloudflareApiError,
    type CloudflareErrorDetails,
} from "./errors";
import { logAttempt } from "./log";
import { gateFor, type RateGate } from "./rate-gate";
import {
    ErrorEnvelopeSchema,
    GetCertificateResponseSchema,
    ListCertificatesResponseSchema,
    PrioritizeResponseSchema,
    type CustomCertificate,
    type ListCertificatesResponse,
    type PrioritizeRequest,
} from "./schemas";

/** How the client authenticates: an API token, or the legacy global API key with its email. */
export type Credentials = { apiToken: string } | { apiKey: string; email: string };

/** Cloudflare's v4 API, used when no base URL is given. */
export const DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4";

/** How long one attempt may take, from sending the request to the last byte of the answer. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/** How many certificates the client asks for per page: the most Cloudflare allows. */
export const LIST_PAGE_SIZE = 50;

/** The most pages one listing reads before deciding the server will never stop. */
export const MAX_LIST_PAGES = 100;

/** When and how long the client waits before retrying a failed attempt. */
export interface RetryPolicy {
    maxAttempts: number;
    baseDelayMs: number;
    maxDelayMs: number;
    maxRetryAfterMs: number;
    deadlineMs: number;
}

/** The retry policy used for every field the caller does not set. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = {
    maxAttempts: 4,
    baseDelayMs: 500,
    maxDelayMs: 8_000,
    maxRetryAfterMs: 60_000,
    deadlineMs: 120_000,
};

/** Settings of a CloudflareClient; only the credentials are required. */
export interface ClientOptions {
    credentials: Credentials;
    baseUrl?: string;
    timeoutMs?: number;
    retry?: Partial<RetryPolicy>;
    /** Replaces the default User-Agent, which names this package and its version. */
    userAgent?: string;
    /** Waits between retries; tests inject one that records the delay instead. */
    sleep?: (ms: number) => Promise<void>;
    /** A number in [0, 1) that spreads retries out; tests inject a fixed one. */
    random?: () => number;
}

const PACKAGE_NAME = "pulumi-cloudflare-certificate-priority";
const MAX_BODY_BYTES = 8 * 1024 * 1024;
const RETRY_STATUSES = new Set([408, 409, 429]);
const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT"]);
const DROPPED_CODES = new Set(["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_CLOSED"]);
const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ENETUNREACH", "EHOSTUNREACH", "EAI_AGAIN", "ETIMEDOUT"]);
// 6003 malformed auth headers, 9103 unknown key or email, 9106 missing credentials, 9109 token
// refused, 10000 authentication error, 10405 the token may not use this method.
const AUTH_CODES = new Set([6003, 9103, 9106, 9109, 10000, 10405]);
// 7003 "could not route to /zones/…": the zone or object id is unknown. 7000 "no route for that
// URI" is not among them: it means the path itself is wrong, usually a base URL without
// /client/v4, and treating it as "gone" would let refresh drop a resource that still exists.
const NOT_FOUND_CODES = new Set([7003]);
const NO_ROUTE_CODE = 7000;
const REDACTED = "[REDACTED]";

/** One request the client makes, and how to read and explain its answer. */
interface Call<T> {
    method: "GET" | "PUT";
    /** Below the base URL, segments already encoded. */
    path: string;
    query?: Record<string, string>;
    body?: unknown;
    schema: z.ZodType<T>;
    operation: string;
    zoneId: string;
    certificateId?: string;
    /** What a not-found answer means for this call. */
    notFound: string;
}

interface Answer {
    kind: "answer";
    status: number;
    headers: Record<string, string | string[] | undefined>;
    text: string;
    tooLarge: boolean;
}

interface NoAnswer {
    kind: "no-answer";
    failure: "timeout" | "connection";
    causeCode: string | undefined;
    detail: string;
    retryable: boolean;
}

type Outcome = Answer | NoAnswer;

/** Attempts made and time spent on one call, waits included. */
interface Budget {
    attempts: number;
    elapsedMs: number;
    /** Time that earlier requests of the same call took (the pages before this one). */
    earlierMs?: number;
}

type Step = { retryInMs: number } | { stop: string | undefined };

const pools = new Map<string, Pool>();

/**
 * A small client for the three custom-certificate endpoints this package needs, with bounded
 * retries, schema-checked answers and errors that never reveal the credentials.
 */
export class CloudflareClient {
    readonly #origin: string;
    readonly #prefix: string;
    readonly #headers: Readonly<Record<string, string>>;
    readonly #redact: (text: string) => string;
    readonly #timeoutMs: number;
    readonly #retry: RetryPolicy;
    readonly #sleep: (ms: number) => Promise<void>;
    readonly #random: () => number;
    readonly #gate: RateGate;

    constructor(options: ClientOptions) {
        this.#redact = redactorFor(options.credentials);
        const base = parseBaseUrl(options.baseUrl ?? DEFAULT_BASE_URL, this.#redact);

        this.#origin = base.origin;
        this.#prefix = base.prefix;
        this.#headers = {
            accept: "application/json",
            "content-type": "application/json",
            "user-agent": options.userAgent ?? defaultUserAgent(),
            ...authHeaders(options.credentials),
        };
        this.#timeoutMs = positive("timeoutMs", options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
        this.#retry = retryPolicy(options.retry ?? {});
        this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
        this.#random = options.random ?? Math.random;
        this.#gate = gateFor(base.origin, JSON.stringify(options.credentials));
    }

    /** Lists every custom certificate of a zone, reading all pages. */
    async listCustomCertificates(zoneId: string): Promise<CustomCertificate[]> {
        const path = `/zones/${segment(zoneId, "zoneId")}/custom_certificates`;
        const operation = `list custom certificates of zone ${zoneId}`;
        const spent: Budget = { attempts: 0, elapsedMs: 0 };

        // A certificate added while paging shifts the rest; keep the first copy of any repeat.
        const byId = new Map<string, CustomCertificate>();
        for (let page = 1; page <= MAX_LIST_PAGES; page += 1) {
            const answer = await this.send(
                {
                    method: "GET",
                    path,
                    query: { page: String(page), per_page: String(LIST_PAGE_SIZE) },
                    schema: ListCertificatesResponseSchema,
                    operation,
                    zoneId,
                    notFound: `Zone ${zoneId} does not exist, or these credentials cannot see it.`,
                },
                spent,
            );
            checkPage(answer, page, operation, spent, this.#redact);

            answer.result.forEach((certificate) => byId.has(certificate.id) || byId.set(certificate.id, certificate));
            if (isLastPage(answer, page)) {
                return [...byId.values()];
            }
        }
        throw new CloudflareResponseError({
            ...explain(operation, spent, this.#redact),
            message: this.#redact(
                `Cloudflare API: ${operation}: the server was still returning pages after ${MAX_LIST_PAGES} ` +
                    `(${MAX_LIST_PAGES * LIST_PAGE_SIZE} certificates); stopped reading.`,
            ),
        });
    }

    /** Reads one custom certificate of a zone. */
    async getCustomCertificate(zoneId: string, certificateId: string): Promise<CustomCertificate> {
        const path = `/zones/${segment(zoneId, "zoneId")}/custom_certificates/${segment(certificateId, "certificateId")}`;

        const answer = await this.send({
            method: "GET",
            path,
            schema: GetCertificateResponseSchema,
            operation: `get custom certificate ${certificateId} of zone ${zoneId}`,
            zoneId,
            certificateId,
            notFound: `Certificate ${certificateId} does not exist in zone ${zoneId}, or the zone does not exist.`,
        });
        return answer.result;
    }

    /**
     * Sets the priorities of a zone's certificates in one request and returns the certificates as
     * Cloudflare reports them afterwards (empty when Cloudflare omits them, as its schema allows).
     */
    async prioritizeCustomCertificates(
        zoneId: string,
        certificates: ReadonlyArray<{ id: string; priority: number }>,
    ): Promise<CustomCertificate[]> {
        const body: PrioritizeRequest = { certificates: certificates.map(prioritizeEntry) };

        const answer = await this.send({
            method: "PUT",
            path: `/zones/${segment(zoneId, "zoneId")}/custom_certificates/prioritize`,
            body,
            schema: PrioritizeResponseSchema,
            operation: `prioritize custom certificates of zone ${zoneId}`,
            zoneId,
            notFound:
                `Zone ${zoneId} or one of the certificates sent (${body.certificates.map((c) => c.id).join(", ")}) ` +
                "does not exist, or these credentials cannot see it.",
        });
        return answer.result ?? [];
    }

    // Sends one call, retrying what may succeed on a second try, until it succeeds or the policy
    // says stop. Every request this client makes is idempotent, the PUT included.
    private async send<T>(call: Call<T>, spent: Budget = { attempts: 0, elapsedMs: 0 }): Promise<T> {
        // The deadline is the call's: the pages before this one have used part of it.
        const budget: Budget = { attempts: 0, elapsedMs: 0, earlierMs: spent.elapsedMs };
        // The pause of the rate gate this call has already sat out, by drawing the 429 that set it.
        let satOut: number | undefined;
        if (this.untilDeadline(budget) <= 0) {
            // Earlier pages of this call took all of its time.
            throw new CloudflareNetworkError({
                ...explain(call.operation, spent, this.#redact),
                failure: "timeout",
                message: this.#redact(
                    `Cloudflare API: ${call.operation}: not sent: the earlier requests of this call took its whole ` +
                        `${seconds(this.#retry.deadlineMs)} deadline (${spent.attempts} attempts over ${seconds(spent.elapsedMs)}).`,
                ),
            });
        }
        try {
            for (;;) {
                await this.waitAtGate(call, budget, satOut);
                const outcome = await this.attempt(call, budget).catch((err: unknown) => {
                    this.#gate.observe(0, undefined, undefined); // its place in the window ends, as ever
                    throw err;
                });
                const pause = this.observeLimit(outcome);
                if (outcome.kind === "answer" && outcome.status >= 200 && outcome.status < 300) {
                    return this.accept(call, outcome, budget);
                }
                satOut = outcome.kind === "answer" && outcome.status === 429 ? pause : satOut;

                const step = this.nextStep(outcome, budget);
                if ("stop" in step) {
                    throw this.failure(call, outcome, budget, step.stop);
                }
                await this.#sleep(step.retryInMs);
                budget.elapsedMs += step.retryInMs;
            }
        } finally {
            spent.attempts += budget.attempts;
            spent.elapsedMs += budget.elapsedMs;
        }
    }

    // Holds the request until the gate admits it: while the account is out of requests for the
    // current window, or while another request's 429 pause runs. A little jitter keeps the waiting
    // requests from all starting in the same instant. These waits obey the same bounds as a retry:
    // no longer than maxRetryAfterMs in all, and ending in time for an answer before the deadline;
    // beyond them the call fails at once, unsent, instead of hanging.
    private async waitAtGate<T>(call: Call<T>, budget: Budget, satOut: number | undefined): Promise<void> {
        // No await unless there is something to wait for: a request that finds nothing in flight
        // must take its place before the next one asks, or they all go as first.
        const learning = this.#gate.untilLearned();
        let waitedMs = learning === undefined ? 0 : await this.waitToLearn(learning, budget);
        for (let pause = satOut; ;) {
            const wait = this.#gate.admit(pause);
            if (wait.ms <= 0) {
                return;
            }

            const limit = Math.min(this.#retry.maxRetryAfterMs - waitedMs, this.untilLastStart(budget));
            if (wait.ms >= limit) {
                throw new CloudflareRateLimitError({
                    ...explain(call.operation, budget, this.#redact),
                    retryAfterMs: wait.ms,
                    message: this.#redact(
                        `Cloudflare API: ${call.operation}: not sent: Cloudflare asked this account to wait ` +
                            `${seconds(waitedMs + wait.ms)} (a retry-after, or the end of its rate-limit window), ` +
                            `longer than the ${seconds(waitedMs + Math.max(0, limit))} this client may wait; try again later.`,
                    ),
                });
            }
            // The jitter, too, stays inside the bounds: the request still goes before the deadline.
            const jitter = Math.min(250, wait.ms / 10, limit - wait.ms - 1);
            const ms = wait.ms + Math.floor(this.#random() * Math.max(0, jitter));
            await this.#sleep(ms);
            budget.elapsedMs += ms;
            waitedMs += ms;
            pause = wait.pause;
        }
    }

    // Until the process has an answer, nothing is known of the limit, so the first request goes
    // alone and the others wait for its answer (`learning`), within the bounds of a gate wait. This wait is the
    // client's own caution, not Cloudflare's request: past the bounds the request goes unlearned
    // rather than fail. Returns how long it waited.
    private async waitToLearn(learning: Promise<void>, budget: Budget): Promise<number> {
        const limit = Math.min(this.#retry.maxRetryAfterMs, this.untilLastStart(budget));
        if (limit <= 0) {
            return 0;
        }

        const started = performance.now();
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([learning, new Promise<void>((resolve) => (timer = setTimeout(resolve, limit)))]);
        clearTimeout(timer);
        const waitedMs = Math.min(limit, performance.now() - started);
        budget.elapsedMs += waitedMs;
        return waitedMs;
    }

    // The latest a request may start and still have time for an answer before the deadline: a
    // second, or the whole timeout if that is shorter. A wait that ends later is not worth it.
    private untilLastStart(budget: Budget): number {
        return this.untilDeadline(budget) - Math.min(this.#timeoutMs, 1000);
    }

    private untilDeadline(budget: Budget): number {
        return this.#retry.deadlineMs - (budget.earlierMs ?? 0) - budget.elapsedMs;
    }

    private observeLimit(outcome: Outcome): number {
        if (outcome.kind === "no-answer") {
            return this.#gate.observe(0, undefined, undefined);
        }
        const retryAfter = outcome.status === 429 ? header(outcome.headers, "retry-after") : undefined;
        const ratelimit = header(outcome.headers, "ratelimit");
        const policy = header(outcome.headers, "ratelimit-policy");
        return this.#gate.observe(outcome.status, ratelimit, parseRetryAfter(retryAfter), policy);
    }

    private async attempt<T>(call: Call<T>, budget: Budget): Promise<Outcome> {
        const timeoutMs = Math.min(this.#timeoutMs, this.untilDeadline(budget));
        const target = this.target(call);
        const started = performance.now();

        budget.attempts += 1;
        const outcome = await this.exchange(call, target, timeoutMs);
        const durationMs = performance.now() - started;
        budget.elapsedMs += durationMs;

        logAttempt(
            {
                method: call.method,
                target,
                outcome: outcome.kind === "answer" ? outcome.status : (outcome.causeCode ?? outcome.failure),
                durationMs,
                attempt: budget.attempts,
                maxAttempts: this.#retry.maxAttempts,
                cfRay: outcome.kind === "answer" ? header(outcome.headers, "cf-ray") : undefined,
                headers: this.#headers,
            },
            this.#redact,
        );
        return outcome;
    }

    // One HTTP exchange. The timer covers the whole attempt: headers and body together.
    private async exchange<T>(call: Call<T>, target: string, timeoutMs: number): Promise<Outcome> {
        const controller = new AbortController();
        let timedOut = false;
        const timer = setTimeout(() => {
            timedOut = true;
            controller.abort();
        }, timeoutMs);

        try {
            const response = await poolFor(this.#origin).request({
                method: call.method,
                path: target,
                headers: this.#headers,
                body: call.body === undefined ? null : JSON.stringify(call.body),
                signal: controller.signal,
                headersTimeout: timeoutMs,
                bodyTimeout: timeoutMs,
            });
            const body = await readBody(response.body);
            return { kind: "answer", status: response.statusCode, headers: response.headers, ...body };
        } catch (err) {
            return noAnswer(err, timedOut, timeoutMs);
        } finally {
            clearTimeout(timer);
        }
    }

    private target<T>(call: Call<T>): string {
        const query = call.query === undefined ? "" : `?${new URLSearchParams(call.query).toString()}`;
        return `${this.#prefix}${call.path}${query}`;
    }

    private nextStep(outcome: Outcome, budget: Budget): Step {
        if (!isRetryable(outcome) || budget.attempts >= this.#retry.maxAttempts) {
            return { stop: undefined };
        }

        const retryAfterMs =
            outcome.kind === "answer" ? parseRetryAfter(header(outcome.headers, "retry-after")) : undefined;
        if (retryAfterMs !== undefined && retryAfterMs > this.#retry.maxRetryAfterMs) {
            return {
                stop:
                    `Cloudflare asked to wait ${seconds(retryAfterMs)} before retrying (retry-after), ` +
                    `longer than the ${seconds(this.#retry.maxRetryAfterMs)} this client waits; try again later.`,
            };
        }

        const retryInMs = retryAfterMs ?? this.backoff(budget.attempts);
        if (retryInMs >= this.untilDeadline(budget)) {
            return {
                stop: `Stopped retrying: the next attempt would start after the ${seconds(this.#retry.deadlineMs)} deadline.`,
            };
        }
        return { retryInMs };
    }

    // Capped exponential backoff with full jitter: many clients that failed together do not
    // retry together.
    private backoff(attemptsMade: number): number {
        const ceiling = Math.min(this.#retry.maxDelayMs, this.#retry.baseDelayMs * 2 ** (attemptsMade - 1));
        return Math.floor(this.#random() * ceiling);
    }

    private accept<T>(call: Call<T>, answer: Answer, budget: Budget): T {
        const fail = (problem: string, errors?: CloudflareApiError[]) =>
            new CloudflareResponseError(this.describe(call, answer, budget, problem, errors ?? []));
        if (answer.tooLarge) {
            throw fail(`the answer is larger than ${MAX_BODY_BYTES} bytes`);
        }

        const json = parseJson(answer.text);
        if (!json.ok) {
            // Quote the body only once redacted: an excerpt, ours or JSON.parse's, can cut a secret
            // short, and a cut secret no longer matches the redactor.
            const shown = this.#redact(answer.text);
            throw fail(`the answer is not JSON (${notJsonReason(shown)}): ${snippet(shown)}`);
        }
        const envelope = ErrorEnvelopeSchema.safeParse(json.value);
        if (envelope.success && envelope.data.success === false) {
            throw fail("the answer says success: false", apiErrors(json.value));
        }

        const parsed = call.schema.safeParse(json.value);
        if (!parsed.success) {
            throw fail(`the answer does not match Cloudflare's documented schema: ${describeIssues(parsed.error)}`);
        }
        return parsed.data;
    }

    private failure<T>(call: Call<T>, outcome: Outcome, budget: Budget, stop: string | undefined): CloudflareError {
        if (outcome.kind === "no-answer") {
            const hint = `Check that ${this.#origin} is reachable from this machine.`;
            const details = this.describe(call, undefined, budget, outcome.detail, [], [stop, hint]);
            return new CloudflareNetworkError({ ...details, failure: outcome.failure, causeCode: outcome.causeCode });
        }

        const errors = outcome.tooLarge ? [] : apiErrors(parseJson(outcome.text).value);
        const kind = classify(outcome.status, errors);
        const notes = [stop, hintFor(kind, call)];
        const details = this.describe(call, outcome, budget, undefined, errors, notes);
        return buildError(kind, details, call, parseRetryAfter(header(outcome.headers, "retry-after")));
    }

    // Formats the message every error shares, one attempt or several:
    // "Cloudflare API: <operation>: 1 attempt over <s>: <status> (cf-ray <ray>): [code] text."
    // "Cloudflare API: <operation>: 3 attempts over <s>, last: <status> (cf-ray <ray>): [code] text."
    // Without an answer, what went wrong takes the status's place.
    private describe<T>(
        call: Call<T>,
        answer: Answer | undefined,
        budget: Budget,
        problem: string | undefined,
        errors: CloudflareApiError[],
        notes: Array<string | undefined> = [],
    ): CloudflareErrorDetails {
        const cfRay = answer === undefined ? undefined : header(answer.headers, "cf-ray");
        const several = budget.attempts > 1;
        const effort = `${budget.attempts} attempt${several ? "s" : ""} over ${seconds(budget.elapsedMs)}`;
        const last =
            answer === undefined ? problem : `${statusLine(answer.status)}${cfRay ? ` (cf-ray ${cfRay})` : ""}`;
        const codes = errors.map((e) => `[${e.code}] ${e.message}`).join("; ");
        const body =
            answer !== undefined && problem === undefined && errors.length === 0
                ? bodyNote(answer, this.#redact)
                : undefined;
        const detail = [answer === undefined ? undefined : problem, codes || undefined, body]
            .filter(Boolean)
            .join("; ");
        const tail = notes.filter(Boolean).join(" ");

        const outcome = `${effort}${several ? ", last: " : ": "}${last ?? "no answer"}`;
        const message = `Cloudflare API: ${call.operation}: ${outcome}${detail && `: ${detail}`}.`;
        return {
            message: this.#redact(tail === "" ? message : `${message} ${tail}`),
            operation: this.#redact(call.operation),
            attempts: budget.attempts,
            elapsedMs: Math.round(budget.elapsedMs),
            status: answer?.status,
            errors: errors.map((e) => ({ code: e.code, message: this.#redact(e.message) })),
            cfRay,
        };
    }
}

/** Closes the shared keep-alive connections, so a test run or a process can exit promptly. */
export async function closeConnectionPools(): Promise<void> {
    const open = [...pools.values()];
    pools.clear();
    await Promise.all(open.map((pool) => pool.close()));
}

// One keep-alive pool per origin, shared by every client in the process: the provider makes a
// client per resource operation, and reusing connections saves a TLS handshake per request.
function poolFor(origin: string): Pool {
    const existing = pools.get(origin);
    if (existing !== undefined && !existing.closed && !existing.destroyed) {
        return existing;
    }

    const pool = new (loadUndici().Pool)(origin, { connections: 8 });
    pools.set(origin, pool);
    return pool;
}

// undici loads with the first request rather than with the provider: `check` and `diff`, all that a
// preview runs, never call the API.
function loadUndici(): typeof import("undici") {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- deferred on purpose, see above
    return require("undici") as typeof import("undici");
}

type ErrorKind = "auth" | "not-found" | "no-route" | "rate-limit" | "server" | "request" | "response";

function classify(status: number, errors: ReadonlyArray<CloudflareApiError>): ErrorKind {
    const hasCode = (codes: Set<number>) => errors.some((e) => codes.has(e.code));
    if (status >= 500) {
        return "server";
    }
    if (status === 429) {
        return "rate-limit";
    }
    if (status === 401 || status === 403 || (status >= 400 && hasCode(AUTH_CODES))) {
        return "auth";
    }
    if (errors.some((e) => e.code === NO_ROUTE_CODE) && !hasCode(NOT_FOUND_CODES)) {
        return "no-route";
    }
    // A 404 counts as "not found" only with Cloudflare's codes in it: a bare 404 comes from
    // something that is not Cloudflare's API (a wrong base URL, a proxy).
    if ((status === 404 && errors.length > 0) || (status >= 400 && hasCode(NOT_FOUND_CODES))) {
        return "not-found";
    }
    if (status === 404) {
        return "no-route";
    }
    return status >= 400 ? "request" : "response";
}

function buildError<T>(
    kind: ErrorKind,
    details: CloudflareErrorDetails,
    call: Call<T>,
    retryAfterMs: number | undefined,
): CloudflareError {
    switch (kind) {
        case "auth":
            return new CloudflareAuthError(details);
        case "not-found":
            return new CloudflareNotFoundError({ ...details, zoneId: call.zoneId, certificateId: call.certificateId });
        case "rate-limit":
            return new CloudflareRateLimitError({ ...details, retryAfterMs });
        case "server":
            return new CloudflareServerError(details);
        case "request":
        case "no-route":
            return new CloudflareRequestError(details);
        case "response":
            return new CloudflareResponseError(details);
    }
}

function hintFor<T>(kind: ErrorKind, call: Call<T>): string | undefined {
    switch (kind) {
        case "auth":
            return (
                `The credentials were refused: an API token needs the permission "SSL and Certificates: Edit" ` +
                `on zone ${call.zoneId}. Set the token with \`pulumi config set --secret cloudflare:apiToken <token>\` ` +
                "or the environment variable CLOUDFLARE_API_TOKEN (a legacy global key: CLOUDFLARE_API_KEY with " +
                "CLOUDFLARE_EMAIL, or cloudflare:apiKey with cloudflare:email)."
            );
        case "not-found":
            return call.notFound;
        case "rate-limit":
            return "Cloudflare allows 1200 requests per 5 minutes per user; wait, or run Pulumi with a lower --parallel.";
        case "server":
            return "Cloudflare could not answer; try again later.";
        case "no-route":
            return (
                "The server knows no such API path: check the base URL (cloudflare:baseUrl or " +
                `CLOUDFLARE_BASE_URL), which must end in /client/v4, as in ${DEFAULT_BASE_URL}.`
            );
        default:
            return undefined;
    }
}

function explain(
    operation: string,
    spent: Budget,
    redact: (text: string) => string,
): Omit<CloudflareErrorDetails, "message"> {
    return { operation: redact(operation), attempts: spent.attempts, elapsedMs: Math.round(spent.elapsedMs) };
}

// A server that ignores `page` would otherwise hand back page 1 forever, or a silently short list.
function checkPage(
    answer: ListCertificatesResponse,
    page: number,
    operation: string,
    spent: Budget,
    redact: (text: string) => string,
): void {
    const served = answer.result_info?.page;
    if (served === undefined || served === page) {
        return;
    }
    throw new CloudflareResponseError({
        ...explain(operation, spent, redact),
        message: redact(`Cloudflare API: ${operation}: asked for page ${page} but the answer is page ${served}.`),
    });
}

// Trusts total_pages when Cloudflare sends it; otherwise a page shorter than asked is the last.
function isLastPage(answer: ListCertificatesResponse, page: number): boolean {
    const info = answer.result_info;
    if (answer.result.length === 0) {
        return true;
    }
    if (info?.total_pages !== undefined) {
        return page >= info.total_pages;
    }
    return answer.result.length < (info?.per_page ?? LIST_PAGE_SIZE);
}

function isRetryable(outcome: Outcome): boolean {
    if (outcome.kind === "no-answer") {
        return outcome.retryable;
    }
    return RETRY_STATUSES.has(outcome.status) || (outcome.status >= 500 && outcome.status <= 599);
}

/** Reads `retry-after` in milliseconds: delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
    const trimmed = value?.trim();
    if (trimmed === undefined || trimmed === "") {
        return undefined;
    }
    if (/^\d+(\.\d+)?$/.test(trimmed)) {
        return Number(trimmed) * 1000;
    }

    // Every HTTP-date form starts with a day name; without that check Date.parse reads "-3" or
    // "10 20" as dates in the past, and an unreadable header would mean "retry at once".
    const date = /^[A-Za-z]{3}/.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
    return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function noAnswer(err: unknown, timedOut: boolean, timeoutMs: number): NoAnswer {
    const causeCode = errorCode(err);
    if (timedOut || (causeCode !== undefined && TIMEOUT_CODES.has(causeCode))) {
        return {
            kind: "no-answer",
            failure: "timeout",
            causeCode,
            detail: `no complete answer within ${seconds(timeoutMs)} (timed out)`,
            retryable: true,
        };
    }

    const reason = err instanceof Error ? err.message : String(err);
    const code = causeCode ?? "no error code";
    if (causeCode !== undefined && DROPPED_CODES.has(causeCode)) {
        return {
            kind: "no-answer",
            failure: "connection",
            causeCode,
            detail: `the connection dropped (${code}: ${reason})`,
            retryable: true,
        };
    }
    const retryable = causeCode !== undefined && UNREACHABLE_CODES.has(causeCode);
    return {
        kind: "no-answer",
        failure: "connection",
        causeCode,
        detail: `could not connect (${code}: ${reason})`,
        retryable,
    };
}

function errorCode(err: unknown): string | undefined {
    const own = (err as { code?: unknown } | null)?.code;
    if (typeof own === "string") {
        return own;
    }
    const cause = (err as { cause?: { code?: unknown } } | null)?.cause?.code;
    return typeof cause === "string" ? cause : undefined;
}

async function readBody(body: Readable): Promise<{ text: string; tooLarge: boolean }> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of body) {
        const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
        size += buffer.length;
        if (size > MAX_BODY_BYTES) {
            body.destroy();
            return { text: "", tooLarge: true };
        }
        chunks.push(buffer);
    }
    return { text: Buffer.concat(chunks).toString("utf8"), tooLarge: false };
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; value: undefined; reason: string } {
    try {
        return { ok: true, value: JSON.parse(text) as unknown };
    } catch (err) {
        return { ok: false, value: undefined, reason: err instanceof Error ? err.message : "unreadable" };
    }
}

// Reads Cloudflare's codes from any body, however malformed the rest of it is.
function apiErrors(body: unknown): CloudflareApiError[] {
    const envelope = ErrorEnvelopeSchema.safeParse(body);
    if (!envelope.success) {
        return [];
    }
    return (envelope.data.errors ?? []).flatMap((entry) => {
        const { code, message } = (entry ?? {}) as { code?: unknown; message?: unknown };
        return typeof code === "number" ? [{ code, message: typeof message === "string" ? message : "" }] : [];
    });
}

function describeIssues(error: z.ZodError): string {
    const shown = error.issues.slice(0, 5).map((issue) => `${issuePath(issue.path)}: ${issue.message}`);
    const more = error.issues.length > shown.length ? `; and ${error.issues.length - shown.length} more` : "";
    return `${shown.join("; ")}${more}`;
}

function issuePath(path: ReadonlyArray<PropertyKey>): string {
    const formatted = path.reduce<string>(
        (out, key) => (typeof key === "number" ? `${out}[${key}]` : out === "" ? String(key) : `${out}.${String(key)}`),
        "",
    );
    return formatted === "" ? "(body)" : formatted;
}

function bodyNote(answer: Answer, redact: (text: string) => string): string | undefined {
    if (answer.tooLarge || answer.text.trim() === "") {
        return undefined;
    }
    // Redacted before the excerpt is cut, for the reason given in accept().
    return parseJson(answer.text).ok
        ? "no Cloudflare error codes in the answer"
        : `the answer is not JSON: ${snippet(redact(answer.text))}`;
}

// JSON.parse's reason, which quotes a stretch of the text: pass the text already redacted.
function notJsonReason(text: string): string {
    const parsed = parseJson(text);
    return parsed.ok ? "unreadable" : parsed.reason;
}

function snippet(text: string): string {
    const flat = text.replace(/\s+/g, " ").trim();
    const short = flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
    return short === "" ? "(empty body)" : JSON.stringify(short);
}

function statusLine(status: number): string {
    const reason = STATUS_CODES[status];
    return reason === undefined ? String(status) : `${status} ${reason}`;
}

function seconds(ms: number): string {
    return `${(ms / 1000).toFixed(1)} s`;
}

function header(headers: Answer["headers"], name: string): string | undefined {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
}

function prioritizeEntry(entry: { id: string; priority: number }): { id: string; priority: number } {
    if (typeof entry.id !== "string" || entry.id === "") {
        throw new Error("prioritizeCustomCertificates: every certificate needs a non-empty id");
    }
    if (!Number.isFinite(entry.priority)) {
        throw new Error(`prioritizeCustomCertificates: certificate ${entry.id} needs a finite number as priority`);
    }
    return { id: entry.id, priority: entry.priority };
}

// Encodes one path segment; "." and ".." are escaped too, so no id can climb out of its path.
function segment(value: string, name: string): string {
    if (typeof value !== "string" || value === "") {
        throw new Error(`CloudflareClient: ${name} must be a non-empty string`);
    }
    const encoded = encodeURIComponent(value);
    return encoded === "." || encoded === ".." ? encoded.replace(/\./g, "%2E") : encoded;
}

function parseBaseUrl(baseUrl: string, redact: (text: string) => string): { origin: string; prefix: string } {
    const fail = (why: string): never => {
        throw new Error(
            redact(`CloudflareClient: baseUrl ${JSON.stringify(baseUrl)} ${why}; use a URL like ${DEFAULT_BASE_URL}`),
        );
    };
    let url: URL;
    try {
        url = new URL(baseUrl);
    } catch {
        return fail("is not a URL");
    }

    if (url.protocol !== "https:" && url.protocol !== "http:") {
        fail("must use http or https");
    }
    if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
        fail("must not carry a query, a fragment or credentials");
    }
    return { origin: url.origin, prefix: url.pathname.replace(/\/+$/, "") };
}

function authHeaders(credentials: Credentials): Record<string, string> {
    if ("apiToken" in credentials) {
        return { authorization: `Bearer ${headerValue(credentials.apiToken, "apiToken")}` };
    }
    return {
        "x-auth-email": headerValue(credentials.email, "email"),
        "x-auth-key": headerValue(credentials.apiKey, "apiKey"),
    };
}

// Says what is wrong with a credential without ever quoting it.
function headerValue(value: string, name: string): string {
    if (typeof value !== "string" || value.trim() === "") {
        throw new Error(`CloudflareClient: the credential ${name} is empty`);
    }
    // eslint-disable-next-line no-control-regex -- control characters are exactly what this rejects
    if (/[\u0000-\u001f\u007f]/.test(value)) {
        throw new Error(
            `CloudflareClient: the credential ${name} contains a line break or control character; copy it again`,
        );
    }
    return value.trim();
}

// Secrets can come back in an echoed request, a proxy's error page or an exception text; every
// string this client formats passes through here.
function redactorFor(credentials: Credentials): (text: string) => string {
    const raw = "apiToken" in credentials ? [credentials.apiToken] : [credentials.apiKey];
    const secrets = raw
        .filter((s): s is string => typeof s === "string")
        .map((s) => s.trim())
        .filter((s) => s !== "")
        .flatMap((s) => [s, encodeURIComponent(s)]);

    return (text) => {
        const scrubbed = secrets.reduce((out, secret) => out.split(secret).join(REDACTED), text);
        return scrubbed
            .replace(/(bearer\s+)[^\s"',;]+/gi, `$1${REDACTED}`)
            .replace(/(x-auth-key["']?\s*[:=]\s*["']?)[^\s"',;]+/gi, `$1${REDACTED}`);
    };
}

function retryPolicy(overrides: Partial<RetryPolicy>): RetryPolicy {
    const policy = { ...DEFAULT_RETRY_POLICY };
    for (const key of Object.keys(policy) as Array<keyof RetryPolicy>) {
        const value = overrides[key];
        if (value !== undefined) {
            policy[key] = key === "maxAttempts" ? atLeastOne(value) : nonNegative(`retry.${key}`, value);
        }
    }
    return policy;
}

function atLeastOne(value: number): number {
    if (!Number.isInteger(value) || value < 1) {
        throw new Error(`CloudflareClient: retry.maxAttempts must be a whole number of at least 1, not ${value}`);
    }
    return value;
}

function nonNegative(name: string, value: number): number {
    if (!Number.isFinite(value) || value < 0) {
        throw new Error(`CloudflareClient: ${name} must be a finite number of milliseconds, 0 or more, not ${value}`);
    }
    return value;
}

function positive(name: string, value: number): number {
    if (!Number.isFinite(value) || value <= 0) {
        throw new Error(`CloudflareClient: ${name} must be a positive number of milliseconds, not ${value}`);
    }
    return value;
}

let userAgent: string | undefined;

function defaultUserAgent(): string {
    userAgent ??= `${PACKAGE_NAME}/${packageVersion()} node/${process.versions.node}`;
    return userAgent;
}

// Compiled code sits one directory deeper than the sources; try both, and never fail over it.
function packageVersion(): string {
    for (const candidate of ["../package.json", "../../package.json"]) {
        try {
            const manifest = JSON.parse(readFileSync(path.join(__dirname, candidate), "utf8")) as {
                name?: unknown;
                version?: unknown;
            };
            if (manifest.name === PACKAGE_NAME && typeof manifest.version === "string") {
                return manifest.version;
            }
        } catch {
            // Not here; try the next place.
        }
    }
    return "unknown";
}
