import * as pulumi from "@pulumi/pulumi";

import { CertificateClaims, CLAIM_KEY, CLAIM_SETTLE_MS, overlapError, tiedPriorities, type Claimant } from "./claims";
// Only what Pulumi serializes into the state; the implementation stays out of the program.
import * as dynamicProvider from "./dynamic-provider";
import type { OnDelete, PriorityEntry } from "./inputs";
import type { PreviousPriority } from "./provider";

/** The inputs of a CertificatePriority. */
export interface CertificatePriorityArgs {
    /** The zone whose custom certificates to order (32 hexadecimal characters). */
    zoneId: pulumi.Input<string>;
    /** Certificates and their priorities; 1 is the most preferred, then 2, and so on. */
    certificates: pulumi.Input<pulumi.Input<CertificatePriorityEntryArgs>[]>;
    /** On delete, "restore" (the default) puts back the priorities from before; "keep" leaves them. */
    onDelete?: pulumi.Input<OnDelete>;
}

/** One certificate and its priority, as an input. */
export interface CertificatePriorityEntryArgs {
    id: pulumi.Input<string>;
    priority: pulumi.Input<number>;
}

/**
 * Sets the priorities of custom SSL certificates in one Cloudflare zone, through
 * `PUT /zones/{zone_id}/custom_certificates/prioritize`; 1 is the most preferred.
 *
 * @example
 * new CertificatePriority("order", {
 *     zoneId: "023e105f4ecef8ad9ca31a8372d0c353",
 *     certificates: [
 *         { id: ecdsa.id, priority: 1 },
 *         { id: rsa.id, priority: 2 },
 *     ],
 * });
 */
export class CertificatePriority extends pulumi.dynamic.Resource {
    /** The zone whose certificates are ordered. */
    declare public readonly zoneId: pulumi.Output<string>;
    /** The certificates and their priorities, as last applied or refreshed. */
    declare public readonly certificates: pulumi.Output<Array<{ id: string; priority: number | null }>>;
    /** What delete does: "restore" or "keep". */
    declare public readonly onDelete: pulumi.Output<OnDelete>;
    /** The priorities the certificates had before this resource managed them; delete restores these. */
    declare public readonly previousPriorities: pulumi.Output<PreviousPriority[]>;

    /** Looks up an existing CertificatePriority by its ID (the zone ID) to read its state. */
    static get(name: string, id: pulumi.Input<string>, opts?: pulumi.CustomResourceOptions): CertificatePriority {
        // With an `id` option the engine reads the resource instead of creating it; no inputs apply.
        return new CertificatePriority(name, {} as CertificatePriorityArgs, { ...opts, id });
    }

    constructor(name: string, args: CertificatePriorityArgs, opts?: pulumi.CustomResourceOptions) {
        const claimant = { name };
        const props = {
            zoneId: args?.zoneId,
            certificates: args?.certificates,
            onDelete: args?.onDelete,
            previousPriorities: undefined,
            // Registration waits for the claim, so a resource that overlaps another is never sent.
            ...(opts?.id === undefined && !underMocks() ? claimCertificates(claimant, args) : {}),
        };
        super(dynamicProvider, name, props, opts, "cloudflare", "CertificatePriority");
    }
}

// One registry per program process: a Pulumi program runs one deployment.
const claims = new CertificateClaims();

// Claims the resource's certificates once their IDs are known, waits for the other resources the
// program declares at the same time, and fails if any of them orders the same certificate. Ties in
// priority are allowed but warned about.
//
// What registration waits on: when the arguments are plain values (the common case), the
// `certificates` input itself, the same list once the claim settles; otherwise an extra input that
// settles once the Outputs resolve, leaving `certificates` as given, so a preview still shows
// which of them are known. Each input costs Pulumi work per resource, so the common case adds none.
function claimCertificates(
    claimant: Claimant,
    args: CertificatePriorityArgs | undefined,
): { certificates: Promise<CertificatePriorityArgs["certificates"]> } | { [CLAIM_KEY]: pulumi.Output<boolean> } {
    const certificates = args?.certificates;
    if (typeof args?.zoneId === "string" && Array.isArray(certificates) && certificates.every(isPlain)) {
        return { certificates: settleClaim(claimant, args.zoneId, certificates).then(() => certificates) };
    }
    return {
        [CLAIM_KEY]: pulumi
            .all([args?.zoneId, certificates])
            .apply(([zoneId, entries]) => settleClaim(claimant, zoneId, entries)),
    };
}

async function settleClaim(claimant: Claimant, zoneId: unknown, certificates: unknown): Promise<boolean> {
    const entries = knownEntries(certificates);
    if (typeof zoneId !== "string" || entries.length === 0) {
        return true;
    }

    const ids = entries.map((e) => e.id);
    claims.claim(claimant, zoneId, ids);
    await new Promise((resolve) => setTimeout(resolve, CLAIM_SETTLE_MS));

    const overlaps = claims.overlaps(claimant, zoneId, ids);
    if (overlaps.length > 0) {
        throw overlapError(claimant.name, overlaps);
    }
    for (const tie of tiedPriorities(entries)) {
        pulumi.log.warn(
            `CertificatePriority ${claimant.name}: ${tie}; Cloudflare does not document which one it prefers. ` +
                "Give each certificate its own priority.",
        );
    }
    return true;
}

// An entry whose ID and priority are values already, not Outputs or promises.
function isPlain(entry: unknown): boolean {
    const deferred = (v: unknown) =>
        pulumi.Output.isInstance(v) || typeof (v as PromiseLike<unknown>)?.then === "function";
    const e = entry as { id?: unknown; priority?: unknown } | null | undefined;
    return typeof e === "object" && e !== null && !deferred(e) && !deferred(e.id) && !deferred(e.priority);
}

function knownEntries(certificates: unknown): Array<{ id: string; priority: number }> {
    if (!Array.isArray(certificates)) {
        return [];
    }
    return certificates.filter(
        (e): e is { id: string; priority: number } =>
            typeof e?.id === "string" && e.id !== "" && typeof e?.priority === "number" && Number.isFinite(e.priority),
    );
}

// Unit tests under setMocks create many throwaway resources in one process, reusing IDs from test
// to test; there the registry stands aside and the resource's inputs are exactly the arguments.
function underMocks(): boolean {
    return pulumi.runtime.getMonitor()?.constructor?.name === "MockMonitor";
}

/** The shape of one entry in `certificates`, for callers that build the list themselves. */
export type { PriorityEntry };
