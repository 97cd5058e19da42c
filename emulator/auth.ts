// Checks a request's credentials the way Cloudflare does: a bearer token, or the legacy pair of
// X-Auth-Email and X-Auth-Key. Malformed headers, unknown credentials and credentials without
// access each get Cloudflare's own answer.

import type { IncomingHttpHeaders } from "node:http";

import {
    ErrorCode,
    invalidHeaders,
    invalidToken,
    missingAuth,
    unknownApiKey,
    type ApiFailure,
    type ApiMessage,
} from "./api-errors";
import { API_KEY_PATTERN, EMAIL_PATTERN, TOKEN_PATTERN, type LoadedSeed } from "./seed-schema";

/** How a request authenticated, as the request log records it. */
export type AuthScheme = "token" | "key" | "none" | "invalid";

/** Who a request authenticated as, and what that credential may do. */
export interface Principal {
    scheme: "token" | "key";
    /** Names the credential without revealing it, such as "token #1"; used to count requests. */
    label: string;
    /** The zones the credential reaches; every zone when undefined. */
    zones: ReadonlySet<string> | undefined;
    readOnly: boolean;
}

/** The outcome of checking a request's credentials. */
export type AuthResult =
    { ok: true; principal: Principal } | { ok: false; scheme: "none" | "invalid"; failure: ApiFailure };

const BEARER = /^Bearer +(\S+)$/i;

/** The credentials a seed accepts, ready to check requests against. */
export class CredentialTable {
    readonly #tokens = new Map<string, Principal>();
    readonly #keys = new Map<string, Principal>();
    readonly #secrets: string[];

    constructor(seed: LoadedSeed) {
        seed.tokens.forEach((entry, index) => {
            const spec = typeof entry === "string" ? { token: entry } : entry;
            this.#tokens.set(spec.token, {
                scheme: "token",
                label: `token #${index}`,
                zones: spec.zones === undefined ? undefined : new Set(spec.zones),
                readOnly: spec.readOnly ?? false,
            });
        });
        seed.apiKeys.forEach((entry, index) => {
            const label = `api key #${index}`;
            this.#keys.set(keyOf(entry.email, entry.key), { scheme: "key", label, zones: undefined, readOnly: false });
        });
        this.#secrets = [...this.#tokens.keys(), ...seed.apiKeys.map((entry) => entry.key)];
    }

    /** Every token and API key accepted, so the request log can scrub them wherever they appear. */
    secrets(): string[] {
        return [...this.#secrets];
    }

    /** Checks the credential headers; a bearer token wins when both kinds are sent. */
    authenticate(headers: IncomingHttpHeaders): AuthResult {
        const authorization = single(headers.authorization);
        if (authorization !== undefined) {
            return this.#byToken(authorization);
        }

        const email = single(headers["x-auth-email"]);
        const key = single(headers["x-auth-key"]);
        if (email === undefined && key === undefined) {
            return { ok: false, scheme: "none", failure: missingAuth() };
        }
        return this.#byKey(email, key);
    }

    #byToken(header: string): AuthResult {
        const token = BEARER.exec(header.trim())?.[1];
        if (token === undefined || !TOKEN_PATTERN.test(token)) {
            const message = "Invalid format for Authorization header";
            const chain = [{ code: ErrorCode.INVALID_AUTHORIZATION_HEADER, message }];
            return { ok: false, scheme: "invalid", failure: invalidHeaders(chain) };
        }

        const principal = this.#tokens.get(token);
        if (principal === undefined) {
            return { ok: false, scheme: "invalid", failure: invalidToken() };
        }
        return { ok: true, principal };
    }

    #byKey(email: string | undefined, key: string | undefined): AuthResult {
        const chain: ApiMessage[] = [];
        if (email === undefined || !EMAIL_PATTERN.test(email.trim())) {
            chain.push({ code: ErrorCode.INVALID_EMAIL_HEADER, message: "Invalid format for X-Auth-Email header" });
        }
        if (key === undefined || !API_KEY_PATTERN.test(key.trim())) {
            chain.push({ code: ErrorCode.INVALID_KEY_HEADER, message: "Invalid format for X-Auth-Key header" });
        }
        if (email === undefined || key === undefined || chain.length > 0) {
            return { ok: false, scheme: "invalid", failure: invalidHeaders(chain) };
        }

        const principal = this.#keys.get(keyOf(email, key));
        if (principal === undefined) {
            return { ok: false, scheme: "invalid", failure: unknownApiKey() };
        }
        return { ok: true, principal };
    }
}

/** Whether the credential reaches the zone. */
export function reachesZone(principal: Principal, zoneId: string): boolean {
    return principal.zones === undefined || principal.zones.has(zoneId);
}

/**
 * Every secret a request presented, valid or not, so the request log can scrub them: a wrong
 * token sent to the emulator may well be a real one.
 */
export function presentedSecrets(headers: IncomingHttpHeaders): string[] {
    const authorization = single(headers.authorization)?.trim();
    const lastWord = authorization?.split(/\s+/).pop();
    return [authorization, lastWord, single(headers["x-auth-key"])?.trim()].filter(
        (s): s is string => s !== undefined && s !== "",
    );
}

function keyOf(email: string, key: string): string {
    return `${email.trim().toLowerCase()}\n${key.trim()}`;
}

function single(value: string | string[] | undefined): string | undefined {
    return Array.isArray(value) ? value[0] : value;
}
