import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';

/** Env keys whose values never appear in error messages or logs. */
const SECRET_KEY = /SECRET|TOKEN|PASSWORD|CLIENT_KEY|API_KEY|CREDENTIAL/i;

/** Raised when configuration is invalid; the message lists every bad key, one per line. */
export class ConfigValidationError extends Error {
  constructor(
    readonly problems: string[],
    appName: string,
  ) {
    super(`Invalid configuration for ${appName}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

/**
 * Builds an app's typed config from environment variables and validates it once, at boot. Config classes
 * declare each key with class-validator rules and `@Type(() => Number)` / `@Transform` for conversion, and a
 * default as a property initializer. Every failing key is reported at once; secret values are masked.
 */
export function loadConfig<T extends object>(
  configClass: new () => T,
  env: Record<string, string | undefined>,
  appName: string,
): T {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const config = plainToInstance(configClass, present, { exposeDefaultValues: true });
  const errors = validateSync(config, { whitelist: false, skipMissingProperties: false });
  if (errors.length > 0) throw new ConfigValidationError(describe(errors, env), appName);
  return config;
}

function describe(errors: ValidationError[], env: Record<string, string | undefined>): string[] {
  return errors
    .map((error) => {
      const raw = env[error.property];
      const shown =
        raw === undefined || raw === ''
          ? 'not set'
          : SECRET_KEY.test(error.property)
            ? 'got ***'
            : `got "${withoutUrlPasswords(raw)}"`;
      const rules = Object.values(error.constraints ?? {}).join('; ');
      return `${error.property}: ${rules} (${shown})`;
    })
    .sort();
}

/** `scheme://user:password@host` → `scheme://user:***@host`, wherever it appears in `text`. */
function withoutUrlPasswords(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@]*@/gi, '$1***@');
}

/** Parses a comma-separated env value into trimmed, non-empty items. */
export function splitList(value: unknown): unknown {
  return typeof value === 'string'
    ? value
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item.length > 0)
    : value;
}

/** Parses "true"/"false"/"1"/"0" (any case); anything else is left for validation to reject. */
export function parseBoolean(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const normalized = value.trim().toLowerCase();
  if (normalized === 'true' || normalized === '1') return true;
  if (normalized === 'false' || normalized === '0') return false;
  return value;
}
