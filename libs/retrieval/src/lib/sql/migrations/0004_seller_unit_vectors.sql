-- similar_sellers reads the nearest sellers off a GiST index instead of computing a cosine for every live
-- seller: each stream keeps its seller's embedding as a unit vector in a `cube` (PostgreSQL's contrib
-- module, a trusted extension, so the schema owner may create it), where Euclidean distance orders vectors
-- as cosine similarity does (|a - b|^2 = 2 - 2 cos). `cube` holds at most 100 dimensions: a longer
-- embedding gets no unit vector and is left out of similar_sellers on this store.
SELECT pg_advisory_xact_lock(hashtext('crest-extension-cube'));
CREATE EXTENSION IF NOT EXISTS cube WITH SCHEMA public;

CREATE FUNCTION unit_cube(v real[]) RETURNS public.cube
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN s.norm > 0 AND cardinality(v) <= 100 THEN
    public.cube(ARRAY(SELECT CAST(t.x AS double precision) / s.norm
                      FROM unnest(v) WITH ORDINALITY AS t(x, n) ORDER BY t.n))
  END
  FROM (SELECT sqrt(sum(CAST(x AS double precision) * CAST(x AS double precision))) AS norm
        FROM unnest(v) AS x) s
$$;

ALTER TABLE livestreams ADD COLUMN seller_unit public.cube GENERATED ALWAYS AS (unit_cube(seller_embedding)) STORED;
CREATE INDEX livestreams_live_seller_unit ON livestreams USING gist (seller_unit)
  WHERE status = 'live' AND seller_unit IS NOT NULL;
