// The shape of the plan file the benchmark writes and both bench programs read: the zones to
// order and the priorities to declare in each. Kept in a file so a 200-zone stack needs no
// 70 KB of stack config.

import { readFileSync } from "node:fs";

/** One zone and the priorities the stack declares for its certificates. */
export interface PlannedZone {
    zoneId: string;
    certificates: Array<{ id: string; priority: number }>;
}

/** What one bench stack declares. */
export interface BenchPlan {
    zones: PlannedZone[];
}

/** Reads the plan file named by the stack config key `plan`. */
export function readPlan(file: string): BenchPlan {
    return JSON.parse(readFileSync(file, "utf8")) as BenchPlan;
}
