/** One sample line of the Prometheus text exposition format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?\s*$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/y;
const UNESCAPE: Record<string, string> = { n: '\n', '\\': '\\', '"': '"' };

/**
 * The samples of a /metrics answer (text format 0.0.4): comments skipped, label values unescaped, `NaN`
 * and `±Inf` kept as numbers. A line that does not parse is skipped and counted, never guessed at.
 * (parse-prometheus-text-format, the usual npm parser, loses the labels of every histogram series after
 * the first when `le` comes first, which is how prom-client writes them.)
 */
export function parsePrometheusText(text: string): { samples: Sample[]; unparsed: number } {
  const samples: Sample[] = [];
  let unparsed = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    const labels = match ? parseLabels(match[2] ?? '') : null;
    const value = match ? parseValue(match[3]!) : NaN;
    if (!match || !labels || (Number.isNaN(value) && match[3] !== 'NaN')) {
      unparsed++;
      continue;
    }
    samples.push({ name: match[1]!, labels, value });
  }
  return { samples, unparsed };
}

function parseLabels(body: string): Record<string, string> | null {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < body.length) {
    const start = LABEL.lastIndex;
    const match = LABEL.exec(body);
    if (!match) return body.slice(start).trim() === '' ? labels : null;
    labels[match[1]!] = match[2]!.replace(/\\(.)/g, (_, c: string) => UNESCAPE[c] ?? `\\${c}`);
  }
  return labels;
}

function parseValue(text: string): number {
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  return Number(text);
}
