import { type DocChanges, type LivestreamDoc, type LivestreamDocSink } from '@crest/signals';
import { FixedReverseHeap } from 'mnemonist';

import { type Candidate, compareCandidates, type RetrievedDoc, toRetrievedDoc } from '../retrieval-request';

/** A seller's embedding as float32 values (as Elasticsearch stores it) with its norm, for cosine scoring. */
export interface SellerVector {
  sellerId: string;
  embedding: Float32Array;
  norm: number;
}

/**
 * The memory backend's replica: the newest doc of every stream, with secondary indexes over the live ones
 * (by seller, by category, and the seller embeddings of live sellers). Fed as a sink in embedded mode or
 * from the compacted state topic (StateTopicReplica). A doc with an older `version` never replaces a newer
 * one; a deletion removes the stream.
 */
export class LivestreamIndex implements LivestreamDocSink {
  readonly name = 'memory-index';
  private readonly docs = new Map<string, RetrievedDoc>();
  private readonly liveDocs = new Map<string, RetrievedDoc>();
  private readonly bySeller = new Map<string, Set<RetrievedDoc>>();
  private readonly byCategory = new Map<string, Set<RetrievedDoc>>();
  private readonly sellerVectors = new Map<string, { vector: SellerVector; streams: number }>();

  async write(changes: Pick<DocChanges, 'upserts' | 'deletions'>): Promise<void> {
    for (const doc of changes.upserts) this.upsert(doc);
    for (const id of changes.deletions) this.delete(id);
  }

  /** Applies one doc; false when the index already holds a newer version. */
  upsert(doc: LivestreamDoc | RetrievedDoc): boolean {
    const current = this.docs.get(doc.livestreamId);
    if (current && current.version > doc.version) return false;
    if (current) this.unindex(current);
    const retrieved = toRetrievedDoc(doc);
    this.docs.set(retrieved.livestreamId, retrieved);
    if (retrieved.status === 'live') this.index(retrieved);
    return true;
  }

  delete(livestreamId: string): void {
    const current = this.docs.get(livestreamId);
    if (!current) return;
    this.unindex(current);
    this.docs.delete(livestreamId);
  }

  get(livestreamId: string): RetrievedDoc | undefined {
    return this.docs.get(livestreamId);
  }

  /** Streams held, live or not. */
  get size(): number {
    return this.docs.size;
  }

  get liveCount(): number {
    return this.liveDocs.size;
  }

  live(): Iterable<RetrievedDoc> {
    return this.liveDocs.values();
  }

  liveOfSeller(sellerId: string): Iterable<RetrievedDoc> {
    return this.bySeller.get(sellerId) ?? [];
  }

  liveInCategory(categoryId: string): Iterable<RetrievedDoc> {
    return this.byCategory.get(categoryId) ?? [];
  }

  /** One vector per seller with a live stream and an embedding. */
  liveSellerVectors(): Iterable<SellerVector> {
    const vectors = this.sellerVectors.values();
    return { [Symbol.iterator]: () => mapIterator(vectors, (entry) => entry.vector) };
  }

  private index(doc: RetrievedDoc): void {
    this.liveDocs.set(doc.livestreamId, doc);
    if (doc.sellerId) addTo(this.bySeller, doc.sellerId, doc);
    for (const category of doc.categoryIds) addTo(this.byCategory, category, doc);
    const embedding = doc.seller.embedding;
    if (doc.sellerId && embedding && embedding.length > 0) {
      // The newest doc carries the seller's newest features.
      const streams = (this.sellerVectors.get(doc.sellerId)?.streams ?? 0) + 1;
      this.sellerVectors.set(doc.sellerId, { vector: sellerVector(doc.sellerId, embedding), streams });
    }
  }

  private unindex(doc: RetrievedDoc): void {
    if (!this.liveDocs.delete(doc.livestreamId)) return;
    if (doc.sellerId) removeFrom(this.bySeller, doc.sellerId, doc);
    for (const category of doc.categoryIds) removeFrom(this.byCategory, category, doc);
    const entry = doc.sellerId ? this.sellerVectors.get(doc.sellerId) : undefined;
    if (entry && doc.seller.embedding && --entry.streams === 0) this.sellerVectors.delete(doc.sellerId!);
  }
}

/**
 * The best `limit` of the scored docs (score descending, then id ascending) with a bounded heap: O(n log k),
 * no sort of everything. `score` returns null to leave a doc out.
 */
export function topCandidates(
  docs: Iterable<RetrievedDoc>,
  limit: number,
  excluded: ReadonlySet<string>,
  score: (doc: RetrievedDoc) => number | null,
): Candidate[] {
  const heap = new FixedReverseHeap<Candidate>(Array, compareCandidates, limit);
  for (const doc of docs) {
    if (excluded.has(doc.livestreamId)) continue;
    const value = score(doc);
    if (value !== null) heap.push({ livestreamId: doc.livestreamId, score: value, doc });
  }
  return heap.consume() as Candidate[];
}

/** Cosine similarity of two float32 vectors with known norms; 0 when dimensions differ. */
export function cosineSimilarity(a: Float32Array, aNorm: number, b: Float32Array, bNorm: number): number {
  if (a.length !== b.length || aNorm === 0 || bNorm === 0) return 0;
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot / (aNorm * bNorm);
}

export function sellerVector(sellerId: string, embedding: readonly number[]): SellerVector {
  const values = Float32Array.from(embedding);
  return { sellerId, embedding: values, norm: normOf(values) };
}

export function normOf(values: Float32Array): number {
  let sum = 0;
  for (const x of values) sum += x * x;
  return Math.sqrt(sum);
}

function addTo(map: Map<string, Set<RetrievedDoc>>, key: string, doc: RetrievedDoc): void {
  const set = map.get(key);
  if (set) set.add(doc);
  else map.set(key, new Set([doc]));
}

function removeFrom(map: Map<string, Set<RetrievedDoc>>, key: string, doc: RetrievedDoc): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(doc);
  if (set.size === 0) map.delete(key);
}

function* mapIterator<T, U>(iterator: Iterator<T>, map: (value: T) => U): Iterator<U> {
  for (let next = iterator.next(); !next.done; next = iterator.next()) yield map(next.value);
}
