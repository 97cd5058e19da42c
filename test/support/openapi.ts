// Checks JSON values against the response schemas of Cloudflare's published OpenAPI document. It
// understands the subset of JSON Schema that the custom-certificates part of that document uses:
// $ref, type, nullable, enum, properties, required, additionalProperties, items, allOf, anyOf,
// oneOf, minimum, maximum, minLength, maxLength, uniqueItems and format "date-time".

import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";

/** A schema object of the document. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** One way a value breaks its schema. */
export interface SchemaIssue {
    /** Where in the value, such as result[0].priority. */
    path: string;
    /** The schema keyword that failed, such as "type" or "maxLength". */
    keyword: string;
    message: string;
    value: unknown;
}

/** Options of a validation. */
export interface ValidateOptions {
    /** Issues for which this returns true are not reported. */
    tolerate?: (issue: SchemaIssue) => boolean;
}

/**
 * The document's place in a checkout where shared/ sits beside the repository. It is Cloudflare's
 * reference data and is not copied into the project; CLOUDFLARE_OPENAPI_SPEC may point elsewhere.
 */
export const REFERENCE_SPEC_PATH = path.resolve(
    __dirname,
    "..",
    "..",
    "..",
    "shared",
    "reference",
    "cloudflare-custom-certificates.openapi.json",
);

const MAX_DEPTH = 64;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** The spec file to use, or undefined when it is not on this machine. */
export function locateSpec(): string | undefined {
    const file = process.env["CLOUDFLARE_OPENAPI_SPEC"] ?? REFERENCE_SPEC_PATH;
    return existsSync(file) ? file : undefined;
}

/** A loaded OpenAPI document whose schemas values can be checked against. */
export class OpenApiDocument {
    readonly #document: JsonSchema;

    constructor(document: JsonSchema) {
        this.#document = document;
    }

    /** Reads a document from a JSON file. */
    static load(file: string): OpenApiDocument {
        return new OpenApiDocument(JSON.parse(readFileSync(file, "utf8")) as JsonSchema);
    }

    /** The JSON schema of one answer, such as ("/zones/{zone_id}/custom_certificates", "get", "200"). */
    responseSchema(pathTemplate: string, method: string, status: string): JsonSchema {
        const keys = ["paths", pathTemplate, method, "responses", status, "content", "application/json", "schema"];
        const schema = dig(this.#document, keys);
        if (!isObject(schema)) {
            const route = `${method.toUpperCase()} ${pathTemplate}`;
            throw new Error(`the OpenAPI document has no JSON answer ${status} for ${route}`);
        }
        return schema;
    }

    /** Every way the value breaks the schema, except those the options tolerate. */
    validate(schema: JsonSchema, value: unknown, options: ValidateOptions = {}): SchemaIssue[] {
        const issues: SchemaIssue[] = [];
        this.#check(schema, value, "", issues, 0);
        return options.tolerate === undefined ? issues : issues.filter((issue) => !options.tolerate?.(issue));
    }

    #check(schema: JsonSchema, value: unknown, at: string, issues: SchemaIssue[], depth: number): void {
        if (depth > MAX_DEPTH) {
            throw new Error(`schema nesting deeper than ${MAX_DEPTH} at ${at || "(root)"}; is a $ref circular?`);
        }
        const report = (keyword: string, message: string) => {
            issues.push({ path: at || "(root)", keyword, message, value });
        };

        // OpenAPI 3.0 ignores keywords beside a $ref; this document only repeats the target's
        // type or adds readOnly there, so checking both is equivalent and simpler.
        if (typeof schema["$ref"] === "string") {
            this.#check(this.#resolve(schema["$ref"]), value, at, issues, depth + 1);
        }
        this.#checkCombinators(schema, value, at, issues, depth, report);

        if (value === null && allowsNull(schema)) {
            return;
        }
        const type = schema["type"];
        if (typeof type === "string" && !hasType(value, type)) {
            report("type", `expected ${type}, got ${kindOf(value)}`);
            return;
        }
        const choices = schema["enum"];
        if (Array.isArray(choices) && !isNullMarker(schema) && !choices.some((choice) => sameJson(choice, value))) {
            report("enum", `expected one of ${JSON.stringify(choices)}, got ${JSON.stringify(value)}`);
        }

        if (typeof value === "string") {
            checkString(schema, value, report);
        } else if (typeof value === "number") {
            checkNumber(schema, value, report);
        } else if (Array.isArray(value)) {
            this.#checkArray(schema, value, at, issues, depth, report);
        } else if (isObject(value)) {
            this.#checkObject(schema, value, at, issues, depth, report);
        }
    }

    #checkCombinators(
        schema: JsonSchema,
        value: unknown,
        at: string,
        issues: SchemaIssue[],
        depth: number,
        report: (keyword: string, message: string) => void,
    ): void {
        for (const sub of schemaList(schema["allOf"])) {
            this.#check(sub, value, at, issues, depth + 1);
        }
        const passing = (subs: JsonSchema[]) =>
            subs.filter((sub) => this.#issuesOf(sub, value, at, depth).length === 0).length;

        const anyOf = schemaList(schema["anyOf"]);
        if (anyOf.length > 0 && passing(anyOf) === 0) {
            report("anyOf", "matches none of the anyOf schemas");
        }
        const oneOf = schemaList(schema["oneOf"]);
        if (oneOf.length > 0 && passing(oneOf) !== 1) {
            report("oneOf", `matches ${passing(oneOf)} of the oneOf schemas, not exactly 1`);
        }
    }

    #checkArray(
        schema: JsonSchema,
        value: unknown[],
        at: string,
        issues: SchemaIssue[],
        depth: number,
        report: (keyword: string, message: string) => void,
    ): void {
        const items = schema["items"];
        if (isObject(items)) {
            value.forEach((item, index) => this.#check(items, item, `${at}[${index}]`, issues, depth + 1));
        }
        const distinct = new Set(value.map((item) => JSON.stringify(item))).size;
        if (schema["uniqueItems"] === true && distinct !== value.length) {
            report("uniqueItems", "holds the same item twice");
        }
    }

    #checkObject(
        schema: JsonSchema,
        value: Record<string, unknown>,
        at: string,
        issues: SchemaIssue[],
        depth: number,
        report: (keyword: string, message: string) => void,
    ): void {
        const required = Array.isArray(schema["required"]) ? (schema["required"] as unknown[]) : [];
        for (const name of new Set(required.filter((r): r is string => typeof r === "string"))) {
            if (value[name] === undefined) {
                report("required", `lacks the required property ${name}`);
            }
        }

        const properties = isObject(schema["properties"]) ? schema["properties"] : {};
        const extra = schema["additionalProperties"];
        for (const [name, item] of Object.entries(value)) {
            if (item === undefined) {
                continue; // JSON has no undefined; such a property is simply absent.
            }
            const propertySchema = properties[name];
            const where = at === "" ? name : `${at}.${name}`;
            if (isObject(propertySchema)) {
                this.#check(propertySchema, item, where, issues, depth + 1);
            } else if (extra === false) {
                report("additionalProperties", `has the property ${name}, which the schema does not allow`);
            } else if (isObject(extra)) {
                this.#check(extra, item, where, issues, depth + 1);
            }
        }
    }

    #issuesOf(schema: JsonSchema, value: unknown, at: string, depth: number): SchemaIssue[] {
        const issues: SchemaIssue[] = [];
        this.#check(schema, value, at, issues, depth + 1);
        return issues;
    }

    #resolve(ref: string): JsonSchema {
        if (!ref.startsWith("#/")) {
            throw new Error(`only local $refs are supported, not ${ref}`);
        }
        const target = dig(this.#document, ref.slice(2).split("/").map(unescapePointer));
        if (!isObject(target)) {
            throw new Error(`the $ref ${ref} points at nothing`);
        }
        return target;
    }
}

function checkString(schema: JsonSchema, value: string, report: (keyword: string, message: string) => void): void {
    const { maxLength, minLength, format } = schema;
    if (typeof maxLength === "number" && value.length > maxLength) {
        report("maxLength", `is ${value.length} characters long, more than ${maxLength}`);
    }
    if (typeof minLength === "number" && value.length < minLength) {
        report("minLength", `is ${value.length} characters long, fewer than ${minLength}`);
    }
    if (format === "date-time" && (!DATE_TIME.test(value) || Number.isNaN(Date.parse(value)))) {
        report("format", `is not an RFC 3339 date-time: ${JSON.stringify(value)}`);
    }
}

function checkNumber(schema: JsonSchema, value: number, report: (keyword: string, message: string) => void): void {
    const { minimum, maximum } = schema;
    if (typeof minimum === "number" && value < minimum) {
        report("minimum", `is ${value}, less than ${minimum}`);
    }
    if (typeof maximum === "number" && value > maximum) {
        report("maximum", `is ${value}, more than ${maximum}`);
    }
}

// Cloudflare's generator marks a nullable value with `enum: [null]` beside its `type`, so that
// pair means "this type, or null", not "only null".
function isNullMarker(schema: JsonSchema): boolean {
    const choices = schema["enum"];
    const onlyNull = Array.isArray(choices) && choices.length === 1 && choices[0] === null;
    return onlyNull && typeof schema["type"] === "string";
}

function allowsNull(schema: JsonSchema): boolean {
    return schema["nullable"] === true || isNullMarker(schema) || schema["type"] === "null";
}

function hasType(value: unknown, type: string): boolean {
    switch (type) {
        case "object":
            return isObject(value);
        case "array":
            return Array.isArray(value);
        case "string":
            return typeof value === "string";
        case "number":
            return typeof value === "number" && Number.isFinite(value);
        case "integer":
            return Number.isInteger(value);
        case "boolean":
            return typeof value === "boolean";
        case "null":
            return value === null;
        default:
            throw new Error(`unknown JSON Schema type ${type}`);
    }
}

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function schemaList(value: unknown): JsonSchema[] {
    return Array.isArray(value) ? value.filter(isObject) : [];
}

function sameJson(a: unknown, b: unknown): boolean {
    return JSON.stringify(a) === JSON.stringify(b);
}

function kindOf(value: unknown): string {
    return value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
}

function dig(root: unknown, keys: ReadonlyArray<string>): unknown {
    return keys.reduce<unknown>((node, key) => (isObject(node) ? node[key] : undefined), root);
}

function unescapePointer(segment: string): string {
    return segment.replace(/~1/g, "/").replace(/~0/g, "~");
}
