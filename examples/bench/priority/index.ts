// One CertificatePriority per zone of the plan file. Run by scripts/bench.ts against the emulator.

import * as pulumi from "@pulumi/pulumi";
import { CertificatePriority } from "pulumi-cloudflare-certificate-priority";

import { readPlan } from "../plan";

const plan = readPlan(new pulumi.Config().require("plan"));

plan.zones.forEach(
    (zone, index) =>
        new CertificatePriority(`zone-${index}`, {
            zoneId: zone.zoneId,
            certificates: zone.certificates,
            onDelete: "restore",
        }),
);
