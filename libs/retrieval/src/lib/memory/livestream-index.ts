import { type DocChanges, type LivestreamDoc, type LivestreamDocSink } from '@crest/signals';
import { Heap } from 'mnemonist';
import BTree from 'sorted-btree';

import { type Candidate, compareCandidates, type RetrievedDoc, toRetrievedDoc } from '../retrieval-request';

/** A position in a descending order: the float32 value, then the livestream id ascending. */
interface RankKey {
  value: number;
  id: string;
}

const byRankKey = (a: RankKey, b: RankKey) => b.value - a.value || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Live docs in descending order of one float32 field (ties by id), updated as docs change. */
class RankedDocs {
  private readonly tree = new BTree<RankKey, RetrievedDoc>(undefined, byRankKey);

  constructor(private readonly field: (doc: RetrievedDoc) => number) {}

  add(doc: RetrievedDoc): void {
    this.tree.set({ value: Math.fround(this.field(doc)), id: doc.livestreamId }, doc);
  }

  remove(doc: RetrievedDoc): void {
    this.tree.delete({ value: Math.fround(this.field(doc)), id: doc.livestreamId });
  }

  get size(): number {
    return this.tree.size;
  }

  /** The largest value held, or 0 when empty. */
  top(): number {
    return this.tree.minKey()?.value ?? 0;
  }

  descending(): IterableIterator<RetrievedDoc> {
    return this.tree.values();
  }
}

const momentumOf = (doc: RetrievedDoc) => doc.momentum;
const hotnessOf = (doc: RetrievedDoc) => doc.hotness;

/**
 * The memory backend's replica: the newest doc of every stream, with secondary indexes over the live ones:
 * by seller, by category (ordered by momentum), all live docs ordered by momentum and by hotness, those with
 * an auction or giveaway ordered by hotness, and the seller embeddings of live sellers. The orders let a
 * strategy read the best docs first and stop early instead of scoring every live doc. Fed as a sink in
 * embedded mode or from the compacted state topic (StateTopicReplica). A doc with an older `version` never
 * replaces a newer one; a deletion removes the stream.
 */
export class LivestreamIndex implements LivestreamDocSink {
  readonly name = 'memory-index';
  private readonly docs = new Map<string, RetrievedDoc>();
  private readonly liveDocs = new Map<string, RetrievedDoc>();
  private readonly bySeller = new Map<string, Set<RetrievedDoc>>();
  private readonly byCategory = new Map<string, RankedDocs>();
  private readonly byMomentum = new RankedDocs(momentumOf);
  private readonly byHotness = new RankedDocs(hotnessOf);
  private readonly withOfferByHotness = new RankedDocs(hotnessOf);
  private readonly sellerTables = new Map<number, SellerVectorTable>();
  /** Per seller with a live stream that has an embedding: how many such streams, and the table it is in. */
  private readonly sellerStreams = new Map<string, { streams: number; dims: number }>();

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

  /** Live docs in a category, highest momentum first (ties by id). */
  liveInCategory(categoryId: string): Iterable<RetrievedDoc> {
    return this.byCategory.get(categoryId)?.descending() ?? [];
  }

  /** Live docs, highest momentum first (ties by id). */
  liveByMomentum(): Iterable<RetrievedDoc> {
    return this.byMomentum.descending();
  }

  /** Live docs, hottest first (ties by id). */
  liveByHotness(): Iterable<RetrievedDoc> {
    return this.byHotness.descending();
  }

  /** Live docs with an auction or a giveaway (running or not at a given time), hottest first. */
  liveWithOfferByHotness(): Iterable<RetrievedDoc> {
    return this.withOfferByHotness.descending();
  }

  /** The highest float32 hotness of a live doc (0 with none): a bound for scores that add hotness. */
  maxLiveHotness(): number {
    return this.byHotness.top();
  }

  /** Unit embeddings of the sellers with a live stream, for embeddings of `dims` dimensions. */
  sellerVectors(dims: number): SellerVectorTable | undefined {
    return this.sellerTables.get(dims);
  }

  private index(doc: RetrievedDoc): void {
    this.liveDocs.set(doc.livestreamId, doc);
    if (doc.sellerId) addTo(this.bySeller, doc.sellerId, doc);
    for (const category of doc.categoryIds) {
      let ranked = this.byCategory.get(category);
      if (!ranked) this.byCategory.set(category, (ranked = new RankedDocs(momentumOf)));
      ranked.add(doc);
    }
    this.byMomentum.add(doc);
    this.byHotness.add(doc);
    if (doc.auction || doc.giveaway) this.withOfferByHotness.add(doc);
    const embedding = doc.seller.embedding;
    if (doc.sellerId && embedding && embedding.length > 0) {
      // The newest doc carries the seller's newest features.
      const held = this.sellerStreams.get(doc.sellerId);
      if (held && held.dims !== embedding.length) this.sellerTables.get(held.dims)?.remove(doc.sellerId);
      let table = this.sellerTables.get(embedding.length);
      if (!table) this.sellerTables.set(embedding.length, (table = new SellerVectorTable(embedding.length)));
      table.set(doc.sellerId, embedding);
      this.sellerStreams.set(doc.sellerId, { streams: (held?.streams ?? 0) + 1, dims: embedding.length });
    }
  }

  private unindex(doc: RetrievedDoc): void {
    if (!this.liveDocs.delete(doc.livestreamId)) return;
    if (doc.sellerId) removeFrom(this.bySeller, doc.sellerId, doc);
    for (const category of doc.categoryIds) {
      const ranked = this.byCategory.get(category);
      ranked?.remove(doc);
      if (ranked?.size === 0) this.byCategory.delete(category);
    }
    this.byMomentum.remove(doc);
    this.byHotness.remove(doc);
    if (doc.auction || doc.giveaway) this.withOfferByHotness.remove(doc);
    const held = doc.sellerId ? this.sellerStreams.get(doc.sellerId) : undefined;
    if (held && doc.seller.embedding && doc.seller.embedding.length > 0 && --held.streams === 0) {
      this.sellerTables.get(held.dims)?.remove(doc.sellerId!);
      this.sellerStreams.delete(doc.sellerId!);
    }
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
  const best = new BestOf<Candidate>(compareCandidates, limit);
  for (const doc of docs) {
    if (excluded.has(doc.livestreamId)) continue;
    const value = score(doc);
    if (value !== null) best.offer({ livestreamId: doc.livestreamId, score: value, doc });
  }
  return best.inOrder();
}

/** The best `capacity` items offered (by `compare`, best first) in a bounded heap: O(n log k), no full sort. */
export class BestOf<T> {
  private readonly heap: Heap<T>;

  constructor(
    private readonly compare: (a: T, b: T) => number,
    readonly capacity: number,
  ) {
    // The heap's top is the worst item kept: the one a better offer replaces.
    this.heap = new Heap<T>((a, b) => compare(b, a));
  }

  get full(): boolean {
    return this.heap.size >= this.capacity;
  }

  worst(): T | undefined {
    return this.heap.peek();
  }

  offer(item: T): void {
    if (this.heap.size < this.capacity) this.heap.push(item);
    else if (this.compare(item, this.heap.peek()!) < 0) this.heap.replace(item);
  }

  /** The items kept, best first; empties the heap. */
  inOrder(): T[] {
    return this.heap.consume().sort(this.compare);
  }
}

/** Docs in an order where `bound` never increases: a bound of the score of each doc and all after it. */
export interface RankedSource {
  docs: Iterable<RetrievedDoc>;
  /** Upper bound of this doc's score and every later doc's; null ends the source (a filter cut-off). */
  bound(doc: RetrievedDoc): number | null;
}

/**
 * The best `limit` docs of one or more ranked sources (threshold algorithm): each source is read until its
 * bound falls below the worst score kept, so only the head of each order is scored. A doc in several
 * sources is scored once. Same result as `topCandidates` over all docs, given sound bounds.
 */
export function topFromRanked(
  sources: Iterable<RankedSource>,
  limit: number,
  excluded: ReadonlySet<string>,
  score: (doc: RetrievedDoc) => number | null,
): Candidate[] {
  const best = new BestOf<Candidate>(compareCandidates, limit);
  const seen = new Set<string>();
  for (const source of sources) {
    for (const doc of source.docs) {
      const bound = source.bound(doc);
      if (bound === null || (best.full && bound < best.worst()!.score)) break;
      const id = doc.livestreamId;
      if (excluded.has(id) || seen.has(id)) continue;
      seen.add(id);
      const value = score(doc);
      if (value !== null) best.offer({ livestreamId: id, score: value, doc });
    }
  }
  return best.inOrder();
}

/**
 * Seller embeddings of one dimension count as unit vectors packed in one array (row `i` belongs to
 * `sellerIds[i]`), so a similarity scan is one tight loop over contiguous memory. The embeddings are read as
 * float32, as Elasticsearch stores them; the units are kept as doubles, which the scan reads fastest. A zero vector has no
 * direction and is not held (Elasticsearch refuses it for cosine as well).
 */
export class SellerVectorTable {
  readonly sellerIds: string[] = [];
  units: Float64Array;
  private readonly rows = new Map<string, number>();
  private scratch = new Float64Array(0);

  constructor(readonly dims: number) {
    this.units = new Float64Array(dims * 64);
  }

  rowOf(sellerId: string): number | undefined {
    return this.rows.get(sellerId);
  }

  get size(): number {
    return this.sellerIds.length;
  }

  set(sellerId: string, embedding: readonly number[]): void {
    const vector = Float32Array.from(embedding);
    const norm = normOf(vector);
    if (norm === 0) return this.remove(sellerId);
    let row = this.rows.get(sellerId);
    if (row === undefined) {
      row = this.sellerIds.length;
      if ((row + 1) * this.dims > this.units.length) {
        const grown = new Float64Array(this.units.length * 2);
        grown.set(this.units);
        this.units = grown;
      }
      this.sellerIds.push(sellerId);
      this.rows.set(sellerId, row);
    }
    for (let i = 0; i < this.dims; i++) this.units[row * this.dims + i] = vector[i]! / norm;
  }

  remove(sellerId: string): void {
    const row = this.rows.get(sellerId);
    if (row === undefined) return;
    // The last row moves into the gap: rows stay dense.
    const last = this.sellerIds.length - 1;
    if (row !== last) {
      this.units.copyWithin(row * this.dims, last * this.dims, (last + 1) * this.dims);
      const moved = this.sellerIds[last]!;
      this.sellerIds[row] = moved;
      this.rows.set(moved, row);
    }
    this.sellerIds.pop();
    this.rows.delete(sellerId);
  }

  /**
   * Cosine of every held seller with `query` (length `dims`, non-zero), by row. The array is reused by the
   * next call (no garbage per query): read it before calling again.
   */
  cosines(query: readonly number[]): Float64Array {
    const dims = this.dims;
    const norm = Math.hypot(...query);
    const unit = Float64Array.from(query, (x) => x / norm);
    if (this.scratch.length < this.sellerIds.length)
      this.scratch = new Float64Array(this.units.length / dims);
    const out = this.scratch.subarray(0, this.sellerIds.length);
    const units = this.units;
    // Four lanes per step: about twice as fast as one accumulator in V8.
    const wide = dims - (dims % 4);
    for (let row = 0, offset = 0; row < out.length; row++, offset += dims) {
      let a = 0;
      let b = 0;
      let c = 0;
      let d = 0;
      let i = 0;
      for (; i < wide; i += 4) {
        a += units[offset + i]! * unit[i]!;
        b += units[offset + i + 1]! * unit[i + 1]!;
        c += units[offset + i + 2]! * unit[i + 2]!;
        d += units[offset + i + 3]! * unit[i + 3]!;
      }
      for (; i < dims; i++) a += units[offset + i]! * unit[i]!;
      out[row] = a + b + c + d;
    }
    return out;
  }
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
