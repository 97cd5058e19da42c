import * as pulumi from "@pulumi/pulumi";
import { CertificateOrder, CertificatePriority } from "pulumi-cloudflare-certificate-priority";

const config = new pulumi.Config();

// The component: list the certificates most preferred first; the first gets priority 1.
const order = new CertificateOrder("primary-zone", {
    zoneId: config.require("zoneId"),
    certificates: config.requireObject<string[]>("certificates"),
});

// The resource itself, for when you choose the numbers.
const secondZoneId = config.get("secondZoneId") ?? "";
const second =
    secondZoneId === ""
        ? undefined
        : new CertificatePriority("second-zone", {
              zoneId: secondZoneId,
              certificates: (config.getObject<string[]>("secondZoneCertificates") ?? []).map((id, index) => ({
                  id,
                  priority: (index + 1) * 10,
              })),
              onDelete: "restore",
          });

export const primaryOrder = order.priorities;
// An empty list rather than undefined when no second zone is configured, so Pulumi does not warn.
export const secondOrder = second?.certificates ?? [];
