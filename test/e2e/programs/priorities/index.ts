// The program the fault, bad-input, secrets and concurrency tests drive through the Pulumi CLI. It
// declares whatever the stack config lists, passed on unchecked, so that bad values reach the
// provider's `check` exactly as written.
import * as pulumi from "@pulumi/pulumi";
import {
    CertificateOrder,
    CertificatePriority,
    type CertificatePriorityArgs,
} from "pulumi-cloudflare-certificate-priority";

interface DeclaredPriority {
    name: string;
    zoneId: unknown;
    certificates: unknown;
    onDelete?: unknown;
}

interface DeclaredOrder {
    name: string;
    zoneId: string;
    certificates: string[];
}

const config = new pulumi.Config();

for (const declared of config.getObject<DeclaredPriority[]>("priorities") ?? []) {
    const args = { zoneId: declared.zoneId, certificates: declared.certificates, onDelete: declared.onDelete };
    new CertificatePriority(declared.name, args as CertificatePriorityArgs);
}

for (const declared of config.getObject<DeclaredOrder[]>("orders") ?? []) {
    new CertificateOrder(declared.name, { zoneId: declared.zoneId, certificates: declared.certificates });
}

export const declared = (config.getObject<unknown[]>("priorities") ?? []).length;
