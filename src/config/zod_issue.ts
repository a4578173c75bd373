import type { z } from "zod";
import { ConfigError } from "../foundation/config_error.js";

/** The first schema problem as a ConfigError: file, dotted key, and what is wrong. */
export function configErrorFromZod(file: string, error: z.ZodError): ConfigError {
  const issue = error.issues[0];
  if (issue === undefined) return new ConfigError(file, "", "invalid");
  const key = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    const prefix = key === "" ? "" : `${key}.`;
    return new ConfigError(file, `${prefix}${issue.keys.join(",")}`, "unknown key (check the spelling)");
  }
  return new ConfigError(file, key, issue.message);
}
