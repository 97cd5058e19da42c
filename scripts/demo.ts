// The main job: runs the quickstart stack (Pulumi.yaml at the repository root) through the real
// Pulumi CLI against the embedded Cloudflare emulator, and prints each zone's certificate order
// before and after. Run it with `scripts/run demo`.

import { EMULATOR_DEMO_TOKEN, startEmulator, type Emulator } from "../emulator";
import type { CustomCertificate } from "../provider/schemas";
import { repoRoot } from "./package-layout";
import { LocalStack } from "./stack";

async function main(): Promise<void> {
    // CF_PRIORITY_SEED points the demo at a seed file of your own; the bundled one otherwise.
    const seed = process.env["CF_PRIORITY_SEED"];
    const emulator = await startEmulator(seed === undefined ? {} : { seed });
    const stack = new LocalStack({
        projectDir: repoRoot,
        stack: "demo",
        echo: true,
        env: {
            // The provider reads these; the token also goes into the stack config as a secret below.
            CLOUDFLARE_BASE_URL: emulator.apiBaseUrl,
            CLOUDFLARE_API_TOKEN: undefined,
            CLOUDFLARE_API_KEY: undefined,
            CLOUDFLARE_EMAIL: undefined,
        },
    });

    try {
        const [primary, second] = zonesToOrder(emulator);
        heading(`Cloudflare emulator at ${emulator.apiBaseUrl}`);
        printZones("Before", emulator, [primary, second]);

        heading("pulumi stack init (local file backend, throwaway passphrase)");
        await stack.init();
        await stack.setConfig("cloudflare:apiToken", EMULATOR_DEMO_TOKEN, true);
        await stack.setConfig("zoneId", primary.zoneId);
        await stack.setConfigJson("certificates", primary.order);
        await stack.setConfig("secondZoneId", second.zoneId);
        await stack.setConfigJson("secondZoneCertificates", second.order);

        heading("pulumi preview");
        emulator.clearRequests();
        await stack.run(["preview", "--diff"]);
        console.log(`\nrequests during preview: ${describeRequests(emulator)}`);

        heading("pulumi up");
        emulator.clearRequests();
        await stack.run(["up", "--yes", "--skip-preview"]);
        console.log(`\nrequests during up: ${describeRequests(emulator)}`);

        printZones("After", emulator, [primary, second]);
        heading("pulumi destroy (restores the priorities from before)");
        await stack.run(["destroy", "--yes", "--skip-preview"]);
        printZones("After destroy", emulator, [primary, second]);
    } finally {
        stack.dispose();
        await emulator.close();
    }
}

interface ZonePlan {
    zoneId: string;
    name: string;
    /** Certificate ids, most preferred first. */
    order: string[];
}

// The order a team would typically declare: working certificates before pending and expired
// ones, and among them ECDSA before RSA (smaller and faster for the clients that support it).
function zonesToOrder(emulator: Emulator): [ZonePlan, ZonePlan] {
    const plans = emulator
        .zones()
        .filter((zone) => emulator.certificates(zone.id).some((c) => c.status !== "deleted"))
        .slice(0, 2)
        .map((zone) => ({
            zoneId: zone.id,
            name: zone.name,
            order: [...emulator.certificates(zone.id)]
                .filter((c) => c.status !== "deleted")
                .sort(byPreference)
                .map((c) => c.id),
        }));
    const [primary, second] = plans;
    if (primary === undefined || second === undefined) {
        throw new Error("the demo needs a seed with at least two zones that hold certificates");
    }
    return [primary, second];
}

const STATUS_RANK: Record<string, number> = { active: 0, pending: 1, initializing: 1, expired: 2 };

function byPreference(a: CustomCertificate, b: CustomCertificate): number {
    const rank = (c: CustomCertificate) => STATUS_RANK[c.status ?? ""] ?? 3;
    const ecdsa = (c: CustomCertificate) => (c.signature?.startsWith("ECDSA") ? 0 : 1);
    return rank(a) - rank(b) || ecdsa(a) - ecdsa(b) || a.id.localeCompare(b.id);
}

function printZones(title: string, emulator: Emulator, zones: ZonePlan[]): void {
    heading(title);
    for (const zone of zones) {
        console.log(`zone ${zone.name} (${zone.zoneId})`);
        console.log(formatTable(emulator.certificates(zone.zoneId)));
        console.log();
    }
}

function formatTable(certificates: CustomCertificate[]): string {
    const rows = certificates.map((c) => [
        String(c.priority ?? "-"),
        c.id,
        c.status ?? "",
        (c.hosts ?? []).join(","),
        c.signature ?? "",
        c.issuer ?? "",
    ]);
    const header = ["priority", "id", "status", "hosts", "signature", "issuer"];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
    const line = (cells: string[]) => `  ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ")}`.trimEnd();
    return [line(header), ...rows.map(line)].join("\n");
}

function describeRequests(emulator: Emulator): string {
    const requests = emulator.requests();
    const writes = requests.filter((r) => r.method !== "GET");
    const perZone = writes.map((r) => `${r.method} ${r.path}`).join(", ");
    return `${requests.length} in all, ${writes.length} writes${writes.length > 0 ? ` (${perZone})` : ""}`;
}

function heading(text: string): void {
    console.log(`\n=== ${text} ===`);
}

main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
});
