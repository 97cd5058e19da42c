// A stateful stand-in for Cloudflare's custom-certificate API on loopback, for tests, benchmarks
// and the demo. Start one with startEmulator(); point a client at its apiBaseUrl.

import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

import { API_PREFIX } from "./api";
import { checkFault, type Fault, type FaultSpec } from "./faults";
import type { RateLimit } from "./rate-limit";
import type { RequestLogEntry } from "./request-log";
import {
    DEFAULT_SEED_PATH,
    loadSeed,
    parseSeed,
    type CustomCertificate,
    type LoadedSeed,
    type Seed,
} from "./seed-schema";
import { createEmulatorServer } from "./server";
import { EmulatorState } from "./state";
import { checkPatch, type CertificatePatch, type ZoneSummary } from "./store";

export { ADMIN_PREFIX } from "./admin";
export { API_PREFIX, PER_PAGE } from "./api";
export { ErrorCode } from "./api-errors";
export type { AuthScheme } from "./auth";
export { FAULT_KINDS, type Fault, type FaultKind, type FaultSpec } from "./faults";
export { CLOUDFLARE_RATE_LIMIT, type RateLimit } from "./rate-limit";
export type { RequestLogEntry } from "./request-log";
export {
    DEFAULT_SEED_PATH,
    EMULATOR_DEMO_API_KEY,
    EMULATOR_DEMO_EMAIL,
    EMULATOR_DEMO_TOKEN,
    loadSeed,
    parseSeed,
    SeedError,
    type CertificateStatus,
    type CustomCertificate,
    type LoadedSeed,
    type Seed,
} from "./seed-schema";
export type { CertificatePatch, ZoneSummary } from "./store";

/** The address the emulator listens on unless told otherwise. */
export const DEFAULT_HOST = "127.0.0.1";

/** Settings of startEmulator; every one is optional. */
export interface EmulatorOptions {
    /** The address to listen on; 127.0.0.1 unless given. */
    host?: string;
    /** The port to listen on; 0, the default, picks a free one. */
    port?: number;
    /** A seed object, or the path of a seed JSON file; the bundled seed (DEFAULT_SEED_PATH) unless given. */
    seed?: Seed | string;
    /** Answers 429 to requests over this budget per credential; no limit unless given. */
    rateLimit?: RateLimit;
    /** Faults queued before the first request, as injectFault would queue them. */
    faults?: ReadonlyArray<FaultSpec>;
}

/** A running emulator: where it listens, and a handle on its state for tests. */
export interface Emulator {
    /** The origin, such as http://127.0.0.1:49152. */
    readonly url: string;
    /** Where the API lives: url + "/client/v4", the base URL to give a Cloudflare client. */
    readonly apiBaseUrl: string;
    /** The API requests answered so far, oldest first; credentials are never recorded. */
    requests(): RequestLogEntry[];
    /** Empties the request log. */
    clearRequests(): void;
    /** The zones it holds. */
    zones(): ZoneSummary[];
    /** A zone's certificates, most preferred (lowest priority number) first; throws for an unknown zone. */
    certificates(zoneId: string): CustomCertificate[];
    /** Changes a certificate out of band, as a user would in the dashboard; returns it as changed. */
    setCertificate(zoneId: string, certificateId: string, patch: CertificatePatch): CustomCertificate;
    /** Removes a certificate, as if it were deleted in the dashboard. */
    deleteCertificate(zoneId: string, certificateId: string): void;
    /** Removes a zone and its certificates. */
    deleteZone(zoneId: string): void;
    /** Queues a fault for the next matching API requests; returns it with its defaults filled in. */
    injectFault(fault: FaultSpec): Fault;
    /** The queued faults, with the hits each has left. */
    faults(): Fault[];
    /** Drops every queued fault. */
    clearFaults(): void;
    /** Sets a per-credential budget with fresh windows, or lifts it with undefined. */
    setRateLimit(limit: RateLimit | undefined): void;
    /** Puts zones and certificates back as seeded, drops queued faults and restarts rate-limit windows. */
    reset(): void;
    /** Stops listening and closes every connection, keep-alive ones included. */
    close(): Promise<void>;
}

/** Starts an emulator on loopback and resolves once it is listening. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
    const seed = resolveSeed(options.seed);
    const state = new EmulatorState(seed, options.rateLimit);
    for (const [index, spec] of (options.faults ?? []).entries()) {
        state.faults.add(checked(spec, `faults[${index}]`));
    }
    const server = createEmulatorServer(state);

    const address = await listen(server, options.host ?? DEFAULT_HOST, options.port ?? 0);
    return new RunningEmulator(state, server, originOf(address));
}

class RunningEmulator implements Emulator {
    readonly url: string;
    readonly apiBaseUrl: string;
    readonly #state: EmulatorState;
    readonly #server: Server;
    #closed: Promise<void> | undefined;

    constructor(state: EmulatorState, server: Server, url: string) {
        this.#state = state;
        this.#server = server;
        this.url = url;
        this.apiBaseUrl = `${url}${API_PREFIX}`;
    }

    requests(): RequestLogEntry[] {
        return this.#state.log.entries();
    }

    clearRequests(): void {
        this.#state.log.clear();
    }

    zones(): ZoneSummary[] {
        return this.#state.store.zones();
    }

    certificates(zoneId: string): CustomCertificate[] {
        const certificates = this.#state.store.list(zoneId);
        if (certificates === undefined) {
            throw new Error(`the emulator holds no zone ${zoneId}`);
        }
        return certificates;
    }

    setCertificate(zoneId: string, certificateId: string, patch: CertificatePatch): CustomCertificate {
        const checked = checkPatch(patch);
        if ("problems" in checked) {
            throw new Error(`invalid certificate patch: ${checked.problems.join("; ")}`);
        }

        const updated = this.#state.store.update(zoneId, certificateId, checked.patch);
        if (updated === undefined) {
            throw new Error(this.#missing(zoneId, certificateId));
        }
        return updated;
    }

    deleteCertificate(zoneId: string, certificateId: string): void {
        if (!this.#state.store.deleteCertificate(zoneId, certificateId)) {
            throw new Error(this.#missing(zoneId, certificateId));
        }
    }

    deleteZone(zoneId: string): void {
        if (!this.#state.store.deleteZone(zoneId)) {
            throw new Error(`the emulator holds no zone ${zoneId}`);
        }
    }

    injectFault(fault: FaultSpec): Fault {
        const valid = checked(fault, "fault");
        this.#state.faults.add(valid);
        return valid;
    }

    faults(): Fault[] {
        return this.#state.faults.pending();
    }

    clearFaults(): void {
        this.#state.faults.clear();
    }

    setRateLimit(limit: RateLimit | undefined): void {
        this.#state.setRateLimit(limit);
    }

    reset(): void {
        this.#state.reset();
    }

    close(): Promise<void> {
        if (this.#closed === undefined) {
            this.#state.shutDown();
            this.#closed = new Promise<void>((resolve, reject) => {
                this.#server.close((err) => (err ? reject(err) : resolve()));
            });
            // close() alone waits for idle keep-alive connections to time out; a test run would hang.
            this.#server.closeAllConnections();
        }
        return this.#closed;
    }

    #missing(zoneId: string, certificateId: string): string {
        return this.#state.store.hasZone(zoneId)
            ? `zone ${zoneId} holds no certificate ${certificateId}`
            : `the emulator holds no zone ${zoneId}`;
    }
}

function checked(spec: FaultSpec, name: string): Fault {
    const outcome = checkFault(spec);
    if ("problems" in outcome) {
        throw new Error(`invalid ${name}: ${outcome.problems.join("; ")}`);
    }
    return outcome.fault;
}

function resolveSeed(seed: Seed | string | undefined): LoadedSeed {
    if (seed === undefined) {
        return loadSeed(DEFAULT_SEED_PATH);
    }
    return typeof seed === "string" ? loadSeed(seed) : parseSeed(seed);
}

function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, host, () => {
            server.off("error", reject);
            resolve(server.address() as AddressInfo);
        });
    });
}

function originOf(address: AddressInfo): string {
    const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
    return `http://${host}:${address.port}`;
}
