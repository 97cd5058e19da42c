// Uploads two custom certificates for the same hostnames with @pulumi/cloudflare, then declares
// which one Cloudflare prefers. The certificates are created in this stack, so their IDs are
// unknown during the first preview; CertificateOrder waits for them.
//
//   pulumi config set zoneId <zone id>
//   pulumi config set --secret cloudflare:apiToken <token>
//   pulumi config set --secret ecdsaKey "$(cat ecdsa.key)"   # likewise ecdsaCert, rsaKey, rsaCert
//   pulumi up

import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { CertificateOrder } from "pulumi-cloudflare-certificate-priority";

const config = new pulumi.Config();
const zoneId = config.require("zoneId");

const ecdsa = new cloudflare.CustomSsl("ecdsa", {
    zoneId,
    certificate: config.require("ecdsaCert"),
    privateKey: config.requireSecret("ecdsaKey"),
    bundleMethod: "ubiquitous",
    type: "sniCustom",
});

const rsa = new cloudflare.CustomSsl("rsa", {
    zoneId,
    certificate: config.require("rsaCert"),
    privateKey: config.requireSecret("rsaKey"),
    bundleMethod: "ubiquitous",
    type: "sniCustom",
});

// Most preferred first: clients that support ECDSA get it; the RSA certificate is the fallback.
const order = new CertificateOrder("example-com", {
    zoneId,
    certificates: [ecdsa, rsa],
});

export const priorities = order.priorities;
