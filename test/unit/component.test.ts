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
import { checkInputs } from "../../provider/inputs";

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
            { id: "ecdsa-id", priority: 1, zoneId: ZONE },
            { id: "5a7805061c76ada191ed06f989cc3dac", priority: 2, zoneId: ZONE },
            { id: "rsa-id", priority: 3, zoneId: ZONE },
        ]);
        const child = registered.filter((r) => r.type === PRIORITY_TYPE);
        assert.equal(child.length, 1);
        assert.equal(child[0]?.name, "example-com");
        assert.equal(child[0]?.inputs["zoneId"], ZONE);
        // Sorted by ID, so that a reorder previews as priorities changing.
        assert.deepEqual(child[0]?.inputs["certificates"], [
            { id: "5a7805061c76ada191ed06f989cc3dac", priority: 2 },
            { id: "ecdsa-id", priority: 1 },
            { id: "rsa-id", priority: 3 },
        ]);
        assert.equal(child[0]?.inputs["onDelete"], undefined);
        assert.equal(typeof child[0]?.inputs["__provider"], "string");
    });

    it("parents the CertificatePriority to the component", async () => {
        const order = new CertificateOrder("parented", { zoneId: ZONE, certificates: ["a1", "b2"] });
        assert.ok(order.certificatePriority, "the component exposes its one child");
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

    // Here the package is loaded from the repository, not node_modules, so Pulumi copies the stub by
    // value, as for a linked package; installed, it records a require (test/e2e/package.test.ts).
    it("serializes a provider that stays small and holds no implementation", async () => {
        new CertificateOrder("small", { zoneId: ZONE, certificates: ["a1"] });
        await settle();

        const serialized = registered.find((r) => r.name === "small" && r.type === PRIORITY_TYPE)?.inputs["__provider"];
        assert.ok(typeof serialized === "string");
        assert.ok(serialized.length < 4096, `serialized provider is ${serialized.length} bytes`);
        assert.match(serialized, /PACKAGE: "pulumi-cloudflare-certificate-priority"/);
        assert.match(serialized, /\$\{PACKAGE\}\/provider/);
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

describe("CertificateOrder with the zones taken from the certificates (under mocks)", () => {
    const NET = "9f86d081884c7d659a2feaa0c55ad015";

    beforeEach(() => {
        registered.length = 0;
    });

    function inZone(name: string, zoneId: string): cloudflare.CustomSsl {
        return new cloudflare.CustomSsl(name, {
            zoneId,
            certificate: `-----BEGIN CERTIFICATE-----\n${name}\n-----END CERTIFICATE-----`,
            privateKey: pulumi.secret(`-----BEGIN PRIVATE KEY-----\n${name}\n-----END PRIVATE KEY-----`),
            bundleMethod: "ubiquitous",
            type: "sni_custom",
        });
    }

    function children(): Registered[] {
        return registered.filter((r) => r.type === PRIORITY_TYPE);
    }

    it("takes the zone from CustomSsl resources when zoneId is not given", async () => {
        const order = new CertificateOrder("inferred", {
            certificates: [inZone("z-rsa", ZONE), inZone("z-ecdsa", ZONE)],
        });
        const [priorities, zoneIds, zoneId, byZone] = await Promise.all([
            unwrap(order.priorities),
            unwrap(order.zoneIds),
            unwrap(order.zoneId),
            unwrap(order.certificatePriorities),
        ]);
        await settle();

        assert.deepEqual(priorities, [
            { id: "z-rsa-id", priority: 1, zoneId: ZONE },
            { id: "z-ecdsa-id", priority: 2, zoneId: ZONE },
        ]);
        assert.deepEqual(zoneIds, [ZONE]);
        assert.equal(zoneId, ZONE);
        assert.equal(order.certificatePriority, undefined);
        assert.deepEqual(Object.keys(byZone), [ZONE]);
        assert.deepEqual(
            children().map((c) => ({
                name: c.name,
                zoneId: c.inputs["zoneId"],
                certificates: c.inputs["certificates"],
            })),
            [
                {
                    name: `inferred-${ZONE}`,
                    zoneId: ZONE,
                    certificates: [
                        { id: "z-ecdsa-id", priority: 2 },
                        { id: "z-rsa-id", priority: 1 },
                    ],
                },
            ],
        );
    });

    it("orders certificates from several zones with one child per zone, 1..n in list order within each", async () => {
        const comEcdsa = inZone("com-ecdsa", ZONE);
        const netEcdsa = inZone("net-ecdsa", NET);
        const comRsa = inZone("com-rsa", ZONE);
        const netRsa = inZone("net-rsa", NET);

        const order = new CertificateOrder("edge", {
            certificates: [
                netRsa,
                comEcdsa,
                netEcdsa,
                { id: "5a7805061c76ada191ed06f989cc3dac", zoneId: ZONE },
                comRsa,
            ],
            onDelete: "keep",
        });
        const [priorities, zoneIds, zoneId, byZone] = await Promise.all([
            unwrap(order.priorities),
            unwrap(order.zoneIds),
            unwrap(order.zoneId),
            unwrap(order.certificatePriorities),
        ]);
        await settle();

        assert.deepEqual(priorities, [
            { id: "net-rsa-id", priority: 1, zoneId: NET },
            { id: "com-ecdsa-id", priority: 1, zoneId: ZONE },
            { id: "net-ecdsa-id", priority: 2, zoneId: NET },
            { id: "5a7805061c76ada191ed06f989cc3dac", priority: 2, zoneId: ZONE },
            { id: "com-rsa-id", priority: 3, zoneId: ZONE },
        ]);
        assert.deepEqual(zoneIds, [NET, ZONE]);
        assert.equal(zoneId, undefined);
        assert.deepEqual(Object.keys(byZone).sort(), [NET, ZONE].sort());
        assert.deepEqual(
            children()
                .map((c) => ({ name: c.name, inputs: withoutProvider(c.inputs) }))
                .sort((a, b) => a.name.localeCompare(b.name)),
            [
                {
                    name: `edge-${ZONE}`,
                    inputs: {
                        zoneId: ZONE,
                        certificates: [
                            { id: "5a7805061c76ada191ed06f989cc3dac", priority: 2 },
                            { id: "com-ecdsa-id", priority: 1 },
                            { id: "com-rsa-id", priority: 3 },
                        ],
                        onDelete: "keep",
                    },
                },
                {
                    name: `edge-${NET}`,
                    inputs: {
                        zoneId: NET,
                        certificates: [
                            { id: "net-ecdsa-id", priority: 2 },
                            { id: "net-rsa-id", priority: 1 },
                        ],
                        onDelete: "keep",
                    },
                },
            ],
        );
    });

    it("parents every zone's child to the component", async () => {
        const order = new CertificateOrder("parents", { certificates: [inZone("p-com", ZONE), inZone("p-net", NET)] });
        const byZone = await unwrap(order.certificatePriorities);
        const urns = await Promise.all(Object.values(byZone).map((child) => unwrap(child.urn)));

        const prefix = "urn:pulumi:test::certificate-priority::cloudflare-certificate-priority:index:CertificateOrder$";
        assert.deepEqual(
            urns.sort(),
            [`${prefix}${PRIORITY_TYPE}::parents-${ZONE}`, `${prefix}${PRIORITY_TYPE}::parents-${NET}`].sort(),
        );
    });

    it("still puts every certificate in the given zoneId, a CustomSsl of that zone included", async () => {
        const order = new CertificateOrder("given", { zoneId: ZONE, certificates: [inZone("g-ecdsa", ZONE), "b2"] });
        await unwrap(order.priorities);
        await settle();

        assert.deepEqual(
            children().map((c) => ({
                name: c.name,
                zoneId: c.inputs["zoneId"],
                certificates: c.inputs["certificates"],
            })),
            [
                {
                    name: "given",
                    zoneId: ZONE,
                    certificates: [
                        { id: "b2", priority: 2 },
                        { id: "g-ecdsa-id", priority: 1 },
                    ],
                },
            ],
        );
    });

    it("fails, naming the entry, when a bare ID leaves its zone unknown, before registering anything", async () => {
        const ecdsa = inZone("nz-ecdsa", ZONE);

        assert.throws(
            () => new CertificateOrder("no-zone", { certificates: [ecdsa, "5a7805061c76ada191ed06f989cc3dac"] }),
            {
                message:
                    "CertificateOrder: the zone of certificates[1] cannot be known: it is a bare certificate ID. " +
                    "Give `zoneId`, or list the cloudflare.CustomSsl resource (or { id, zoneId }) instead",
            },
        );
        await settle();
        assert.deepEqual(
            registered.map((r) => r.name),
            ["nz-ecdsa"],
        );
    });

    it("fails, naming the entry, when a certificate's zone resolves to nothing", async () => {
        const order = new CertificateOrder("empty-zone", {
            certificates: [inZone("ez-ecdsa", ZONE), { id: "b2", zoneId: pulumi.output("") }],
        });

        const error = await failureOf(order.priorities);
        assert.equal(
            error.message,
            'CertificateOrder empty-zone: the zone of certificates[1] cannot be known: its zoneId is "". ' +
                "Give `zoneId`, or list a certificate with a zone",
        );
        assert.equal(children().length, 0);
    });

    it("fails when a CustomSsl is in another zone than the zoneId given", async () => {
        const order = new CertificateOrder("mismatch", { zoneId: ZONE, certificates: ["a1", inZone("m-net", NET)] });

        // The same error also fails the child's registration, which prefixes the property it was serializing.
        const error = await failureOf(order.priorities);
        assert.equal(
            error.message.replace('error serializing property "certificates": ', ""),
            `CertificateOrder mismatch: certificates[1] (m-net-id) is in zone ${NET}, not in zone ${ZONE}. ` +
                "List only that zone's certificates, or leave out `zoneId` to order each zone's certificates",
        );
    });
});

function withoutProvider(inputs: Record<string, any>): Record<string, any> {
    const { __provider: _provider, ...rest } = inputs;
    return rest;
}

// The error an output failed with; fails the test if the output resolves instead.
function failureOf<T>(output: pulumi.Output<T>): Promise<Error> {
    return new Promise((resolve, reject) => {
        pulumi
            .recover(output, (err: unknown) => {
                resolve(err as Error);
                return undefined as T;
            })
            .apply((value) => {
                if (value !== undefined) {
                    reject(new Error(`expected a failure, got ${JSON.stringify(value)}`));
                }
            });
    });
}

// Bad lists given to the component: what the provider's check makes of the child it registers,
// which is what `pulumi preview` prints (issue 3's bad-input table, through the component).
describe("CertificateOrder with bad lists: the child's check names the entry (under mocks)", () => {
    beforeEach(() => {
        registered.length = 0;
    });

    async function childFailures(
        name: string,
        certificates: string[],
    ): Promise<Array<{ property: string; reason: string }>> {
        new CertificateOrder(name, { zoneId: ZONE, certificates });
        await settle();
        const child = registered.find((r) => r.type === PRIORITY_TYPE && r.name === name);
        assert.ok(child, `the component registered no child for ${name}`);
        return checkInputs(child.inputs).failures;
    }

    it("a certificate listed twice: check names the repeat and says to list it once", async () => {
        const failures = await childFailures("repeat", ["a1", "b2", "a1"]);

        assert.equal(failures.length, 1, JSON.stringify(failures));
        assert.match(failures[0]!.property, /^certificates\[[0-2]\]\.id$/);
        assert.match(
            failures[0]!.reason,
            /lists certificate a1 again \(first at certificates\[[0-2]\]\); list each certificate once/,
        );
    });

    it("a certificate listed twice in another letter case: the same failure", async () => {
        const failures = await childFailures("repeat-case", ["abc1", "ABC1"]);

        assert.match(failures.map((f) => f.reason).join("; "), /lists certificate (abc1|ABC1) again/);
    });

    it("an empty entry: check says the ID must not be empty", async () => {
        const failures = await childFailures("empty-entry", ["a1", ""]);

        assert.deepEqual(
            failures.map((f) => f.reason),
            ["must not be empty: give the custom certificate's ID"],
        );
        assert.match(failures[0]!.property, /^certificates\[[01]\]\.id$/);
    });

    it("a blank entry: check says what an ID looks like", async () => {
        const failures = await childFailures("blank-entry", ["a1", "  "]);

        assert.match(failures.map((f) => f.reason).join("; "), /letters, digits and dashes/);
    });

    it("a missing entry (null or undefined): the component throws naming its index, registering nothing", () => {
        for (const missing of [null, undefined]) {
            assert.throws(
                () => new CertificateOrder("missing", { zoneId: ZONE, certificates: ["a1", missing as never] }),
                /certificates\[1\] must be a certificate ID or a resource with an id/,
            );
        }
        assert.equal(registered.filter((r) => r.name === "missing").length, 0);
    });

    it("a good list: check finds nothing wrong", async () => {
        assert.deepEqual(await childFailures("good", ["a1", "b2", "c3"]), []);
    });
});
