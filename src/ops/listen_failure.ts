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
  const code = errnoOf(error);
  return code === undefined || !isListenErrno(code)
    ? new ConfigError(
        target.configFile,
        target.section,
        `cannot listen on ${target.host}:${target.port}: ${code ?? messageOf(error)}`,
      )
    : listenProblem(target, code);
}

const LISTEN_ERRNOS = ["EADDRINUSE", "EACCES", "EADDRNOTAVAIL", "ENOTFOUND"] as const;
export type ListenErrno = (typeof LISTEN_ERRNOS)[number];

function isListenErrno(code: string): code is ListenErrno {
  return (LISTEN_ERRNOS as readonly string[]).includes(code);
}

/** The one wording of each bind failure: the start and `qwac check-config`'s preflight both use it. */
export function listenProblem(target: ListenTarget, code: ListenErrno): ConfigError {
  const { configFile, section, host, port } = target;
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
  }
}

function errnoOf(error: unknown): string | undefined {
  if (error instanceof Error && "code" in error && typeof error.code === "string") {
    return error.code === "EAI_AGAIN" ? "ENOTFOUND" : error.code;
  }
  const message = messageOf(error);
  if (message.startsWith("Name resolution failed")) return "ENOTFOUND";
  return LISTEN_ERRNOS.find((errno) => new RegExp(`\\b${errno}\\b`).test(message));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
