// The three custom-certificate endpoints the emulator serves below /client/v4, and Cloudflare's
// answers for everything around them: routing, access to the zone and input checks.

import { z } from "zod";

import {
    authenticationError,
    certificatesNotFound,
    invalidInput,
    invalidJson,
    malformedIdentifier,
    methodNotAvailable,
    noRoute,
    rateLimited,
    readOnlyToken,
    unknownZone,
    ApiFailure,
} from "./api-errors";
import { failureAnswer, okAnswer, type Answer } from "./answer";
import { reachesZone, type AuthResult, type Principal } from "./auth";
import { rateLimitHeaders } from "./rate-limit";
import { CERTIFICATE_ID_PATTERN, CertificateStatusSchema, ZONE_ID_PATTERN, formatPath } from "./seed-schema";
import type { EmulatorState } from "./state";

/** Where Cloudflare's v4 API lives below the origin. */
export const API_PREFIX = "/client/v4";

/** Paging bounds of the list endpoint, as Cloudflare documents them. */
export const PER_PAGE = { default: 20, min: 5, max: 50 } as const;

/** One API request, read and ready to answer. */
export interface ApiRequest {
    method: string;
    /** The path as sent, without the query. */
    path: string;
    query: URLSearchParams;
    /** The request body as text; empty when there was none. */
    body: string;
}

type Target =
    | { route: "list"; zoneId: string }
    | { route: "prioritize"; zoneId: string }
    | { route: "certificate"; zoneId: string; certificateId: string };

const METHODS: Record<Target["route"], ReadonlyArray<string>> = {
    list: ["GET"],
    prioritize: ["PUT"],
    certificate: ["GET"],
};

/** Answers one API request that got past the injected faults. */
export function answerApi(state: EmulatorState, request: ApiRequest, auth: AuthResult): Answer {
    const limit = admit(state, request, auth);

    const outcome = limit?.refusal ?? serve(state, request, auth);
    const answer = outcome instanceof ApiFailure ? failureAnswer(outcome) : outcome;
    return limit === undefined ? answer : { ...answer, headers: { ...limit.headers, ...answer.headers } };
}

// Counts an authenticated API request against its credential's budget, when a limit is set, and
// returns Cloudflare's rate-limit headers for the answer, or the 429 that replaces it.
function admit(
    state: EmulatorState,
    request: ApiRequest,
    auth: AuthResult,
): { headers: Record<string, string>; refusal: ApiFailure | undefined } | undefined {
    const limiter = state.limiter;
    if (limiter === undefined || !auth.ok || !isApiPath(request.path)) {
        return undefined;
    }

    const admission = limiter.admit(auth.principal.label);
    const headers = rateLimitHeaders(limiter.limit, admission.remaining, admission.resetSeconds);
    return { headers, refusal: admission.ok ? undefined : rateLimited(admission.retryAfterSeconds, headers) };
}

// Checks run outside in, as at an API gateway: credentials (and the rate limit, in answerApi),
// then the route and method, then access to the zone, and only then the request itself.
function serve(state: EmulatorState, request: ApiRequest, auth: AuthResult): Answer | ApiFailure {
    if (!isApiPath(request.path)) {
        return noRoute();
    }
    if (!auth.ok) {
        return auth.failure;
    }

    const target = findTarget(request.path);
    if (target instanceof ApiFailure) {
        return target;
    }
    const refused = checkAccess(state, request, target, auth.principal);
    if (refused !== undefined) {
        return refused;
    }

    switch (target.route) {
        case "list":
            return listCertificates(state, target.zoneId, request.query);
        case "certificate":
            return getCertificate(state, target.zoneId, target.certificateId);
        case "prioritize":
            return prioritize(state, target.zoneId, request.body);
    }
}

function isApiPath(path: string): boolean {
    return path === API_PREFIX || path.startsWith(`${API_PREFIX}/`);
}

function findTarget(path: string): Target | ApiFailure {
    const segments = splitPath(path.slice(API_PREFIX.length));
    if (segments === undefined || segments[0] !== "zones" || segments.length < 2) {
        return noRoute();
    }

    const [, zoneId = "", collection, certificateId, ...rest] = segments;
    if (!ZONE_ID_PATTERN.test(zoneId.toLowerCase())) {
        return malformedIdentifier(path);
    }
    if (collection !== "custom_certificates" || rest.length > 0) {
        return noRoute();
    }
    if (certificateId === undefined) {
        return { route: "list", zoneId };
    }
    if (certificateId === "prioritize") {
        return { route: "prioritize", zoneId };
    }
    return CERTIFICATE_ID_PATTERN.test(certificateId.toLowerCase())
        ? { route: "certificate", zoneId, certificateId }
        : malformedIdentifier(path);
}

function checkAccess(
    state: EmulatorState,
    request: ApiRequest,
    target: Target,
    principal: Principal,
): ApiFailure | undefined {
    const allowed = METHODS[target.route];
    if (!allowed.includes(request.method)) {
        return methodNotAvailable(request.method, allowed);
    }
    if (!reachesZone(principal, target.zoneId)) {
        return authenticationError();
    }
    if (principal.readOnly && request.method !== "GET") {
        return readOnlyToken();
    }
    return state.store.hasZone(target.zoneId) ? undefined : unknownZone(request.path);
}

function listCertificates(state: EmulatorState, zoneId: string, query: URLSearchParams): Answer | ApiFailure {
    const params = readListQuery(query);
    if (params instanceof ApiFailure) {
        return params;
    }

    const all = state.store.list(zoneId, params.status) ?? [];
    const start = (params.page - 1) * params.perPage;
    const page = all.slice(start, start + params.perPage);
    return okAnswer(page, {
        page: params.page,
        per_page: params.perPage,
        count: page.length,
        total_count: all.length,
        total_pages: Math.ceil(all.length / params.perPage),
    });
}

interface ListQuery {
    page: number;
    perPage: number;
    status?: z.output<typeof CertificateStatusSchema>;
}

function readListQuery(query: URLSearchParams): ListQuery | ApiFailure {
    const problems: string[] = [];
    const page = wholeNumber(query.get("page"), 1);
    if (!(page >= 1)) {
        problems.push("page must be a whole number, 1 or more");
    }
    const perPage = wholeNumber(query.get("per_page"), PER_PAGE.default);
    if (!(perPage >= PER_PAGE.min && perPage <= PER_PAGE.max)) {
        problems.push(`per_page must be a whole number from ${PER_PAGE.min} to ${PER_PAGE.max}`);
    }

    const match = query.get("match");
    if (match !== null && match !== "any" && match !== "all") {
        problems.push('match must be "any" or "all"');
    }
    const status = query.get("status");
    const statusCheck = CertificateStatusSchema.safeParse(status ?? undefined);
    if (status !== null && !statusCheck.success) {
        problems.push(`status must be one of ${CertificateStatusSchema.options.join(", ")}`);
    }

    if (problems.length > 0) {
        return invalidInput(problems.map((message) => ({ message })));
    }
    return { page, perPage, ...(statusCheck.success ? { status: statusCheck.data } : {}) };
}

function getCertificate(state: EmulatorState, zoneId: string, certificateId: string): Answer | ApiFailure {
    const certificate = state.store.get(zoneId, certificateId);
    return certificate === undefined ? certificatesNotFound([{ id: certificateId }]) : okAnswer(certificate);
}

const PrioritizeBodySchema = z.object(
    {
        certificates: z
            .array(
                z.object(
                    {
                        id: z
                            .string({ error: "must be a string: a certificate id" })
                            .min(1, { error: "must not be empty" }),
                        priority: z
                            .number({ error: "must be a number" })
                            .int({ error: "must be a whole number" })
                            .min(0, { error: "must be 0 or more" })
                            .max(Number.MAX_SAFE_INTEGER, { error: "is too large" }),
                    },
                    { error: "must be an object { id, priority }" },
                ),
                { error: "must be an array of { id, priority }" },
            )
            .min(1, { error: "must list at least one certificate" }),
    },
    { error: "the body must be a JSON object with a certificates array" },
);

// Checks the whole body before the store sees it, so a bad entry changes nothing.
function prioritize(state: EmulatorState, zoneId: string, body: string): Answer | ApiFailure {
    const json = parseJson(body);
    if (json === undefined) {
        return invalidJson();
    }
    const parsed = PrioritizeBodySchema.safeParse(json.value);
    if (!parsed.success) {
        return invalidInput(parsed.error.issues.map((issue) => describeIssue(issue.path, issue.message)));
    }
    const repeats = repeatedIds(parsed.data.certificates);
    if (repeats.length > 0) {
        return invalidInput(repeats);
    }

    const outcome = state.store.prioritize(zoneId, parsed.data.certificates);
    switch (outcome.kind) {
        case "unknown-zone":
            return unknownZone(`${API_PREFIX}/zones/${zoneId}/custom_certificates/prioritize`);
        case "unknown-certificates": {
            const missing = outcome.missing.map(({ index, id }) => ({ id, pointer: `/certificates/${index}/id` }));
            return certificatesNotFound(missing);
        }
        case "applied": {
            const count = outcome.certificates.length;
            const paging = { page: 1, per_page: count, count, total_count: count, total_pages: 1 };
            return okAnswer(outcome.certificates, paging);
        }
    }
}

function repeatedIds(entries: ReadonlyArray<{ id: string }>): Array<{ message: string; pointer: string }> {
    const firstAt = new Map<string, number>();
    return entries.flatMap(({ id }, index) => {
        const first = firstAt.get(id);
        if (first === undefined) {
            firstAt.set(id, index);
            return [];
        }
        const message = `certificates[${index}].id repeats certificates[${first}].id (${id})`;
        return [{ message, pointer: `/certificates/${index}/id` }];
    });
}

function describeIssue(path: ReadonlyArray<PropertyKey>, message: string): { message: string; pointer?: string } {
    if (path.length === 0) {
        return { message };
    }
    const pointer = `/${path.map((key) => String(key).replace(/~/g, "~0").replace(/\//g, "~1")).join("/")}`;
    return { message: `${formatPath(path)} ${message}`, pointer };
}

function parseJson(text: string): { value: unknown } | undefined {
    try {
        return { value: JSON.parse(text) as unknown };
    } catch {
        return undefined;
    }
}

// NaN unless the text is plain decimal digits, so "1.5", "-1", "1e3" and "" are all refused.
function wholeNumber(text: string | null, fallback: number): number {
    if (text === null) {
        return fallback;
    }
    return /^\d{1,15}$/.test(text) ? Number(text) : Number.NaN;
}

// Undefined when a segment is not valid percent-encoding; a trailing slash is ignored.
function splitPath(path: string): string[] | undefined {
    const parts = path.split("/").slice(1);
    if (parts.length > 0 && parts[parts.length - 1] === "") {
        parts.pop();
    }
    try {
        return parts.map((part) => decodeURIComponent(part));
    } catch {
        return undefined;
    }
}
