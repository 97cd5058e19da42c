import * as assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";

import { startEmulator, type Emulator } from "../../emulator";
import type { LocalStack } from "../../scripts/stack";
import { requirePulumiCli } from "../support/pulumiCli";
import { e2eSeed, TOKEN, ZONES } from "./fixtures";
import {
    deploymentOf,
    manyZoneCertificates,
    manyZoneId,
    manyZonesSeed,
    peakConcurrency,
    prioritiesIn,
    priorityResources,
    programStack,
    writes,
    type DeclaredPriority,
} from "./helpers";

const ZONE_COUNT = 10;
const [E1, E2, E3, E4] = [...ZONES.primary.order, "7f3c1d2e-0a4b-4c5d-8e6f-10a2b3c4d5e4"] as [
    string,
    string,
    string,
    string,
];

function entries(ids: string[], first = 1): Array<{ id: string; priority: number }> {
    return ids.map((id, index) => ({ id, priority: first + index }));
}

describe("many resources in one stack (end to end)", function () {
    this.timeout(240_000);

    let emulator: Emulator;
    const stacks: LocalStack[] = [];

    before(async function () {
        requirePulumiCli(this);
        const many = manyZonesSeed(ZONE_COUNT, TOKEN);
        emulator = await startEmulator({ seed: { ...many, zones: [...many.zones, ...e2eSeed().zones] } });
    });

    after(async () => {
        stacks.forEach((stack) => stack.dispose());
        await emulator?.close();
    });

    beforeEach(() => {
        emulator.clearFaults();
        emulator.clearRequests();
    });

    async function stackOf(
        name: string,
        declared: DeclaredPriority[],
        orders: Array<{ name: string; zoneId: string; certificates: string[] }> = [],
    ): Promise<LocalStack> {
        const stack = programStack(name, emulator, { CLOUDFLARE_API_TOKEN: TOKEN });
        stacks.push(stack);
        await stack.init();
        await stack.setConfigJson("priorities", declared);
        await stack.setConfigJson("orders", orders);
        return stack;
    }

    it(`applies ${ZONE_COUNT} zones in parallel: one PUT each, every zone in its declared order`, async () => {
        const declared = Array.from({ length: ZONE_COUNT }, (_, z) => ({
            name: `zone-${z}`,
            zoneId: manyZoneId(z),
            certificates: entries(manyZoneCertificates(z)),
        }));
        const stack = await stackOf("many-zones-e2e", declared);
        // Every PUT takes 0.5 s, so applying one zone after another would take 5 s of PUTs alone.
        emulator.injectFault({ kind: "slow", delayMs: 500, times: "always", match: { method: "PUT" } });

        const result = await stack.run(["up", "--yes", "--skip-preview"]);

        assert.match(result.stdout, new RegExp(`${ZONE_COUNT + 1} created`), "the stack and every zone's resource");
        const puts = writes(emulator);
        assert.deepEqual(
            puts.map((r) => r.path).sort(),
            declared.map((d) => `/client/v4/zones/${d.zoneId}/custom_certificates/prioritize`).sort(),
        );
        for (let z = 0; z < ZONE_COUNT; z += 1) {
            const zone = prioritiesIn(emulator, manyZoneId(z));
            assert.deepEqual(
                manyZoneCertificates(z).map((id) => zone[id]),
                [1, 2, 3],
                `zone ${z}`,
            );
        }
        const peak = peakConcurrency(puts);
        assert.ok(peak >= 4, `at most ${peak} PUTs were in flight at once`);
        assert.equal(priorityResources(await deploymentOf(stack)).length, ZONE_COUNT);
    });

    it("two resources on one zone with disjoint certificates: both hold, and the next up changes nothing", async () => {
        const seeded = prioritiesIn(emulator, ZONES.primary.id);
        const stack = await stackOf("disjoint-e2e", [
            { name: "left", zoneId: ZONES.primary.id, certificates: entries([E1, E2], 1) },
            { name: "right", zoneId: ZONES.primary.id, certificates: entries([E3, E4], 3) },
        ]);

        await stack.run(["up", "--yes", "--skip-preview"]);

        assert.deepEqual(
            [E1, E2, E3, E4].map((id) => prioritiesIn(emulator, ZONES.primary.id)[id]),
            [1, 2, 3, 4],
        );
        assert.equal(writes(emulator).length, 2);

        emulator.clearRequests();
        const again = await stack.run(["up", "--yes", "--skip-preview"]);
        assert.deepEqual(writes(emulator), []);
        assert.doesNotMatch(again.stdout, /updated|created/);
        const refresh = await stack.run(["refresh", "--yes", "--skip-preview"]);
        assert.doesNotMatch(refresh.stdout, /updated/);

        await stack.run(["destroy", "--yes", "--skip-preview"]);
        assert.deepEqual(prioritiesIn(emulator, ZONES.primary.id), seeded);
    });

    it("two resources that order the same certificate: preview and up fail naming both, nothing sent", async () => {
        const stack = await stackOf("overlap-e2e", [
            { name: "left", zoneId: ZONES.primary.id, certificates: entries([E1, E2], 1) },
            { name: "right", zoneId: ZONES.primary.id, certificates: entries([E2, E3], 3) },
            { name: "elsewhere", zoneId: ZONES.second.id, certificates: entries(ZONES.second.order, 1) },
        ]);
        const seeded = prioritiesIn(emulator, ZONES.primary.id);

        const preview = await stack.run(["preview"], true);
        const up = await stack.run(["up", "--yes", "--skip-preview"], true);

        for (const result of [preview, up]) {
            assert.notEqual(result.code, 0);
            const output = result.stdout + result.stderr;
            assert.match(
                output,
                new RegExp(
                    `CertificatePriority left orders certificates of zone ${ZONES.primary.id} that another resource of this stack orders too: ${E2} \\(also in CertificatePriority right\\)`,
                ),
            );
            assert.match(
                output,
                new RegExp(`CertificatePriority right orders .*${E2} \\(also in CertificatePriority left\\)`),
            );
            assert.match(output, /nothing was sent/);
        }
        assert.equal(
            emulator.requests().filter((r) => r.path.includes(ZONES.primary.id)).length,
            0,
            "a request reached the zone with the overlap",
        );
        assert.deepEqual(prioritiesIn(emulator, ZONES.primary.id), seeded);
        assert.deepEqual(
            priorityResources(await deploymentOf(stack))
                .map((r) => String(r["urn"]).split("::").pop())
                .filter((n) => n !== "elsewhere"),
            [],
        );
    });

    // The component hands its child Outputs, so its claim settles through them; a plain list settles at once.
    it("a CertificateOrder and a CertificatePriority that order the same certificate: up fails, nothing sent", async () => {
        const stack = await stackOf(
            "overlap-order-e2e",
            [{ name: "plain", zoneId: ZONES.third.id, certificates: entries([ZONES.third.order[0]!], 1) }],
            [{ name: "ordered", zoneId: ZONES.third.id, certificates: [...ZONES.third.order] }],
        );
        const seeded = prioritiesIn(emulator, ZONES.third.id);

        const up = await stack.run(["up", "--yes", "--skip-preview"], true);

        assert.notEqual(up.code, 0);
        const output = up.stdout + up.stderr;
        assert.match(
            output,
            new RegExp(
                `CertificatePriority plain orders .*${ZONES.third.order[0]} \\(also in CertificatePriority ordered\\)`,
            ),
        );
        assert.match(
            output,
            new RegExp(
                `CertificatePriority ordered orders .*${ZONES.third.order[0]} \\(also in CertificatePriority plain\\)`,
            ),
        );
        assert.deepEqual(
            emulator.requests().filter((r) => r.path.includes(ZONES.third.id)),
            [],
        );
        assert.deepEqual(prioritiesIn(emulator, ZONES.third.id), seeded);
    });

    it("certificates that share a priority: a warning, and the up goes ahead", async () => {
        const stack = await stackOf("tie-e2e", [
            {
                name: "tied",
                zoneId: ZONES.third.id,
                certificates: [
                    { id: ZONES.third.order[0], priority: 5 },
                    { id: ZONES.third.order[1], priority: 5 },
                ],
            },
        ]);

        const result = await stack.run(["up", "--yes", "--skip-preview"]);

        assert.match(
            result.stdout,
            /warning: CertificatePriority tied: .* share priority 5; Cloudflare does not document which one it prefers/,
        );
        assert.match(result.stdout, /2 created/);
        assert.deepEqual(
            ZONES.third.order.map((id) => prioritiesIn(emulator, ZONES.third.id)[id]),
            [5, 5],
        );
        await stack.run(["destroy", "--yes", "--skip-preview"]);
    });
});

// The Pulumi CLI or the provider process dies in the middle of an `up`; the next run converges.
describe("interrupted up (end to end)", function () {
    this.timeout(240_000);

    let emulator: Emulator;
    const stacks: LocalStack[] = [];
    const declared: DeclaredPriority[] = [
        { name: "primary", zoneId: ZONES.primary.id, certificates: entries(ZONES.primary.order) },
    ];

    before(async function () {
        requirePulumiCli(this);
        emulator = await startEmulator({ seed: e2eSeed() });
    });

    after(async () => {
        stacks.forEach((stack) => stack.dispose());
        await emulator?.close();
    });

    beforeEach(() => {
        emulator.reset();
        emulator.clearRequests();
    });

    // A long timeout and one attempt: the provider is still waiting on the slow answer when killed.
    async function stackOf(name: string): Promise<LocalStack> {
        const stack = programStack(name, emulator, {
            CLOUDFLARE_API_TOKEN: TOKEN,
            CLOUDFLARE_PRIORITY_TIMEOUT_MS: "60000",
            CLOUDFLARE_PRIORITY_DEADLINE_MS: "60000",
            CLOUDFLARE_PRIORITY_MAX_ATTEMPTS: "1",
        });
        stacks.push(stack);
        await stack.init();
        await stack.setConfigJson("priorities", declared);
        return stack;
    }

    // Waits until the emulator has taken every queued fault: the request it delays is in flight.
    async function untilFaultTaken(): Promise<void> {
        for (const deadline = Date.now() + 60_000; emulator.faults().length > 0;) {
            assert.ok(Date.now() < deadline, "the slow request never arrived");
            await new Promise((resolve) => setTimeout(resolve, 50));
        }
    }

    function declaredOrder(): Array<number | undefined> {
        return ZONES.primary.order.map((id) => prioritiesIn(emulator, ZONES.primary.id)[id]);
    }

    it("the provider process killed while it reads the zone: up fails, nothing applied, the next up converges", async () => {
        const stack = await stackOf("kill-provider-e2e");
        const seeded = prioritiesIn(emulator, ZONES.primary.id);
        emulator.injectFault({ kind: "slow", delayMs: 30_000, match: { method: "GET" } });

        const { child, done } = stack.start(["up", "--yes", "--skip-preview"]);
        await untilFaultTaken();
        const providers = descendants(child.pid!).filter((p) => p.cmd.includes("dynamic-provider"));
        assert.equal(providers.length, 1, JSON.stringify(descendants(child.pid!)));
        process.kill(providers[0]!.pid, "SIGKILL");
        const killed = await done;

        assert.notEqual(killed.code, 0);
        assert.match(killed.stdout + killed.stderr, /error reading from server|transport is closing|EOF/);
        const deployment = await deploymentOf(stack);
        assert.deepEqual(priorityResources(deployment), []);
        assert.deepEqual(deployment.pending_operations ?? [], []);
        assert.deepEqual(prioritiesIn(emulator, ZONES.primary.id), seeded);
        assert.match((await stack.run(["preview"])).stdout, /\+ .*CertificatePriority/);

        await stack.run(["up", "--yes", "--skip-preview"]);

        assert.deepEqual(declaredOrder(), [1, 2, 3]);
        const [resource] = priorityResources(await deploymentOf(stack));
        assert.deepEqual(
            (resource?.["outputs"] as { previousPriorities: unknown }).previousPriorities,
            ZONES.primary.order.map((id) => ({ id, priority: seeded[id] })),
        );
        await stack.run(["destroy", "--yes", "--skip-preview"]);
        assert.deepEqual(prioritiesIn(emulator, ZONES.primary.id), seeded);
    });

    it("pulumi itself killed mid-up: the stack stays locked with a pending create; pulumi cancel and the next up converge", async () => {
        const stack = await stackOf("kill-pulumi-e2e");
        const seeded = prioritiesIn(emulator, ZONES.primary.id);
        emulator.injectFault({ kind: "slow", delayMs: 30_000, match: { method: "GET" } });

        const { child, done } = stack.start(["up", "--yes", "--skip-preview"]);
        await untilFaultTaken();
        // Its plugins would outlive it; they are this test's processes, so stop them too, by id.
        const plugins = descendants(child.pid!);
        process.kill(child.pid!, "SIGKILL");
        plugins.forEach((p) => killQuietly(p.pid));
        await done;

        const pending = (await deploymentOf(stack)).pending_operations as Array<{ type: string }> | undefined;
        assert.deepEqual(
            pending?.map((op) => op.type),
            ["creating"],
        );
        const locked = await stack.run(["up", "--yes", "--skip-preview"], true);
        assert.match(locked.stdout + locked.stderr, /the stack is currently locked .*pulumi cancel/s);
        assert.deepEqual(prioritiesIn(emulator, ZONES.primary.id), seeded);

        // What Pulumi asks for after an interrupted update on a file backend: release the lock, then
        // drop the create that never finished (nothing was sent, as the zone shows), then apply again.
        await stack.run(["cancel", "--yes"]);
        await stack.run(["refresh", "--yes", "--skip-preview", "--clear-pending-creates"]);
        assert.deepEqual((await deploymentOf(stack)).pending_operations ?? [], []);
        await stack.run(["up", "--yes", "--skip-preview"]);

        assert.deepEqual(declaredOrder(), [1, 2, 3]);
        const deployment = await deploymentOf(stack);
        assert.deepEqual(deployment.pending_operations ?? [], []);
        assert.equal(priorityResources(deployment).length, 1);
        await stack.run(["destroy", "--yes", "--skip-preview"]);
        assert.deepEqual(prioritiesIn(emulator, ZONES.primary.id), seeded);
    });

    it("the provider killed after Cloudflare applied the PUT: the next up converges, recording the applied order (a known limit)", async () => {
        const stack = await stackOf("kill-after-put-e2e");
        // The emulator applies a slow PUT when its wait ends, whether or not the client is still there.
        emulator.injectFault({ kind: "slow", delayMs: 1000, match: { method: "PUT" } });

        const { child, done } = stack.start(["up", "--yes", "--skip-preview"]);
        await untilFaultTaken();
        descendants(child.pid!)
            .filter((p) => p.cmd.includes("dynamic-provider"))
            .forEach((p) => process.kill(p.pid, "SIGKILL"));
        assert.notEqual((await done).code, 0);
        for (const deadline = Date.now() + 10_000; writes(emulator).length === 0;) {
            assert.ok(Date.now() < deadline, "the slow PUT was never applied");
            await new Promise((resolve) => setTimeout(resolve, 50));
        }
        assert.deepEqual(declaredOrder(), [1, 2, 3], "Cloudflare applied the PUT the provider never saw answered");
        assert.deepEqual(priorityResources(await deploymentOf(stack)), []);

        await stack.run(["up", "--yes", "--skip-preview"]);

        assert.deepEqual(declaredOrder(), [1, 2, 3]);
        const [resource] = priorityResources(await deploymentOf(stack));
        const previous = (resource?.["outputs"] as { previousPriorities: unknown }).previousPriorities;
        assert.deepEqual(
            previous,
            entries(ZONES.primary.order),
            "the priorities from before the lost PUT are not known any more",
        );
    });
});

interface ProcessInfo {
    pid: number;
    cmd: string;
}

// Every process below `pid`, from /proc: the language host, the program and the provider plugin.
function descendants(pid: number): ProcessInfo[] {
    const table = readdirSync("/proc")
        .filter((entry) => /^\d+$/.test(entry))
        .flatMap((entry) => {
            try {
                const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
                const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
                const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8").replace(/\0/g, " ");
                return [{ pid: Number(entry), parent, cmd }];
            } catch {
                return [];
            }
        });
    const below = (root: number): ProcessInfo[] =>
        table.filter((p) => p.parent === root).flatMap((p) => [{ pid: p.pid, cmd: p.cmd }, ...below(p.pid)]);
    return below(pid);
}

function killQuietly(pid: number): void {
    try {
        process.kill(pid, "SIGKILL");
    } catch {
        // Already gone with its parent.
    }
}
