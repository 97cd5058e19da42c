import type * as pulumi from "@pulumi/pulumi";

import { CloudflareClient } from "./client";
import { resolveSettings, type ConfigSource } from "./credentials";
import { CloudflareNotFoundError } from "./errors";
import { resolveTuning, type ClientTuning } from "./settings";
import {
    checkInputs,
    containsUnknown,
    knownInputs,
    type CertificatePriorityInputs,
    type OnDelete,
    type PriorityEntry,
} from "./inputs";
import type { CustomCertificate } from "./schemas";

/** A certificate's priority from before this resource managed it; null when Cloudflare had none. */
export interface PreviousPriority {
    id: string;
    priority: number | null;
}

/** What the resource records in the Pulumi state. */
export interface CertificatePriorityOutputs {
    zoneId: string;
    certificates: Array<{ id: string; priority: number | null }>;
    onDelete: OnDelete;
    previousPriorities: PreviousPriority[];
}

type ZoneIndex = Map<string, CustomCertificate>;

/**
 * The CertificatePriority provider: orders a zone's custom certificates through Cloudflare's
 * prioritize endpoint, and reads them back for refresh and drift.
 */
export class CertificatePriorityProvider implements pulumi.dynamic.ResourceProvider {
    private config: ConfigSource | undefined;
    private client: CloudflareClient | undefined;
    private tuning: ClientTuning | Error | undefined;

    constructor(private readonly env: NodeJS.ProcessEnv = process.env) {}

    /**
     * Keeps the stack configuration and checks the retry and timeout settings at once, so a bad one
     * fails the preview; credentials are read on the first API call.
     */
    async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
        this.config = req.config;
        this.client = undefined;
        this.tuning = undefined;
        this.clientTuning();
    }

    /** Validates inputs without calling the API, naming each bad property. */
    async check(_olds: unknown, news: unknown): Promise<pulumi.dynamic.CheckResult> {
        // The engine keeps a provider whose configure threw; it must keep failing, not run untuned.
        this.clientTuning();
        return checkInputs(news);
    }

    /** Compares the recorded state with new inputs without calling the API. */
    async diff(
        _id: string,
        olds: CertificatePriorityOutputs,
        news: Record<string, unknown>,
    ): Promise<pulumi.dynamic.DiffResult> {
        if (news["zoneId"] !== olds.zoneId || containsUnknown(news["zoneId"])) {
            return { changes: true, replaces: ["zoneId"] };
        }
        if (containsUnknown(news)) {
            return { changes: true };
        }

        const inputs = news as unknown as CertificatePriorityInputs;
        const changes =
            !sameMapping(olds.certificates, inputs.certificates) || (olds.onDelete ?? "restore") !== inputs.onDelete;
        return { changes };
    }

    /** Records the certificates' current priorities, then sets the declared ones in one request. */
    async create(news: unknown): Promise<pulumi.dynamic.CreateResult<CertificatePriorityOutputs>> {
        const inputs = knownInputs(news);
        const zone = await this.readZone(inputs.zoneId);
        assertInZone(inputs, zone);

        const previousPriorities = inputs.certificates.map((e) => ({ id: e.id, priority: priorityIn(zone, e.id) }));
        await this.prioritize(inputs.zoneId, inputs.certificates, []);

        return { id: inputs.zoneId, outs: { ...outputsOf(inputs), previousPriorities } };
    }

    /** Applies a changed order in one request, restoring certificates that are no longer listed. */
    async update(
        _id: string,
        olds: CertificatePriorityOutputs,
        news: unknown,
    ): Promise<pulumi.dynamic.UpdateResult<CertificatePriorityOutputs>> {
        const inputs = knownInputs(news);
        const recorded = new Map((olds.previousPriorities ?? []).map((p) => [key(p.id), p.priority]));
        const changed = !sameMapping(olds.certificates, inputs.certificates);

        // The zone is read only when the record lacks something: the current priority of a
        // certificate new to this resource, or whether a released one still exists to restore.
        const kept = new Set(inputs.certificates.map((e) => key(e.id)));
        const releasing = inputs.onDelete === "restore" && releasedRecords(olds, kept).length > 0;
        if (!releasing && inputs.certificates.every((e) => recorded.has(key(e.id)))) {
            if (changed) {
                await this.prioritizeOrExplain(inputs);
            }
            const previousPriorities = inputs.certificates.map((e) => ({
                id: e.id,
                priority: recorded.get(key(e.id)) ?? null,
            }));
            return { outs: { ...outputsOf(inputs), previousPriorities } };
        }

        const zone = await this.readZone(inputs.zoneId);
        assertInZone(inputs, zone);

        const previousPriorities = inputs.certificates.map((e) => ({
            id: e.id,
            priority: recorded.has(key(e.id)) ? (recorded.get(key(e.id)) ?? null) : priorityIn(zone, e.id),
        }));
        const released = inputs.onDelete === "restore" ? releasedEntries(olds, inputs, zone) : [];

        if (changed || released.length > 0) {
            await this.prioritize(inputs.zoneId, inputs.certificates, released);
        }
        return { outs: { ...outputsOf(inputs), previousPriorities } };
    }

    /** Reads the certificates' live priorities, so refresh shows changes made outside Pulumi. */
    async read(
        id: string,
        props: Partial<CertificatePriorityOutputs>,
    ): Promise<pulumi.dynamic.ReadResult<CertificatePriorityOutputs>> {
        const zoneId = props.zoneId ?? id;
        const zone = await this.readZoneIfExists(zoneId);
        if (zone === undefined) {
            return {};
        }

        const managed = props.certificates ?? [...zone.values()].map((c) => ({ id: c.id, priority: null }));
        const certificates = managed
            .filter((e) => zone.has(key(e.id)))
            .map((e) => ({ id: e.id, priority: priorityIn(zone, e.id) }));
        const previousPriorities = props.previousPriorities ?? certificates;
        return { id, props: { zoneId, onDelete: props.onDelete ?? "restore", certificates, previousPriorities } };
    }

    /** Puts back the priorities recorded before this resource managed them, unless asked to keep. */
    async delete(_id: string, props: CertificatePriorityOutputs): Promise<void> {
        if (props.onDelete === "keep") {
            return;
        }
        const zone = await this.readZoneIfExists(props.zoneId);
        if (zone === undefined) {
            return;
        }

        const restore = restorableEntries(props.previousPriorities ?? [], zone);
        if (restore.length > 0) {
            await this.prioritize(props.zoneId, [], restore);
        }
    }

    private async prioritize(zoneId: string, declared: PriorityEntry[], released: PriorityEntry[]): Promise<void> {
        const body = [...declared, ...released].sort(byPriorityThenId);
        const result = await this.api().prioritizeCustomCertificates(zoneId, body);
        verifyApplied(zoneId, body, result);
    }

    // Sends the declared order without reading the zone first; should Cloudflare answer "not
    // found", reads it then, to name the certificate that has gone.
    private async prioritizeOrExplain(inputs: CertificatePriorityInputs): Promise<void> {
        try {
            await this.prioritize(inputs.zoneId, inputs.certificates, []);
        } catch (err) {
            if (err instanceof CloudflareNotFoundError) {
                const zone = await this.readZoneIfExists(inputs.zoneId);
                if (zone !== undefined) {
                    assertInZone(inputs, zone);
                }
            }
            throw err;
        }
    }

    private async readZone(zoneId: string): Promise<ZoneIndex> {
        const certificates = await this.api().listCustomCertificates(zoneId);
        return new Map(certificates.filter((c) => c.status !== "deleted").map((c) => [key(c.id), c]));
    }

    private async readZoneIfExists(zoneId: string): Promise<ZoneIndex | undefined> {
        try {
            return await this.readZone(zoneId);
        } catch (err) {
            if (err instanceof CloudflareNotFoundError) {
                return undefined;
            }
            throw err;
        }
    }

    private api(): CloudflareClient {
        if (this.client === undefined) {
            const tuning = this.clientTuning();
            const settings = resolveSettings(this.config, this.env);
            this.client = new CloudflareClient({
                credentials: settings.credentials,
                ...(settings.baseUrl === undefined ? {} : { baseUrl: settings.baseUrl }),
                ...(tuning.timeoutMs === undefined ? {} : { timeoutMs: tuning.timeoutMs }),
                retry: tuning.retry,
            });
        }
        return this.client;
    }

    // Read once per configuration; a bad setting is remembered and thrown by every later call.
    private clientTuning(): ClientTuning {
        if (this.tuning === undefined) {
            try {
                this.tuning = resolveTuning(this.config, this.env);
            } catch (err) {
                this.tuning = err instanceof Error ? err : new Error(String(err));
            }
        }
        if (this.tuning instanceof Error) {
            throw this.tuning;
        }
        return this.tuning;
    }
}

function outputsOf(inputs: CertificatePriorityInputs): Omit<CertificatePriorityOutputs, "previousPriorities"> {
    return { zoneId: inputs.zoneId, certificates: inputs.certificates, onDelete: inputs.onDelete };
}

function key(id: string): string {
    return id.toLowerCase();
}

function priorityIn(zone: ZoneIndex, id: string): number | null {
    return zone.get(key(id))?.priority ?? null;
}

function byPriorityThenId(a: PriorityEntry, b: PriorityEntry): number {
    return a.priority - b.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** True when both lists give every certificate the same priority, whatever their order. */
export function sameMapping(
    a: ReadonlyArray<{ id: string; priority: number | null }> | undefined,
    b: ReadonlyArray<{ id: string; priority: number | null }> | undefined,
): boolean {
    const left = new Map((a ?? []).map((e) => [key(e.id), e.priority]));
    const right = new Map((b ?? []).map((e) => [key(e.id), e.priority]));
    if (left.size !== right.size) {
        return false;
    }
    return [...left].every(([id, priority]) => right.has(id) && right.get(id) === priority);
}

function assertInZone(inputs: CertificatePriorityInputs, zone: ZoneIndex): void {
    const missing = inputs.certificates.map((e, index) => ({ id: e.id, index })).filter((e) => !zone.has(key(e.id)));
    if (missing.length === 0) {
        return;
    }

    const list = missing.map((m) => `certificates[${m.index}].id ${m.id}`).join(", ");
    const held = [...zone.values()].map((c) => c.id).join(", ") || "none";
    throw new Error(
        `zone ${inputs.zoneId} holds no custom certificate ${list}; nothing was changed. ` +
            `Check the IDs (the zone holds: ${held}).`,
    );
}

function releasedEntries(
    olds: CertificatePriorityOutputs,
    inputs: CertificatePriorityInputs,
    zone: ZoneIndex,
): PriorityEntry[] {
    const kept = new Set(inputs.certificates.map((e) => key(e.id)));
    return restorableEntries(releasedRecords(olds, kept), zone);
}

// Recorded priorities of certificates this resource no longer lists, where there is one to restore.
function releasedRecords(olds: CertificatePriorityOutputs, kept: ReadonlySet<string>): PreviousPriority[] {
    return (olds.previousPriorities ?? []).filter((p) => !kept.has(key(p.id)) && p.priority !== null);
}

function restorableEntries(previous: ReadonlyArray<PreviousPriority>, zone: ZoneIndex): PriorityEntry[] {
    return previous
        .filter((p): p is PriorityEntry => p.priority !== null && zone.has(key(p.id)))
        .map((p) => ({ id: p.id, priority: p.priority }));
}

function verifyApplied(zoneId: string, sent: PriorityEntry[], result: CustomCertificate[]): void {
    const answered = new Map(result.map((c) => [key(c.id), c.priority]));
    const wrong = sent.filter((e) => answered.has(key(e.id)) && answered.get(key(e.id)) !== e.priority);
    if (wrong.length === 0) {
        return;
    }

    const list = wrong.map((e) => `${e.id} (sent ${e.priority}, got ${String(answered.get(key(e.id)))})`).join(", ");
    throw new Error(`Cloudflare accepted the new order for zone ${zoneId} but reports other priorities: ${list}`);
}
