import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { startEmulator, type Emulator } from "../../emulator";
import { requirePulumiCli } from "../support/pulumiCli";
import type { LocalStack } from "../../scripts/stack";
import { e2eSeed, TOKEN, ZONES } from "./fixtures";
import { filesUnder, quickstartStack, RESOURCE_TYPE, writes } from "./helpers";

// The whole life of the quickstart stack, driven through the real Pulumi CLI against the emulator.
// The steps build on each other, so they run in order on one stack.
describe("quickstart stack through the Pulumi CLI (end to end)", function () {
    this.timeout(240_000);

    let emulator: Emulator;
    let stack: LocalStack;
    let seeded: Map<string, Map<string, number | undefined>>;

    before(async function () {
        requirePulumiCli(this);
        emulator = await startEmulator({ seed: e2eSeed() });
        seeded = new Map(Object.values(ZONES).map((zone) => [zone.id, prioritiesIn(emulator, zone.id)]));
        stack = await quickstartStack("e2e", emulator);
        await stack.setConfigJson("certificates", ZONES.primary.order);
        await stack.setConfig("secondZoneId", ZONES.second.id);
        await stack.setConfigJson("secondZoneCertificates", ZONES.second.order);
    });

    after(async () => {
        stack?.dispose();
        await emulator?.close();
    });

    beforeEach(() => emulator.clearRequests());

    it("previews the creation without sending a write", async () => {
        const result = await stack.run(["preview", "--diff"]);

        assert.match(result.stdout, /\+ .*CertificatePriority/);
        assert.deepEqual(writes(emulator), []);
        assert.deepEqual(prioritiesIn(emulator, ZONES.primary.id), seeded.get(ZONES.primary.id));
    });

    it("applies the order with exactly one PUT per zone", async () => {
        await stack.run(["up", "--yes", "--skip-preview"]);

        assert.deepEqual(
            writtenPaths(emulator),
            [prioritizePath(ZONES.primary.id), prioritizePath(ZONES.second.id)].sort(),
        );
        assert.deepEqual(orderIn(emulator, ZONES.primary.id, 3), ZONES.primary.order);
        assert.deepEqual(prioritiesOf(emulator, ZONES.primary.id, ZONES.primary.order), [1, 2, 3]);
        assert.deepEqual(prioritiesOf(emulator, ZONES.second.id, ZONES.second.order), [10, 20]);
    });

    it("does nothing on a second up: no PUT and no change", async () => {
        const result = await stack.run(["up", "--yes", "--skip-preview"]);

        assert.deepEqual(writes(emulator), []);
        assert.doesNotMatch(result.stdout, /updated|created|replaced/);
    });

    it("shows a change made behind Pulumi's back on refresh, and the next up repairs it", async () => {
        const [first] = ZONES.primary.order;
        emulator.setCertificate(ZONES.primary.id, first!, { priority: 7 });

        const refresh = await stack.run(["refresh", "--yes", "--skip-preview"]);
        assert.match(refresh.stdout, /~ .*CertificatePriority.*update|1 updated/s);
        assert.equal(recordedPriority(await primaryState(stack), first!), 7);
        assert.deepEqual(writes(emulator), []);

        const preview = await stack.run(["preview", "--diff"]);
        assert.match(preview.stdout, /~ .*CertificatePriority/);

        emulator.clearRequests();
        await stack.run(["up", "--yes", "--skip-preview"]);
        assert.deepEqual(writtenPaths(emulator), [prioritizePath(ZONES.primary.id)]);
        assert.equal(emulator.certificates(ZONES.primary.id).find((c) => c.id === first)?.priority, 1);
    });

    it("updates in place when the order changes", async () => {
        const before = await primaryState(stack);
        const reordered = [...ZONES.primary.order].reverse();
        await stack.setConfigJson("certificates", reordered);
        emulator.clearRequests();

        const result = await stack.run(["up", "--yes", "--skip-preview"]);

        assert.match(result.stdout, /1 updated/);
        assert.doesNotMatch(result.stdout, /replaced/);
        assert.deepEqual(writtenPaths(emulator), [prioritizePath(ZONES.primary.id)]);
        assert.deepEqual(orderIn(emulator, ZONES.primary.id, 3), reordered);
        // A replacement would give the resource a new creation time; an update keeps it.
        const after = await primaryState(stack);
        assert.ok(before["created"], "the state records when the resource was created");
        assert.equal(after["created"], before["created"]);
    });

    it("rejects an unknown certificate before changing anything, naming it", async () => {
        const bogus = [...ZONES.primary.order.slice(0, 2), "0000aaaa1111bbbb2222cccc3333dddd"];
        await stack.setConfigJson("certificates", bogus);
        const zoneBefore = prioritiesIn(emulator, ZONES.primary.id);

        const result = await stack.run(["up", "--yes", "--skip-preview"], true);

        assert.notEqual(result.code, 0);
        assert.match(result.stdout + result.stderr, /certificates\[\d+\]\.id 0000aaaa1111bbbb2222cccc3333dddd/);
        assert.deepEqual(writes(emulator), []);
        assert.deepEqual(prioritiesIn(emulator, ZONES.primary.id), zoneBefore);
        await stack.setConfigJson("certificates", [...ZONES.primary.order].reverse());
    });

    it("replaces the resource when the zone changes, restoring the zone it leaves", async () => {
        await stack.setConfig("zoneId", ZONES.third.id);
        await stack.setConfigJson("certificates", ZONES.third.order);

        const result = await stack.run(["up", "--yes", "--skip-preview"]);

        assert.match(result.stdout, /1 replaced/);
        assert.deepEqual(orderIn(emulator, ZONES.third.id, ZONES.third.order.length), ZONES.third.order);
        assert.deepEqual(prioritiesIn(emulator, ZONES.primary.id), seeded.get(ZONES.primary.id));
    });

    it("never writes the API token into the state, in the clear or base64", async () => {
        const exported = JSON.stringify(await stack.exportState());
        const files = filesUnder(stack.backendDir).map((file) => readFileSync(file, "utf8"));

        for (const text of [exported, ...files]) {
            assert.ok(!text.includes(TOKEN), "the token appears in the state");
            assert.ok(!text.includes(Buffer.from(TOKEN).toString("base64")), "the token appears base64-encoded");
        }
        assert.ok(files.length > 0, "the file backend holds the stack");
    });

    it("restores every zone's previous priorities on destroy", async () => {
        const result = await stack.run(["destroy", "--yes", "--skip-preview"]);

        assert.match(result.stdout, /deleted/);
        for (const zone of Object.values(ZONES)) {
            assert.deepEqual(prioritiesIn(emulator, zone.id), seeded.get(zone.id), `zone ${zone.id}`);
        }
        // One restoring PUT for each zone still managed: the third (after the replace) and the second.
        assert.deepEqual(
            writtenPaths(emulator),
            [prioritizePath(ZONES.second.id), prioritizePath(ZONES.third.id)].sort(),
        );
    });
});

function writtenPaths(emulator: Emulator): string[] {
    return writes(emulator)
        .map((r) => `${r.method} ${r.path}`)
        .sort();
}

function prioritizePath(zoneId: string): string {
    return `PUT /client/v4/zones/${zoneId}/custom_certificates/prioritize`;
}

function prioritiesIn(emulator: Emulator, zoneId: string): Map<string, number | undefined> {
    return new Map(emulator.certificates(zoneId).map((c) => [c.id, c.priority]));
}

function prioritiesOf(emulator: Emulator, zoneId: string, ids: string[]): Array<number | undefined> {
    const priorities = prioritiesIn(emulator, zoneId);
    return ids.map((id) => priorities.get(id));
}

// The first `count` certificates of the zone, most preferred first.
function orderIn(emulator: Emulator, zoneId: string, count: number): string[] {
    return [...emulator.certificates(zoneId)]
        .sort((a, b) => (a.priority ?? Infinity) - (b.priority ?? Infinity))
        .slice(0, count)
        .map((c) => c.id);
}

async function primaryState(stack: LocalStack): Promise<Record<string, unknown>> {
    const state = await stack.exportState();
    const resource = (state.deployment.resources ?? []).find(
        (r) => r["type"] === RESOURCE_TYPE && String(r["urn"]).includes("primary-zone"),
    );
    assert.ok(resource, "the state holds the primary zone's CertificatePriority");
    return resource;
}

function recordedPriority(resource: Record<string, unknown>, id: string): unknown {
    const outputs = resource["outputs"] as { certificates?: Array<{ id: string; priority: unknown }> };
    return outputs.certificates?.find((c) => c.id === id)?.priority;
}
