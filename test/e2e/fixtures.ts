import type { Seed } from "../../emulator";

/** The API token the end-to-end emulator accepts; the tests check it never reaches the state. */
export const TOKEN = "e2e-token-6f1d0c2a9b7e4f33a8d1c5e0b2f94a67";

/** The zones of the end-to-end seed, and the order the tests declare for each. */
export const ZONES = {
    primary: {
        id: "1a2b3c4d5e6f708192a3b4c5d6e7f801",
        order: [
            "7f3c1d2e-0a4b-4c5d-8e6f-10a2b3c4d5e1",
            "7f3c1d2e-0a4b-4c5d-8e6f-10a2b3c4d5e2",
            "7f3c1d2e-0a4b-4c5d-8e6f-10a2b3c4d5e3",
        ],
    },
    second: {
        id: "2a2b3c4d5e6f708192a3b4c5d6e7f802",
        order: ["8e4d2c1b-1a2b-4c3d-9e8f-20b3c4d5e6f1", "8e4d2c1b-1a2b-4c3d-9e8f-20b3c4d5e6f2"],
    },
    third: {
        id: "3a2b3c4d5e6f708192a3b4c5d6e7f803",
        order: ["9f5e3d2c-2b3c-4d4e-af90-30c4d5e6f7a2", "9f5e3d2c-2b3c-4d4e-af90-30c4d5e6f7a1"],
    },
};

/** A seed whose starting priorities differ from every declared order, so each apply shows. */
export function e2eSeed(): Seed {
    return {
        tokens: [TOKEN],
        apiKeys: [],
        zones: [
            zone(ZONES.primary.id, "primary.example", [
                [ZONES.primary.order[0]!, 3, "active"],
                [ZONES.primary.order[1]!, 2, "active"],
                [ZONES.primary.order[2]!, 1, "pending"],
                ["7f3c1d2e-0a4b-4c5d-8e6f-10a2b3c4d5e4", 40, "expired"],
            ]),
            zone(ZONES.second.id, "second.example", [
                [ZONES.second.order[0]!, 5, "active"],
                [ZONES.second.order[1]!, 5, "active"],
            ]),
            zone(ZONES.third.id, "third.example", [
                [ZONES.third.order[1]!, 1, "active"],
                [ZONES.third.order[0]!, 2, "active"],
            ]),
        ],
    };
}

type CertificateRow = [id: string, priority: number, status: "active" | "pending" | "expired"];

function zone(id: string, name: string, rows: CertificateRow[]): Seed["zones"][number] {
    return {
        id,
        name,
        certificates: rows.map(([certificateId, priority, status], index) => ({
            id: certificateId,
            zone_id: id,
            hosts: [name, `*.${name}`],
            issuer: index % 2 === 0 ? "DigiCert" : "GlobalSign",
            signature: index % 2 === 0 ? "ECDSAWithSHA256" : "SHA256WithRSA",
            status,
            bundle_method: "ubiquitous",
            priority,
            uploaded_on: "2026-01-05T10:00:00Z",
            modified_on: "2026-01-05T10:00:00Z",
            expires_on: status === "expired" ? "2026-06-01T00:00:00Z" : "2027-06-01T00:00:00Z",
        })),
    };
}
