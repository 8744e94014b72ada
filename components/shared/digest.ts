import { createHash } from "node:crypto";

/**
 * SHA-256 in hex. Steps put digests into their script text and restart keys,
 * so that a change to what a digest covers re-runs the step.
 */
export function sha256Hex(text: string): string {
    return createHash("sha256").update(text).digest("hex");
}
