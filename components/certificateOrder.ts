import * as pulumi from "@pulumi/pulumi";

import type { OnDelete } from "../provider/inputs";
import { CertificatePriority } from "../provider/resource";

/**
 * A certificate given by resource (a `cloudflare.CustomSsl`, or anything with an `id` and, if the component
 * is to find the zone, a `zoneId`) or by ID.
 */
export type CertificateReference =
    pulumi.Input<string> | { readonly id: pulumi.Input<string>; readonly zoneId?: pulumi.Input<string> | undefined };

/** The inputs of a CertificateOrder. */
export interface CertificateOrderArgs {
    /**
     * The zone that holds every listed certificate. Leave it out to take each certificate's zone from the
     * certificate itself (a CustomSsl's `zoneId`); each zone then gets its own CertificatePriority.
     */
    zoneId?: pulumi.Input<string>;
    /** The certificates, most preferred first: in each zone the first gets priority 1, the next 2, and so on. */
    certificates: ReadonlyArray<CertificateReference>;
    /** On delete, "restore" (the default) puts back the priorities from before; "keep" leaves them. */
    onDelete?: pulumi.Input<OnDelete>;
}

/** One certificate's place in the order. */
export interface OrderedCertificate {
    /** The certificate's ID. */
    id: string;
    /** 1 for the most preferred certificate of its zone, then 2, and so on. */
    priority: number;
    /** The zone the certificate is ordered in. */
    zoneId: string;
}

/** The type token of the component. */
const COMPONENT_TYPE = "cloudflare-certificate-priority:index:CertificateOrder";

/** A listed certificate before its zone is resolved; `zoneId` is absent when only `args.zoneId` can tell. */
interface Listed {
    index: number;
    id: pulumi.Input<string>;
    zoneId: pulumi.Input<string> | undefined;
}

/** The certificates of one zone, most preferred first, and the resource that orders them. */
interface ZoneOrder {
    zoneId: string;
    members: Listed[];
    resource: CertificatePriority;
}

/**
 * Orders custom certificates from a list, most preferred first, through one CertificatePriority child per zone.
 *
 * @example
 * // One zone, named explicitly:
 * new CertificateOrder("example-com", {
 *     zoneId: zone.id,
 *     certificates: [ecdsaCert, rsaCert, "5a7805061c76ada191ed06f989cc3dac"],
 * });
 *
 * // The zones taken from the CustomSsl resources, here two of them:
 * new CertificateOrder("edge", { certificates: [comEcdsa, comRsa, netEcdsa] });
 */
export class CertificateOrder extends pulumi.ComponentResource {
    /** Every certificate in the order listed, with its zone and the priority derived from its place in that zone. */
    public readonly priorities: pulumi.Output<OrderedCertificate[]>;
    /** The zones ordered, in the order they first appear in the list. */
    public readonly zoneIds: pulumi.Output<string[]>;
    /** The zone, when `zoneId` is given or the certificates are all in one zone; undefined when they span several. */
    public readonly zoneId: pulumi.Output<string | undefined>;
    /** The resource that applies the order when `zoneId` is given; undefined otherwise (see certificatePriorities). */
    public readonly certificatePriority: CertificatePriority | undefined;
    /** The resources that apply the order, one per zone, keyed by zone ID. */
    public readonly certificatePriorities: pulumi.Output<Record<string, CertificatePriority>>;

    constructor(name: string, args: CertificateOrderArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validated first, so a bad list registers nothing at all.
        const listed = listCertificates(args.certificates, args.zoneId !== undefined);
        super(COMPONENT_TYPE, name, {}, opts);

        const onDelete = args.onDelete === undefined ? {} : { onDelete: args.onDelete };
        let orders: pulumi.Output<ZoneOrder[]>;
        if (args.zoneId === undefined) {
            this.certificatePriority = undefined;
            orders = this.orderEachZone(name, listed, onDelete);
        } else {
            // One child named like the component, registered at once, as before zones could be inferred.
            const zoneId = args.zoneId;
            const members = listed.map((entry) => ({ ...entry, id: idInZone(name, entry, zoneId) }));
            const resource = new CertificatePriority(
                name,
                { zoneId, certificates: entriesById(members), ...onDelete },
                { parent: this },
            );
            this.certificatePriority = resource;
            orders = pulumi.output(zoneId).apply((id) => [{ zoneId: id, members, resource }]);
        }

        this.certificatePriorities = orders.apply((zones) =>
            Object.fromEntries(zones.map((z) => [z.zoneId, z.resource])),
        );
        this.zoneIds = orders.apply((zones) => zones.map((z) => z.zoneId));
        this.zoneId = orders.apply((zones) => (zones.length === 1 ? zones[0]?.zoneId : undefined));
        this.priorities = orders.apply((zones) => orderedCertificates(zones));
        this.registerOutputs({ priorities: this.priorities, zoneIds: this.zoneIds, zoneId: this.zoneId });
    }

    // The zones come from the certificates, so the children, named by zone, are registered once the zone IDs
    // are known. The first zone's child also answers to the component's name, so that dropping `zoneId` from
    // a one-zone order keeps its resource instead of replacing it.
    private orderEachZone(
        name: string,
        listed: Listed[],
        onDelete: { onDelete?: pulumi.Input<OnDelete> },
    ): pulumi.Output<ZoneOrder[]> {
        const zoneIds = pulumi.all(listed.map((entry) => entry.zoneId as pulumi.Input<string>));

        return zoneIds.apply((resolved) =>
            groupByZone(name, listed, resolved).map(({ zoneId, members }, position) => {
                const resource = new CertificatePriority(
                    `${name}-${zoneId}`,
                    { zoneId, certificates: entriesById(members), ...onDelete },
                    { parent: this, ...(position === 0 ? { aliases: [{ name }] } : {}) },
                );
                return { zoneId, members, resource };
            }),
        );
    }
}

/** Turns an ordered list into entries: the first certificate gets priority 1. */
export function prioritiesFromOrder(
    certificates: ReadonlyArray<CertificateReference>,
): Array<{ id: pulumi.Input<string>; priority: number }> {
    return listCertificates(certificates, true).map((entry) => ({ id: entry.id, priority: entry.index + 1 }));
}

function listCertificates(certificates: ReadonlyArray<CertificateReference>, zoneGiven: boolean): Listed[] {
    if (!Array.isArray(certificates) || certificates.length === 0) {
        throw new Error("CertificateOrder: `certificates` must list at least one certificate, most preferred first");
    }

    return certificates.map((ref, index) => {
        const entry = { index, id: idOf(ref, index), zoneId: zoneOf(ref) };
        if (!zoneGiven && entry.zoneId === undefined) {
            throw new Error(
                `CertificateOrder: the zone of certificates[${index}] cannot be known: it is a bare certificate ID. ` +
                    "Give `zoneId`, or list the cloudflare.CustomSsl resource (or { id, zoneId }) instead",
            );
        }
        return entry;
    });
}

function idOf(ref: CertificateReference, index: number): pulumi.Input<string> {
    if (typeof ref === "string" || pulumi.Output.isInstance(ref) || ref instanceof Promise) {
        return ref;
    }
    if (ref !== null && typeof ref === "object" && "id" in ref && ref.id !== undefined) {
        return ref.id;
    }
    throw new Error(
        `CertificateOrder: certificates[${index}] must be a certificate ID or a resource with an id ` +
            "(such as a cloudflare.CustomSsl)",
    );
}

function zoneOf(ref: CertificateReference): pulumi.Input<string> | undefined {
    if (typeof ref !== "object" || ref === null || pulumi.Output.isInstance(ref) || ref instanceof Promise) {
        return undefined;
    }
    return "zoneId" in ref && ref.zoneId !== undefined && ref.zoneId !== null ? ref.zoneId : undefined;
}

// A certificate that names its own zone must be in the zone given to the component.
function idInZone(name: string, entry: Listed, zoneId: pulumi.Input<string>): pulumi.Input<string> {
    if (entry.zoneId === undefined) {
        return entry.id;
    }

    return pulumi.all([entry.id, entry.zoneId, zoneId]).apply(([id, own, given]) => {
        if (sameZone(own, given)) {
            return id;
        }
        throw new Error(
            `CertificateOrder ${name}: certificates[${entry.index}] (${id}) is in zone ${own}, not in zone ${given}. ` +
                "List only that zone's certificates, or leave out `zoneId` to order each zone's certificates",
        );
    });
}

function groupByZone(
    name: string,
    listed: Listed[],
    zoneIds: ReadonlyArray<unknown>,
): Array<Omit<ZoneOrder, "resource">> {
    const zones = new Map<string, Omit<ZoneOrder, "resource">>();
    listed.forEach((entry) => {
        const zoneId = zoneIds[entry.index];
        if (typeof zoneId !== "string" || zoneId === "") {
            throw new Error(
                `CertificateOrder ${name}: the zone of certificates[${entry.index}] cannot be known: its zoneId is ` +
                    `${JSON.stringify(zoneId) ?? "undefined"}. Give \`zoneId\`, or list a certificate with a zone`,
            );
        }

        const key = zoneId.toLowerCase();
        const zone = zones.get(key) ?? { zoneId: key, members: [] };
        zone.members.push(entry);
        zones.set(key, zone);
    });
    return [...zones.values()];
}

// Sorted by certificate ID, not by priority: `pulumi preview --diff` compares lists element by element, so a
// reorder then reads as each certificate's priority changing (`priority: 1 => 3`) rather than as every
// position's ID changing.
function entriesById(members: ReadonlyArray<Listed>): pulumi.Output<Array<{ id: string; priority: number }>> {
    const entries = members.map((entry, position) => ({ id: entry.id, priority: position + 1 }));
    return pulumi.output(entries).apply((resolved) => [...resolved].sort((a, b) => compareIds(a.id, b.id)));
}

function orderedCertificates(zones: ReadonlyArray<ZoneOrder>): pulumi.Output<OrderedCertificate[]> {
    const placed = zones.flatMap((zone) =>
        zone.members.map((entry, position) => ({
            index: entry.index,
            id: entry.id,
            priority: position + 1,
            zoneId: zone.zoneId,
        })),
    );
    const entries = placed.sort((a, b) => a.index - b.index).map(({ index: _index, ...entry }) => entry);
    return pulumi.output(entries);
}

function compareIds(a: string, b: string): number {
    const left = a.toLowerCase();
    const right = b.toLowerCase();
    return left < right ? -1 : left > right ? 1 : 0;
}

function sameZone(a: string, b: string): boolean {
    return a.toLowerCase() === b.toLowerCase();
}
