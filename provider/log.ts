// Debug logging for the Cloudflare client: silent unless switched on, one line per attempt, to
// stderr (a dynamic provider's stdout belongs to the Pulumi engine).

/** The environment variable that switches debug logging on when set to `1` or `true`. */
export const DEBUG_ENV = "CLOUDFLARE_PRIORITY_DEBUG";

/** What the client reports about one HTTP attempt. */
export interface AttemptRecord {
    method: string;
    /** Path and query as sent. */
    target: string;
    /** The HTTP status, or what went wrong when no answer arrived. */
    outcome: number | string;
    durationMs: number;
    attempt: number;
    maxAttempts: number;
    cfRay: string | undefined;
    /** Request headers as sent; credential headers are redacted when formatted. */
    headers: Readonly<Record<string, string>>;
}

/** True when the debug switch is on in the given environment. */
export function debugEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
    const value = env[DEBUG_ENV]?.trim().toLowerCase();
    return value === "1" || value === "true";
}

const SECRET_HEADERS = new Set(["authorization", "x-auth-key"]);

/** Formats one attempt as a single line, with the values of credential headers replaced. */
export function formatAttempt(record: AttemptRecord): string {
    const ray = record.cfRay === undefined ? "" : ` cf-ray=${record.cfRay}`;
    const headers = Object.fromEntries(
        Object.entries(record.headers).map(([name, value]) => [
            name,
            SECRET_HEADERS.has(name.toLowerCase()) ? "[REDACTED]" : value,
        ]),
    );
    return (
        `[cloudflare-certificate-priority] ${record.method} ${record.target} -> ${record.outcome} ` +
        `in ${Math.round(record.durationMs)} ms (attempt ${record.attempt}/${record.maxAttempts})${ray} ` +
        `headers=${JSON.stringify(headers)}`
    );
}

/**
 * Writes one attempt to stderr when debug logging is on; `redact` scrubs credential values that
 * could hide anywhere in the line (an echoed path, a header a caller added).
 */
export function logAttempt(
    record: AttemptRecord,
    redact: (text: string) => string,
    env: NodeJS.ProcessEnv = process.env,
): void {
    if (!debugEnabled(env)) {
        return;
    }
    process.stderr.write(`${redact(formatAttempt(record))}\n`);
}
