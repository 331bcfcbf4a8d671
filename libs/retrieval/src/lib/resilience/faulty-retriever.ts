import { setTimeout as sleep } from 'node:timers/promises';

import {
  type RetrievalRequest,
  type RetrievalResult,
  type RetrieveOptions,
  type Retriever,
} from '../retrieval-request';

/** How a FaultyRetriever behaves on its next calls. */
export type Fault =
  { kind: 'none' } | { kind: 'slow'; ms: number } | { kind: 'hang' } | { kind: 'fail'; message?: string };

/**
 * A real retriever made deliberately slow, hanging or failing, for resilience tests and benchmarks. It
 * honours abort signals the way a network client does (the wait stops, the call rejects) and counts calls
 * that were cancelled, so a test can prove losing work was really stopped.
 */
export class FaultyRetriever implements Retriever {
  fault: Fault = { kind: 'none' };
  calls = 0;
  cancelled = 0;
  completed = 0;

  constructor(
    private readonly inner: Retriever,
    readonly backend: string = inner.backend,
  ) {}

  async retrieve(request: RetrievalRequest, options: RetrieveOptions = {}): Promise<RetrievalResult> {
    this.calls++;
    const fault = this.fault;
    try {
      if (fault.kind === 'slow') await sleep(fault.ms, undefined, { signal: options.signal });
      if (fault.kind === 'hang') await sleep(2 ** 31 - 1, undefined, { signal: options.signal });
    } catch (error) {
      this.cancelled++;
      throw error;
    }
    if (fault.kind === 'fail') throw new Error(fault.message ?? `${this.backend} is failing`);
    const result = await this.inner.retrieve(request, options);
    this.completed++;
    return { ...result, backend: this.backend };
  }
}
