// What a Pulumi program needs: the resource, the component and their types. The implementation
// that talks to Cloudflare (the provider, its client and errors) is "pulumi-cloudflare-certificate-priority/provider";
// programs do not load it, the provider process does.
export {
    CertificatePriority,
    type CertificatePriorityArgs,
    type CertificatePriorityEntryArgs,
} from "./provider/resource";
export type { CertificatePriorityOutputs, PreviousPriority } from "./provider/provider";
export type { OnDelete, PriorityEntry } from "./provider/inputs";
export * from "./components";
