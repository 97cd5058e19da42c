// The benchmark's baseline: the same inputs as the CertificatePriority stack, one dynamic resource
// per zone, whose provider answers every call from its arguments and sends nothing anywhere. What
// the real stack costs beyond this is the cost of CertificatePriority itself.

import * as pulumi from "@pulumi/pulumi";

import { readPlan } from "../plan";

type Inputs = Record<string, unknown>;

// Captures nothing, so its serialized form is as small as a dynamic provider's gets.
const noopProvider: pulumi.dynamic.ResourceProvider = {
    async check(_olds: Inputs, news: Inputs) {
        return { inputs: news };
    },
    async diff(_id: string, olds: Inputs, news: Inputs) {
        if (olds["zoneId"] !== news["zoneId"]) {
            return { changes: true, replaces: ["zoneId"] };
        }
        const changes = ["certificates", "onDelete"].some((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
        return { changes };
    },
    async create(inputs: Inputs) {
        return { id: String(inputs["zoneId"]), outs: inputs };
    },
    async read(id: string, props: Inputs) {
        return { id, props };
    },
    async update(_id: string, _olds: Inputs, news: Inputs) {
        return { outs: news };
    },
    async delete() {},
};

class NoopResource extends pulumi.dynamic.Resource {
    constructor(name: string, props: Inputs, opts?: pulumi.CustomResourceOptions) {
        super(noopProvider, name, props, opts, "bench", "Noop");
    }
}

const plan = readPlan(new pulumi.Config().require("plan"));

plan.zones.forEach(
    (zone, index) =>
        new NoopResource(`zone-${index}`, {
            zoneId: zone.zoneId,
            certificates: zone.certificates,
            onDelete: "restore",
        }),
);
