// The emulator's own endpoints below /__emulator: read the request log, change certificates out of
// band (as a user would in Cloudflare's dashboard), delete zones, inject faults, set the rate limit
// and reset. They need no credentials, so they answer only on loopback, and their answers are plain
// JSON, not Cloudflare's envelope.

import { z } from "zod";

import { jsonAnswer, type Answer } from "./answer";
import { checkFault } from "./faults";
import { formatPath } from "./seed-schema";
import type { EmulatorState } from "./state";
import { checkPatch } from "./store";

/** Where the admin endpoints live. */
export const ADMIN_PREFIX = "/__emulator";

/** One admin request. */
export interface AdminRequest {
    method: string;
    /** The path below ADMIN_PREFIX, such as "zones/<id>/certificates". */
    path: string;
    body: string;
}

type Params = Record<string, string>;

interface AdminRoute {
    method: string;
    /** Segments; those starting with ":" capture a value. */
    pattern: string;
    run: (state: EmulatorState, params: Params, body: string) => Answer;
}

const ROUTES: ReadonlyArray<AdminRoute> = [
    { method: "GET", pattern: "health", run: (state) => ok({ status: "ok", zones: state.store.zones().length }) },
    { method: "GET", pattern: "requests", run: (state) => ok(state.log.entries()) },
    { method: "DELETE", pattern: "requests", run: (state) => done(() => state.log.clear()) },
    { method: "GET", pattern: "zones", run: (state) => ok(state.store.zones()) },
    { method: "GET", pattern: "zones/:zone/certificates", run: listCertificates },
    { method: "PATCH", pattern: "zones/:zone/certificates/:id", run: patchCertificate },
    { method: "DELETE", pattern: "zones/:zone/certificates/:id", run: deleteCertificate },
    { method: "DELETE", pattern: "zones/:zone", run: deleteZone },
    { method: "GET", pattern: "faults", run: (state) => ok(state.faults.pending()) },
    { method: "POST", pattern: "faults", run: addFault },
    { method: "DELETE", pattern: "faults", run: (state) => done(() => state.faults.clear()) },
    { method: "GET", pattern: "rate-limit", run: (state) => ok(state.limiter?.limit ?? null) },
    { method: "PUT", pattern: "rate-limit", run: putRateLimit },
    { method: "DELETE", pattern: "rate-limit", run: (state) => done(() => state.setRateLimit(undefined)) },
    { method: "POST", pattern: "reset", run: (state) => done(() => state.reset()) },
];

/** Answers one admin request. */
export function answerAdmin(state: EmulatorState, request: AdminRequest): Answer {
    const segments = request.path.split("/").filter((s) => s !== "");
    const matching = ROUTES.flatMap((route) => {
        const params = matchPattern(route.pattern, segments);
        return params === undefined ? [] : [{ route, params }];
    });

    const hit = matching.find(({ route }) => route.method === request.method);
    if (hit !== undefined) {
        return hit.route.run(state, hit.params, request.body);
    }
    if (matching.length > 0) {
        const allowed = matching.map(({ route }) => route.method);
        const error = `${request.method} is not served here; use ${allowed.join(" or ")}`;
        return jsonAnswer(405, { error }, { allow: allowed.join(", ") });
    }
    return jsonAnswer(404, { error: `no admin endpoint ${ADMIN_PREFIX}/${segments.join("/")}` });
}

function listCertificates(state: EmulatorState, params: Params): Answer {
    const zoneId = params["zone"] ?? "";
    const certificates = state.store.list(zoneId);
    return certificates === undefined ? zoneNotFound(zoneId) : ok(certificates);
}

function patchCertificate(state: EmulatorState, params: Params, body: string): Answer {
    const json = parseJson(body);
    if (json === undefined) {
        return jsonAnswer(400, { error: "the body must be a JSON object of the fields to change" });
    }
    const checked = checkPatch(json.value);
    if ("problems" in checked) {
        return jsonAnswer(400, { error: "invalid certificate patch", problems: checked.problems });
    }

    const zoneId = params["zone"] ?? "";
    const certificateId = params["id"] ?? "";
    const updated = state.store.update(zoneId, certificateId, checked.patch);
    return updated === undefined ? certificateNotFound(state, zoneId, certificateId) : ok(updated);
}

function deleteCertificate(state: EmulatorState, params: Params): Answer {
    const zoneId = params["zone"] ?? "";
    const certificateId = params["id"] ?? "";
    const deleted = state.store.deleteCertificate(zoneId, certificateId);
    return deleted ? noContent() : certificateNotFound(state, zoneId, certificateId);
}

function deleteZone(state: EmulatorState, params: Params): Answer {
    const zoneId = params["zone"] ?? "";
    return state.store.deleteZone(zoneId) ? noContent() : zoneNotFound(zoneId);
}

function addFault(state: EmulatorState, _params: Params, body: string): Answer {
    const json = parseJson(body);
    const checked = json === undefined ? { problems: ["the body must be a JSON fault"] } : checkFault(json.value);
    if ("problems" in checked) {
        return jsonAnswer(400, { error: "invalid fault", problems: checked.problems });
    }

    state.faults.add(checked.fault);
    return jsonAnswer(201, checked.fault);
}

const RateLimitSchema = z.strictObject({
    requests: z.number().int().min(1),
    windowSeconds: z.number().positive(),
});

function putRateLimit(state: EmulatorState, _params: Params, body: string): Answer {
    const json = parseJson(body);
    const parsed = RateLimitSchema.safeParse(json?.value);
    if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
        return jsonAnswer(400, { error: "the body must be { requests, windowSeconds }", problems });
    }

    state.setRateLimit(parsed.data);
    return ok(parsed.data);
}

function matchPattern(pattern: string, segments: ReadonlyArray<string>): Params | undefined {
    const parts = pattern.split("/");
    if (parts.length !== segments.length) {
        return undefined;
    }

    const params: Params = {};
    for (const [index, part] of parts.entries()) {
        const segment = segments[index] ?? "";
        if (part.startsWith(":")) {
            params[part.slice(1)] = safeDecode(segment);
        } else if (part !== segment) {
            return undefined;
        }
    }
    return params;
}

function certificateNotFound(state: EmulatorState, zoneId: string, certificateId: string): Answer {
    return state.store.hasZone(zoneId)
        ? jsonAnswer(404, { error: `zone ${zoneId} holds no certificate ${certificateId}` })
        : zoneNotFound(zoneId);
}

function zoneNotFound(zoneId: string): Answer {
    return jsonAnswer(404, { error: `no zone ${zoneId}` });
}

function ok(value: unknown): Answer {
    return jsonAnswer(200, value);
}

function done(action: () => void): Answer {
    action();
    return noContent();
}

function noContent(): Answer {
    return { status: 204, headers: {}, body: "" };
}

function parseJson(text: string): { value: unknown } | undefined {
    try {
        return { value: JSON.parse(text) as unknown };
    } catch {
        return undefined;
    }
}

function safeDecode(segment: string): string {
    try {
        return decodeURIComponent(segment);
    } catch {
        return segment;
    }
}
