/**
 * What an edge does with one request, in two steps the batch can run apart: `decide` judges it and
 * returns the answer when it is ready now (a warm Check), or undefined when the edge answers it itself
 * later (a Check that waits for a certificate or an OCSP fetch); `deliver` writes a ready answer.
 * `failed` answers a request whose `decide` or `deliver` threw (a bug: the edge fails closed and logs).
 */
export interface TurnWork<A, B, R> {
  decide(request: A, reply: B): R | undefined;
  deliver(reply: B, answer: R): void;
  failed(request: A, reply: B, error: unknown): void;
}

/**
 * Runs the requests that arrive during one turn of the event loop back to back. Under load, one turn's
 * I/O phase reads many connections; handled one by one, each Check ran between two requests' worth of
 * node's HTTP or gRPC code and the kernel's, which had evicted the Check's code and data from the CPU's
 * caches, so a warm Check cost several times what it costs when run twice in a row (bench/results.md,
 * "Design measurements"). The requests of a turn are handled once the turn's I/O is read (setImmediate),
 * in the order they came: first every decision, then every answer written, so each of the two runs with
 * its own code and data warm, and the answers leave together (waking the reader of a loopback or LAN
 * socket is a visible share of a write's cost, and a reader already woken is not woken again).
 *
 * Light load is answered where it arrives: when the previous turn held at most `inlineUpTo` requests, the
 * first `inlineUpTo` of a turn are handled at once, so they do not wait for the check phase (deferring
 * every first request cost about 15 % of throughput with one connection). When the previous turn held
 * more, load is heavy, and every request of the turn waits for its batch. How many requests are light
 * depends on what an answer costs next to a wait for the check phase, so each edge says (its server).
 *
 * Both edges hand over a request and where its answer goes (node's request and response, grpc-js's call
 * and callback), kept as a flat list of pairs so queueing one allocates nothing. A request whose step
 * throws goes to `failed` and the batch goes on, so one bug cannot leave the rest of its turn unanswered.
 */
export class TurnBatch<A, B, R> {
  /** Pairs, flat: request, reply, request, reply, ... */
  private queued: (A | B)[] = [];
  /** Requests added in the open turn, counting those answered at once; the first opens the turn. */
  private inTurn = 0;
  private previousTurn = 0;

  constructor(
    private readonly work: TurnWork<A, B, R>,
    private readonly inlineUpTo = 1,
  ) {}

  add(request: A, reply: B): void {
    this.inTurn += 1;
    // The turn's drain counts it, answered at once or not, so the next turn knows how heavy this one was.
    if (this.inTurn === 1) setImmediate(this.drain);
    if (this.previousTurn > this.inlineUpTo || this.inTurn > this.inlineUpTo) {
      this.queued.push(request, reply);
      return;
    }
    const answer = this.decide(request, reply);
    if (answer !== undefined) this.deliver(request, reply, answer);
  }

  private readonly drain = (): void => {
    // Anything added while this batch runs opens the next turn's batch instead of growing this one.
    const pairs = this.queued;
    this.queued = [];
    this.previousTurn = this.inTurn;
    this.inTurn = 0;
    const answers: (R | undefined)[] = new Array(pairs.length / 2);
    for (let i = 0; i < pairs.length; i += 2) answers[i / 2] = this.decide(pairs[i] as A, pairs[i + 1] as B);
    for (let i = 0; i < pairs.length; i += 2) {
      const answer = answers[i / 2];
      if (answer !== undefined) this.deliver(pairs[i] as A, pairs[i + 1] as B, answer);
    }
  };

  private decide(request: A, reply: B): R | undefined {
    try {
      return this.work.decide(request, reply);
    } catch (error) {
      this.work.failed(request, reply, error);
      return undefined;
    }
  }

  private deliver(request: A, reply: B, answer: R): void {
    try {
      this.work.deliver(reply, answer);
    } catch (error) {
      this.work.failed(request, reply, error);
    }
  }
}
