/**
 * Quotes a string for bash as one word, whatever it contains. On its own so
 * that a module shell.ts uses (the drift record) can quote too.
 */
export function shq(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}
