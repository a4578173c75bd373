/**
 * Nonces of signatures already accepted, each remembered until its signature would be refused as too old
 * anyway. A second use inside that window is a replay: a hop resending a captured authorization request,
 * possibly with another body behind it. Only verified signatures are recorded, so nobody without the key
 * can fill the memory; it is still bounded, and past the bound the oldest nonce is forgotten first.
 *
 * It protects one process: another instance of the service has its own memory, which is why the window
 * (maxAgeSeconds) is what bounds a replay between instances.
 */
export class ReplayGuard {
  /** nonce key -> end of its window (ms); insertion order is close to expiry order. */
  private readonly seen = new Map<string, number>();

  constructor(private readonly maxEntries: number) {}

  /** False when `key` was already used and its window is still open; otherwise records it. */
  firstUse(key: string, windowEndsAt: number, now: number): boolean {
    this.forgetExpired(now);
    const known = this.seen.get(key);
    if (known !== undefined && known > now) return false;
    this.seen.delete(key);
    if (this.seen.size >= this.maxEntries) {
      const oldest = this.seen.keys().next();
      if (oldest.done !== true) this.seen.delete(oldest.value);
    }
    this.seen.set(key, windowEndsAt);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  /** From the oldest entry on, up to the first one still open: the work is what expired since last time. */
  private forgetExpired(now: number): void {
    for (const [key, endsAt] of this.seen) {
      if (endsAt > now) return;
      this.seen.delete(key);
    }
  }
}
