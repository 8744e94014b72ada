import { type ConfigKey, SECRET_KEYS } from "./schema";

/**
 * A value as an error message shows it: `[secret]` for a secret key's, never
 * the value; "(missing)"; or its JSON, with credentials in a URL masked and
 * cut to 80 characters.
 */
export function quote(key: ConfigKey, value: unknown): string {
    if (SECRET_KEYS.has(key)) return "[secret]";
    if (value === undefined) return "(missing)";
    // Credentials in a URL are masked, even in the message that refuses them.
    return truncate(JSON.stringify(value).replace(/(:\/\/)[^/"@]*@/g, "$1***@"));
}

export function truncate(s: string): string {
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
