import { defineConfig } from "vitest/config";

/**
 * Two workers on a two-core machine (Vitest's default here would be one), except for the files that start
 * the service as its own process and judge what a fresh process does within its budget (first sight, a
 * flood on a small heap): they run afterwards, one at a time, so that no other test competes with them
 * for the CPU.
 */
const SOLO = ["test/process/**/*.test.ts"];

export default defineConfig({
  test: {
    setupFiles: ["test/setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    projects: [
      {
        extends: true,
        test: {
          name: "parallel",
          include: ["test/**/*.test.ts"],
          exclude: SOLO,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: "solo", include: SOLO, maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
