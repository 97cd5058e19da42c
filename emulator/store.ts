// The emulator's state: zones and their custom certificates, held in memory. Every read hands out
// copies and every write goes through a method here, so neither a route handler nor a test can
// change the state by editing an object it was given.

import { z } from "zod";

import {
    BundleMethodSchema,
    CertificateStatusSchema,
    CustomCertificateSchema,
    formatPath,
    type CertificateStatus,
    type CustomCertificate,
    type LoadedSeed,
} from "./seed-schema";

/** A zone as a test sees it: its id, its name and how many certificates it holds. */
export interface ZoneSummary {
    id: string;
    name: string;
    certificates: number;
}

/** One `{ id, priority }` pair of a re-prioritize request. */
export interface PriorityEntry {
    id: string;
    priority: number;
}

/** The fields a test may change out of band, as a user would in Cloudflare's dashboard. */
export const CertificatePatchSchema = z.strictObject({
    priority: CustomCertificateSchema.shape.priority.exactOptional(),
    status: CertificateStatusSchema.exactOptional(),
    hosts: CustomCertificateSchema.shape.hosts.exactOptional(),
    issuer: z.string().exactOptional(),
    signature: z.string().exactOptional(),
    bundle_method: BundleMethodSchema.exactOptional(),
    expires_on: CustomCertificateSchema.shape.expires_on.exactOptional(),
    modified_on: CustomCertificateSchema.shape.modified_on.exactOptional(),
});

/** A change to some fields of one certificate; `modified_on` is set to now unless given. */
export type CertificatePatch = z.output<typeof CertificatePatchSchema>;

/** Checks a patch from outside; the problems name each bad field by its path. */
export function checkPatch(value: unknown): { patch: CertificatePatch } | { problems: string[] } {
    const parsed = CertificatePatchSchema.safeParse(value);
    if (parsed.success) {
        return { patch: parsed.data };
    }
    return { problems: parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`) };
}

/** What a re-prioritize request did: the certificates after the change, or the ids it lacked. */
export type PrioritizeOutcome =
    | { kind: "applied"; certificates: CustomCertificate[] }
    | { kind: "unknown-certificates"; missing: Array<{ index: number; id: string }> }
    | { kind: "unknown-zone" };

interface ZoneState {
    id: string;
    name: string;
    certificates: Map<string, CustomCertificate>;
}

/** The zones and certificates the emulator serves. */
export class CertificateStore {
    readonly #seed: LoadedSeed;
    readonly #now: () => Date;
    #zones = new Map<string, ZoneState>();

    /** Starts from the seed; `now` is the clock used for `modified_on`. */
    constructor(seed: LoadedSeed, now: () => Date = () => new Date()) {
        this.#seed = structuredClone(seed);
        this.#now = now;
        this.reset();
    }

    /** Puts every zone and certificate back as the seed has them. */
    reset(): void {
        this.#zones = new Map(
            this.#seed.zones.map((zone) => [
                zone.id,
                {
                    id: zone.id,
                    name: zone.name,
                    certificates: new Map(zone.certificates.map((c) => [c.id, structuredClone(c)])),
                },
            ]),
        );
    }

    /** Every zone, in seed order. */
    zones(): ZoneSummary[] {
        return [...this.#zones.values()].map((zone) => ({
            id: zone.id,
            name: zone.name,
            certificates: zone.certificates.size,
        }));
    }

    /** Whether the zone exists. */
    hasZone(zoneId: string): boolean {
        return this.#zones.has(zoneId);
    }

    /** The zone's certificates in list order, optionally only those of one status; undefined for no zone. */
    list(zoneId: string, status?: CertificateStatus): CustomCertificate[] | undefined {
        const zone = this.#zones.get(zoneId);
        if (zone === undefined) {
            return undefined;
        }

        const all = [...zone.certificates.values()];
        const wanted = status === undefined ? all : all.filter((c) => c.status === status);
        return wanted.sort(compareListOrder).map((c) => structuredClone(c));
    }

    /** One certificate, or undefined when the zone or the certificate does not exist. */
    get(zoneId: string, certificateId: string): CustomCertificate | undefined {
        const certificate = this.#zones.get(zoneId)?.certificates.get(certificateId);
        return certificate === undefined ? undefined : structuredClone(certificate);
    }

    /**
     * Sets the priorities of several certificates at once. Nothing changes unless every id is found,
     * so a request with one bad id leaves the zone exactly as it was.
     */
    prioritize(zoneId: string, entries: ReadonlyArray<PriorityEntry>): PrioritizeOutcome {
        const zone = this.#zones.get(zoneId);
        if (zone === undefined) {
            return { kind: "unknown-zone" };
        }

        const missing = entries
            .map((entry, index) => ({ index, id: entry.id }))
            .filter((entry) => !zone.certificates.has(entry.id));
        if (missing.length > 0) {
            return { kind: "unknown-certificates", missing };
        }

        // Every certificate named is rewritten, so each gets a new modified_on, changed or not.
        const modifiedOn = this.#timestamp();
        const updated = entries.map((entry) => {
            const current = zone.certificates.get(entry.id) as CustomCertificate;
            const next = { ...current, priority: entry.priority, modified_on: modifiedOn };
            zone.certificates.set(entry.id, next);
            return structuredClone(next);
        });
        return { kind: "applied", certificates: updated.sort(compareListOrder) };
    }

    /** Applies a checked patch to one certificate; undefined when the zone or certificate does not exist. */
    update(zoneId: string, certificateId: string, patch: CertificatePatch): CustomCertificate | undefined {
        const zone = this.#zones.get(zoneId);
        const current = zone?.certificates.get(certificateId);
        if (zone === undefined || current === undefined) {
            return undefined;
        }

        const modifiedOn = patch.modified_on ?? this.#timestamp();
        const next: CustomCertificate = { ...current, ...structuredClone(patch), modified_on: modifiedOn };
        zone.certificates.set(certificateId, next);
        return structuredClone(next);
    }

    /** Removes one certificate; false when it was not there. */
    deleteCertificate(zoneId: string, certificateId: string): boolean {
        return this.#zones.get(zoneId)?.certificates.delete(certificateId) ?? false;
    }

    /** Removes a zone with all its certificates; false when it was not there. */
    deleteZone(zoneId: string): boolean {
        return this.#zones.delete(zoneId);
    }

    // Cloudflare's timestamps carry whole seconds (2014-01-01T05:20:00Z); so do the emulator's.
    #timestamp(): string {
        return this.#now()
            .toISOString()
            .replace(/\.\d{3}Z$/, "Z");
    }
}

/**
 * The order of a list answer: lowest priority number first. Cloudflare does not document how it
 * orders certificates of equal priority; the emulator takes the older upload first, then the id,
 * so that paging is stable.
 */
export function compareListOrder(a: CustomCertificate, b: CustomCertificate): number {
    const byUpload = Date.parse(a.uploaded_on) - Date.parse(b.uploaded_on);
    return a.priority - b.priority || byUpload || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
