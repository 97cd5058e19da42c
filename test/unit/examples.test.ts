import * as assert from "node:assert/strict";

import * as pulumi from "@pulumi/pulumi";

interface Registered {
    type: string;
    name: string;
    inputs: Record<string, any>;
}

const PROJECT = "certificate-priority-custom-ssl";
const PRIORITY_TYPE = "pulumi-nodejs:dynamic/cloudflare:CertificatePriority";
const COM = "023e105f4ecef8ad9ca31a8372d0c353";
const NET = "9f86d081884c7d659a2feaa0c55ad015";

// examples/custom-ssl runs here as `pulumi up` would run it, with every resource registered with mocks.
// The mocks are installed in `before`, not when the file loads, so that they do not replace those of
// other test files that run earlier.
describe("examples/custom-ssl (under mocks)", () => {
    const registered: Registered[] = [];
    let program: { priorities: pulumi.Output<unknown>; orderedZones: pulumi.Output<string[]> };

    before(async () => {
        assertPackageBuilt();
        await pulumi.runtime.setMocks(
            {
                newResource(args) {
                    registered.push({ type: args.type, name: args.name, inputs: args.inputs });
                    return { id: `${args.name}-id`, state: args.inputs };
                },
                call(args) {
                    return args.inputs;
                },
            },
            PROJECT,
            "test",
            false,
        );
        pulumi.runtime.setAllConfig(
            {
                [`${PROJECT}:zoneIds`]: JSON.stringify([COM, NET]),
                [`${PROJECT}:ecdsaCert`]: "-----BEGIN CERTIFICATE-----\necdsa\n-----END CERTIFICATE-----",
                [`${PROJECT}:ecdsaKey`]: "-----BEGIN PRIVATE KEY-----\necdsa\n-----END PRIVATE KEY-----",
                [`${PROJECT}:rsaCert`]: "-----BEGIN CERTIFICATE-----\nrsa\n-----END CERTIFICATE-----",
                [`${PROJECT}:rsaKey`]: "-----BEGIN PRIVATE KEY-----\nrsa\n-----END PRIVATE KEY-----",
            },
            [`${PROJECT}:ecdsaKey`, `${PROJECT}:rsaKey`],
        );

        // require, not import(): ts-node compiles what require loads, and the program must load after setMocks.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        program = require("../../examples/custom-ssl/index");
        await unwrap(program.priorities);
        await new Promise((resolve) => setTimeout(resolve, 100));
    });

    it("sets the minimum TLS version of each zone", () => {
        const settings = registered.filter((r) => r.type === "cloudflare:index/zoneSetting:ZoneSetting").sort(byName);

        assert.deepEqual(
            settings.map((s) => ({ name: s.name, ...s.inputs })),
            [
                { name: `min-tls-${COM}`, zoneId: COM, settingId: "min_tls_version", value: "1.2" },
                { name: `min-tls-${NET}`, zoneId: NET, settingId: "min_tls_version", value: "1.2" },
            ],
        );
    });

    it("uploads an ECDSA and an RSA certificate to each zone", () => {
        const uploads = registered.filter((r) => r.type === "cloudflare:index/customSsl:CustomSsl").sort(byName);

        assert.deepEqual(
            uploads.map((u) => [u.name, u.inputs["zoneId"], u.inputs["type"], u.inputs["bundleMethod"]]),
            [
                [`ecdsa-${COM}`, COM, "sni_custom", "ubiquitous"],
                [`ecdsa-${NET}`, NET, "sni_custom", "ubiquitous"],
                [`rsa-${COM}`, COM, "sni_custom", "ubiquitous"],
                [`rsa-${NET}`, NET, "sni_custom", "ubiquitous"],
            ],
        );
    });

    it("orders each zone with its own CertificatePriority, ECDSA first, the zone taken from the CustomSsl", () => {
        const children = registered
            .filter((r) => r.type === PRIORITY_TYPE)
            .map((r) => ({ name: r.name, zoneId: r.inputs["zoneId"], certificates: r.inputs["certificates"] }))
            .sort(byName);

        assert.deepEqual(children, [
            {
                name: `tls-${COM}`,
                zoneId: COM,
                certificates: [
                    { id: `ecdsa-${COM}-id`, priority: 1 },
                    { id: `rsa-${COM}-id`, priority: 2 },
                ],
            },
            {
                name: `tls-${NET}`,
                zoneId: NET,
                certificates: [
                    { id: `ecdsa-${NET}-id`, priority: 1 },
                    { id: `rsa-${NET}-id`, priority: 2 },
                ],
            },
        ]);
        assert.equal(registered.filter((r) => r.type.endsWith(":CertificateOrder")).length, 1);
    });

    it("exports every certificate's priority and the zones ordered", async () => {
        assert.deepEqual(await unwrap(program.priorities), [
            { id: `ecdsa-${COM}-id`, priority: 1, zoneId: COM },
            { id: `rsa-${COM}-id`, priority: 2, zoneId: COM },
            { id: `ecdsa-${NET}-id`, priority: 1, zoneId: NET },
            { id: `rsa-${NET}-id`, priority: 2, zoneId: NET },
        ]);
        assert.deepEqual(await unwrap(program.orderedZones), [COM, NET]);
    });
});

// Registration order follows the order in which inputs resolve, not the program's order.
function byName(a: { name: string }, b: { name: string }): number {
    return a.name.localeCompare(b.name);
}

function unwrap<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

// The example imports the package by name, as a user's program does; Node resolves that to the build.
function assertPackageBuilt(): void {
    try {
        require.resolve("pulumi-cloudflare-certificate-priority");
    } catch {
        throw new Error(
            "examples/custom-ssl imports the package by name, which needs the build: run `npm run build` first",
        );
    }
}
