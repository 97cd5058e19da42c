// An HTTP answer before it is written: status, headers and body text. Route handlers return these,
// so they can be tested and logged without a socket.

import { failureEnvelope, type ApiFailure } from "./api-errors";

/** An answer ready to send. */
export interface Answer {
    status: number;
    headers: Record<string, string>;
    body: string;
}

/** The paging block of a list answer. */
export interface ResultInfo {
    page: number;
    per_page: number;
    count: number;
    total_count: number;
    total_pages: number;
}

/** A JSON answer. */
export function jsonAnswer(status: number, value: unknown, headers: Record<string, string> = {}): Answer {
    return { status, headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(value) };
}

/** A successful API answer in Cloudflare's envelope. */
export function okAnswer(result: unknown, resultInfo?: ResultInfo): Answer {
    const paging = resultInfo === undefined ? {} : { result_info: resultInfo };
    return jsonAnswer(200, { success: true, errors: [], messages: [], result, ...paging });
}

/** A failed API answer in Cloudflare's envelope. */
export function failureAnswer(failure: ApiFailure): Answer {
    return jsonAnswer(failure.status, failureEnvelope(failure), { ...failure.headers });
}
