// Uploads an ECDSA and an RSA certificate to each of several zones with @pulumi/cloudflare, requires
// TLS 1.2 in those zones, and declares which certificate each zone prefers. CertificateOrder takes each
// certificate's zone from the CustomSsl resource and orders every zone on its own. The certificates are
// created in this stack, so their IDs are unknown during the first preview; CertificateOrder waits for them.
//
//   pulumi config set --path 'zoneIds[0]' <zone id>     # and zoneIds[1], ... for more zones
//   pulumi config set --secret cloudflare:apiToken <token>
//   pulumi config set ecdsaCert "$(cat ecdsa.pem)"       # likewise rsaCert
//   pulumi config set --secret ecdsaKey "$(cat ecdsa.key)"  # likewise rsaKey
//   pulumi up

import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { CertificateOrder } from "pulumi-cloudflare-certificate-priority";

const config = new pulumi.Config();
const zoneIds = config.requireObject<string[]>("zoneIds");

// Most preferred first: clients that support ECDSA get it; the RSA certificate is the fallback.
const leaves = [
    { kind: "ecdsa", certificate: config.require("ecdsaCert"), privateKey: config.requireSecret("ecdsaKey") },
    { kind: "rsa", certificate: config.require("rsaCert"), privateKey: config.requireSecret("rsaKey") },
];

const certificates = zoneIds.flatMap((zoneId) => {
    // A custom certificate is only as strong as the oldest protocol the zone still accepts.
    new cloudflare.ZoneSetting(`min-tls-${zoneId}`, { zoneId, settingId: "min_tls_version", value: "1.2" });

    return leaves.map(
        (leaf) =>
            new cloudflare.CustomSsl(`${leaf.kind}-${zoneId}`, {
                zoneId,
                certificate: leaf.certificate,
                privateKey: leaf.privateKey,
                bundleMethod: "ubiquitous",
                type: "sni_custom",
            }),
    );
});

// No zoneId: every certificate brings its own, and each zone gets a CertificatePriority named after it.
const order = new CertificateOrder("tls", { certificates });

export const priorities = order.priorities;
export const orderedZones = order.zoneIds;
