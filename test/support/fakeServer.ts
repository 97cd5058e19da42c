// A scriptable stand-in for Cloudflare's API on loopback: each test queues the answers a route
// gives, in order, and reads back every request that arrived.

import {
    createServer,
    type IncomingHttpHeaders,
    type IncomingMessage,
    type Server,
    type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";

/** One scripted answer. */
export interface FakeResponse {
    /** HTTP status; 200 when left out. */
    status?: number;
    /** Extra response headers; a `cf-ray` given here replaces the generated one. */
    headers?: Record<string, string>;
    /** A string is sent as is; anything else is sent as JSON. */
    body?: unknown;
    /** Waits this long before answering. */
    delayMs?: number;
    /** Destroys the socket before any header is sent, or after half of the body. */
    destroy?: "before-headers" | "mid-body";
}

/** One request as the fake server received it. */
export interface RecordedRequest {
    method: string;
    /** Path and query exactly as sent, base-URL prefix included. */
    url: string;
    /** The path below the base-URL prefix, without the query. */
    route: string;
    query: URLSearchParams;
    headers: IncomingHttpHeaders;
    body: string;
    /** The `cf-ray` header of the answer given (absent when the socket was destroyed first). */
    cfRay: string | undefined;
}

/** A Cloudflare API error entry. */
export interface FakeApiError {
    code: number;
    message: string;
}

/** Cloudflare's envelope around a successful result. */
export function okEnvelope(result: unknown, resultInfo?: Record<string, number>): Record<string, unknown> {
    const envelope: Record<string, unknown> = { success: true, errors: [], messages: [], result };
    if (resultInfo !== undefined) {
        envelope["result_info"] = resultInfo;
    }
    return envelope;
}

/** Cloudflare's envelope around a failure. */
export function errorEnvelope(...errors: FakeApiError[]): Record<string, unknown> {
    return { success: false, errors, messages: [], result: null };
}

/** A fake Cloudflare API on 127.0.0.1 with a random free port. */
export class FakeCloudflare {
    /** Every request received, oldest first. */
    readonly requests: RecordedRequest[] = [];

    readonly #server: Server;
    readonly #prefix: string;
    readonly #queues = new Map<string, FakeResponse[]>();
    readonly #timers = new Set<NodeJS.Timeout>();
    #answered = 0;

    private constructor(server: Server, prefix: string) {
        this.#server = server;
        this.#prefix = prefix;
    }

    /** Starts a server whose API lives below `prefix`, as Cloudflare's lives below /client/v4. */
    static async start(prefix = "/client/v4"): Promise<FakeCloudflare> {
        const server = createServer();
        const fake = new FakeCloudflare(server, prefix);
        server.on("request", (req, res) => void fake.handle(req, res));

        await new Promise<void>((resolve, reject) => {
            server.once("error", reject);
            server.listen(0, "127.0.0.1", resolve);
        });
        return fake;
    }

    /** The base URL a client should be given, prefix included. */
    get baseUrl(): string {
        const { port } = this.#server.address() as AddressInfo;
        return `http://127.0.0.1:${port}${this.#prefix}`;
    }

    /** Queues answers for `method route` (route below the prefix, no query); each is used once. */
    reply(method: string, route: string, ...responses: FakeResponse[]): this {
        const key = `${method} ${route}`;
        this.#queues.set(key, [...(this.#queues.get(key) ?? []), ...responses]);
        return this;
    }

    /** Scripted answers not yet used, by route; empty when the test consumed all it queued. */
    unused(): Record<string, number> {
        const left = [...this.#queues].filter(([, queue]) => queue.length > 0);
        return Object.fromEntries(left.map(([key, queue]) => [key, queue.length]));
    }

    /** Stops the server, cutting open keep-alive connections and pending delayed answers. */
    async close(): Promise<void> {
        this.#timers.forEach(clearTimeout);
        this.#timers.clear();
        this.#server.closeAllConnections();
        await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    }

    private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
        const url = new URL(req.url ?? "/", "http://fake.invalid");
        const route = url.pathname.startsWith(this.#prefix) ? url.pathname.slice(this.#prefix.length) : url.pathname;
        const recorded: RecordedRequest = {
            method: req.method ?? "",
            url: req.url ?? "",
            route,
            query: url.searchParams,
            headers: req.headers,
            body: await readAll(req),
            cfRay: undefined,
        };
        this.requests.push(recorded);

        const scripted = this.#queues.get(`${recorded.method} ${route}`)?.shift() ?? unscripted(recorded);
        await this.wait(scripted.delayMs ?? 0);
        if (res.destroyed || req.socket.destroyed) {
            return; // The client gave up while we were waiting.
        }
        if (scripted.destroy === "before-headers") {
            req.socket.destroy();
            return;
        }

        this.#answered += 1;
        recorded.cfRay = scripted.headers?.["cf-ray"] ?? `fake${String(this.#answered).padStart(12, "0")}-LHR`;
        send(res, scripted, recorded.cfRay);
    }

    private wait(ms: number): Promise<void> {
        if (ms <= 0) {
            return Promise.resolve();
        }
        return new Promise((resolve) => {
            const timer = setTimeout(() => {
                this.#timers.delete(timer);
                resolve();
            }, ms);
            this.#timers.add(timer);
        });
    }
}

// An unscripted request gets an answer no client would retry, naming what the test forgot.
function unscripted(request: RecordedRequest): FakeResponse {
    const message = `fake server: nothing queued for ${request.method} ${request.route}`;
    return { status: 400, body: errorEnvelope({ code: 1, message }) };
}

function send(res: ServerResponse, scripted: FakeResponse, cfRay: string): void {
    const body = Buffer.from(typeof scripted.body === "string" ? scripted.body : JSON.stringify(scripted.body ?? null));
    const contentType = typeof scripted.body === "string" ? "text/plain" : "application/json";
    res.writeHead(scripted.status ?? 200, {
        "content-type": contentType,
        "content-length": String(body.length),
        "cf-ray": cfRay,
        ...scripted.headers,
    });

    if (scripted.destroy === "mid-body") {
        // Content-Length promises the whole body; the client sees the connection drop halfway.
        res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
        return;
    }
    res.end(body);
}

async function readAll(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) {
        chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString("utf8");
}
