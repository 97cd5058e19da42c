import * as assert from "node:assert/strict";

import { parseRateLimit, RateGate } from "../../provider/rate-gate";

describe("RateGate", () => {
    let now: number;
    let gate: RateGate;

    beforeEach(() => {
        now = 1_000_000;
        gate = new RateGate(() => now);
    });

    it("lets requests go while it knows nothing of the limit", () => {
        assert.equal(gate.admit(undefined).ms, 0);
        assert.equal(gate.admit(undefined).ms, 0);
    });

    it("sends the first request alone: the others wait for its answer to learn the limit", async () => {
        assert.equal(gate.untilLearned(), undefined, "nothing in flight, nothing to wait for");
        assert.equal(gate.admit(undefined).ms, 0);
        const waiting = gate.untilLearned();
        assert.ok(waiting !== undefined, "the second request waits while the first is out");
        assert.equal(gate.untilLearned(), waiting, "every waiter waits for the same answer");

        let released = false;
        void waiting.then(() => (released = true));
        await Promise.resolve();
        assert.equal(released, false);

        gate.observe(200, '"default";r=1;t=1', undefined, '"default";q=2;w=1');
        await waiting;
        assert.equal(gate.untilLearned(), undefined, "learned once, never again");
        assert.equal(gate.admit(undefined).ms, 0);
        assert.ok(gate.admit(undefined).ms > 0, "then the reported quota holds");
    });

    it("without a policy header, sends the first request of each new window alone to learn it again", async () => {
        gate.admit(undefined);
        gate.observe(200, '"default";r=1;t=1', undefined);
        assert.equal(gate.admit(undefined).ms, 0);
        assert.ok(gate.admit(undefined).ms > 0, "the window is spent");

        now += 1000;
        assert.equal(gate.admit(undefined).ms, 0, "the first request of the new window goes");
        const waiting = gate.untilLearned();
        assert.ok(waiting !== undefined, "the others wait for its answer instead of bursting");
        gate.observe(200, '"default";r=0;t=1', undefined);
        await waiting;
        assert.ok(gate.admit(undefined).ms > 0, "and then obey what it reported");
    });

    it("ends the learning wait when the first request gets no answer at all", async () => {
        gate.admit(undefined);
        const waiting = gate.untilLearned();
        gate.observe(0, undefined, undefined);
        await waiting;
        assert.equal(gate.admit(undefined).ms, 0, "no limit learned: requests go");
    });

    it("counts down what Cloudflare reports left, then holds requests until the window resets", () => {
        gate.observe(200, '"default";r=2;t=3', undefined);

        assert.equal(gate.admit(undefined).ms, 0);
        assert.equal(gate.admit(undefined).ms, 0);
        assert.equal(gate.admit(undefined).ms, 3000);

        now += 3000;
        assert.equal(gate.admit(undefined).ms, 0, "a new window starts unknown");
    });

    it("knows the quota from the policy header: a new window admits the quota, not an unlimited burst", () => {
        gate.admit(undefined);
        gate.observe(200, '"default";r=2;t=1', undefined, '"default";q=3;w=1');
        gate.admit(undefined);
        gate.admit(undefined);
        gate.observe(200, '"default";r=0;t=1', undefined, '"default";q=3;w=1');
        gate.observe(200, '"default";r=0;t=1', undefined, '"default";q=3;w=1');
        assert.ok(gate.admit(undefined).ms > 0);

        now += 1000;
        assert.equal(gate.admit(undefined).ms, 0);
        assert.equal(gate.admit(undefined).ms, 0);
        assert.equal(gate.admit(undefined).ms, 0);
        assert.ok(gate.admit(undefined).ms > 0, "the fourth request of the window waits");
    });

    it("holds every request for a 429's retry-after, except the one that drew it and already waits", () => {
        const pause = gate.observe(429, undefined, 2500);

        assert.equal(gate.admit(undefined).ms, 2500);
        assert.equal(gate.admit(pause).ms, 0);

        now += 2500;
        assert.equal(gate.admit(undefined).ms, 0);
    });

    it("never lengthens a pause with a shorter retry-after", () => {
        gate.observe(429, undefined, 5000);
        gate.observe(429, undefined, 1000);

        assert.equal(gate.admit(undefined).ms, 5000);
    });

    it("reads Cloudflare's ratelimit header and ignores what it cannot read", () => {
        assert.deepEqual(parseRateLimit('"default";r=1199;t=300'), { remaining: 1199, resetSeconds: 300 });
        assert.deepEqual(parseRateLimit("r=0; t=7"), { remaining: 0, resetSeconds: 7 });
        assert.equal(parseRateLimit(undefined), undefined);
        assert.equal(parseRateLimit('"default";q=1200;w=300'), undefined);
    });
});
