import * as assert from "node:assert/strict";

import { CertificateClaims, CLAIM_KEY, overlapError, tiedPriorities } from "../../provider/claims";
import { checkInputs } from "../../provider/inputs";

const ZONE = "023e105f4ecef8ad9ca31a8372d0c353";
const OTHER_ZONE = "9a7806061c88ada191ed06f989cc3dac";

describe("certificate claims", () => {
    it("finds no overlap between resources with disjoint certificates of one zone", () => {
        const claims = new CertificateClaims();
        const a = { name: "a" };
        const b = { name: "b" };

        claims.claim(a, ZONE, ["c1", "c2"]);
        claims.claim(b, ZONE, ["c3"]);

        assert.deepEqual(claims.overlaps(a, ZONE, ["c1", "c2"]), []);
        assert.deepEqual(claims.overlaps(b, ZONE, ["c3"]), []);
    });

    it("finds the same certificate in two resources, from both sides, in any letter case", () => {
        const claims = new CertificateClaims();
        const a = { name: "a" };
        const b = { name: "b" };

        claims.claim(a, ZONE, ["c1", "c2"]);
        claims.claim(b, ZONE.toUpperCase(), ["C2", "c3"]);

        assert.deepEqual(claims.overlaps(a, ZONE, ["c1", "c2"]), [
            { zoneId: ZONE, certificateId: "c2", others: ["b"] },
        ]);
        assert.deepEqual(claims.overlaps(b, ZONE, ["C2", "c3"]), [
            { zoneId: ZONE, certificateId: "C2", others: ["a"] },
        ]);
    });

    it("keeps zones apart, and tells two resources of the same name apart", () => {
        const claims = new CertificateClaims();
        const first = { name: "order" };
        const second = { name: "order" };

        claims.claim(first, ZONE, ["c1"]);
        claims.claim(second, OTHER_ZONE, ["c1"]);
        assert.deepEqual(claims.overlaps(first, ZONE, ["c1"]), []);

        claims.claim(second, ZONE, ["c1"]);
        assert.deepEqual(claims.overlaps(first, ZONE, ["c1"]), [
            { zoneId: ZONE, certificateId: "c1", others: ["order"] },
        ]);
    });

    it("explains an overlap naming the zone, the certificates, the other resources and the fix", () => {
        const err = overlapError("primary", [
            { zoneId: ZONE, certificateId: "c2", others: ["secondary"] },
            { zoneId: ZONE, certificateId: "c3", others: ["secondary", "third"] },
        ]);

        assert.equal(
            err.message,
            `CertificatePriority primary orders certificates of zone ${ZONE} that another resource of this stack ` +
                "orders too: c2 (also in CertificatePriority secondary), c3 (also in CertificatePriority secondary, " +
                "CertificatePriority third). Each certificate may be ordered by one resource only, or each `up` undoes " +
                "the other's order; nothing was sent. Move the certificate into one resource's list.",
        );
    });

    it("lists the certificates that share a priority, which is a warning, not an error", () => {
        assert.deepEqual(
            tiedPriorities([
                { id: "a", priority: 1 },
                { id: "b", priority: 2 },
            ]),
            [],
        );
        assert.deepEqual(
            tiedPriorities([
                { id: "a", priority: 1 },
                { id: "b", priority: 1 },
                { id: "c", priority: 1 },
                { id: "d", priority: 2 },
            ]),
            ["a and b and c share priority 1"],
        );
        assert.deepEqual(
            checkInputs({
                zoneId: ZONE,
                certificates: [
                    { id: "a", priority: 1 },
                    { id: "b", priority: 1 },
                ],
            }).failures,
            [],
        );
    });

    it("is an input that check leaves out, so it never reaches the state", () => {
        const outcome = checkInputs({ zoneId: ZONE, certificates: [{ id: "a", priority: 1 }], [CLAIM_KEY]: true });

        assert.deepEqual(outcome.failures, []);
        assert.equal(CLAIM_KEY in outcome.inputs, false);
    });
});
