import * as assert from "node:assert/strict";

import { startEmulator, type Emulator } from "../../emulator";
import { closeConnectionPools } from "../../provider/client";
import { MissingCredentialsError } from "../../provider/credentials";
import { CloudflareAuthError } from "../../provider/errors";
import { CertificatePriorityProvider, type CertificatePriorityOutputs } from "../../provider/provider";
import { e2eSeed, TOKEN, ZONES } from "../e2e/fixtures";

const [A, B, C] = ZONES.primary.order as [string, string, string];
const EXPIRED = "7f3c1d2e-0a4b-4c5d-8e6f-10a2b3c4d5e4";

// The provider's methods called directly, as the Pulumi engine would, against the emulator.
describe("CertificatePriorityProvider against the emulator", () => {
    let emulator: Emulator;
    let provider: CertificatePriorityProvider;

    before(async () => {
        emulator = await startEmulator({ seed: e2eSeed() });
    });

    after(async () => {
        await closeConnectionPools();
        await emulator.close();
    });

    beforeEach(() => {
        emulator.reset();
        emulator.clearRequests();
        provider = providerFor(emulator, { CLOUDFLARE_API_TOKEN: TOKEN });
    });

    it("create records the old priorities and sends the new ones in one PUT", async () => {
        const result = await provider.create(
            inputs([
                [A, 1],
                [B, 2],
            ]),
        );

        assert.equal(result.id, ZONES.primary.id);
        assert.deepEqual(result.outs?.previousPriorities, [
            { id: A, priority: 3 },
            { id: B, priority: 2 },
        ]);
        assert.deepEqual(puts(emulator), [
            {
                certificates: [
                    { id: A, priority: 1 },
                    { id: B, priority: 2 },
                ],
            },
        ]);
        assert.equal(priorityOf(emulator, A), 1);
        assert.equal(priorityOf(emulator, C), 1, "a certificate left out keeps its priority");
    });

    it("create fails before any write when a certificate is not in the zone", async () => {
        const missing = "00000000-0000-4000-8000-000000000000";

        await assert.rejects(
            provider.create(
                inputs([
                    [A, 1],
                    [missing, 2],
                ]),
            ),
            (err: Error) => {
                assert.match(err.message, /certificates\[1\]\.id 00000000-0000-4000-8000-000000000000/);
                assert.match(err.message, /nothing was changed/);
                return true;
            },
        );
        assert.deepEqual(puts(emulator), []);
    });

    it("update sends only the changed mapping and restores certificates it no longer lists", async () => {
        const created = await provider.create(
            inputs([
                [A, 1],
                [B, 2],
                [C, 3],
            ]),
        );
        emulator.clearRequests();

        const updated = await provider.update(
            ZONES.primary.id,
            created.outs!,
            inputs([
                [B, 1],
                [A, 2],
            ]),
        );

        assert.deepEqual(puts(emulator), [
            {
                certificates: [
                    { id: C, priority: 1 },
                    { id: B, priority: 1 },
                    { id: A, priority: 2 },
                ].sort(byPriorityThenId),
            },
        ]);
        assert.deepEqual(updated.outs?.previousPriorities, [
            { id: B, priority: 2 },
            { id: A, priority: 3 },
        ]);
        assert.equal(priorityOf(emulator, C), 1, "C is back at its seeded priority");
    });

    it("update of a reorder sends one PUT and reads nothing: the record holds all it needs", async () => {
        const created = await provider.create(
            inputs([
                [A, 1],
                [B, 2],
            ]),
        );
        emulator.clearRequests();

        const updated = await provider.update(
            ZONES.primary.id,
            created.outs!,
            inputs([
                [B, 1],
                [A, 2],
            ]),
        );

        assert.deepEqual(
            emulator.requests().map((r) => r.method),
            ["PUT"],
        );
        assert.deepEqual(updated.outs?.previousPriorities, [
            { id: B, priority: 2 },
            { id: A, priority: 3 },
        ]);
        assert.equal(priorityOf(emulator, B), 1);
    });

    it("update names a certificate deleted since the last up, and changes nothing", async () => {
        const created = await provider.create(
            inputs([
                [A, 1],
                [B, 2],
            ]),
        );
        emulator.deleteCertificate(ZONES.primary.id, B);
        emulator.clearRequests();

        await assert.rejects(
            provider.update(
                ZONES.primary.id,
                created.outs!,
                inputs([
                    [B, 1],
                    [A, 2],
                ]),
            ),
            new RegExp(`certificates\\[\\d\\]\\.id ${B}`),
        );
        assert.equal(priorityOf(emulator, A), 1);
    });

    it("update sends nothing when the mapping is the same", async () => {
        const created = await provider.create(
            inputs([
                [A, 1],
                [B, 2],
            ]),
        );
        emulator.clearRequests();

        await provider.update(
            ZONES.primary.id,
            created.outs!,
            inputs([
                [B, 2],
                [A, 1],
            ]),
        );

        assert.deepEqual(puts(emulator), []);
    });

    it("read reports live priorities so refresh shows drift", async () => {
        const created = await provider.create(
            inputs([
                [A, 1],
                [B, 2],
            ]),
        );
        emulator.setCertificate(ZONES.primary.id, A, { priority: 9 });

        const read = await provider.read(ZONES.primary.id, created.outs!);

        assert.equal(read.id, ZONES.primary.id);
        assert.deepEqual(read.props?.certificates, [
            { id: A, priority: 9 },
            { id: B, priority: 2 },
        ]);
        assert.deepEqual(read.props?.previousPriorities, created.outs?.previousPriorities);
    });

    it("read drops a certificate deleted outside Pulumi, and reports a deleted zone as gone", async () => {
        const created = await provider.create(
            inputs([
                [A, 1],
                [B, 2],
            ]),
        );
        emulator.deleteCertificate(ZONES.primary.id, B);

        const read = await provider.read(ZONES.primary.id, created.outs!);
        assert.deepEqual(read.props?.certificates, [{ id: A, priority: 1 }]);

        emulator.deleteZone(ZONES.primary.id);
        assert.deepEqual(await provider.read(ZONES.primary.id, created.outs!), {});
    });

    it("read with only an id (CertificatePriority.get) lists the whole zone", async () => {
        const read = await provider.read(ZONES.primary.id, {});

        assert.equal(read.props?.zoneId, ZONES.primary.id);
        assert.deepEqual(read.props?.certificates.map((c) => c.id).sort(), [A, B, C, EXPIRED].sort());
    });

    it("delete restores the recorded priorities in one PUT, or leaves them with onDelete keep", async () => {
        const created = await provider.create(
            inputs([
                [A, 1],
                [B, 2],
                [C, 3],
            ]),
        );
        emulator.clearRequests();

        await provider.delete(ZONES.primary.id, { ...created.outs!, onDelete: "keep" });
        assert.deepEqual(puts(emulator), []);

        await provider.delete(ZONES.primary.id, created.outs!);
        assert.equal(puts(emulator).length, 1);
        assert.deepEqual(
            [A, B, C].map((id) => priorityOf(emulator, id)),
            [3, 2, 1],
        );
    });

    it("delete of a zone that no longer exists succeeds without a write", async () => {
        const created = await provider.create(inputs([[A, 1]]));
        emulator.deleteZone(ZONES.primary.id);
        emulator.clearRequests();

        await provider.delete(ZONES.primary.id, created.outs!);

        assert.deepEqual(puts(emulator), []);
    });

    it("reads the token from stack config before the environment", async () => {
        const configured = providerFor(emulator, { CLOUDFLARE_API_TOKEN: "not-the-token" });
        await configured.configure({ config: configFrom({ "cloudflare:apiToken": TOKEN }) } as never);

        await configured.create(inputs([[A, 1]]));

        assert.equal(priorityOf(emulator, A), 1);
    });

    it("fails with a message naming every credential source when none is set", async () => {
        const bare = providerFor(emulator, {});

        await assert.rejects(bare.create(inputs([[A, 1]])), (err: Error) => {
            assert.ok(err instanceof MissingCredentialsError);
            assert.match(err.message, /cloudflare:apiToken/);
            assert.match(err.message, /CLOUDFLARE_API_TOKEN/);
            return true;
        });
        assert.deepEqual(emulator.requests(), []);
    });

    it("turns a refused token into an auth error that does not quote it", async () => {
        const refused = providerFor(emulator, { CLOUDFLARE_API_TOKEN: "wrong-token-value-123" });

        await assert.rejects(refused.create(inputs([[A, 1]])), (err: Error) => {
            assert.ok(err instanceof CloudflareAuthError);
            assert.ok(!err.message.includes("wrong-token-value-123"));
            assert.ok(!("id" in err), "an error with an id would be taken for a partial create");
            return true;
        });
    });
});

function providerFor(emulator: Emulator, env: NodeJS.ProcessEnv): CertificatePriorityProvider {
    return new CertificatePriorityProvider({ CLOUDFLARE_BASE_URL: emulator.apiBaseUrl, ...env });
}

function configFrom(values: Record<string, string>): { get(key: string): string | undefined } {
    return { get: (key) => values[key] };
}

// What `check` hands on: the declared inputs, without the outputs the provider adds.
function inputs(entries: Array<[string, number]>): Omit<CertificatePriorityOutputs, "previousPriorities"> {
    return {
        zoneId: ZONES.primary.id,
        certificates: entries.map(([id, priority]) => ({ id, priority })),
        onDelete: "restore",
    };
}

function puts(emulator: Emulator): unknown[] {
    return emulator
        .requests()
        .filter((r) => r.method === "PUT")
        .map((r) => r.body);
}

function priorityOf(emulator: Emulator, id: string): number | undefined {
    return emulator.certificates(ZONES.primary.id).find((c) => c.id === id)?.priority;
}

function byPriorityThenId(a: { id: string; priority: number }, b: { id: string; priority: number }): number {
    return a.priority - b.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
