// Shared by the end-to-end tests of faults, bad input, secrets and concurrency: the program they
// drive, a fast retry policy, and readers for the state and the emulator's log.

import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";

import type { Emulator, RequestLogEntry, Seed } from "../../emulator";
import { repoRoot } from "../../scripts/package-layout";
import { LocalStack } from "../../scripts/stack";
import { TOKEN, ZONES } from "./fixtures";

/** The type token of CertificatePriority in the state. */
export const RESOURCE_TYPE = "pulumi-nodejs:dynamic/cloudflare:CertificatePriority";

/** The e2e program: declares the CertificatePriority (`priorities`) and CertificateOrder (`orders`) resources its config lists. */
export const PRIORITIES_PROGRAM = path.resolve(__dirname, "programs", "priorities");

/**
 * Retry settings that make a failing `up` take seconds: 3 attempts, 0.1 to 0.4 s apart, 1 s per
 * attempt, 8 s per call. Set through the environment variables the README documents.
 */
export const FAST_RETRIES: Record<string, string> = {
    CLOUDFLARE_PRIORITY_MAX_ATTEMPTS: "3",
    CLOUDFLARE_PRIORITY_TIMEOUT_MS: "1000",
    CLOUDFLARE_PRIORITY_DEADLINE_MS: "8000",
    CLOUDFLARE_PRIORITY_BASE_DELAY_MS: "100",
    CLOUDFLARE_PRIORITY_MAX_DELAY_MS: "400",
};

/** No credentials from the test runner's own environment may reach the stack. */
export const NO_AMBIENT_CREDENTIALS: Record<string, undefined> = {
    CLOUDFLARE_API_TOKEN: undefined,
    CLOUDFLARE_API_KEY: undefined,
    CLOUDFLARE_EMAIL: undefined,
};

/** One CertificatePriority as the e2e program's `priorities` config declares it. */
export interface DeclaredPriority {
    name: string;
    zoneId: unknown;
    certificates: unknown;
    onDelete?: unknown;
}

/** A stack of the e2e program against the emulator, with the token in the environment unless told otherwise. */
export function programStack(
    stack: string,
    emulator: Emulator,
    env: Record<string, string | undefined> = {},
): LocalStack {
    return new LocalStack({
        projectDir: PRIORITIES_PROGRAM,
        stack,
        env: { ...NO_AMBIENT_CREDENTIALS, CLOUDFLARE_BASE_URL: emulator.apiBaseUrl, ...FAST_RETRIES, ...env },
    });
}

/**
 * A stack of the quickstart example (the root Pulumi.yaml) against the emulator, created, with the
 * token in stack config as a secret and the primary zone as `zoneId`.
 */
export async function quickstartStack(stack: string, emulator: Emulator): Promise<LocalStack> {
    const local = new LocalStack({
        projectDir: repoRoot,
        stack,
        env: { CLOUDFLARE_BASE_URL: emulator.apiBaseUrl, ...NO_AMBIENT_CREDENTIALS },
    });
    try {
        await local.init();
        await local.setConfig("cloudflare:apiToken", TOKEN, true);
        await local.setConfig("zoneId", ZONES.primary.id);
    } catch (err) {
        local.dispose();
        throw err;
    }
    return local;
}

/** The API requests other than reads. */
export function writes(emulator: Emulator): RequestLogEntry[] {
    return emulator.requests().filter((r) => r.method !== "GET");
}

/** A zone's certificates and their priorities, by ID. */
export function prioritiesIn(emulator: Emulator, zoneId: string): Record<string, number | undefined> {
    return Object.fromEntries(emulator.certificates(zoneId).map((c) => [c.id, c.priority]));
}

/** The exported state's deployment. */
export interface Deployment {
    resources?: Array<Record<string, unknown>>;
    pending_operations?: unknown[];
}

/** The stack's exported deployment. */
export async function deploymentOf(stack: LocalStack): Promise<Deployment> {
    return (await stack.exportState()).deployment as Deployment;
}

/** The CertificatePriority resources of a deployment, with what the engine recorded of them. */
export function priorityResources(deployment: Deployment): Array<Record<string, unknown>> {
    return (deployment.resources ?? [])
        .filter((r) => r["type"] === RESOURCE_TYPE)
        .map((r) => ({ urn: r["urn"], id: r["id"], inputs: r["inputs"], outputs: r["outputs"] }));
}

/** Every file below a folder. */
export function filesUnder(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
        const full = path.join(dir, name);
        return statSync(full).isDirectory() ? filesUnder(full) : [full];
    });
}

/**
 * The forms a secret could leak in: as is, URL-encoded, and base64 (and base64url) at each of the
 * three byte alignments it can have inside a longer encoded text, less the edge characters that
 * depend on its neighbours.
 */
export function secretForms(secret: string): string[] {
    const bytes = Buffer.from(secret, "utf8");
    const encoded = [0, 1, 2].flatMap((shift) => {
        const shifted = Buffer.concat([Buffer.alloc(shift), bytes]);
        return [shifted.toString("base64"), shifted.toString("base64url")].map((text) =>
            text.slice(shift === 0 ? 0 : 4, -4),
        );
    });
    return [secret, encodeURIComponent(secret), ...encoded];
}

/** Where in the texts any form of the secret appears; empty when it appears nowhere. */
export function leaks(secret: string, texts: Record<string, string>): string[] {
    return Object.entries(texts).flatMap(([where, text]) =>
        secretForms(secret)
            .filter((form) => text.includes(form))
            .map((form) => `${where} (${form === secret ? "plain" : "encoded"})`),
    );
}

/** The text of every file under the backend folder, by path. */
export function backendFiles(stack: LocalStack): Record<string, string> {
    return Object.fromEntries(filesUnder(stack.backendDir).map((file) => [file, readFileSync(file, "latin1")]));
}

/** A seed of `count` zones with three active certificates each, priorities 3, 2, 1 as seeded. */
export function manyZonesSeed(count: number, token: string): Seed {
    return {
        tokens: [token],
        apiKeys: [],
        zones: Array.from({ length: count }, (_, z) => {
            const zoneId = manyZoneId(z);
            return {
                id: zoneId,
                name: `zone${z}.example`,
                certificates: manyZoneCertificates(z).map((id, c) => ({
                    id,
                    zone_id: zoneId,
                    hosts: [`zone${z}.example`],
                    issuer: "DigiCert",
                    signature: "ECDSAWithSHA256",
                    status: "active" as const,
                    bundle_method: "ubiquitous",
                    priority: 3 - c,
                    uploaded_on: "2026-01-05T10:00:00Z",
                    modified_on: "2026-01-05T10:00:00Z",
                    expires_on: "2027-06-01T00:00:00Z",
                })),
            };
        }),
    };
}

/** The ID of zone `index` of manyZonesSeed. */
export function manyZoneId(index: number): string {
    return `${index.toString(16).padStart(4, "0")}${"ab".repeat(14)}`;
}

/** The certificate IDs of zone `index` of manyZonesSeed. */
export function manyZoneCertificates(index: number): string[] {
    const zone = index.toString(16).padStart(4, "0");
    return [1, 2, 3].map((c) => `c${c}c${c}c${c}c${c}-${zone}-4000-8000-00000000000${c}`);
}

/** How many of the requests were in flight at once, at most, from the log's arrival times and durations. */
export function peakConcurrency(requests: ReadonlyArray<RequestLogEntry>): number {
    const spans = requests.map((r) => ({ start: Date.parse(r.time), end: Date.parse(r.time) + r.durationMs }));
    return Math.max(
        0,
        ...spans.map((span) => spans.filter((other) => other.start <= span.start && span.start < other.end).length),
    );
}
