// The emulator's starting state: zones, their custom certificates in Cloudflare's wire shape, and
// the credentials it accepts. A seed is JSON a user can write; every field is checked here, so a
// typo fails at start-up with the path of the bad value instead of as a strange answer later.

import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";

import { z } from "zod";

/** The API token the bundled seed accepts; it is not a Cloudflare secret and opens nothing else. */
export const EMULATOR_DEMO_TOKEN = "demo-emulator-token-not-a-real-secret-00";

/** The email of the legacy API key pair the bundled seed accepts. */
export const EMULATOR_DEMO_EMAIL = "demo@example.com";

/** The legacy global API key the bundled seed accepts together with EMULATOR_DEMO_EMAIL. */
export const EMULATOR_DEMO_API_KEY = "0123456789abcdef0123456789abcdef01234";

/** Where the bundled seed lives, found from the sources (emulator/) and the build (dist/emulator/). */
export const DEFAULT_SEED_PATH = locateBundledSeed();

/** A zone id: 32 lowercase hexadecimal characters. */
export const ZONE_ID_PATTERN = /^[0-9a-f]{32}$/;

/**
 * A certificate id. Cloudflare documents 32 hexadecimal characters, but real custom certificate ids
 * are UUIDs, so both forms are accepted.
 */
export const CERTIFICATE_ID_PATTERN = /^(?:[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** The characters of an OAuth bearer token (RFC 6750, b64token); Cloudflare tokens fit it. */
export const TOKEN_PATTERN = /^[A-Za-z0-9\-._~+/]+=*$/;

/** A legacy global API key: 37 lowercase hexadecimal characters. */
export const API_KEY_PATTERN = /^[0-9a-f]{37}$/;

/** An email address, checked only as far as Cloudflare's header check goes. */
export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const zoneId = z.string().regex(ZONE_ID_PATTERN, { error: "must be a zone id: 32 lowercase hexadecimal characters" });

const certificateId = z.string().regex(CERTIFICATE_ID_PATTERN, {
    error: "must be a certificate id: a UUID or 32 hexadecimal characters, lowercase",
});

const timestamp = z.iso.datetime({ offset: true, error: "must be an ISO 8601 time such as 2026-01-05T10:00:00Z" });

/** The states Cloudflare documents for a custom certificate. */
export const CertificateStatusSchema = z.enum(["active", "expired", "deleted", "pending", "initializing"]);

/** How Cloudflare builds the chain it serves with the certificate. */
export const BundleMethodSchema = z.enum(["ubiquitous", "optimal", "force"]);

const GeoRestrictionsSchema = z.strictObject({
    label: z.enum(["us", "eu", "highest_security"]).exactOptional(),
});

const KeylessServerSchema = z.strictObject({
    id: z.string().min(1),
    created_on: timestamp,
    enabled: z.boolean(),
    host: z.string().min(1),
    modified_on: timestamp,
    name: z.string(),
    permissions: z.array(z.string()),
    port: z.number().int().min(1).max(65_535),
    status: z.enum(["active", "deleted"]),
    tunnel: z.strictObject({ private_ip: z.string(), vnet_id: z.string() }).exactOptional(),
});

const priority = z
    .number({ error: "must be a number" })
    .int({ error: "must be a whole number" })
    .min(0, { error: "must be 0 or more" })
    .max(Number.MAX_SAFE_INTEGER);

/** A custom certificate exactly as the emulator stores and serves it. */
export const CustomCertificateSchema = z.strictObject({
    id: certificateId,
    zone_id: zoneId,
    hosts: z.array(z.string().min(1).max(253)).min(1, { error: "must name at least one host" }),
    issuer: z.string(),
    signature: z.string(),
    status: CertificateStatusSchema,
    bundle_method: BundleMethodSchema,
    priority,
    uploaded_on: timestamp,
    modified_on: timestamp,
    expires_on: timestamp,
    geo_restrictions: GeoRestrictionsSchema.exactOptional(),
    keyless_server: KeylessServerSchema.exactOptional(),
    // Cloudflare takes `policy` on upload but answers with `policy_restrictions`; this is the answer.
    policy_restrictions: z.string().exactOptional(),
    custom_csr_id: z.string().exactOptional(),
});

/** A custom certificate in Cloudflare's wire shape, as the emulator serves it. */
export type CustomCertificate = z.output<typeof CustomCertificateSchema>;

/** A certificate's status: active, expired, deleted, pending or initializing. */
export type CertificateStatus = z.output<typeof CertificateStatusSchema>;

// In a seed, the fields Cloudflare fills in itself may be left out.
const SeedCertificateSchema = CustomCertificateSchema.extend({
    zone_id: zoneId.exactOptional(),
    bundle_method: BundleMethodSchema.default("ubiquitous"),
    priority: priority.default(0),
    modified_on: timestamp.exactOptional(),
});

const SeedZoneSchema = z
    .strictObject({
        id: zoneId,
        name: z.string().min(1, { error: "must name the zone, such as example.com" }),
        certificates: z.array(SeedCertificateSchema).default([]),
    })
    .superRefine((zone, ctx) => {
        zone.certificates.forEach((certificate, index) => {
            if (certificate.zone_id !== undefined && certificate.zone_id !== zone.id) {
                ctx.addIssue({
                    code: "custom",
                    path: ["certificates", index, "zone_id"],
                    message: `must be the id of the zone it is listed under (${zone.id}), or left out`,
                });
            }
        });
    })
    .transform((zone) => ({
        id: zone.id,
        name: zone.name,
        certificates: zone.certificates.map((certificate): CustomCertificate => ({
            ...certificate,
            zone_id: zone.id,
            modified_on: certificate.modified_on ?? certificate.uploaded_on,
        })),
    }));

const SeedTokenSchema = z.union(
    [
        z.string().regex(TOKEN_PATTERN, { error: "must be a bearer token: letters, digits and -._~+/" }),
        z.strictObject({
            token: z.string().regex(TOKEN_PATTERN, { error: "must be a bearer token: letters, digits and -._~+/" }),
            /** The zones the token may use; all zones when left out. */
            zones: z.array(zoneId).exactOptional(),
            /** A read-only token may list and read, not re-prioritize. */
            readOnly: z.boolean().exactOptional(),
        }),
    ],
    { error: 'must be a token string, or { "token", "zones"?, "readOnly"? }' },
);

const SeedApiKeySchema = z.strictObject({
    email: z.string().regex(EMAIL_PATTERN, { error: "must be an email address" }),
    key: z.string().regex(API_KEY_PATTERN, {
        error: "must be a global API key: 37 lowercase hexadecimal characters",
    }),
});

/** The shape of a seed file, with every field checked. */
export const SeedSchema = z
    .strictObject({
        tokens: z.array(SeedTokenSchema).default([]),
        apiKeys: z.array(SeedApiKeySchema).default([]),
        zones: z.array(SeedZoneSchema),
    })
    .superRefine((seed, ctx) => {
        if (seed.tokens.length === 0 && seed.apiKeys.length === 0) {
            ctx.addIssue({ code: "custom", path: ["tokens"], message: "list at least one token or API key" });
        }
        reportRepeats(
            ctx,
            seed.zones.map((zone) => zone.id),
            (i) => ["zones", i, "id"],
            "zone id",
        );
        reportRepeats(ctx, tokenValues(seed.tokens), (i) => ["tokens", i], "token");

        // Cloudflare's certificate ids are unique across zones, not only within one.
        const certificates = seed.zones.flatMap((zone, z) => zone.certificates.map((c, i) => ({ id: c.id, z, i })));
        reportRepeats(
            ctx,
            certificates.map((c) => c.id),
            (n) => {
                const at = certificates[n];
                return ["zones", at?.z ?? 0, "certificates", at?.i ?? 0, "id"];
            },
            "certificate id",
        );
    });

/** A seed as written: what `startEmulator({ seed })` and a seed file accept. */
export type Seed = z.input<typeof SeedSchema>;

/** A seed after checking, with every default filled in. */
export type LoadedSeed = z.output<typeof SeedSchema>;

/** A seed that failed its checks; the message lists each bad value by its path. */
export class SeedError extends Error {
    constructor(source: string, problems: ReadonlyArray<string>) {
        super(`Invalid emulator seed (${source}):\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "SeedError";
    }
}

/** Checks a seed and fills in its defaults; throws a SeedError naming every bad value. */
export function parseSeed(value: unknown, source = "seed object"): LoadedSeed {
    const parsed = SeedSchema.safeParse(value);
    if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
        throw new SeedError(source, problems);
    }
    return parsed.data;
}

/** Reads and checks a seed file; throws a SeedError that names the file and each bad value. */
export function loadSeed(file: string): LoadedSeed {
    let text: string;
    try {
        text = readFileSync(file, "utf8");
    } catch (err) {
        throw new SeedError(file, [`cannot read the file: ${err instanceof Error ? err.message : String(err)}`]);
    }

    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch (err) {
        throw new SeedError(file, [`not JSON: ${err instanceof Error ? err.message : String(err)}`]);
    }
    return parseSeed(json, file);
}

/** The token strings of a seed's token list, whichever form each entry takes. */
export function tokenValues(tokens: LoadedSeed["tokens"]): string[] {
    return tokens.map((entry) => (typeof entry === "string" ? entry : entry.token));
}

/** Writes a zod issue path the way a reader finds it in JSON: zones[0].certificates[2].priority. */
export function formatPath(issuePath: ReadonlyArray<PropertyKey>): string {
    const text = issuePath.reduce<string>((out, key) => {
        if (typeof key === "number") {
            return `${out}[${key}]`;
        }
        return out === "" ? String(key) : `${out}.${String(key)}`;
    }, "");
    return text === "" ? "(top level)" : text;
}

function reportRepeats(
    ctx: z.RefinementCtx,
    values: ReadonlyArray<string>,
    pathOf: (index: number) => Array<string | number>,
    what: string,
): void {
    const firstAt = new Map<string, number>();
    values.forEach((value, index) => {
        const first = firstAt.get(value);
        if (first === undefined) {
            firstAt.set(value, index);
            return;
        }
        const message = `repeats the ${what} of ${formatPath(pathOf(first))}`;
        ctx.addIssue({ code: "custom", path: pathOf(index), message });
    });
}

// The compiler does not copy JSON files to dist/, so the build looks for the seed beside the
// sources: dist/emulator/ -> ../../emulator/seed.json.
function locateBundledSeed(): string {
    const candidates = [path.join(__dirname, "seed.json"), path.join(__dirname, "..", "..", "emulator", "seed.json")];
    return candidates.find((candidate) => existsSync(candidate)) ?? (candidates[0] as string);
}
