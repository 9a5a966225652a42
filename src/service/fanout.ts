import type { Consumer } from '../component/component.js';
import { PipelineError } from '../component/errors.js';
import type { Batch } from '../pdata/batch.js';
import type { Signal } from '../pdata/model.js';

/**
 * Hands one batch to several consumers under the ownership rule: consumers that mutate get a
 * batch they own (a clone, or the original when nobody else needs it); read-only consumers share
 * the original, marked read-only whenever anyone else could see it. Every consumer is called
 * even when another fails; the errors are joined, permanent only when every failure is.
 */
export class Fanout<S extends Signal> implements Consumer<S> {
  readonly mutatesData = false;
  private readonly mutators: readonly Consumer<S>[];
  private readonly readers: readonly Consumer<S>[];

  constructor(consumers: readonly Consumer<S>[]) {
    this.mutators = consumers.filter((c) => c.mutatesData);
    this.readers = consumers.filter((c) => !c.mutatesData);
  }

  async consume(batch: Batch<S>): Promise<void> {
    const total = this.mutators.length + this.readers.length;
    if (total === 1) {
      const only = (this.mutators[0] ?? this.readers[0]) as Consumer<S>;
      return only.consume(only.mutatesData && batch.readOnly ? batch.clone() : batch);
    }
    const calls: Promise<void>[] = [];
    const originalToLastMutator = this.readers.length === 0 && !batch.readOnly;
    for (let i = 0; i < this.mutators.length; i++) {
      const last = i === this.mutators.length - 1;
      const own = last && originalToLastMutator ? batch : batch.clone();
      calls.push(callSafely(this.mutators[i] as Consumer<S>, own));
    }
    if (this.readers.length > 0) {
      if (this.readers.length > 1 || this.mutators.length > 0) batch.markReadOnly();
      for (const r of this.readers) calls.push(callSafely(r, batch));
    }
    const results = await Promise.allSettled(calls);
    const errors: unknown[] = [];
    for (const r of results) if (r.status === 'rejected') errors.push(r.reason);
    if (errors.length === 0) return;
    throw joinErrors(errors);
  }
}

function callSafely<S extends Signal>(c: Consumer<S>, b: Batch<S>): Promise<void> {
  try {
    return c.consume(b);
  } catch (err) {
    return Promise.reject(err);
  }
}

/** One error for several branch failures: permanent only when all are permanent; the
 * longest server-advised retry delay wins. */
export function joinErrors(errors: readonly unknown[]): unknown {
  if (errors.length === 1) return errors[0];
  let allPermanent = true;
  let retryAfterMs: number | undefined;
  const messages: string[] = [];
  for (const e of errors) {
    const pe = e instanceof PipelineError ? e : undefined;
    if (pe === undefined || !pe.permanent) allPermanent = false;
    if (pe?.retryAfterMs !== undefined) retryAfterMs = Math.max(retryAfterMs ?? 0, pe.retryAfterMs);
    messages.push(e instanceof Error ? e.message : String(e));
  }
  const first = errors.find((e) => e instanceof PipelineError) as PipelineError | undefined;
  return new PipelineError(first?.code ?? 'SY_INTERNAL', messages.join('; '), {
    permanent: allPermanent,
    retryAfterMs,
    cause: errors[0],
  });
}
