import { type DocChanges } from '../signal-pipeline';

/**
 * Where livestream docs go. `write` resolves once the sink has durably taken the whole batch (upserts and
 * deletions) and rejects otherwise; writes are idempotent, so a retried batch is harmless. A sink never
 * replaces a doc with an older `version`.
 */
export interface LivestreamDocSink {
  readonly name: string;
  write(changes: DocChanges): Promise<void>;
}
