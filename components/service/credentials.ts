/** A curl config line carrying Basic credentials; quoted as curl's config parser reads it. */
export function curlCredentialsConfig(username: string, password: string): string {
    const q = (s: string) => s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(/\r/g, "\\r").replace(/\t/g, "\\t");
    return `user = "${q(username)}:${q(password)}"\n`;
}
