/** What a command produced; only the entry point writes it out and sets the exit status. */
export interface CommandOutput {
  readonly stdout: string;
  readonly stderr: string;
  /** 0 good, 1 bad certificate or decision, 2 usage or configuration error. */
  readonly exitCode: ExitCode;
}

export type ExitCode = 0 | 1 | 2;

export const EXIT_GOOD: ExitCode = 0;
export const EXIT_BAD: ExitCode = 1;
export const EXIT_USAGE: ExitCode = 2;

export function usageError(message: string): CommandOutput {
  return { stdout: "", stderr: `qwac: ${message}\n`, exitCode: EXIT_USAGE };
}
