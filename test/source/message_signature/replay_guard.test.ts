import { describe, expect, it } from "vitest";
import { ReplayGuard } from "../../../src/source/provenance/message_signature/replay_guard.js";

describe("the replay guard", () => {
  it("refuses a nonce a second time while its window is open, and forgets it when the window closes", () => {
    const guard = new ReplayGuard(10);
    expect(guard.firstUse("k\nn1", 2_000, 1_000)).toBe(true);
    expect(guard.firstUse("k\nn1", 2_000, 1_999)).toBe(false);
    expect(guard.firstUse("k\nn1", 3_000, 2_000)).toBe(true);
  });

  it("forgets expired nonces as time passes, so memory follows the request rate", () => {
    const guard = new ReplayGuard(100);
    for (let i = 0; i < 50; i++) guard.firstUse(`n${i}`, 1_000 + i, 0);
    expect(guard.size).toBe(50);
    guard.firstUse("later", 5_000, 1_025);
    expect(guard.size).toBe(25);
  });

  it("stays within its bound by forgetting the oldest nonce first", () => {
    const guard = new ReplayGuard(3);
    for (const nonce of ["a", "b", "c", "d"]) guard.firstUse(nonce, 10_000, 0);
    expect(guard.size).toBe(3);
    expect(guard.firstUse("a", 10_000, 1)).toBe(true);
    expect(guard.firstUse("d", 10_000, 1)).toBe(false);
  });
});
