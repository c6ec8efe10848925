import { Agent, type Dispatcher } from 'undici';

/** Whether a request (its origin, method and path with query) is one the client exists to make. */
export type RouteCheck = (origin: string, method: string, path: string) => boolean;

/**
 * The private connection pool of a client that may reach what the egress policy refuses to everyone
 * else (cloud metadata): every request is checked against the client's routes before it is sent, so
 * even code that got hold of the dispatcher could reach nothing else at that address. The routes come
 * from the operator's environment; `pin` names them, and a new pin replaces the pool.
 */
export class PinnedDispatcher {
  private agent?: Agent;
  private dispatcher?: Dispatcher;
  private pin?: string;

  constructor(private readonly options: Agent.Options, private readonly refusal: string) {}

  get(pin: string, allow: RouteCheck): Dispatcher {
    if (!this.dispatcher || this.pin !== pin) {
      void this.agent?.close();
      this.agent = new Agent(this.options);
      this.pin = pin;
      this.dispatcher = this.agent.compose((dispatch) => (opts, handler) => {
        if (!allow(String(opts.origin), String(opts.method), String(opts.path ?? ''))) throw new Error(this.refusal);
        return dispatch(opts, handler);
      });
    }
    return this.dispatcher;
  }

  /** For tests and shutdown: closes the private connections. */
  async close(): Promise<void> {
    const a = this.agent;
    this.agent = this.dispatcher = this.pin = undefined;
    await a?.close();
  }
}
