import * as pulumi from "@pulumi/pulumi";

import type { OnDelete } from "../provider/inputs";
import { CertificatePriority } from "../provider/resource";

/** A certificate given by resource (a `cloudflare.CustomSsl` or anything with an `id`) or by ID. */
export type CertificateReference = pulumi.Input<string> | { readonly id: pulumi.Input<string> };

/** The inputs of a CertificateOrder. */
export interface CertificateOrderArgs {
    /** The zone that holds the certificates. */
    zoneId: pulumi.Input<string>;
    /** The certificates, most preferred first: the first gets priority 1, the next 2, and so on. */
    certificates: ReadonlyArray<CertificateReference>;
    /** On delete, "restore" (the default) puts back the priorities from before; "keep" leaves them. */
    onDelete?: pulumi.Input<OnDelete>;
}

/** One certificate's place in the order. */
export interface OrderedCertificate {
    id: string;
    priority: number;
}

/**
 * Orders a zone's custom certificates from a list, most preferred first, by managing a
 * CertificatePriority child resource.
 *
 * @example
 * new CertificateOrder("example-com", {
 *     zoneId: zone.id,
 *     certificates: [ecdsaCert, rsaCert, "5a7805061c76ada191ed06f989cc3dac"],
 * });
 */
export class CertificateOrder extends pulumi.ComponentResource {
    /** The certificates with the priorities derived from their place in the list. */
    public readonly priorities: pulumi.Output<OrderedCertificate[]>;
    /** The zone the certificates belong to. */
    public readonly zoneId: pulumi.Output<string>;
    /** The resource that applies the order. */
    public readonly certificatePriority: CertificatePriority;

    constructor(name: string, args: CertificateOrderArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validated first, so a bad list registers nothing at all.
        const entries = prioritiesFromOrder(args.certificates);
        super("cloudflare-certificate-priority:index:CertificateOrder", name, {}, opts);

        this.certificatePriority = new CertificatePriority(
            name,
            {
                zoneId: args.zoneId,
                certificates: entries,
                ...(args.onDelete === undefined ? {} : { onDelete: args.onDelete }),
            },
            { parent: this },
        );

        this.zoneId = pulumi.output(args.zoneId);
        this.priorities = pulumi.output(entries);
        this.registerOutputs({ zoneId: this.zoneId, priorities: this.priorities });
    }
}

/** Turns an ordered list into entries: the first certificate gets priority 1. */
export function prioritiesFromOrder(
    certificates: ReadonlyArray<CertificateReference>,
): Array<{ id: pulumi.Input<string>; priority: number }> {
    if (!Array.isArray(certificates) || certificates.length === 0) {
        throw new Error("CertificateOrder: `certificates` must list at least one certificate, most preferred first");
    }
    return certificates.map((ref, index) => ({ id: idOf(ref, index), priority: index + 1 }));
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
