/**
 * An operator's kill switch for one retrieval backend, on the compacted topic BACKEND_SWITCHES_TOPIC keyed
 * by backend: every feed-api instance reads the topic from its start and holds each backend in its latest
 * state, so a switch reaches every instance within seconds and survives their restarts. Written by admin,
 * after the action is in its audit log.
 */
export const BACKEND_SWITCHES_TOPIC = 'discovery.backend-switches.v1';

export const BACKEND_SWITCH_STATES = ['off', 'on'] as const;
export type BackendSwitchState = (typeof BACKEND_SWITCH_STATES)[number];

export interface BackendSwitch {
  backend: string;
  /** `off`: held isolated, its carousels served by their fallback. `on`: back to its circuit breaker. */
  state: BackendSwitchState;
  /** Who flipped it (admin's actor id) and why. */
  actor: string;
  reason: string;
  /** ISO time of the switch. */
  at: string;
  /** The audit log entry that records it. */
  auditId: number;
}

export class BackendSwitchError extends Error {
  constructor(problem: string) {
    super(`not a backend switch: ${problem}`);
    this.name = 'BackendSwitchError';
  }
}

/** Parses and checks one message value; throws BackendSwitchError naming the problem. */
export function parseBackendSwitch(value: Buffer | string): BackendSwitch {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString());
  } catch {
    throw new BackendSwitchError('the value is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new BackendSwitchError('the value is not an object');
  const { backend, state, actor, reason, at, auditId } = parsed as Record<string, unknown>;
  if (typeof backend !== 'string' || !/^[a-z][a-z0-9-]{0,31}$/.test(backend))
    throw new BackendSwitchError('backend must be a backend name');
  if (!BACKEND_SWITCH_STATES.includes(state as BackendSwitchState))
    throw new BackendSwitchError(`state must be one of ${BACKEND_SWITCH_STATES.join(', ')}`);
  if (typeof actor !== 'string' || actor.length === 0) throw new BackendSwitchError('actor is missing');
  if (typeof reason !== 'string' || reason.length > 500)
    throw new BackendSwitchError('reason must be a string of at most 500 characters');
  if (typeof at !== 'string' || Number.isNaN(Date.parse(at)))
    throw new BackendSwitchError('at must be an ISO time');
  if (typeof auditId !== 'number' || !Number.isInteger(auditId) || auditId < 1)
    throw new BackendSwitchError('auditId must be the audit entry id');
  return { backend, state: state as BackendSwitchState, actor, reason, at, auditId };
}
