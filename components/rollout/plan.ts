/**
 * The order in which a rolling change reaches the hosts: batches of
 * `batchSize` hosts in the order of `hosts`. A batch starts once every host of
 * the batch before it has passed its health gate. Pure.
 */
export function rolloutBatches<T>(hosts: readonly T[], batchSize: number): T[][] {
    if (batchSize <= 0 || batchSize >= hosts.length) return hosts.length ? [[...hosts]] : [];
    const batches: T[][] = [];
    for (let i = 0; i < hosts.length; i += batchSize) batches.push(hosts.slice(i, i + batchSize));
    return batches;
}

/** The rollout order in words, as a preview prints it. */
export function describeRollout(names: readonly string[], batchSize: number): string {
    const batches = rolloutBatches(names, batchSize);
    if (batches.length <= 1) return `all hosts at once: ${names.join(", ")}`;
    const size = batchSize === 1 ? "one host at a time" : `${batchSize} hosts at a time`;
    return `rolling, ${size}: ${batches.map((b) => b.join(" + ")).join(", then ")}; each batch waits for the one before it to pass its health gate`;
}

/** The check URL for one host: `{address}` replaced by the host's address. */
export function checkUrlFor(template: string, address: string): string {
    return template.replaceAll("{address}", address);
}
