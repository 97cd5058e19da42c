import * as assert from "node:assert/strict";

import { startEmulator } from "../../emulator";
import { checkInputs, UNKNOWN } from "../../provider/inputs";
import { CertificatePriorityProvider, type CertificatePriorityOutputs } from "../../provider/provider";
import { e2eSeed, TOKEN } from "../e2e/fixtures";

const ZONE = "023e105f4ecef8ad9ca31a8372d0c353";
const OTHER_ZONE = "9a7806061c88ada191ed06f989cc3dac";
const A = "5a7805061c76ada191ed06f989cc3dac";
const B = "9a7806061c88ada191ed06f989cc3dac";
const UUID = "7b163417-1d2b-4c84-a38a-2fb7a0cd7752";

const valid = {
    zoneId: ZONE,
    certificates: [
        { id: A, priority: 1 },
        { id: B, priority: 2 },
    ],
};

// Each row: inputs, the property the failure must name, and words its reason must contain.
const badInputs: Array<[string, unknown, string, RegExp]> = [
    ["missing zoneId", { certificates: valid.certificates }, "zoneId", /is required/],
    ["empty zoneId", { ...valid, zoneId: "" }, "zoneId", /32 hexadecimal/],
    ["short zoneId", { ...valid, zoneId: "abc" }, "zoneId", /32 hexadecimal/],
    ["over-long zoneId", { ...valid, zoneId: `${ZONE}0` }, "zoneId", /32 hexadecimal/],
    ["numeric zoneId", { ...valid, zoneId: 42 }, "zoneId", /must be a string/],
    ["missing certificates", { zoneId: ZONE }, "certificates", /is required/],
    ["empty certificates", { zoneId: ZONE, certificates: [] }, "certificates", /at least one/],
    ["certificates not a list", { zoneId: ZONE, certificates: { id: A } }, "certificates", /must be a list/],
    ["entry not an object", { zoneId: ZONE, certificates: [A] }, "certificates[0]", /\{ id, priority \}/],
    ["missing id", { zoneId: ZONE, certificates: [{ priority: 1 }] }, "certificates[0].id", /is required/],
    ["empty id", { zoneId: ZONE, certificates: [{ id: "", priority: 1 }] }, "certificates[0].id", /must not be empty/],
    [
        "id with spaces",
        { zoneId: ZONE, certificates: [{ id: "a b", priority: 1 }] },
        "certificates[0].id",
        /letters, digits/,
    ],
    ["missing priority", { zoneId: ZONE, certificates: [{ id: A }] }, "certificates[0].priority", /is required/],
    [
        "negative priority",
        { zoneId: ZONE, certificates: [{ id: A, priority: -1 }] },
        "certificates[0].priority",
        /0 or more/,
    ],
    [
        "fractional priority",
        { zoneId: ZONE, certificates: [{ id: A, priority: 1.5 }] },
        "certificates[0].priority",
        /whole number/,
    ],
    [
        "string priority",
        { zoneId: ZONE, certificates: [{ id: A, priority: "1" }] },
        "certificates[0].priority",
        /must be a number/,
    ],
    [
        "huge priority",
        { zoneId: ZONE, certificates: [{ id: A, priority: 1e12 }] },
        "certificates[0].priority",
        /at most/,
    ],
    [
        "extra key on entry",
        { zoneId: ZONE, certificates: [{ id: A, priority: 1, weight: 2 }] },
        "certificates[0].weight",
        /not a known field/,
    ],
    ["extra top-level key", { ...valid, zone: ZONE }, "zone", /not a known field/],
    ["bad onDelete", { ...valid, onDelete: "forget" }, "onDelete", /"restore".*"keep"/],
    [
        "duplicate id",
        {
            zoneId: ZONE,
            certificates: [
                { id: A, priority: 1 },
                { id: B, priority: 2 },
                { id: A, priority: 3 },
            ],
        },
        "certificates[2].id",
        /again \(first at certificates\[0\]\)/,
    ],
    // Zone IDs of every wrong kind.
    ["null zoneId", { ...valid, zoneId: null }, "zoneId", /must be a string: the 32-character zone ID/],
    ["zoneId as a list", { ...valid, zoneId: [ZONE] }, "zoneId", /must be a string/],
    ["zoneId as an object", { ...valid, zoneId: { id: ZONE } }, "zoneId", /must be a string/],
    ["zoneId of 32 non-hex characters", { ...valid, zoneId: "z".repeat(32) }, "zoneId", /32 hexadecimal/],
    ["zoneId with surrounding spaces", { ...valid, zoneId: ` ${ZONE} ` }, "zoneId", /32 hexadecimal/],
    ["zoneId that is a zone name", { ...valid, zoneId: "example.com" }, "zoneId", /Overview page/],
    // Certificate lists of the wrong shape or size.
    ["null certificates", { zoneId: ZONE, certificates: null }, "certificates", /must be a list of \{ id, priority \}/],
    ["certificates as a string", { zoneId: ZONE, certificates: A }, "certificates", /must be a list/],
    [
        "over 500 certificates",
        { zoneId: ZONE, certificates: Array.from({ length: 501 }, (_, i) => ({ id: `c${i}`, priority: i })) },
        "certificates",
        /more than 500 certificates/,
    ],
    [
        "null entry",
        { zoneId: ZONE, certificates: [{ id: A, priority: 1 }, null] },
        "certificates[1]",
        /must be an object/,
    ],
    [
        "entry as a pair",
        { zoneId: ZONE, certificates: [[A, 1]] },
        "certificates[0]",
        /must be an object \{ id, priority \}/,
    ],
    // Certificate IDs.
    ["numeric id", { zoneId: ZONE, certificates: [{ id: 42, priority: 1 }] }, "certificates[0].id", /must be a string/],
    ["null id", { zoneId: ZONE, certificates: [{ id: null, priority: 1 }] }, "certificates[0].id", /must be a string/],
    [
        "over-long id",
        { zoneId: ZONE, certificates: [{ id: "a".repeat(65), priority: 1 }] },
        "certificates[0].id",
        /too long/,
    ],
    [
        "id climbing a path",
        { zoneId: ZONE, certificates: [{ id: "../zones", priority: 1 }] },
        "certificates[0].id",
        /letters, digits and dashes/,
    ],
    [
        "id repeated in another letter case",
        {
            zoneId: ZONE,
            certificates: [
                { id: A, priority: 1 },
                { id: A.toUpperCase(), priority: 2 },
            ],
        },
        "certificates[1].id",
        /again \(first at certificates\[0\]\); list each certificate once/,
    ],
    // Priorities.
    [
        "NaN priority",
        { zoneId: ZONE, certificates: [{ id: A, priority: Number.NaN }] },
        "certificates[0].priority",
        /finite whole number, not NaN/,
    ],
    [
        "infinite priority",
        { zoneId: ZONE, certificates: [{ id: A, priority: Infinity }] },
        "certificates[0].priority",
        /not Infinity/,
    ],
    [
        "minus infinite priority",
        { zoneId: ZONE, certificates: [{ id: A, priority: -Infinity }] },
        "certificates[0].priority",
        /not -Infinity/,
    ],
    [
        "null priority",
        { zoneId: ZONE, certificates: [{ id: A, priority: null }] },
        "certificates[0].priority",
        /must be a number/,
    ],
    [
        "boolean priority",
        { zoneId: ZONE, certificates: [{ id: A, priority: true }] },
        "certificates[0].priority",
        /must be a number/,
    ],
    [
        "priority just over the bound",
        { zoneId: ZONE, certificates: [{ id: A, priority: 1_000_001 }] },
        "certificates[0].priority",
        /at most 1000000: number/,
    ],
    [
        "unsafe integer priority",
        { zoneId: ZONE, certificates: [{ id: A, priority: 2 ** 53 }] },
        "certificates[0].priority",
        /at most 1000000/,
    ],
    [
        "priority in exponent text",
        { zoneId: ZONE, certificates: [{ id: A, priority: "1e3" }] },
        "certificates[0].priority",
        /must be a number/,
    ],
    [
        "tiny fractional priority",
        { zoneId: ZONE, certificates: [{ id: A, priority: 0.0001 }] },
        "certificates[0].priority",
        /whole number/,
    ],
    // Other fields.
    ["onDelete in the wrong case", { ...valid, onDelete: "Restore" }, "onDelete", /"restore"/],
    ["null onDelete", { ...valid, onDelete: null }, "onDelete", /"keep"/],
    ["inputs that are not an object", [ZONE, A], "zoneId", /is required/],
];

describe("CertificatePriority check", () => {
    it(`holds a table of ${badInputs.length} bad inputs, at least 30`, () => {
        assert.ok(badInputs.length >= 30);
    });

    for (const [title, inputs, property, reason] of badInputs) {
        it(`rejects ${title}, naming ${property}`, () => {
            const { failures } = checkInputs(inputs);

            const failure = failures.find((f) => f.property === property && reason.test(f.reason));
            assert.ok(failure, `no failure for ${property} matching ${reason}; got ${JSON.stringify(failures)}`);
        });
    }

    it("sends nothing to Cloudflare while checking the whole table", async () => {
        const emulator = await startEmulator({ seed: e2eSeed() });
        try {
            const provider = new CertificatePriorityProvider({
                CLOUDFLARE_BASE_URL: emulator.apiBaseUrl,
                CLOUDFLARE_API_TOKEN: TOKEN,
            });
            await provider.configure({ config: { get: () => undefined } } as never);

            for (const [title, inputs] of badInputs) {
                const { failures } = await provider.check({}, inputs);
                assert.ok((failures ?? []).length > 0, `${title} passed check`);
            }
            assert.deepEqual(emulator.requests(), []);
        } finally {
            await emulator.close();
        }
    });

    it("accepts valid inputs, UUID ids and priority 0, and defaults onDelete to restore", () => {
        const inputs = {
            zoneId: ZONE,
            certificates: [
                { id: UUID, priority: 0 },
                { id: A, priority: 7 },
            ],
        };

        const outcome = checkInputs({ ...inputs, __provider: "serialized" });

        assert.deepEqual(outcome.failures, []);
        assert.deepEqual(outcome.inputs, { ...inputs, onDelete: "restore" });
    });

    it("tolerates unknown values anywhere during preview", () => {
        for (const inputs of [
            { zoneId: UNKNOWN, certificates: UNKNOWN },
            { zoneId: ZONE, certificates: [UNKNOWN] },
            {
                zoneId: ZONE,
                certificates: [
                    { id: UNKNOWN, priority: 1 },
                    { id: A, priority: UNKNOWN },
                ],
            },
            { ...valid, onDelete: UNKNOWN },
        ]) {
            assert.deepEqual(checkInputs(inputs).failures, [], JSON.stringify(inputs));
        }
    });

    it("still rejects the known parts next to unknown ones", () => {
        const { failures } = checkInputs({ zoneId: UNKNOWN, certificates: [{ id: UNKNOWN, priority: -3 }] });

        assert.deepEqual(
            failures.map((f) => f.property),
            ["certificates[0].priority"],
        );
    });
});

describe("CertificatePriority diff", () => {
    const provider = new CertificatePriorityProvider({});
    const olds: CertificatePriorityOutputs = {
        zoneId: ZONE,
        certificates: [
            { id: A, priority: 1 },
            { id: B, priority: 2 },
        ],
        onDelete: "restore",
        previousPriorities: [
            { id: A, priority: 2 },
            { id: B, priority: 1 },
        ],
    };
    const news = (over: Record<string, unknown>) => ({ ...valid, onDelete: "restore", ...over });

    it("reports no change when only the order of the entries differs", async () => {
        const result = await provider.diff(ZONE, olds, news({ certificates: [...valid.certificates].reverse() }));

        assert.deepEqual(result, { changes: false });
    });

    it("updates in place when a priority changes", async () => {
        const result = await provider.diff(
            ZONE,
            olds,
            news({
                certificates: [
                    { id: A, priority: 2 },
                    { id: B, priority: 1 },
                ],
            }),
        );

        assert.deepEqual(result, { changes: true });
    });

    it("updates in place when a certificate is added or removed", async () => {
        assert.deepEqual(await provider.diff(ZONE, olds, news({ certificates: [{ id: A, priority: 1 }] })), {
            changes: true,
        });
        const added = [...valid.certificates, { id: UUID, priority: 3 }];
        assert.deepEqual(await provider.diff(ZONE, olds, news({ certificates: added })), { changes: true });
    });

    it("updates in place when only onDelete changes", async () => {
        assert.deepEqual(await provider.diff(ZONE, olds, news({ onDelete: "keep" })), { changes: true });
    });

    it("replaces when the zone changes", async () => {
        const result = await provider.diff(ZONE, olds, news({ zoneId: OTHER_ZONE }));

        assert.deepEqual(result, { changes: true, replaces: ["zoneId"] });
    });

    it("reports changes, never a guess of none, when values are unknown", async () => {
        assert.deepEqual(await provider.diff(ZONE, olds, news({ certificates: UNKNOWN })), { changes: true });
        assert.deepEqual(await provider.diff(ZONE, olds, news({ certificates: [{ id: UNKNOWN, priority: 1 }] })), {
            changes: true,
        });
        assert.deepEqual(await provider.diff(ZONE, olds, news({ zoneId: UNKNOWN })), {
            changes: true,
            replaces: ["zoneId"],
        });
    });

    it("sees drift recorded by refresh as a change to repair", async () => {
        const drifted = {
            ...olds,
            certificates: [
                { id: A, priority: 5 },
                { id: B, priority: 2 },
            ],
        };

        assert.deepEqual(await provider.diff(ZONE, drifted, news({})), { changes: true });
    });
});
