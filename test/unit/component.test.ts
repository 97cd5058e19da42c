import * as assert from "node:assert/strict";

import * as pulumi from "@pulumi/pulumi";

interface Registered {
    type: string;
    name: string;
    inputs: Record<string, any>;
}

const registered: Registered[] = [];

pulumi.runtime.setMocks(
    {
        newResource(args) {
            registered.push({
                type: args.type,
                name: args.name,
                inputs: args.inputs,
            });
            return { id: `${args.name}-id`, state: args.inputs };
        },
        call(args) {
            return args.inputs;
        },
    },
    "certificate-priority",
    "test",
    false,
);

// Loaded after setMocks so that every resource registers with the mocks.
import * as cloudflare from "@pulumi/cloudflare";
import { CertificateOrder, prioritiesFromOrder } from "../../components";

const ZONE = "023e105f4ecef8ad9ca31a8372d0c353";
const PRIORITY_TYPE = "pulumi-nodejs:dynamic/cloudflare:CertificatePriority";

function unwrap<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

async function settle(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 50));
}

function customSsl(name: string, key: string): cloudflare.CustomSsl {
    return new cloudflare.CustomSsl(name, {
        zoneId: ZONE,
        certificate: `-----BEGIN CERTIFICATE-----\n${key}\n-----END CERTIFICATE-----`,
        privateKey: pulumi.secret(`-----BEGIN PRIVATE KEY-----\n${key}\n-----END PRIVATE KEY-----`),
        bundleMethod: "ubiquitous",
        type: "sni_custom",
    });
}

describe("CertificateOrder (under mocks)", () => {
    beforeEach(() => {
        registered.length = 0;
    });

    it("turns CustomSsl resources, plain IDs and objects with an id into priorities 1, 2, 3", async () => {
        const ecdsa = customSsl("ecdsa", "ecdsa");
        const rsa = customSsl("rsa", "rsa");

        const order = new CertificateOrder("example-com", {
            zoneId: ZONE,
            certificates: [ecdsa, "5a7805061c76ada191ed06f989cc3dac", { id: rsa.id }],
        });
        const priorities = await unwrap(order.priorities);
        await settle();

        assert.deepEqual(priorities, [
            { id: "ecdsa-id", priority: 1 },
            { id: "5a7805061c76ada191ed06f989cc3dac", priority: 2 },
            { id: "rsa-id", priority: 3 },
        ]);
        const child = registered.filter((r) => r.type === PRIORITY_TYPE);
        assert.equal(child.length, 1);
        assert.equal(child[0]?.name, "example-com");
        assert.equal(child[0]?.inputs["zoneId"], ZONE);
        assert.deepEqual(child[0]?.inputs["certificates"], priorities);
        assert.equal(child[0]?.inputs["onDelete"], undefined);
        assert.equal(typeof child[0]?.inputs["__provider"], "string");
    });

    it("parents the CertificatePriority to the component", async () => {
        const order = new CertificateOrder("parented", { zoneId: ZONE, certificates: ["a1", "b2"] });
        const childUrn = await unwrap(order.certificatePriority.urn);
        await settle();

        // A child's URN carries its parent's type before its own.
        assert.equal(
            childUrn,
            "urn:pulumi:test::certificate-priority::cloudflare-certificate-priority:index:CertificateOrder$" +
                `${PRIORITY_TYPE}::parented`,
        );
        const component = registered.find((r) => r.type === "cloudflare-certificate-priority:index:CertificateOrder");
        assert.equal(component?.name, "parented");
    });

    it("passes onDelete through to the child", async () => {
        new CertificateOrder("keep", { zoneId: ZONE, certificates: ["a1"], onDelete: "keep" });
        await settle();

        const child = registered.find((r) => r.type === PRIORITY_TYPE && r.name === "keep");
        assert.equal(child?.inputs["onDelete"], "keep");
    });

    it("serializes a provider that stays small and holds no implementation", async () => {
        new CertificateOrder("small", { zoneId: ZONE, certificates: ["a1"] });
        await settle();

        const serialized = registered.find((r) => r.name === "small" && r.type === PRIORITY_TYPE)?.inputs["__provider"];
        assert.ok(typeof serialized === "string");
        assert.ok(serialized.length < 4096, `serialized provider is ${serialized.length} bytes`);
        assert.match(serialized, /pulumi-cloudflare-certificate-priority\/provider/);
        assert.doesNotMatch(serialized, /prioritizeCustomCertificates|undici/);
    });

    it("rejects an empty list before registering anything", () => {
        assert.throws(
            () => new CertificateOrder("empty", { zoneId: ZONE, certificates: [] }),
            /`certificates` must list at least one certificate/,
        );
        assert.equal(registered.filter((r) => r.name === "empty" && r.type === PRIORITY_TYPE).length, 0);
    });

    it("names the entry that is neither an ID nor a resource", () => {
        assert.throws(
            () => prioritiesFromOrder(["a1", {} as { id: string }]),
            /certificates\[1\] must be a certificate ID or a resource with an id/,
        );
    });
});
