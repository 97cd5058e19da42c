// Which CertificatePriority of this Pulumi program orders which certificate of which zone. Two
// resources that order the same certificate undo each other on every `up`; the program finds them
// before either is registered with the engine, so nothing is sent to Cloudflare for them.
//
// The registry lives in the program's process, which runs one deployment, so it sees every
// resource of this stack and none of another stack's. Resources whose IDs are known when the
// program starts claim them together and are checked together after a short settling wait; a
// resource whose IDs become known later (a certificate created in the same `up`) is checked
// against every claim made before it, so it fails, but the resource it overlaps may already be
// applied by then.

/** One certificate claimed by another resource. */
export interface Overlap {
    zoneId: string;
    certificateId: string;
    /** The names of the other resources that order it. */
    others: string[];
}

/** A resource's identity in the registry: any unique object, and the name to report. */
export interface Claimant {
    readonly name: string;
}

/** The input the resource waits on while the program checks that no two resources order one certificate. */
export const CLAIM_KEY = "__certificateClaims";

/** How long claims settle before they are compared: long enough for every resource a program declares at once. */
export const CLAIM_SETTLE_MS = 20;

/** The claims of one program: certificate (by zone) to the resources that order it. */
export class CertificateClaims {
    readonly #claimants = new Map<string, Set<Claimant>>();

    /** Records that `claimant` orders these certificates of the zone. */
    claim(claimant: Claimant, zoneId: string, certificateIds: ReadonlyArray<string>): void {
        for (const certificateId of certificateIds) {
            const key = keyOf(zoneId, certificateId);
            const set = this.#claimants.get(key) ?? new Set<Claimant>();
            set.add(claimant);
            this.#claimants.set(key, set);
        }
    }

    /** The certificates of the zone that other resources order too. */
    overlaps(claimant: Claimant, zoneId: string, certificateIds: ReadonlyArray<string>): Overlap[] {
        return certificateIds.flatMap((certificateId) => {
            const others = [...(this.#claimants.get(keyOf(zoneId, certificateId)) ?? [])].filter((c) => c !== claimant);
            return others.length === 0 ? [] : [{ zoneId, certificateId, others: others.map((c) => c.name) }];
        });
    }

    /** Forgets every claim. */
    clear(): void {
        this.#claimants.clear();
    }
}

/** The error a resource fails with when it overlaps others; names each certificate and resource. */
export function overlapError(name: string, overlaps: ReadonlyArray<Overlap>): Error {
    const list = overlaps
        .map(
            (o) => `${o.certificateId} (also in ${o.others.map((other) => `CertificatePriority ${other}`).join(", ")})`,
        )
        .join(", ");
    const zoneId = overlaps[0]?.zoneId ?? "";
    return new Error(
        `CertificatePriority ${name} orders certificates of zone ${zoneId} that another resource of this stack ` +
            `orders too: ${list}. Each certificate may be ordered by one resource only, or each \`up\` undoes the ` +
            "other's order; nothing was sent. Move the certificate into one resource's list.",
    );
}

/** Pairs of certificates that share a priority: Cloudflare documents no order between them. */
export function tiedPriorities(entries: ReadonlyArray<{ id: string; priority: number }>): string[] {
    const byPriority = new Map<number, string[]>();
    for (const { id, priority } of entries) {
        byPriority.set(priority, [...(byPriority.get(priority) ?? []), id]);
    }
    return [...byPriority]
        .filter(([, ids]) => ids.length > 1)
        .map(([priority, ids]) => `${ids.join(" and ")} share priority ${priority}`);
}

function keyOf(zoneId: string, certificateId: string): string {
    return `${zoneId.toLowerCase()}/${certificateId.toLowerCase()}`;
}
