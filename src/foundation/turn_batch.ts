/**
 * Runs the requests that arrive during one turn of the event loop back to back. Under load, one turn's
 * I/O phase reads many connections; handled one by one, each Check ran between two requests' worth of
 * node's HTTP or gRPC code and the kernel's, which had evicted the Check's code and data from the CPU's
 * caches, so a warm Check cost several times what it costs run twice in a row (bench/results.md, "Design
 * measurements"). Here the first request of a turn is handled at once, so a lone request waits for
 * nothing, and the ones that arrive after it in the same turn are handled together once the turn's I/O
 * is read (setImmediate), in the order they came.
 *
 * Both edges hand over a request and where its answer goes (node's request and response, grpc-js's call
 * and callback), kept as a pair so queueing one allocates nothing. `run` is expected not to throw; if it
 * does, `onError` gets the pair and the error and the batch goes on, so one bug cannot leave the other
 * requests of its turn unanswered.
 */
export class TurnBatch<A, B> {
  /** Pairs, flat: a, b, a, b, ... */
  private queued: (A | B)[] = [];
  private turnOpen = false;

  constructor(
    private readonly run: (request: A, reply: B) => void,
    private readonly onError: (request: A, reply: B, error: unknown) => void,
  ) {}

  add(request: A, reply: B): void {
    if (this.turnOpen) {
      this.queued.push(request, reply);
      return;
    }
    this.turnOpen = true;
    setImmediate(this.drain);
    this.runOne(request, reply);
  }

  private readonly drain = (): void => {
    // Anything added while this batch runs opens the next turn's batch instead of growing this one.
    const pairs = this.queued;
    this.queued = [];
    this.turnOpen = false;
    for (let i = 0; i < pairs.length; i += 2) this.runOne(pairs[i] as A, pairs[i + 1] as B);
  };

  private runOne(request: A, reply: B): void {
    try {
      this.run(request, reply);
    } catch (error) {
      this.onError(request, reply, error);
    }
  }
}
