/**
 * The stack's configuration: read once, validated once, before any resource
 * exists. The program (index.ts) and the drift command (scripts/drift.ts) both
 * read it through this module.
 *
 *   schema.ts      every key, declared once: type, default, description
 *   values.ts      the kinds of value the keys hold (addresses, paths, URLs, hosts)
 *   checks.ts      the checks that read more than one key
 *   parse.ts       text to checked settings, every problem reported at once
 *   deployment.ts  the one transform to the typed config the components take
 *   raw.ts         the text, from the running program or the `pulumi` CLI
 *   quote.ts       a value as a message shows it ([secret] for a secret's)
 *
 * Secrets leave wrapped with `pulumi.secret` (parseSettings, for tools outside
 * the engine, gives them plain), and no error message ever quotes one.
 */
export { REQUIRED_DIRECTORIES } from "./checks";
export { type ApiTlsPlan, type ArchiveSource, type DeploymentConfig, PUBLISHED_SHA256, sshKeyOf, toDeploymentConfig } from "./deployment";
export { ConfigError, parseConfig, parseSettings } from "./parse";
export { type RawConfig, rawConfigFromCli, readRawConfig } from "./raw";
export { CONFIG_KEYS, type ConfigKey, DEFAULT_DIRECTORIES, SECRET_KEYS, type Settings } from "./schema";
export { ARCHES, type Arch, canonicalPath, type HostConfig } from "./values";
