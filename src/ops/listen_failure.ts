import { ConfigError } from "../foundation/config_error.js";

/** Where a listener was asked to bind: the config key that set it, so the operator knows what to change. */
export interface ListenTarget {
  readonly configFile: string;
  /** `listen`, `http` or `metrics`: the section whose host and port failed. */
  readonly section: "listen" | "http" | "metrics";
  readonly host: string;
  readonly port: number;
}

/**
 * A bind failure as one ConfigError line. grpc-js and node:net describe the same failures differently
 * (grpc-js folds the errno into its message, node:net sets `code`), so the errno is read from either.
 */
export function listenFailure(target: ListenTarget, error: unknown): ConfigError {
  const { configFile, section, host, port } = target;
  const code = errnoOf(error);
  switch (code) {
    case "EADDRINUSE":
      return new ConfigError(
        configFile,
        `${section}.port`,
        `port ${port} on ${host} is already in use by another process (EADDRINUSE)`,
      );
    case "EACCES":
      return new ConfigError(
        configFile,
        `${section}.port`,
        `port ${port} needs privileges this process lacks (EACCES): use a port above 1023`,
      );
    case "EADDRNOTAVAIL":
      return new ConfigError(
        configFile,
        `${section}.host`,
        `${host} is not an address of this machine (EADDRNOTAVAIL)`,
      );
    case "ENOTFOUND":
      return new ConfigError(configFile, `${section}.host`, `host "${host}" does not resolve (ENOTFOUND)`);
    default:
      return new ConfigError(
        configFile,
        section,
        `cannot listen on ${host}:${port}: ${code ?? messageOf(error)}`,
      );
  }
}

function errnoOf(error: unknown): string | undefined {
  if (error instanceof Error && "code" in error && typeof error.code === "string") {
    return error.code === "EAI_AGAIN" ? "ENOTFOUND" : error.code;
  }
  const message = messageOf(error);
  if (message.startsWith("Name resolution failed")) return "ENOTFOUND";
  return /\b(EADDRINUSE|EADDRNOTAVAIL|EACCES|ENOTFOUND)\b/.exec(message)?.[1];
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
