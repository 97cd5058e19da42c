import * as assert from "node:assert/strict";

import { startEmulator, type Emulator } from "../../emulator";
import type { LocalStack } from "../../scripts/stack";
import { requirePulumiCli } from "../support/pulumiCli";
import { e2eSeed, TOKEN, ZONES } from "./fixtures";
import { programStack, type DeclaredPriority } from "./helpers";

const ZONE = ZONES.primary.id;
const [A, B, C] = ZONES.primary.order as [string, string, string];

interface Case {
    title: string;
    config: {
        priorities?: DeclaredPriority[];
        orders?: Array<{ name: string; zoneId: string; certificates: string[] }>;
    };
    /** The property path and the words of the fix that the preview must print. */
    says: RegExp;
}

const cases: Case[] = [
    {
        title: "a negative priority",
        config: {
            priorities: [
                {
                    name: "p",
                    zoneId: ZONE,
                    certificates: [
                        { id: A, priority: 1 },
                        { id: B, priority: -2 },
                    ],
                },
            ],
        },
        says: /certificates\[1\]\.priority.*must be 0 or more: 1 is the most preferred certificate/,
    },
    {
        title: "a fractional priority",
        config: { priorities: [{ name: "p", zoneId: ZONE, certificates: [{ id: A, priority: 1.5 }] }] },
        says: /certificates\[0\]\.priority.*must be a whole number: 1 for the most preferred certificate/,
    },
    {
        title: "a certificate listed twice",
        config: {
            priorities: [
                {
                    name: "p",
                    zoneId: ZONE,
                    certificates: [
                        { id: A, priority: 1 },
                        { id: A, priority: 2 },
                    ],
                },
            ],
        },
        says: new RegExp(
            `certificates\\[1\\]\\.id.*lists certificate ${A} again \\(first at certificates\\[0\\]\\); list each certificate once`,
        ),
    },
    {
        title: "an empty zone ID",
        config: { priorities: [{ name: "p", zoneId: "", certificates: [{ id: A, priority: 1 }] }] },
        says: /zoneId.*must be a Cloudflare zone ID: 32 hexadecimal characters/,
    },
    {
        title: "an unknown field on an entry",
        config: { priorities: [{ name: "p", zoneId: ZONE, certificates: [{ id: A, priority: 1, weight: 5 }] }] },
        says: /certificates\[0\]\.weight.*is not a known field; remove it \(known: id, priority\)/,
    },
    {
        title: "an empty list",
        config: { priorities: [{ name: "p", zoneId: ZONE, certificates: [] }] },
        says: /certificates.*must list at least one certificate/,
    },
    {
        title: "a certificate listed twice in a CertificateOrder",
        config: { orders: [{ name: "o", zoneId: ZONE, certificates: [A, B, A] }] },
        says: new RegExp(`certificates\\[\\d\\]\\.id.*lists certificate ${A} again`),
    },
    {
        title: "an empty entry in a CertificateOrder",
        config: { orders: [{ name: "o", zoneId: ZONE, certificates: [A, "", C] }] },
        says: /certificates\[\d\]\.id.*must not be empty: give the custom certificate's ID/,
    },
];

// Bad inputs stop `pulumi preview` in the provider's check: the output names the property and the
// fix, and Cloudflare (the emulator) hears nothing.
describe("bad input through the Pulumi CLI (end to end)", function () {
    this.timeout(180_000);

    let emulator: Emulator;
    let stack: LocalStack;

    before(async function () {
        requirePulumiCli(this);
        emulator = await startEmulator({ seed: e2eSeed() });
        stack = programStack("bad-input-e2e", emulator, { CLOUDFLARE_API_TOKEN: TOKEN });
        await stack.init();
    });

    after(async () => {
        stack?.dispose();
        await emulator?.close();
    });

    for (const { title, config, says } of cases) {
        it(`${title}: preview fails naming the property, with no request sent`, async () => {
            await stack.setConfigJson("priorities", config.priorities ?? []);
            await stack.setConfigJson("orders", config.orders ?? []);
            emulator.clearRequests();

            const result = await stack.run(["preview"], true);

            assert.notEqual(result.code, 0);
            assert.match(result.stdout + result.stderr, says);
            assert.deepEqual(emulator.requests(), []);
        });
    }
});
